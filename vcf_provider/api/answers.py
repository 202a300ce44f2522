"""What SDDC Manager's answers mean: a missing API, an unknown refresh token, a token in a 2xx body."""

from __future__ import annotations

import json
import re

from vcf_provider.api.errors import InvalidTokenResponseError
from vcf_provider.api.jwt import NotAJwtError, looks_like_jwt, read_claims
from vcf_provider.api.redaction import redact
from vcf_provider.api.transport import Answer

#: How a 404 for a missing API reads (our emulator, Spring, servlet containers), as opposed to a 404
#: for a refresh token SDDC Manager does not know.
_NO_SUCH_API = re.compile(
    r"no (such )?(api|handler|endpoint|mapping|static resource)|api not found|page not found", re.IGNORECASE
)
_TOKEN_WORD = re.compile(r"token", re.IGNORECASE)
_GONE_WORDS = re.compile(r"invalid|expired|revoked|not[ _-]?found|unknown|does not exist", re.IGNORECASE)


def no_such_api(answer: Answer) -> bool:
    """True for a 404 that says the URL has no API, not that a token is unknown."""
    if answer.status != 404:
        return False
    try:
        document = json.loads(answer.text)
    except ValueError:
        return True  # an HTML or text 404 page: SDDC Manager's token API answers with JSON
    if not isinstance(document, dict):
        return True
    if "errorCode" not in document and "message" not in document:
        return True  # e.g. Spring's {"timestamp", "status", "error", "path"}
    said = f"{document.get('errorCode', '')} {document.get('message', '')}"
    return bool(_NO_SUCH_API.search(said))


def refresh_token_rejected(answer: Answer) -> bool:
    """The one rule for "SDDC Manager no longer knows this refresh token" (read, refresh, revoke).

    Only answers that say so count: a 404 for the token (not for a missing API), or a 400 whose
    errorCode or message speaks of the token being invalid, expired, revoked or not found. Any
    other 400 (a malformed body, a proxy's rewrite) is about the request, not the token: the pair
    is kept and the error gets its own hint.
    """
    if answer.status == 404:
        return not no_such_api(answer)
    if answer.status != 400:
        return False
    try:
        document = json.loads(answer.text)
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    said = f"{document.get('errorCode', '')} {document.get('message', '')}"
    return bool(_TOKEN_WORD.search(said) and _GONE_WORDS.search(said))


def snippet(body: bytes | str, secrets: tuple[str, ...] = ()) -> str:
    """The start of a body for an error message, redacted before it is cut."""
    decoded = body if isinstance(body, str) else body.decode("utf-8", errors="replace")
    text = redact(decoded[:4096], secrets)
    return " ".join(text.split())[:200]


def parse_access_token(
    body: bytes,
    content_type: str,
    *,
    secrets: tuple[str, ...] = (),
    action: str = "refreshing the access token",
) -> str:
    """Reads an access token from a 2xx body: raw JWT text or a JSON string holding one."""
    try:
        # utf-8-sig: a byte order mark some proxies and Windows tools prepend is not part of the token.
        text = body.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise InvalidTokenResponseError(
            f"{action}: SDDC Manager answered 2xx with {len(body)} bytes that are not UTF-8 text "
            f"(content type {content_type or 'none'}); expected an access token (JWT)."
        ) from None
    if text.startswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            text = decoded.strip()
    if not text:
        raise InvalidTokenResponseError(
            f"{action}: SDDC Manager answered 2xx with an empty body; expected an access token (JWT)."
        )
    if looks_like_jwt(text):
        try:
            read_claims(text)
        except NotAJwtError as error:
            raise InvalidTokenResponseError(
                f"{action}: SDDC Manager answered 2xx with a JWT-shaped value that does not decode: "
                f"{error}. Not shown: it may be a credential."
            ) from None
        return text
    if len(text) >= 16 and not any(ch.isspace() for ch in text):
        shown = f"a {len(text)}-character value (not shown: it may be a credential)"
    else:
        shown = f"{len(text)} characters starting with {snippet(body, secrets)[:80]!r}"
    raise InvalidTokenResponseError(
        f"{action}: SDDC Manager answered 2xx with {shown} of content type {content_type or 'none'}; "
        "expected an access token (JWT). Check that host points at SDDC Manager itself, not a proxy "
        "or another service."
    )
