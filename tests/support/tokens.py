"""Builds JWT-shaped test tokens with chosen claims (never a real credential)."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any


def _segment(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def make_jwt(**claims: Any) -> str:
    """An unsigned-but-shaped HS256 JWT with `claims` and a random signature."""
    signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}.{signature}"
