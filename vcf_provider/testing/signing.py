"""JWTs for tests: the emulator's access tokens (HS256, signed and checked with its key) and shaped ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signature(key: bytes, signed: str) -> str:
    return _b64url(hmac.new(key, signed.encode(), hashlib.sha256).digest())


def _segment(document: dict[str, Any]) -> str:
    return _b64url(json.dumps(document).encode())


def make_jwt(**claims: Any) -> str:
    """A JWT with exactly `claims`, shaped like an HS256 token but with a random signature.

    For tests of code that reads tokens without checking them (expiry planning, redaction): no
    emulator accepts it, and it is never a real credential. `make_jwt(sub="admin", exp=1)`.
    """
    return f"{_segment(_HEADER)}.{_segment(claims)}.{_b64url(secrets.token_bytes(32))}"


def _times(issued_at: float, lifetime_seconds: float) -> tuple[float, float]:
    """(iat, exp): whole seconds as SDDC Manager sends them, unless the lifetime has a fraction.

    A fractional lifetime (0.5 s) keeps its fraction, and then iat keeps milliseconds too: flooring
    iat would leave such a token expired at birth.
    """
    if float(lifetime_seconds).is_integer():
        return int(issued_at), int(issued_at) + int(lifetime_seconds)
    issued = round(issued_at, 3)
    return issued, round(issued + lifetime_seconds, 3)


def sign_access_token(key: bytes, username: str, issued_at: float, lifetime_seconds: float) -> str:
    """A token for `username`, issued at `issued_at` (SDDC Manager's clock) for `lifetime_seconds`."""
    iat, exp = _times(issued_at, lifetime_seconds)
    claims = {
        "iat": iat,
        "nbf": iat,
        "exp": exp,
        "sub": username,
        "iss": "vcf-auth",
        "aud": "sddc-manager",
        "jti": str(uuid.uuid4()),
        "user": username,
        "name": username.split("@")[0],
        "scope": ["ADMIN"],
    }
    header, payload = _segment(_HEADER), _segment(claims)
    return f"{header}.{payload}.{_signature(key, f'{header}.{payload}')}"


def verified_claims(key: bytes, token: str) -> dict[str, Any] | None:
    """The claims of a token signed with `key`; None for anything else (forged, malformed)."""
    try:
        header, payload, signature = token.split(".")
        if not hmac.compare_digest(_signature(key, f"{header}.{payload}"), signature):
            return None
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None
