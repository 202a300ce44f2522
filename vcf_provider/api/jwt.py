"""Reading the claims of an SDDC Manager access token (a JWT) without verifying its signature."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

_SEGMENT = "[A-Za-z0-9_-]"
#: Three base64url segments, anywhere in a text; SDDC Manager signs with HS256, so the signature is
#: never empty. A match is only the shape: `read_claims` tells a token from a dotted name.
JWT_PATTERN = re.compile(rf"{_SEGMENT}{{2,}}\.{_SEGMENT}{{2,}}\.{_SEGMENT}+")
#: What redaction removes from any text without decoding: the shape whose header is base64 JSON
#: (`eyJ`), so dotted host names never match, and a token cut short at the end still does.
JWT_IN_TEXT = re.compile(rf"eyJ{_SEGMENT}*\.{_SEGMENT}+\.{_SEGMENT}*")
_JWT_SHAPE = re.compile(rf"^{JWT_PATTERN.pattern}$")

#: The longest token we accept; SDDC Manager's are under 2 KB.
MAX_TOKEN_LENGTH = 16 * 1024


class NotAJwtError(ValueError):
    """The text is not a JSON Web Token; the message never contains the text itself."""


@dataclass(frozen=True)
class TokenClaims:
    """What the provider reads from an access token."""

    expires_at: datetime | None
    """When the token stops being accepted (`exp`), in UTC; None when the token has no `exp`."""

    issued_at: datetime | None
    """When SDDC Manager issued the token (`iat`), in UTC; None when absent."""

    subject: str | None
    """Who the token was issued to (`sub`); not a secret, handy in logs."""

    @property
    def lifetime(self) -> timedelta | None:
        """Its whole life (`exp - iat`, both by SDDC Manager's clock); None without either."""
        if self.expires_at is None or self.issued_at is None:
            return None
        return self.expires_at - self.issued_at

    def life_left_on_arrival(self, received_at: datetime) -> timedelta | None:
        """How long the token lives from its arrival at `received_at` (this machine's wall clock).

        The one rule for every clock that measures expiry: its `exp - iat`, so a manager whose clock
        is hours off this machine's changes nothing; without `iat`, what is left of `exp` by this
        machine's clock (the best there is); None without `exp`.
        """
        if self.expires_at is None:
            return None
        return self.lifetime if self.lifetime is not None else self.expires_at - received_at


def looks_like_jwt(text: str) -> bool:
    """True when `text` has the shape of a JWT (three base64url parts)."""
    return len(text) <= MAX_TOKEN_LENGTH and _JWT_SHAPE.match(text) is not None


def _decode_segment(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        value = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise NotAJwtError("a JWT segment is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise NotAJwtError("a JWT segment is JSON but not an object")
    return value


def _timestamp(claims: dict[str, Any], name: str) -> datetime | None:
    value = claims.get(name)
    # bool is an int subclass; a boolean `exp` is as malformed as a string one.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def read_claims(token: str) -> TokenClaims:
    """Decodes the header and payload of `token` and returns its timing claims.

    Raises NotAJwtError when `token` is not a well-formed JWT. The signature is not checked:
    the provider does not hold SDDC Manager's signing key, and only uses `exp` to plan renewal.
    """
    if not looks_like_jwt(token):
        raise NotAJwtError("the value does not have the three base64url parts of a JWT")
    header, payload, _signature = token.split(".")
    _decode_segment(header)
    claims = _decode_segment(payload)
    subject = claims.get("sub")
    return TokenClaims(
        expires_at=_timestamp(claims, "exp"),
        issued_at=_timestamp(claims, "iat"),
        subject=subject if isinstance(subject, str) else None,
    )


def rfc3339(moment: datetime) -> str:
    """Formats a UTC time as RFC 3339 with a `Z` suffix, to the second."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime | None:
    """Parses what `rfc3339` wrote; None for anything else."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None
