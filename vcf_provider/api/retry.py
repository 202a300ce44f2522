"""When a request may be sent again, and how long to wait before it.

The rule follows what the server may already have done with the request:

- A request that cannot have reached SDDC Manager (connection refused, DNS, connect timeout, a TLS
  handshake that failed before anything was sent) may be sent again, whatever it does.
- An answer of 429 or 503 means the server asks for another try and did not act: any request.
- Anything else that failed after the request was sent (a read timeout, a dropped connection, 500,
  502, 504) is repeated only for *repeatable* calls: `PATCH` refresh (another access token, the old
  one stays valid) and `DELETE` revoke (a second revoke finds nothing). `POST /v1/tokens` is not
  repeatable: SDDC Manager may have created a pair whose refresh token nobody would ever revoke.
- TLS verification failures and a plain-HTTP server are never retried: they do not heal in seconds.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from vcf_provider.api.failures import PERMANENT, FailureKind

#: The server asks for another try and has not acted on the request.
SERVER_ASKED_STATUSES = frozenset({429, 503})
#: Transient server failures after which the server may have acted.
TRANSIENT_STATUSES = frozenset({500, 502, 504})
#: The longest wait between two attempts from the exponential backoff.
BACKOFF_MAX_SECONDS = 10.0
#: The longest wait a server's `Retry-After` may ask for.
MAX_RETRY_AFTER_SECONDS = 30.0

_jitter = random.Random()  # noqa: S311 - spreading retries, not security


def may_retry_status(status: int, *, repeatable: bool) -> bool:
    """True when an answer with `status` may be followed by another attempt."""
    return status in SERVER_ASKED_STATUSES or (repeatable and status in TRANSIENT_STATUSES)


def may_retry_failure(kind: FailureKind | str, may_have_reached_server: bool, *, repeatable: bool) -> bool:
    """True when a network failure of `kind` may be followed by another attempt."""
    if kind in PERMANENT:
        return False
    return repeatable or not may_have_reached_server


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), capped at
    MAX_RETRY_AFTER_SECONDS; None when absent or malformed (`soon`, `-5`), so the backoff applies."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    seconds: float = moment.timestamp() - (time.time() if now is None else now)
    return float(min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS))


def worst_case_seconds(
    timeout_seconds: float, max_retries: int, backoff_base_seconds: float, *, retry_after: bool = True
) -> float:
    """The longest one operation can take: every attempt to its deadline, plus the longest waits
    between them (the backoff's, or with `retry_after` a server's Retry-After when that is longer)."""
    waits = 0.0
    for retry_number in range(1, max_retries + 1):
        wait = min(backoff_base_seconds * 2.0 ** (retry_number - 1), BACKOFF_MAX_SECONDS)
        waits += max(wait, MAX_RETRY_AFTER_SECONDS) if retry_after else wait
    return (max_retries + 1) * timeout_seconds + waits


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try again and how long to pause, in the style of urllib3's `Retry`.

    One value shared by the token calls (`SddcManagerClient`) and `wait_for_task`'s polls, so the
    statuses that are worth another try and the backoff are decided here only.
    """

    total: int
    """Further attempts after the first (for `wait_for_task`: failed polls in a row)."""

    backoff_factor: float
    """The first pause; it doubles with each retry, up to `backoff_max`."""

    backoff_max: float = BACKOFF_MAX_SECONDS
    jitter: bool = True
    """Spread pauses between half and all of the backoff (many clients retrying at once)."""

    respect_retry_after: bool = True
    """A valid `Retry-After` (capped at MAX_RETRY_AFTER_SECONDS) replaces the backoff, or (with
    `retry_after_at_least`) lengthens it."""

    retry_after_at_least: bool = False
    """Pause for the longer of the backoff and Retry-After, instead of Retry-After alone."""

    #: Every status after which another try may well work (the server asked, or failed in passing).
    statuses: frozenset[int] = SERVER_ASKED_STATUSES | TRANSIENT_STATUSES

    def backoff(self, retry_number: int) -> float:
        """The pause before retry `retry_number` (1, 2, ...)."""
        ceiling = min(self.backoff_factor * 2.0 ** (retry_number - 1), self.backoff_max)
        return ceiling * _jitter.uniform(0.5, 1.0) if self.jitter else ceiling

    def pause(self, retry_number: int, retry_after: str | None = None) -> float:
        """The pause before retry `retry_number`, given the last answer's Retry-After (if any)."""
        backoff = self.backoff(retry_number)
        asked = parse_retry_after(retry_after) if self.respect_retry_after else None
        if asked is None:
            return backoff
        return max(backoff, asked) if self.retry_after_at_least else asked

    def is_retry_status(self, status: int) -> bool:
        """True for a status after which another try may work (whether it may be sent is
        `may_retry_status`'s rule)."""
        return status in self.statuses
