"""Token timing by SDDC Manager's clock: when a token expires on this machine's clock, and the skew."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vcf_provider.api.jwt import NotAJwtError, read_claims

#: A difference between the two clocks worth telling the user about.
SKEW_WARNING_SECONDS = 60

#: Renew this much before the window too: the time a refresh takes, and clock drift since receipt.
RENEWAL_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class TokenTiming:
    """When an access token stops working, measured on this machine's clock."""

    expires_at: datetime | None
    """The token's `exp`, by SDDC Manager's clock (what the token itself says)."""

    local_expires_at: datetime | None
    """When it expires by this machine's clock: receipt time plus its lifetime (`exp - iat`)."""

    skew_seconds: float | None
    """This machine's clock minus SDDC Manager's (network time included); None without `iat`."""


def timing(access_token: str, received_at: datetime) -> TokenTiming:
    """The timing of a token that arrived at `received_at` (this machine's clock).

    The lifetime comes from the token's own `iat` and `exp`, both set by SDDC Manager's clock, so
    renewal stays right however far the two clocks are apart.
    """
    try:
        claims = read_claims(access_token)
    except NotAJwtError:
        return TokenTiming(None, None, None)
    life = claims.life_left_on_arrival(received_at)
    if claims.expires_at is None or life is None:
        return TokenTiming(None, None, None)
    skew = (received_at - claims.issued_at).total_seconds() if claims.issued_at else None
    return TokenTiming(claims.expires_at, received_at + life, skew)


def skew_warning(skew_seconds: float, expires_at: datetime | None, received_at: datetime) -> str | None:
    """What to tell the user when the clocks differ by SKEW_WARNING_SECONDS or more; None when fine."""
    if abs(skew_seconds) < SKEW_WARNING_SECONDS:
        return None
    arrived_expired = expires_at is not None and expires_at <= received_at
    what = (
        "the access token arrived already expired by this machine's clock"
        if arrived_expired
        else "tokens expire earlier or later than their exp claim says on this machine"
    )
    direction = "ahead of" if skew_seconds > 0 else "behind"
    return (
        f"this machine's clock and SDDC Manager's differ by about {abs(skew_seconds):.0f} s (this machine "
        f"is {direction} it): {what}. Check NTP on both. Renewal follows SDDC Manager's clock, so it "
        "stays on time; code that compares exp with this machine's clock does not."
    )


def within(moment: datetime | None, now: datetime, window: timedelta) -> bool:
    """True when `moment` is known and comes within `window` of `now` (or has passed)."""
    return moment is not None and now + window >= moment
