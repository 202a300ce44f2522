"""Reading access token claims without the signing key."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from vcf_provider.api.jwt import NotAJwtError, looks_like_jwt, parse_rfc3339, read_claims, rfc3339
from vcf_provider.testing.signing import make_jwt


def test_exp_and_iat_are_read_as_utc_times() -> None:
    claims = read_claims(make_jwt(iat=1_700_000_000, exp=1_700_003_600, sub="admin@local"))

    assert claims.issued_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert claims.expires_at == datetime(2023, 11, 14, 23, 13, 20, tzinfo=timezone.utc)
    assert claims.subject == "admin@local"


def test_a_token_without_exp_has_no_expiry() -> None:
    assert read_claims(make_jwt(sub="x")).expires_at is None


@pytest.mark.parametrize("exp", ["1700000000", True, None, 10**20])
def test_a_malformed_exp_counts_as_absent(exp: object) -> None:
    assert read_claims(make_jwt(exp=exp)).expires_at is None


@pytest.mark.parametrize(
    "text",
    ["", "abc", "a.b", "a.b.c.d", "eyJ0.eyJ0.", "not base64!.eyJ9.sig", "W10.W10.c2ln"],
)
def test_anything_but_a_jwt_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(NotAJwtError) as raised:
        read_claims(text)
    assert text == "" or text not in str(raised.value)


def test_shape_check_accepts_real_tokens_only() -> None:
    assert looks_like_jwt(make_jwt(exp=1))
    assert not looks_like_jwt("<html>error</html>")
    assert not looks_like_jwt("x" * 20_000 + ".a.b")


def test_rfc3339_round_trips_to_the_second() -> None:
    moment = datetime(2026, 11, 26, 1, 2, 3, tzinfo=timezone.utc)
    assert rfc3339(moment) == "2026-11-26T01:02:03Z"
    assert parse_rfc3339("2026-11-26T01:02:03Z") == moment
    assert parse_rfc3339("yesterday") is None
