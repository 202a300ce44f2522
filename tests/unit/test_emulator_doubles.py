"""The test doubles the package ships: ManualClock for `clock=` parameters, and make_jwt."""

from __future__ import annotations

import math

import pytest

from vcf_provider.api.jwt import looks_like_jwt, read_claims
from vcf_provider.downstream.renewal import TokenRenewer
from vcf_provider.testing import ManualClock
from vcf_provider.testing.signing import make_jwt, verified_claims


def test_a_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(start=50.0)
    assert clock() == 50.0
    assert clock.advance(10.5) == 60.5
    assert clock() == 60.5


@pytest.mark.parametrize("seconds", [-1.0, math.inf, math.nan])
def test_a_manual_clock_refuses_to_run_backwards_or_forever(seconds: float) -> None:
    clock = ManualClock()
    with pytest.raises(ValueError, match="advance takes a finite number of seconds of 0 or more"):
        clock.advance(seconds)
    assert clock() == 1_000.0


def test_a_manual_clock_is_what_a_renewer_reads_for_its_clock() -> None:
    clock = ManualClock()
    fetched: list[float] = []

    def fetch() -> str:
        fetched.append(clock())
        return make_jwt(iat=1_700_000_000, exp=1_700_003_600)

    renewer = TokenRenewer(fetch, renew_before_seconds=300, clock=clock)
    renewer.token()
    clock.advance(3_400)
    renewer.token()
    assert fetched == [1_000.0, 4_400.0], "renewed once the clock entered the renewal window"


def test_make_jwt_carries_exactly_the_claims_and_no_emulator_accepts_it() -> None:
    token = make_jwt(sub="admin@local", iat=1_700_000_000, exp=1_700_003_600)
    claims = read_claims(token)
    assert looks_like_jwt(token)
    assert claims.subject == "admin@local"
    assert claims.expires_at is not None
    assert claims.expires_at.timestamp() == 1_700_003_600
    assert verified_claims(b"any emulator's key", token) is None
    assert make_jwt(sub="x") != make_jwt(sub="x"), "a random signature each time"
