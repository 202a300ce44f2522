"""Removing secrets from text in every form a server, proxy or log could echo them."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from vcf_provider.api.jwt import JWT_IN_TEXT

REDACTED = "[redacted]"
#: Secrets shorter than this are not searched for: they would match ordinary words.
MIN_SECRET_CHARS = 4
#: A base64 core shorter than this could match unrelated text by chance.
MIN_BASE64_CORE_CHARS = 8


def _base64_cores(data: bytes) -> set[str]:
    """The base64 characters that depend only on `data`, wherever it starts in a longer stream.

    A secret embedded at byte offset 0, 1 or 2 (mod 3) encodes to one of three strings; the
    characters at either edge mix in neighbouring bytes, so only the inner core is certain.
    """
    cores = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        core = encoded[4 if shift else 0 : -4].rstrip("=")
        if len(core) >= MIN_BASE64_CORE_CHARS:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    whole = base64.b64encode(data).decode()
    cores.update({whole, whole.rstrip("="), base64.urlsafe_b64encode(data).decode().rstrip("=")})
    return cores


# Not cached: a cache would keep the secrets in memory for the life of the process.
def secret_forms(secret: str) -> tuple[str, ...]:
    """Every form of `secret` worth removing, longest first (so a longer form is never cut by a shorter).

    Raw; JSON-escaped with and without `ensure_ascii`, and escaped twice (an echoed JSON body inside
    a JSON message); URL- and form-encoded; HTML-escaped; base64 and base64url at any alignment, of
    the raw and the JSON-escaped spellings.
    """
    if len(secret) < MIN_SECRET_CHARS:
        return ()
    json_ascii = json.dumps(secret)[1:-1]
    forms = {
        secret,
        json_ascii,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(json.dumps(secret))[3:-3],
        json.dumps(json.dumps(secret, ensure_ascii=False), ensure_ascii=False)[3:-3],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        html.escape(secret),
    }
    # A base64 echo of the request body holds the secret as the body spelled it: JSON-escaped.
    for spelling in {secret, json_ascii, json.dumps(secret, ensure_ascii=False)[1:-1]}:
        forms.update(_base64_cores(spelling.encode("utf-8")))
    return tuple(sorted((f for f in forms if len(f) >= MIN_SECRET_CHARS), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replaces every given secret, in every form of `secret_forms`, and every JWT-shaped string."""
    forms = sorted(
        {form for secret in secrets if secret for form in secret_forms(secret)}, key=len, reverse=True
    )
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return JWT_IN_TEXT.sub(REDACTED, text)


def redact_document(document: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of decoded JSON with `redact` applied to every string, keys included.

    Done before anything is clipped for display, so a secret cut in two cannot slip through.
    """
    secrets = tuple(secrets)
    if isinstance(document, str):
        return redact(document, secrets)
    if isinstance(document, list):
        return [redact_document(item, secrets) for item in document]
    if isinstance(document, dict):
        return {redact(str(k), secrets): redact_document(v, secrets) for k, v in document.items()}
    return document
