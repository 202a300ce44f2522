"""The SDDC Manager token API: the three token calls, their retries, and the errors they raise."""

from __future__ import annotations

import dataclasses
import email.utils
import json
import re
import sys
import threading
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from vcf_provider._version import __version__
from vcf_provider.api import deadline, retry, transport
from vcf_provider.api.errors import (
    InvalidTokenResponseError,
    OperationCancelled,
    SddcManagerApiError,
    SddcManagerRedirectError,
    SddcManagerTlsError,
    SddcManagerUnreachableError,
    VcfProviderError,
)
from vcf_provider.api.jwt import NotAJwtError, looks_like_jwt, read_claims
from vcf_provider.api.payload import parse_vcf_error
from vcf_provider.api.proxies import ProxySettingError
from vcf_provider.api.redaction import redact, redact_document
from vcf_provider.api.settings import CaBundleError, ConnectionSettings, unverified_tls_warning
from vcf_provider.api.transport import MAX_BODY_BYTES, Answer, NetworkFailure

__all__ = ["ConnectionSettings", "SddcManagerClient", "parse_access_token", "refresh_token_rejected"]

USER_AGENT = f"vcf-provider/{__version__} (+https://pypi.org/project/vcf-provider/)"
REFRESH_PATH = "/v1/tokens/access-token/refresh"
TOKENS_PATH = "/v1/tokens"
REVOKE_PATH = "/v1/tokens/refresh-token"

