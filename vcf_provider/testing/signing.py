"""The emulator's access tokens: HS256 JWTs shaped like SDDC Manager's, signed and checked with its key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signature(key: bytes, signed: str) -> str:
    return _b64url(hmac.new(key, signed.encode(), hashlib.sha256).digest())


def sign_access_token(key: bytes, username: str, issued_at: int, lifetime_seconds: int) -> str:
    """A token for `username`, issued at `issued_at` (SDDC Manager's clock) for `lifetime_seconds`."""
    claims = {
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime_seconds,
        "sub": username,
        "iss": "vcf-auth",
        "aud": "sddc-manager",
        "jti": str(uuid.uuid4()),
        "user": username,
        "name": username.split("@")[0],
        "scope": ["ADMIN"],
    }
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
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
