"""When a held access token is renewed: an advisory and a mandatory window, one refresh for all threads.

Modelled on botocore's ``RefreshableCredentials``:

- **Fresh**: the token is used as it is.
- **Advisory window** (the last ``renew_before_seconds`` of its life): one caller refreshes; every
  other caller keeps using the current, still valid token without waiting. When that refresh fails,
  the current token is kept, the failure is logged once, and the next try waits a little.
- **Mandatory window** (the last ``MANDATORY_SECONDS``, or half the advisory window when that is
  shorter; also: no token yet, or the server rejected it): callers wait for one shared refresh.

Lifetimes are measured on one local clock (monotonic by default) from the token's own ``exp - iat``,
so neither a local clock jump nor a manager whose clock is off makes it renew late.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from vcf_provider.api import deadline
from vcf_provider.api.errors import SddcManagerUnreachableError, VcfProviderError
from vcf_provider.api.jwt import NotAJwtError, read_claims

logger = logging.getLogger("vcf_provider.downstream.auth")

#: Callers wait for a refresh once the token has this little life left.
MANDATORY_SECONDS = 60.0
#: The longest pause between two refresh attempts in the advisory window after one failed.
ADVISORY_RETRY_MAX_SECONDS = 30.0


@dataclass(frozen=True)
class HeldToken:
    """An access token and when it stops being usable, on the renewer's clock."""

    value: str
    """The access token (a JWT)."""

    expires_at: float | None
    """When it expires on the renewer's clock; None when the token carries no `exp`."""

    lifetime: float | None
    """Its whole life in seconds (`exp - iat`), when the token says."""


def hold(token: str, received_at: float, wall_now: float) -> HeldToken:
    """`token` as received at `received_at` on the renewer's clock (`wall_now`: the system time then)."""
    try:
        claims = read_claims(token)
    except NotAJwtError:
        return HeldToken(token, None, None)
    life = claims.life_left_on_arrival(datetime.fromtimestamp(wall_now, timezone.utc))
    if life is None:
        return HeldToken(token, None, None)
    lifetime = claims.lifetime.total_seconds() if claims.lifetime is not None else None
    return HeldToken(token, received_at + life.total_seconds(), lifetime)


class TokenRenewer:
    """Holds one access token and renews it through `fetch`, by the advisory and mandatory windows.

    Thread-safe. `fetch` is called by one thread at a time and raises `VcfProviderError` on failure.
    """

    def __init__(
        self,
        fetch: Callable[[], str],
        *,
        renew_before_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        name: str = "SddcManagerAuth",
    ) -> None:
        self._fetch = fetch
        self._renew_before = renew_before_seconds
        self._clock = clock
        self._name = name
        self._refreshing = threading.Lock()
        self._held: HeldToken | None = None
        self._advisory_retry_at = float("-inf")
        self._failure_logged = False
        self._clamp_logged = False

    def token(self, rejected: str | None = None) -> str:
        """A usable access token; `rejected` is one the server just refused (it is never returned)."""
        held = self._held
        phase = self._phase(held, rejected)
        if phase == "fresh" and held is not None:
            return held.value
        if phase == "advisory" and held is not None:
            if not self._refreshing.acquire(blocking=False):
                return held.value  # another thread refreshes; this token still works meanwhile
            try:
                return self._refresh_in_advisory_window(rejected)
            finally:
                self._refreshing.release()
        with self._refresh_lock():
            held = self._held
            if self._phase(held, rejected) != "mandatory" and held is not None:
                return held.value  # another thread refreshed while this one waited
            return self._refresh()

    def forget(self) -> None:
        """Drop the held token: the next call refreshes (after a new login, say)."""
        with self._refresh_lock():
            self._held = None

    @contextlib.contextmanager
    def _refresh_lock(self) -> Iterator[None]:
        """The one-refresh-at-a-time lock, waited for under the caller's deadline and cancel:
        another thread's hung refresh must not hold this one past its own deadline."""
        limit = deadline.current()
        what = "waiting for another thread's token refresh"
        while not self._refreshing.acquire(timeout=max(min(limit.remaining(), deadline.SLICE_SECONDS), 0)):
            limit.check(what)
            if limit.expired:
                raise SddcManagerUnreachableError(
                    f"{what} passed the deadline of this call: the refresh in the other thread is "
                    "still waiting for SDDC Manager"
                )
        try:
            yield
        finally:
            self._refreshing.release()

    def _refresh_in_advisory_window(self, rejected: str | None) -> str:
        held = self._held
        phase = self._phase(held, rejected)
        if phase == "mandatory" or held is None:
            return self._refresh()
        if phase == "fresh":
            return held.value
        try:
            return self._refresh()
        except VcfProviderError as error:
            now = self._clock()
            until_mandatory = (held.expires_at or now) - self._windows(held)[1] - now
            self._advisory_retry_at = now + max(1.0, min(ADVISORY_RETRY_MAX_SECONDS, until_mandatory / 2))
            if not self._failure_logged:
                self._failure_logged = True
                logger.warning(
                    "%s: renewing the access token early failed; the current one is used until it is "
                    "about to expire, and renewal is tried again meanwhile. %s",
                    self._name,
                    str(error).splitlines()[0],
                )
            return held.value

    def _refresh(self) -> str:
        token = self._fetch()
        received_at = self._clock()
        self._held = hold(token, received_at, time.time())
        self._advisory_retry_at = float("-inf")
        self._failure_logged = False
        self._windows(self._held)  # logs a clamp once, as soon as the lifetime is known
        return token

    def _phase(self, held: HeldToken | None, rejected: str | None) -> str:
        if held is None or held.value == rejected:
            return "mandatory"
        if held.expires_at is None:
            return "fresh"
        advisory, mandatory = self._windows(held)
        left = held.expires_at - self._clock()
        if left <= mandatory:
            return "mandatory"
        if left <= advisory and self._clock() >= self._advisory_retry_at:
            return "advisory"
        return "fresh"

    def _windows(self, held: HeldToken) -> tuple[float, float]:
        """(advisory, mandatory) seconds before expiry, clamped to the token's lifetime."""
        advisory = self._renew_before
        lifetime = held.lifetime
        if lifetime is not None and lifetime > 0 and advisory >= lifetime:
            advisory = lifetime / 2
            if not self._clamp_logged:
                self._clamp_logged = True
                logger.warning(
                    "%s: renew_before_seconds=%g is not shorter than the access token's lifetime of "
                    "%g s, which would mean a refresh on every request; renewing %g s before expiry "
                    "instead. Set renew_before_seconds below %g (default 300).",
                    self._name,
                    self._renew_before,
                    lifetime,
                    advisory,
                    lifetime,
                )
        return advisory, min(MANDATORY_SECONDS, advisory / 2)
