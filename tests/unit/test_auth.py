"""SddcManagerAuth against the emulator: tokens reused, one refresh after a 401, clear errors."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.leaks import assert_no_leaks
from tests.support.routes import MANAGERS, REFRESH
from vcf_provider import SddcManagerApiError, SddcManagerAuth
from vcf_provider.testing import Fault, SddcManagerEmulator, vcf_error


def auth_for(emulator: SddcManagerEmulator) -> SddcManagerAuth:
    return SddcManagerAuth(emulator.url, emulator.issue_refresh_token(), ca_bundle=str(emulator.ca_path))


@pytest.fixture
def session(sddc_manager: SddcManagerEmulator) -> Iterator[requests.Session]:
    with auth_for(sddc_manager).session() as session:
        yield session


def test_the_first_request_fetches_a_token_and_later_ones_reuse_it(
    sddc_manager: SddcManagerEmulator, session: requests.Session
) -> None:
    for _ in range(3):
        assert session.get(sddc_manager.url + MANAGERS, timeout=10).status_code == 200

    assert sddc_manager.count(*REFRESH) == 1
    tokens = {r.headers["Authorization"] for r in sddc_manager.requests if r.path == MANAGERS}
    assert tokens == {f"Bearer {sddc_manager.issued_access_tokens[-1]}"}


def test_a_401_refreshes_once_and_sends_the_request_again(
    sddc_manager: SddcManagerEmulator, session: requests.Session
) -> None:
    session.get(sddc_manager.url + MANAGERS, timeout=10).raise_for_status()
    sddc_manager.script("GET", MANAGERS, Fault.error(401, vcf_error("Unauthorized", "Token expired.", "")))

    answer = session.get(sddc_manager.url + MANAGERS, timeout=10)

    assert answer.status_code == 200
    assert [r.status_code for r in answer.history] == [401]
    assert sddc_manager.count(*REFRESH) == 2
    assert answer.request.headers["Authorization"] == f"Bearer {sddc_manager.issued_access_tokens[-1]}"


def test_a_second_401_is_returned_not_retried_forever(
    sddc_manager: SddcManagerEmulator, session: requests.Session
) -> None:
    unauthorized = Fault.error(401, vcf_error("Unauthorized", "No.", ""))
    sddc_manager.script("GET", MANAGERS, unauthorized, unauthorized, unauthorized)

    answer = session.get(sddc_manager.url + MANAGERS, timeout=10)

    assert answer.status_code == 401
    assert sddc_manager.count("GET", MANAGERS) == 2
    assert sddc_manager.count(*REFRESH) == 2


def test_a_revoked_refresh_token_is_a_clear_error_naming_the_way_out(
    sddc_manager: SddcManagerEmulator, session: requests.Session
) -> None:
    sddc_manager.revoke_all()

    with pytest.raises(SddcManagerApiError) as caught:
        session.get(sddc_manager.url + MANAGERS, timeout=10)

    message = str(caught.value)
    assert message.startswith("refreshing the access token failed: HTTP 404 Not Found from PATCH")
    assert "`pulumi up --refresh`" in message
    assert_no_leaks({"error": message}, sddc_manager.issued_refresh_tokens)


def test_it_cannot_be_pickled_into_state_and_hides_the_token_in_repr(
    sddc_manager: SddcManagerEmulator,
) -> None:
    auth = auth_for(sddc_manager)
    auth.access_token()

    with pytest.raises(TypeError, match="would land in Pulumi state"):
        pickle.dumps(auth)
    assert repr(auth) == f"SddcManagerAuth({sddc_manager.url!r})"
    assert_no_leaks(
        {"repr": repr(auth)}, [*sddc_manager.issued_refresh_tokens, *sddc_manager.issued_access_tokens]
    )


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"max_retries": -1}, "max_retries"),
        ({"ca_bundle": "/no/such/ca.pem"}, "ca_bundle"),
    ],
)
def test_bad_arguments_are_named(
    sddc_manager: SddcManagerEmulator, options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        SddcManagerAuth(sddc_manager.url, "some-refresh-token", **options)


def test_a_ca_given_as_pem_text_works_for_requests_too(sddc_manager: SddcManagerEmulator) -> None:
    auth = SddcManagerAuth(
        sddc_manager.url, sddc_manager.issue_refresh_token(), ca_bundle=sddc_manager.ca_path.read_text()
    )
    with auth.session() as session:
        assert session.get(sddc_manager.url + MANAGERS, timeout=10).status_code == 200
