"""SddcManagerAuth.from_credentials: logs in, renews from its pair, logs in again once a refresh token
is gone, revokes what it created on close, and never shows the password or a token."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest

from tests.support.leaks import assert_no_leaks, emulator_secrets
from tests.support.routes import LOGIN, REFRESH, REVOKE
from vcf_provider import SddcManagerApiError, SddcManagerAuth, VcfProviderError
from vcf_provider.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    Fault,
    ManualClock,
    SddcManagerEmulator,
    vcf_error,
)

LIFETIME = 3600


def credentials_auth(emulator: SddcManagerEmulator, clock: ManualClock | None = None) -> SddcManagerAuth:
    return SddcManagerAuth.from_credentials(
        emulator.url,
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        ca_bundle=str(emulator.ca_path),
        clock=clock or ManualClock(),
    )


def test_it_logs_in_on_first_use_and_then_renews_from_the_pair(sddc_manager: SddcManagerEmulator) -> None:
    clock = ManualClock()
    auth = credentials_auth(sddc_manager, clock)
    assert sddc_manager.count() == 0, "nothing is sent before the first use"

    auth.access_token()
    clock.advance(LIFETIME - 100)
    auth.access_token()

    assert [(r.method, r.path) for r in sddc_manager.requests] == [LOGIN, REFRESH]
    assert sddc_manager.requests[1].body.decode() == sddc_manager.issued_refresh_tokens[0]


def test_across_the_refresh_tokens_expiry_it_logs_in_again_once(
    sddc_manager: SddcManagerEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    auth = credentials_auth(sddc_manager, clock)
    auth.access_token()
    sddc_manager.expire_refresh_tokens()  # a day went by
    clock.advance(LIFETIME + 1)

    with caplog.at_level(logging.WARNING, logger="vcf_provider.downstream.auth"):
        token = auth.access_token()

    usable = sddc_manager.access_token_is_valid(token)
    assert usable
    assert [(r.method, r.path) for r in sddc_manager.requests] == [LOGIN, REFRESH, LOGIN]
    assert [r.getMessage() for r in caplog.records] == [
        f"SddcManagerAuth({sddc_manager.url!r}, from credentials): SDDC Manager no longer knows the "
        "refresh token (HTTP 404); logging in again"
    ]
    clock.advance(LIFETIME - 100)
    auth.access_token()
    assert sddc_manager.requests[-1].body.decode() == sddc_manager.issued_refresh_tokens[-1], "the new pair"


def test_a_revoked_refresh_token_means_one_login_even_when_the_next_is_refused(
    sddc_manager: SddcManagerEmulator,
) -> None:
    clock = ManualClock()
    auth = credentials_auth(sddc_manager, clock)
    auth.access_token()
    sddc_manager.revoke_all()
    sddc_manager.script(*LOGIN, Fault.error(400, vcf_error("INVALID_CREDENTIALS", "Bad password.", "")))
    clock.advance(LIFETIME)

    with pytest.raises(SddcManagerApiError, match="creating a token pair failed: HTTP 400"):
        auth.access_token()

    assert sddc_manager.count(*LOGIN) == 2, "one login for the one refusal: no loop"


def test_close_revokes_the_refresh_token_it_created_and_then_refuses_to_work(
    sddc_manager: SddcManagerEmulator,
) -> None:
    with credentials_auth(sddc_manager) as auth:
        auth.access_token()
        assert len(sddc_manager.live_refresh_tokens) == 1

    assert sddc_manager.live_refresh_tokens == []
    assert sddc_manager.count(*REVOKE) == 1
    with pytest.raises(VcfProviderError, match="is closed"):
        auth.access_token()
    auth.close()
    assert sddc_manager.count(*REVOKE) == 1, "closing twice revokes once"


def test_close_before_any_use_sends_nothing(sddc_manager: SddcManagerEmulator) -> None:
    credentials_auth(sddc_manager).close()

    assert sddc_manager.count() == 0


def test_close_never_revokes_a_refresh_token_it_was_given(sddc_manager: SddcManagerEmulator) -> None:
    given = sddc_manager.issue_refresh_token()
    with SddcManagerAuth(sddc_manager.url, given, ca_bundle=str(sddc_manager.ca_path)) as auth:
        auth.access_token()

    assert sddc_manager.live_refresh_tokens == [given]
    assert sddc_manager.count(*REVOKE) == 0


@pytest.mark.parametrize(
    ("credentials", "says"),
    [
        ({}, "no credentials"),
        ({"username": "u"}, "password is missing"),
        ({"password": "p"}, "username is missing"),
        ({"username": "u", "password": "p", "api_key": "k"}, "not username and password and api_key"),
        ({"api_key": "k", "id_token": "t"}, "not api_key and id_token"),
    ],
)
def test_exactly_one_way_to_log_in_is_accepted(credentials: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        SddcManagerAuth.from_credentials("sddc-manager.example.com", **credentials)

    assert str(caught.value).startswith("SddcManagerAuth.from_credentials: ")
    assert_no_leaks({"error": str(caught.value)}, [v for v in credentials.values() if len(v) > 1] or ["-"])


def test_an_api_key_logs_in_too() -> None:
    with SddcManagerEmulator(api_keys=["key-0123456789"]) as emulator:
        auth = SddcManagerAuth.from_credentials(
            emulator.url, api_key="key-0123456789", ca_bundle=str(emulator.ca_path)
        )
        auth.access_token()
        auth.close()

    assert emulator.requests[0].body == b'{"apiKey": "key-0123456789"}'


def test_the_password_and_tokens_appear_in_no_repr_error_or_log(
    sddc_manager: SddcManagerEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    auth = credentials_auth(sddc_manager, clock)
    caplog.set_level(logging.DEBUG)
    auth.access_token()
    sddc_manager.revoke_all()
    sddc_manager.script(
        *LOGIN, Fault.error(400, vcf_error("INVALID_CREDENTIALS", f"Wrong password {DEFAULT_PASSWORD}", ""))
    )
    clock.advance(LIFETIME)
    with pytest.raises(SddcManagerApiError) as caught:
        auth.access_token()
    with pytest.raises(TypeError, match="cannot be pickled") as refused:
        pickle.dumps(auth)

    artifacts = {
        "repr": repr(auth),
        "error": str(caught.value),
        "pickle error": str(refused.value),
        "log": caplog.text,
    }
    assert_no_leaks(artifacts, [DEFAULT_PASSWORD, *emulator_secrets(sddc_manager)])
    assert "Wrong password [redacted]" in str(caught.value), "the server's message stays, less the secret"


def test_a_close_whose_revoke_failed_can_be_tried_again(sddc_manager: SddcManagerEmulator) -> None:
    auth = credentials_auth(sddc_manager)
    auth.access_token()
    sddc_manager.script(*REVOKE, *[Fault.error(500, vcf_error("DOWN", "Down.", "Later."))] * 4)

    with pytest.raises(VcfProviderError):
        auth.close()
    assert len(sddc_manager.live_refresh_tokens) == 1
    with pytest.raises(VcfProviderError, match="is closed"):
        auth.access_token()

    auth.close()

    assert sddc_manager.live_refresh_tokens == []
    auth.close()
    assert sddc_manager.count(*REVOKE) == 5, "four failed attempts, one that worked, none after"