UNKNOWN_REFRESH_ID_HINT = (
    "SDDC Manager no longer accepts this refresh token: it expired, was revoked, or was never issued "
    "by this manager. If it comes from an AccessTokenPair in this stack, run `pulumi up --refresh` "
    "(a pair whose refresh token is gone logs in again), or `pulumi up --replace '<the pair's URN>'`. "
    "If it comes from stack config, create a token pair with POST /v1/tokens (an SDDC Manager user's "
    "username and password) and store its refreshToken.id: `pulumi config set --secret "
    "vcf:refreshToken <id>` (or pass refresh_token=...)."
)
NO_SUCH_API_HINT = (
    "there is no token API at this URL, so host does not point at SDDC Manager's API root. Set host "
    "to the manager's FQDN (sddc-manager.example.com) with no path, unless a proxy in front of it "
    "really adds one."
)
#: How a 404 for a missing API reads (our emulator, Spring, servlet containers), as opposed to a 404
#: for a refresh token SDDC Manager does not know.
_NO_SUCH_API = re.compile(
    r"no (such )?(api|handler|endpoint|mapping|static resource)|api not found|page not found", re.IGNORECASE
)
_TOKEN_WORD = re.compile(r"token", re.IGNORECASE)
_GONE_WORDS = re.compile(r"invalid|expired|revoked|not[ _-]?found|unknown|does not exist", re.IGNORECASE)
REQUEST_REFUSED_HINT = (
    "SDDC Manager refused the request itself, not the refresh token: the token is kept and nothing "
    "was logged in again. A proxy or load balancer that rewrites request bodies causes this; check "
    "that host reaches SDDC Manager directly, and quote the referenceToken to VMware support if it "
    "persists."
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
EXPIRED_CERTIFICATE_HINT = (
    "SDDC Manager's certificate is outside its validity period by this machine's clock: renew the "
    "manager's certificate (SDDC Manager > Security > Certificate Management), or, if it is still "
    "valid, correct this machine's clock (NTP). A CA bundle does not help here."
)
PLAIN_HTTP_HINT = (
    "something on that port speaks plain HTTP, not HTTPS. Check the port in host: SDDC Manager "
    "answers HTTPS on 443."
)
UNREACHABLE_HINT = (
    "check the host name and port, and that SDDC Manager is up and reachable from this machine."
)
PROXY_HINT = (
    "check that the proxy in HTTPS_PROXY (or https_proxy, ALL_PROXY) is up and allows CONNECT to "
    "SDDC Manager's port, or list the manager in NO_PROXY to reach it directly."
)
PROXY_AUTH_HINT = (
    "the proxy wants a user and password it accepts, given in its URL: HTTPS_PROXY=http://user:"
    "password@proxy:3128 (or https_proxy, ALL_PROXY), with any @ : / % in them percent-encoded "
    "(p@ss is written p%40ss)."
)
TIMEOUT_HINT = (
    "check that SDDC Manager is up and reachable from this machine (proxies, load balancers), "
    "or raise timeout_seconds."
)
LOGIN_NOT_REPEATED = (
    "A login (POST /v1/tokens) is never sent twice once it may have reached SDDC Manager: a second "
    "one could leave a token pair behind that nothing revokes."
)

_warned_unverified: set[str] = set()
_warned_lock = threading.Lock()


class SddcManagerClient:
    """Calls the SDDC Manager token API.

    Cheap to make: connections live in a per-process pool (`vcf_provider.api.transport`), so a client
    per operation reuses the TLS connections of the ones before it. A context manager for symmetry
    with sessions; closing it keeps the pooled connections open for the next client.
    """

    def __init__(self, settings: ConnectionSettings, *, warn_unverified: bool = True) -> None:
        """`warn_unverified=False` when the caller warns itself (the resources do, in the program)."""
        self.settings = settings
        if not settings.verify and warn_unverified:
            _warn_unverified(settings.base_url)

    def __enter__(self) -> SddcManagerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: connections stay pooled for the process's next call."""

    def refresh_access_token(self, refresh_token: str) -> str:
        """PATCH /v1/tokens/access-token/refresh with the raw refresh token id; returns the JWT."""
        action = "refreshing the access token"
        answer = self._send_refresh(action, refresh_token)
        self._raise_for_status(
            action,
            answer,
            secrets=(refresh_token,),
            hint=_refresh_hint(answer),
            refresh_token_unknown=refresh_token_rejected(answer),
        )
        return parse_access_token(answer.body, answer.content_type, secrets=(refresh_token,))

    def refresh_token_works(self, refresh_token: str) -> bool:
        """One refresh, to learn whether SDDC Manager still accepts `refresh_token`.

        False when it answers that the token is unknown, expired or revoked (`refresh_token_rejected`);
        raises for anything else (unreachable, 5xx, another 400, a URL with no token API), since
        then nobody knows.
        """
        action = "checking the refresh token"
        answer = self._send_refresh(action, refresh_token)
        if refresh_token_rejected(answer):
            return False
        self._raise_for_status(action, answer, secrets=(refresh_token,), hint=_refresh_hint(answer))
        parse_access_token(answer.body, answer.content_type, secrets=(refresh_token,), action=action)
        return True

    def _send_refresh(self, action: str, refresh_token: str) -> Answer:
        return self._call(
            action, "PATCH", REFRESH_PATH, refresh_token.encode(), (refresh_token,), repeatable=True
        )

    def create_token_pair(self, credentials: dict[str, str]) -> tuple[str, str]:
        """POST /v1/tokens with username/password or apiKey; returns (access token, refresh token id).

        Not repeated once the request may have reached SDDC Manager (see `vcf_provider.api.retry`).
        """
        action = "creating a token pair"
        secrets = tuple(v for v in credentials.values() if v)
        body = json.dumps(credentials).encode()
        answer = self._call(action, "POST", TOKENS_PATH, body, secrets, repeatable=False)
        hint = None
        if answer.status in (400, 401, 403):
            hint = (
                "check the credentials: vcf:username and vcf:password (or vcf:apiKey, or vcf:idToken), or "
                "VCF_USERNAME/VCF_PASSWORD/VCF_API_KEY/VCF_ID_TOKEN; the user needs a role in SDDC Manager."
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
        if deadline.cancelled():
            # Cancelled while the login was under way: nobody would store this pair, so it goes now.
            raise self._revoke_cancelled_login(action, refresh_id)
        token = parse_access_token(
            json.dumps(access_token).encode(), "application/json", secrets=secrets, action=action
        )
        return token, refresh_id

    def _revoke_cancelled_login(self, action: str, refresh_id: str) -> OperationCancelled:
        """Revokes the refresh token of a login whose caller was cancelled (one attempt, which the
        cancel does not cut short); the error to raise says whether that worked."""
        secrets = (refresh_id,)
        try:
            answer = self._call(
                "revoking the refresh token of the cancelled login",
                "DELETE",
                REVOKE_PATH,
                refresh_id.encode(),
                secrets,
                repeatable=True,
                shielded=True,
            )
            revoked = answer.status < 300 or refresh_token_rejected(answer)
            reason = f"HTTP {answer.status} {answer.reason}".strip()
        except VcfProviderError as error:
            revoked, reason = False, str(error).splitlines()[0]
        if revoked:
            return OperationCancelled(
                action, "the login went through, and its refresh token was revoked: nothing is left behind"
            )
        return OperationCancelled(
            action,
            redact(
                f"the login went through, but revoking its refresh token failed ({reason}); SDDC "
                "Manager ends it on its own when it expires (about 24 h)",
                secrets,
            ),
        )

    def revoke_refresh_token(self, refresh_token: str) -> bool:
        """DELETE /v1/tokens/refresh-token; True when revoked, False when SDDC Manager already did not
        know it (by `refresh_token_rejected`'s rule)."""
        action = "revoking the refresh token"
        secrets = (refresh_token,)
        answer = self._call(action, "DELETE", REVOKE_PATH, refresh_token.encode(), secrets, repeatable=True)
        if refresh_token_rejected(answer):
            return False
        hint = NO_SUCH_API_HINT if no_such_api(answer) else None
        self._raise_for_status(action, answer, secrets=secrets, hint=hint)
        return True

    def server_time(self) -> datetime | None:
        """SDDC Manager's clock now: the Date header of one `HEAD /` (no credential is sent).

        None when no answer comes or it has no usable Date header. Sent once, without retries: it
        only refines when a stored token is renewed (see `RefreshedAccessTokenProvider.read`).
        """
        once = SddcManagerClient(dataclasses.replace(self.settings, max_retries=0), warn_unverified=False)
        try:
            answer = once._call("reading SDDC Manager's clock", "HEAD", "/", None, (), repeatable=True)
        except VcfProviderError:
            return None
        try:
            moment = email.utils.parsedate_to_datetime(answer.headers.get("date", ""))
        except (TypeError, ValueError):
            return None
        return moment if moment.tzinfo is not None else None

    def get(self, path: str, access_token: str) -> Any:
        """GET an API path with a bearer token; returns the decoded JSON body."""
        action = f"reading {path}"
        secrets = (access_token,)
        headers = {"Authorization": f"Bearer {access_token}"}
        answer = self._call(action, "GET", path, None, secrets, repeatable=True, headers=headers)
        self._raise_for_status(action, answer, secrets=secrets)
        try:
            return json.loads(answer.body)
        except ValueError:
            raise InvalidTokenResponseError(f"{action}: the body is not JSON") from None

    def _call(
        self,
        action: str,
        method: str,
        path: str,
        body: bytes | None,
        secrets: tuple[str, ...],
        *,
        repeatable: bool,
        headers: dict[str, str] | None = None,
        shielded: bool = False,
    ) -> Answer:
        """Sends until an answer that is final by `vcf_provider.api.retry`'s rules, or the retries run out.

        Returns the last answer (so its payload reaches the user); raises on a last network failure.
        Every attempt and pause ends by the caller's deadline (`vcf_provider.api.deadline`), and a
        cancel ends them within a quarter second (OperationCancelled), except a login already sent
        (see `create_token_pair`). A `shielded` call ignores both and makes one attempt only.
        """
        settings = self.settings
        request_headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        limit = deadline.current()
        policy = retry.RetryPolicy(total=settings.max_retries, backoff_factor=settings.backoff_seconds)
        attempt = 0
        while True:
            attempt += 1
            retries_left = 0 if shielded else policy.total - (attempt - 1)
            if not shielded:
                limit.check(action)
            try:
                answer = transport.send(
                    settings.base_url,
                    method,
                    path,
                    body,
                    request_headers,
                    verify=settings.verify,
                    ca_bundle=settings.ca_bundle,
                    timeout_seconds=settings.timeout_seconds,
                    finish_once_sent=not repeatable,
                    shielded=shielded,
                )
            except CaBundleError as error:
                raise SddcManagerTlsError(f"{action} failed: {error}") from None
            except ProxySettingError as error:
                raise SddcManagerUnreachableError(f"{action} failed: {error}.") from None
            except NetworkFailure as failure:
                if failure.kind == "shutdown":
                    raise OperationCancelled(action) from None
                pause = policy.backoff(attempt)
                if (
                    retries_left > 0
                    and retry.may_retry_failure(
                        failure.kind, failure.may_have_reached_server, repeatable=repeatable
                    )
                    and limit.sleep(pause, action)
                ):
                    continue
                raise _network_error(
                    action, method, settings.base_url + path, failure, attempt, repeatable, secrets
                ) from None
            if retries_left > 0 and retry.may_retry_status(answer.status, repeatable=repeatable):
                pause = policy.pause(attempt, answer.headers.get("retry-after"))
                # A pause that would end past the caller's deadline is not begun: the answer stands.
                if limit.sleep(pause, action):
                    continue
            return answer

    def _raise_for_status(
        self,
        action: str,
        answer: Answer,
        *,
        secrets: tuple[str, ...],
        hint: str | None = None,
        refresh_token_unknown: bool = False,
    ) -> None:
        method, url = answer.method, answer.url
        if 300 <= answer.status < 400:
            location = answer.headers.get("location")
            target = urlsplit(location or "").netloc or location or "nowhere"
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
                error = parse_vcf_error(redact_document(json.loads(answer.text), secrets))
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
            body_snippet=_snippet(answer.text, secrets),
            body_length=len(answer.body),
            hint=hint,
            secrets=secrets,
            refresh_token_unknown=refresh_token_unknown,
        )


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


def _refresh_hint(answer: Answer) -> str | None:
    if no_such_api(answer):
        return NO_SUCH_API_HINT
    if refresh_token_rejected(answer):
        return UNKNOWN_REFRESH_ID_HINT
    if answer.status == 400:
        return REQUEST_REFUSED_HINT
    return None


def _network_error(
    action: str,
    method: str,
    url: str,
    failure: NetworkFailure,
    attempts: int,
    repeatable: bool,
    secrets: tuple[str, ...],
) -> SddcManagerUnreachableError:
    detail = redact(failure.detail, secrets).rstrip(".")
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    tls_hints = {
        "tls-verify": CA_BUNDLE_HINT,
        "tls-hostname": HOSTNAME_HINT,
        "tls-expired": EXPIRED_CERTIFICATE_HINT,
        "plain-http": PLAIN_HTTP_HINT,
    }
    if failure.kind in tls_hints:
        return SddcManagerTlsError(
            f"{action} failed: TLS with {url} failed: {detail}.\n  hint: {tls_hints[failure.kind]}"
        )
    if failure.kind == "shutdown":
        return SddcManagerUnreachableError(f"{action} was stopped: {detail}.")
    hint = {
        "timeout": TIMEOUT_HINT,
        "connect-timeout": TIMEOUT_HINT,
        "proxy": PROXY_HINT,
        "proxy-auth": PROXY_AUTH_HINT,
    }.get(failure.kind, UNREACHABLE_HINT)
    lines = [f"{action} failed: no answer from {method} {url} after {tries}: {detail}.", f"  hint: {hint}"]
    if not repeatable and failure.may_have_reached_server:
        lines.append(f"  note: {LOGIN_NOT_REPEATED}")
    return SddcManagerUnreachableError("\n".join(lines))


def _snippet(body: bytes | str, secrets: tuple[str, ...] = ()) -> str:
    """The start of a body for an error message, redacted before it is cut."""
    decoded = body if isinstance(body, str) else body.decode("utf-8", errors="replace")
    text = redact(decoded[:4096], secrets)
    return " ".join(text.split())[:200]


def _warn_unverified(base_url: str) -> None:
    with _warned_lock:
        if base_url in _warned_unverified:
            return
        _warned_unverified.add(base_url)
    print(f"warning: {unverified_tls_warning(base_url)}", file=sys.stderr, flush=True)


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
        shown = f"{len(text)} characters starting with {_snippet(body, secrets)[:80]!r}"
    raise InvalidTokenResponseError(
        f"{action}: SDDC Manager answered 2xx with {shown} of content type {content_type or 'none'}; "
        "expected an access token (JWT). Check that host points at SDDC Manager itself, not a proxy "
        "or another service."
    )
