"""The SDDC Manager HTTP client: one session, verified TLS, timeouts, bounded retries, no redirects."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning
from urllib3.util.retry import Retry

from vcf_provider._version import __version__
from vcf_provider.errors import (
    InvalidTokenResponseError,
    SddcManagerApiError,
    SddcManagerRedirectError,
    SddcManagerTlsError,
    SddcManagerUnreachableError,
    parse_vcf_error,
    redact,
    redact_document,
)
from vcf_provider.jwt import NotAJwtError, looks_like_jwt, read_claims

USER_AGENT = f"vcf-provider/{__version__} (+https://pypi.org/project/vcf-provider/)"
REFRESH_PATH = "/v1/tokens/access-token/refresh"
TOKENS_PATH = "/v1/tokens"
REVOKE_PATH = "/v1/tokens/refresh-token"

#: Status codes worth another attempt: the server is busy or briefly broken.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The most a body is read; an access token is under 2 KB, an `Error` under a few KB.
MAX_BODY_BYTES = 64 * 1024
#: The longest wait a `Retry-After` header may ask for between two attempts.
MAX_RETRY_AFTER_SECONDS = 30.0

UNKNOWN_REFRESH_ID_HINT = (
    "the refresh token is unknown, expired or revoked. Get a new token pair with POST /v1/tokens "
    "(username and password of an SDDC Manager user), then store its refreshToken.id: "
    "`pulumi config set --secret vcf:refreshToken <id>` (or pass refresh_token=...)."
)
CA_BUNDLE_HINT = (
    "SDDC Manager's certificate is not trusted by this machine. Set ca_bundle (stack config "
    "vcf:caBundle or VCF_CA_BUNDLE) to a PEM file holding the CA that signed it; "
    "allow_unverified_tls=true skips the check, but only for lab systems."
)
HOSTNAME_HINT = (
    "the certificate does not name the host you connect to. Use the FQDN on SDDC Manager's "
    "certificate as host (not its IP address or an alias)."
)

_insecure_warning_lock = threading.Lock()


class _BoundedRetry(Retry):
    """urllib3's Retry, with `Retry-After` honoured only up to MAX_RETRY_AFTER_SECONDS."""

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), MAX_RETRY_AFTER_SECONDS)


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach one SDDC Manager."""

    base_url: str
    """`https://host[:port][/prefix]`, without a trailing slash."""

    verify: bool | str = True
    """True to verify TLS against the system CAs, a PEM path to use those CAs, False to skip."""

    timeout_seconds: float = 30.0
    """Connect and read timeout of each attempt."""

    max_retries: int = 3
    """Retries after the first attempt, on connection errors and 429/500/502/503/504."""

    backoff_seconds: float = 0.5
    """The first retry's delay; it doubles each time, with jitter."""


