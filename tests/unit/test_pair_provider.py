"""AccessTokenPair's decisions without the engine: credentials check and what replaces."""

from __future__ import annotations

from typing import Any

from vcf_provider.pair_provider import AccessTokenPairProvider, check_credentials

SECRET_PASSWORD = "Sup3r-Secret-Pa55"
OLDS: dict[str, Any] = {
    "host": "sddc.example.test",
    "username": "admin@local",
    "password": SECRET_PASSWORD,
    "timeout_seconds": 30.0,
    "max_retries": 3.0,
    "triggers": {"rotation": "1"},
    "refresh_token": "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11",
}
NEWS = {k: v for k, v in OLDS.items() if k != "refresh_token"}


def reasons(**props: Any) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in check_credentials(props)]


def test_username_and_password_or_an_api_key_pass() -> None:
    assert reasons(username="admin@local", password=SECRET_PASSWORD) == []
    assert reasons(api_key="key-123") == []


def test_credential_problems_name_no_secret_property_and_echo_nothing() -> None:
    for props in (
        {},
        {"username": "admin@local"},
        {"password": SECRET_PASSWORD},
        {"api_key": "key-123", "username": "admin@local", "password": SECRET_PASSWORD},
    ):
        (found,) = reasons(**props)
        assert found[0] in ("", "username")
        assert SECRET_PASSWORD not in found[1]
        assert "vcf:password" in found[1]


def diff(**changes: Any) -> tuple[bool | None, list[str] | None]:
    result = AccessTokenPairProvider().diff("id", OLDS, {**NEWS, **changes})
    return result.changes, result.replaces


def test_new_credentials_host_or_triggers_replace_the_pair() -> None:
    assert diff() == (False, None)
    assert diff(password="other") == (True, ["password"])
    assert diff(host="other.example.test") == (True, ["host"])
    assert diff(triggers={"rotation": "2"}) == (True, ["triggers"])


def test_connection_settings_update_in_place_keeping_the_pair() -> None:
    assert diff(timeout_seconds=10.0) == (True, None)
    updated = AccessTokenPairProvider().update("id", OLDS, {**NEWS, "timeout_seconds": 10.0}).outs
    assert updated is not None
    assert updated["refresh_token"] == OLDS["refresh_token"]
    assert updated["timeout_seconds"] == 10.0
