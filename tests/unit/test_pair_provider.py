"""AccessTokenPair's decisions without the engine: credentials check and what replaces."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vcf_provider.api.errors import SddcManagerTlsError
from vcf_provider.api.jwt import rfc3339
from vcf_provider.pair_provider import AccessTokenPairProvider, check_credentials, login_body, rotation_due
from vcf_provider.testing.signing import make_jwt

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


def test_username_and_password_or_an_api_key_or_an_id_token_pass() -> None:
    assert reasons(username="admin@local", password=SECRET_PASSWORD) == []
    assert reasons(api_key="key-123") == []
    assert reasons(id_token="eyJhbGciOiJub25lIn0.e30.") == []


@pytest.mark.parametrize(
    ("props", "named"),
    [
        ({"id_token": "t", "api_key": "k"}, "not api_key and id_token"),
        ({"id_token": "t", "username": "admin@local"}, "not username and password and id_token"),
        ({"id_token": "t", "username": "u", "password": "p", "api_key": "k"}, "and api_key and id_token"),
    ],
)
def test_two_ways_to_log_in_are_refused_at_preview(props: dict[str, str], named: str) -> None:
    (found,) = reasons(**props)
    assert found[0] == "", "no secret property is named (the engine would print its value)"
    assert named in found[1]
    assert "vcf:idToken" in found[1]


def test_the_login_body_is_the_spec_field_of_the_method_given() -> None:
    assert login_body({"id_token": "t"}) == {"idToken": "t"}
    assert login_body({"api_key": "k"}) == {"apiKey": "k"}
    assert login_body({"username": "u", "password": "p"}) == {"username": "u", "password": "p"}


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
    assert diff(id_token="new-id-token") == (True, ["id_token"])


def test_connection_settings_update_in_place_keeping_the_pair() -> None:
    assert diff(timeout_seconds=10.0) == (True, None)
    updated = AccessTokenPairProvider().update("id", OLDS, {**NEWS, "timeout_seconds": 10.0}).outs
    assert updated is not None
    assert updated["refresh_token"] == OLDS["refresh_token"]
    assert updated["timeout_seconds"] == 10.0


NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("age_seconds", "rotate_after", "due"),
    [
        (71_999, None, False),  # the default, 72000
        (72_000, None, True),
        (5, 4.0, True),
        (3, 4.0, False),
        (10**9, 0.0, False),  # 0 turns rotation off
    ],
)
def test_a_pair_rotates_once_it_is_older_than_rotate_after_seconds(
    age_seconds: int, rotate_after: float | None, due: bool
) -> None:
    olds = {**OLDS, "created_at": rfc3339(NOW - timedelta(seconds=age_seconds))}
    news = {**NEWS, "rotate_after_seconds": rotate_after}

    assert rotation_due(olds, news, now=NOW) is due


def test_rotation_is_a_replacement_shown_as_created_at() -> None:
    olds = {**OLDS, "created_at": "2020-01-01T00:00:00Z"}

    result = AccessTokenPairProvider().diff("id", olds, dict(NEWS))

    assert result.changes is True
    assert result.replaces == ["created_at"]
    assert result.delete_before_replace is False


def test_a_pair_stored_by_0_1_0_is_never_rotated_on_upgrade_but_gets_a_created_at_from_its_token() -> None:
    issued = NOW - timedelta(days=40)
    legacy = {
        **OLDS,
        "access_token": make_jwt(iat=int(issued.timestamp()), exp=int(issued.timestamp()) + 3600),
    }
    news = {**NEWS, "rotate_after_seconds": 72_000.0}
    provider = AccessTokenPairProvider()

    planned = provider.diff("id", legacy, news)
    updated = provider.update("id", legacy, news).outs or {}

    assert planned.replaces is None, "no replacement on upgrade: the first up only records the age"
    assert planned.changes is True
    assert updated["created_at"] == rfc3339(issued)
    assert updated["refresh_token"] == legacy["refresh_token"]
    assert rotation_due(updated, news) is True, "the next up rotates the 40-day-old pair"


def test_a_stored_ca_path_missing_here_falls_back_to_the_stack_config_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "ca.pem"
    here.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    stored = {**OLDS, "host": "sddc.example.test", "ca_bundle": "/on/another/machine/ca.pem"}
    provider = AccessTokenPairProvider()
    monkeypatch.delenv("VCF_CA_BUNDLE", raising=False)

    provider.stack_ca_bundle = str(here)
    assert provider.settings(stored).ca_bundle == str(here)

    provider.stack_ca_bundle = "/also/missing.pem"
    monkeypatch.setenv("VCF_CA_BUNDLE", str(here))
    assert provider.settings(stored).ca_bundle == str(here)

    monkeypatch.delenv("VCF_CA_BUNDLE")
    with pytest.raises(SddcManagerTlsError) as raised:
        provider.settings(stored)
    assert str(raised.value).startswith("no CA bundle on this machine: ")
    assert "'/also/missing.pem'" in str(raised.value)

    present = {**stored, "ca_bundle": str(here)}
    provider.stack_ca_bundle = "/also/missing.pem"
    assert provider.settings(present).ca_bundle == str(here), "a stored path that exists is kept"
