"""The provider's decisions without the engine: diff, renewal, read, delete, and its serialized form."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta, timezone

import dill

from vcf_provider.api.jwt import rfc3339
from vcf_provider.provider import RefreshedAccessTokenProvider, renewal_due
from vcf_provider.testing import SddcManagerEmulator
from vcf_provider.testing.signing import make_jwt

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)
OLDS = {
    "host": "sddc.example.test",
    "refresh_token": "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11",
    "timeout_seconds": 30.0,
    "max_retries": 3.0,
    "renew_before_seconds": 300.0,
    "triggers": {"rotation": "a"},
    # A real token that expires in an hour: renewal is not due, so only the inputs decide.
    "access_token": make_jwt(iat=int(time.time()), exp=int(time.time()) + 3600),
    "expires_at": rfc3339(datetime.now(timezone.utc) + timedelta(hours=1)),
    "refreshed_at": rfc3339(datetime.now(timezone.utc)),
    "__provider": "old-serialized-provider",
}
NEWS = {k: v for k, v in OLDS.items() if k not in ("access_token", "expires_at", "refreshed_at")}


def diff(**changes: object) -> tuple[bool | None, list[str] | None]:
    result = RefreshedAccessTokenProvider().diff("id", OLDS, {**NEWS, **changes})
    return result.changes, result.replaces


def test_unchanged_inputs_and_a_fresh_token_mean_no_change() -> None:
    assert diff() == (False, None)


def test_unchanged_inputs_and_a_token_inside_the_window_mean_a_renewal() -> None:
    # The counterpart that makes the test above able to fail: the same inputs, a token that is due.
    due = make_jwt(iat=int(time.time()) - 3500, exp=int(time.time()) + 100)
    result = RefreshedAccessTokenProvider().diff(
        "id",
        {
            **OLDS,
            "access_token": due,
            "refreshed_at": rfc3339(datetime.now(timezone.utc) - timedelta(seconds=3500)),
        },
        NEWS,
    )
    assert (result.changes, result.replaces) == (True, None)


def test_a_new_serialized_provider_alone_is_not_a_change() -> None:
    assert diff(__provider="new-serialized-provider") == (False, None)


def test_a_changed_host_replaces() -> None:
    assert diff(host="other.example.test") == (True, ["host"])


def test_other_changed_inputs_update_in_place() -> None:
    for name, value in [
        ("refresh_token", "0f8a2c55-1d1e-4a6b-9c1f-7d7e9a0b1c2d"),
        ("triggers", {"rotation": "b"}),
        ("max_retries", 5.0),
        ("ca_bundle", "/etc/ca.pem"),
    ]:
        assert diff(**{name: value}) == (True, None), name


def test_renewal_is_due_inside_the_window_and_after_expiry() -> None:
    def outputs(expires_in: timedelta) -> dict[str, object]:
        return {"expires_at": rfc3339(NOW + expires_in)}

    assert not renewal_due(outputs(timedelta(minutes=10)), 300, NOW)
    assert renewal_due(outputs(timedelta(minutes=4)), 300, NOW)
    assert renewal_due(outputs(timedelta(seconds=20)), 0, NOW), "clock skew margin"
    assert renewal_due(outputs(-timedelta(hours=1)), 300, NOW)


def test_a_token_without_expiry_renews_only_on_input_change() -> None:
    assert not renewal_due({"expires_at": None}, 300, NOW)


def test_read_measures_the_clock_with_one_head_and_no_credential_and_delete_sends_nothing(
    sddc_manager: SddcManagerEmulator,
) -> None:
    # A stored token with a measured skew: read reaches today's code, not an early return.
    stored = {
        **OLDS,
        "host": sddc_manager.url,
        "ca_bundle": str(sddc_manager.ca_path),
        "clock_skew_seconds": 0,
    }

    result = RefreshedAccessTokenProvider().read("the-id", stored)
    RefreshedAccessTokenProvider().delete("the-id", stored)

    assert (result.id, result.outs) == ("the-id", stored)
    (head,) = sddc_manager.requests
    assert (head.method, head.path) == ("HEAD", "/")
    assert "authorization" not in {name.lower() for name in head.headers}
    assert str(OLDS["refresh_token"]).encode() not in head.body


def test_the_serialized_provider_is_a_small_reference_holding_nothing() -> None:
    serialized = base64.b64encode(dill.dumps(RefreshedAccessTokenProvider(), protocol=None, recurse=True))

    assert len(serialized) <= 100
    assert b"vcf_provider.provider" in base64.b64decode(serialized)
