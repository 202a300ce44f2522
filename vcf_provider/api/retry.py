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
from email.utils import parsedate_to_datetime

#: The server asks for another try and has not acted on the request.
SERVER_ASKED_STATUSES = frozenset({429, 503})
#: Transient server failures after which the server may have acted.
TRANSIENT_STATUSES = frozenset({500, 502, 504})
#: Network failure kinds that another attempt cannot fix.
PERMANENT_FAILURES = frozenset({"tls-verify", "tls-hostname", "tls-expired", "plain-http", "shutdown"})
#: The longest wait between two attempts from the exponential backoff.
BACKOFF_MAX_SECONDS = 10.0
#: The longest wait a server's `Retry-After` may ask for.
MAX_RETRY_AFTER_SECONDS = 30.0

_jitter = random.Random()  # noqa: S311 - spreading retries, not security


def may_retry_status(status: int, *, repeatable: bool) -> bool:
    """True when an answer with `status` may be followed by another attempt."""
    return status in SERVER_ASKED_STATUSES or (repeatable and status in TRANSIENT_STATUSES)


def may_retry_failure(kind: str, may_have_reached_server: bool, *, repeatable: bool) -> bool:
    """True when a network failure of `kind` may be followed by another attempt."""
    if kind in PERMANENT_FAILURES:
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


def backoff_seconds(retry_number: int, base_seconds: float) -> float:
    """The wait before retry `retry_number` (1, 2, ...): base doubling, at most BACKOFF_MAX_SECONDS,
    with jitter that keeps it between half and all of that."""
    ceiling = min(base_seconds * 2.0 ** (retry_number - 1), BACKOFF_MAX_SECONDS)
    return ceiling * _jitter.uniform(0.5, 1.0)


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