def _retry_policy(settings: ConnectionSettings, budget: int) -> Retry:
    return _BoundedRetry(
        total=budget,
        connect=budget,
        read=budget,
        status=budget,
        other=0,
        redirect=0,
        # Every method we send is safe to repeat: a refresh only mints another access token.
        allowed_methods=None,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff_seconds,
        backoff_jitter=settings.backoff_seconds / 2,
        backoff_max=10.0,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


@dataclass(frozen=True)
class _Answer:
    method: str
    url: str
    status: int
    reason: str
    content_type: str
    body: bytes
    truncated: bool
    location: str | None


class SddcManagerClient:
    """Calls the SDDC Manager token API. One instance per provider operation: it owns a session.

    Use it as a context manager so the session's connections are closed.
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self.session = requests.Session()
        self.session.headers.update(
            {"User-Agent": USER_AGENT, "Accept": "application/json", "Content-Type": "application/json"}
        )
        self.session.verify = settings.verify
        # trust_env would also send ~/.netrc credentials and let REQUESTS_CA_BUNDLE replace ca_bundle;
        # only the environment's proxy settings (HTTPS_PROXY, NO_PROXY) are wanted.
        self.session.trust_env = False
        self.session.proxies = requests.utils.get_environ_proxies(settings.base_url)
        self._adapter = HTTPAdapter(pool_connections=1, pool_maxsize=1)
        self.session.mount("https://", self._adapter)
        if settings.verify is False:
            _warn_unverified(settings.base_url)

    def __enter__(self) -> SddcManagerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def refresh_access_token(self, refresh_token: str) -> str:
        """PATCH /v1/tokens/access-token/refresh with the raw refresh token id; returns the JWT."""
        action = "refreshing the access token"
        answer = self._send(action, "PATCH", REFRESH_PATH, refresh_token.encode(), secrets=(refresh_token,))
        self._raise_for_status(
            action,
            answer,
            secrets=(refresh_token,),
            hint=UNKNOWN_REFRESH_ID_HINT if answer.status in (400, 404) else None,
        )
        return parse_access_token(answer.body, answer.content_type, secrets=(refresh_token,))

    def create_token_pair(self, credentials: dict[str, str]) -> tuple[str, str]:
        """POST /v1/tokens with username/password or apiKey; returns (access token, refresh token id)."""
        action = "creating a token pair"
        secrets = tuple(v for v in credentials.values() if v)
        answer = self._send(action, "POST", TOKENS_PATH, json.dumps(credentials).encode(), secrets=secrets)
        hint = None
        if answer.status in (400, 401, 403):
            hint = (
                "check the credentials: vcf:username and vcf:password (or vcf:apiKey), or "
                "VCF_USERNAME/VCF_PASSWORD/VCF_API_KEY; the user needs a role in SDDC Manager."
            )
        self._raise_for_status(action, answer, secrets=secrets, hint=hint)
        try:
            document = json.loads(answer.body)
            access_token = document["accessToken"]
            refresh_id = document["refreshToken"]["id"]
        except (ValueError, KeyError, TypeError):
            raise InvalidTokenResponseError(
                f"{action}: SDDC Manager answered HTTP {answer.status}, but the body is not "
                '{"accessToken": ..., "refreshToken": {"id": ...}}'
            ) from None
        if not isinstance(refresh_id, str) or not refresh_id:
            raise InvalidTokenResponseError(f"{action}: the answer has no refreshToken.id")
        token = parse_access_token(
            json.dumps(access_token).encode(), "application/json", secrets=secrets, action=action
        )
        return token, refresh_id

    def revoke_refresh_token(self, refresh_token: str) -> bool:
        """DELETE /v1/tokens/refresh-token; True when revoked, False when it was already gone (404)."""
        action = "revoking the refresh token"
        answer = self._send(action, "DELETE", REVOKE_PATH, refresh_token.encode(), secrets=(refresh_token,))
        if answer.status == 404:
            return False
        self._raise_for_status(action, answer, secrets=(refresh_token,))
        return True

    def get(self, path: str, access_token: str) -> Any:
        """GET an API path with a bearer token; returns the decoded JSON body."""
        action = f"reading {path}"
        answer = self._send(action, "GET", path, None, secrets=(access_token,), bearer=access_token)
        self._raise_for_status(action, answer, secrets=(access_token,))
        try:
            return json.loads(answer.body)
        except ValueError:
            raise InvalidTokenResponseError(f"{action}: the body is not JSON") from None

    def _send(
        self,
        action: str,
        method: str,
        path: str,
        body: bytes | None,
        *,
        secrets: tuple[str, ...],
        bearer: str | None = None,
    ) -> _Answer:
        url = self.settings.base_url + path
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        timeout = self.settings.timeout_seconds
        attempts = self.settings.max_retries + 1
        # urllib3's Retry covers connecting and the status line; a connection that drops while
        # the body is read is retried here, from the same budget.
        budget = self.settings.max_retries
        while True:
            self._adapter.max_retries = _retry_policy(self.settings, budget)
            try:
                response = self.session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    timeout=(timeout, timeout),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.exceptions.SSLError as error:
                raise _tls_error(action, method, url, error, secrets) from None
            except requests.exceptions.RequestException as error:
                if not _timed_out(error):
                    raise SddcManagerUnreachableError(
                        f"{action} failed: could not get an answer from {method} {url} after {attempts} "
                        f"attempt(s): {redact(_root_cause(error), secrets)}. Check the host name and "
                        "port, and that SDDC Manager is up and reachable from this machine."
                    ) from None
                raise SddcManagerUnreachableError(
                    f"{action} failed: {method} {url} timed out ({timeout:g} s per attempt, "
                    f"{attempts} attempt(s)). Check that SDDC Manager is up and reachable from this "
                    "machine, or raise timeout_seconds."
                ) from None
            retries_used = len(response.raw.retries.history) if response.raw.retries else 0
            try:
                raw = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True) or b""
            except urllib3.exceptions.HTTPError as error:
                budget -= retries_used + 1
                if budget < 0:
                    raise SddcManagerUnreachableError(
                        f"{action} failed: the connection to {method} {url} broke while the answer "
                        f"was read, {attempts} time(s): {redact(_root_cause(error), secrets)}. Check "
                        "proxies and load balancers between this machine and SDDC Manager."
                    ) from None
                time.sleep(self.settings.backoff_seconds)
                continue
            finally:
                response.close()
            return _Answer(
                method=method,
                url=url,
                status=response.status_code,
                reason=response.reason or "",
                content_type=response.headers.get("Content-Type", ""),
                body=raw[:MAX_BODY_BYTES],
                truncated=len(raw) > MAX_BODY_BYTES,
                location=response.headers.get("Location"),
            )

    def _raise_for_status(
        self,
        action: str,
        answer: _Answer,
        *,
        secrets: tuple[str, ...],
        hint: str | None = None,
    ) -> None:
        method, url = answer.method, answer.url
        if 300 <= answer.status < 400:
            target = urlsplit(answer.location or "").netloc or answer.location or "nowhere"
            raise SddcManagerRedirectError(
                redact(
                    f"{action} failed: {method} {url} answered HTTP {answer.status} {answer.reason}, "
                    f"a redirect to {target}. Redirects are never followed, so the credential is not "
                    "sent elsewhere: set host to the address SDDC Manager answers on directly.",
                    secrets,
                )
            )
        if answer.status < 400:
            return
        error = None
        if answer.body and not answer.truncated:
            try:
                error = parse_vcf_error(redact_document(json.loads(answer.body), secrets))
            except ValueError:
                error = None
        if answer.truncated:
            too_long = f"the body is over {MAX_BODY_BYTES} bytes and was not read whole"
            hint = f"{hint} ({too_long})" if hint else too_long
        raise SddcManagerApiError(
            action=action,
            method=method,
            url=url,
            status=answer.status,
            reason=answer.reason,
            error=error,
            content_type=answer.content_type or None,
            body_snippet=_snippet(answer.body, secrets),
            body_length=len(answer.body),
            hint=hint,
            secrets=secrets,
        )


def _snippet(body: bytes, secrets: tuple[str, ...] = ()) -> str:
    """The start of a body for an error message, redacted before it is cut."""
    text = redact(body[:4096].decode("utf-8", errors="replace"), secrets)
    return " ".join(text.split())[:200]


def _timed_out(error: requests.exceptions.RequestException) -> bool:
    """True for a timeout, also when it comes wrapped in urllib3's 'max retries exceeded'."""
    if isinstance(error, requests.exceptions.Timeout):
        return True
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    # NewConnectionError (refused, unreachable) subclasses urllib3's timeout error for history's sake.
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return False
    return isinstance(reason, urllib3.exceptions.TimeoutError)


def _root_cause(error: BaseException) -> str:
    """The innermost reason (`Connection refused`), without urllib3's long wrapper text."""
    seen = error
    while seen.__context__ is not None or seen.__cause__ is not None:
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    reason = getattr(error, "args", [None])[0]
    inner = getattr(reason, "reason", None)
    text = str(inner or seen or error)
    # urllib3 prefixes its connection object's repr, and ssl appends its source line: drop both.
    text = text.split(">: ", 1)[-1]
    return re.sub(r"\s*\(_ssl\.c:\d+\)", "", text).strip("() ")


def _tls_error(
    action: str, method: str, url: str, error: Exception, secrets: tuple[str, ...]
) -> SddcManagerTlsError:
    detail = redact(_root_cause(error), secrets)
    lowered = detail.lower()
    hint = CA_BUNDLE_HINT
    if "hostname" in lowered or "doesn't match" in lowered or "ip address mismatch" in lowered:
        hint = HOSTNAME_HINT
    return SddcManagerTlsError(
        f"{action} failed: TLS verification of {url} failed ({detail}).\n  hint: {hint}"
    )


def _warn_unverified(base_url: str) -> None:
    # One line of our own, printed to stderr (the engine shows a dynamic provider's stderr), instead
    # of urllib3's warning on every request. The filter is process-wide on purpose:
    # warnings.catch_warnings is not thread-safe, and the engine calls us from several threads.
    with _insecure_warning_lock:
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        print(
            f"warning: TLS verification is off for {base_url} (allow_unverified_tls=true): "
            "anyone on the network path can read the refresh token. Use ca_bundle instead.",
            file=sys.stderr,
            flush=True,
        )


def parse_access_token(
    body: bytes,
    content_type: str,
    *,
    secrets: tuple[str, ...] = (),
    action: str = "refreshing the access token",
) -> str:
    """Reads an access token from a 2xx body: raw JWT text or a JSON string holding one."""
    try:
        text = body.decode("utf-8").strip()
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
        shown = f"{len(text)} characters starting with {_snippet(body, secrets)[:80]!r}"
    raise InvalidTokenResponseError(
        f"{action}: SDDC Manager answered 2xx with {shown} of content type {content_type or 'none'}; "
        "expected an access token (JWT). Check that host points at SDDC Manager itself, not a proxy "
        "or another service."
    )
