"""vcf-renew-pair-tokens decides by the values an input holds and what it depends on, not by its name."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from vcf_provider.policy.policies import RENEW_PAIR_TOKENS
from vcf_provider.resources import model
from vcf_provider.testing.signing import make_jwt

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REFRESH = "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11"
ACCESS = make_jwt(exp=1)
DYNAMIC_PAIR = model.ACCESS_TOKEN_PAIR.dynamic_type
DYNAMIC_TOKEN = model.REFRESHED_ACCESS_TOKEN.dynamic_type


def resource(
    resource_type: str, name: str, props: dict[str, Any], fed: dict[str, PolicyResource] | None = None
) -> PolicyResource:
    """A resource as stack validation sees it: its state's properties, and which input came from where."""
    fed = fed or {}
    return PolicyResource(
        resource_type,
        unknown_checking_proxy(props),
        f"urn:pulumi:test::vcf::{resource_type}::{name}",
        name,
        PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), []),
        None,
        None,
        list(fed.values()),
        {prop: [source] for prop, source in fed.items()},
    )


def pair(resource_type: str = DYNAMIC_PAIR, refresh: str = REFRESH, access: str = ACCESS) -> PolicyResource:
    """A pair whose state holds `refresh` and `access` under the names its type uses."""
    package = resource_type == model.ACCESS_TOKEN_PAIR.token
    keys = ("refreshToken", "accessToken") if package else ("refresh_token", "access_token")
    return resource(resource_type, "login", {"host": "sddc.vcf.test", keys[0]: refresh, keys[1]: access})


def reported(*resources: PolicyResource) -> list[str]:
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    RENEW_PAIR_TOKENS.validate(StackValidationArgs(list(resources), None), report)
    return found


def test_a_pair_renewed_by_a_refreshed_token_passes() -> None:
    login = pair()
    token = resource(
        DYNAMIC_TOKEN,
        "token",
        {"refresh_token": REFRESH, "access_token": make_jwt(exp=2)},
        {"refresh_token": login},
    )
    user = resource("aws:x:Y", "user", {"token": token.props["access_token"]}, {"token": token})
    assert reported(login, token, user) == []


def test_a_pair_with_nothing_consuming_it_is_reported() -> None:
    (message,) = reported(pair())
    assert "AccessTokenPair 'login' has nothing renewing from its refresh token" in message


def test_a_refresh_token_under_any_name_is_renewal() -> None:
    login = pair()
    user = resource("custom:x:Domain", "domain", {"sddc_credential": REFRESH}, {"sddc_credential": login})
    assert reported(login, user) == []


def test_an_input_named_token_that_takes_the_refresh_token_is_not_taking_the_access_token() -> None:
    login = pair()
    user = resource("custom:x:Domain", "domain", {"token": REFRESH}, {"token": login})
    assert reported(login, user) == []


def test_the_access_token_under_a_name_without_token_is_reported() -> None:
    login = pair()
    user = resource("custom:x:Domain", "domain", {"sddc_credential": ACCESS}, {"sddc_credential": login})
    found = reported(login, user)
    assert len(found) == 2
    assert "'domain' takes the access token of AccessTokenPair 'login' in sddc_credential" in found[0]
    assert "has nothing renewing from its refresh token" in found[1]
    assert all(ACCESS not in message and REFRESH not in message for message in found)


def test_the_access_token_inside_a_header_value_is_reported() -> None:
    login = pair()
    headers = {"headers": {"Authorization": f"Bearer {ACCESS}"}}
    user = resource("custom:x:Call", "call", headers, {"headers": login})
    assert any("'call' takes the access token" in message for message in reported(login, user))


def test_an_input_fed_only_the_pairs_host_renews_nothing() -> None:
    login = pair()
    user = resource("custom:x:Domain", "domain", {"host": "sddc.vcf.test"}, {"host": login})
    (message,) = reported(login, user)
    assert "has nothing renewing" in message


@pytest.mark.parametrize("pair_type", [DYNAMIC_PAIR, model.ACCESS_TOKEN_PAIR.token])
def test_the_package_types_are_read_with_their_own_names(pair_type: str) -> None:
    login = pair(pair_type)
    renewer = resource(
        model.REFRESHED_ACCESS_TOKEN.token, "token", {"refreshToken": REFRESH}, {"refreshToken": login}
    )
    assert reported(login, renewer) == []
    misuse = resource("custom:x:Domain", "domain", {"bearer": ACCESS}, {"bearer": login})
    assert len(reported(login, misuse)) == 2


def test_at_preview_a_refreshed_token_fed_the_pair_counts_as_renewal_by_its_model() -> None:
    login = pair(refresh=UNKNOWN, access=UNKNOWN)
    token = resource(DYNAMIC_TOKEN, "token", {"refresh_token": UNKNOWN}, {"refresh_token": login})
    assert reported(login, token) == []


def test_at_preview_an_unknown_downstream_input_is_left_for_up() -> None:
    login = pair(refresh=UNKNOWN, access=UNKNOWN)
    user = resource("custom:x:Domain", "domain", {"sddc_credential": UNKNOWN}, {"sddc_credential": login})
    assert reported(login, user) == []


def test_a_partly_unknown_value_that_holds_the_access_token_is_still_reported() -> None:
    login = pair()
    user = resource("custom:x:Call", "call", {"auth": [UNKNOWN, ACCESS]}, {"auth": login})
    assert any("'call' takes the access token" in message for message in reported(login, user))
