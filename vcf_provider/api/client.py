"""The SDDC Manager token API: the three token calls, their retries, and the errors they raise."""

from __future__ import annotations

import dataclasses
import email.utils
import json
import sys
import threading
from datetime import datetime

from vcf_provider._version import __version__
from vcf_provider.api import deadline, hints, retry, transport
from vcf_provider.api.answers import no_such_api, parse_access_token, refresh_token_rejected
from vcf_provider.api.errors import (
    InvalidTokenResponseError,
    OperationCancelled,
    SddcManagerTlsError,
    SddcManagerUnreachableError,
    VcfProviderError,
)
from vcf_provider.api.proxies import ProxySettingError
from vcf_provider.api.redaction import redact
from vcf_provider.api.settings import CaBundleError, ConnectionSettings, unverified_tls_warning
from vcf_provider.api.transport import Answer, NetworkFailure

USER_AGENT = f"vcf-provider/{__version__} (+https://pypi.org/project/vcf-provider/)"
REFRESH_PATH = "/v1/tokens/access-token/refresh"
TOKENS_PATH = "/v1/tokens"
REVOKE_PATH = "/v1/tokens/refresh-token"
#: The longest the revoke of a pair nobody will store may take (one attempt, after a cancel).
REVOKE_UNUSED_SECONDS = 30.0

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
        hints.raise_for_status(
            action,
            answer,
            secrets=(refresh_token,),
            hint=hints.refresh_hint(answer),
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
        hints.raise_for_status(action, answer, secrets=(refresh_token,), hint=hints.refresh_hint(answer))
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
        hint = hints.LOGIN_REFUSED_HINT if answer.status in (400, 401, 403) else None
        hints.raise_for_status(action, answer, secrets=secrets, hint=hint)
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
        try:
            token = parse_access_token(
                json.dumps(access_token).encode(), "application/json", secrets=secrets, action=action
            )
        except InvalidTokenResponseError as error:
            # A pair nobody can use would stay live for a day: revoke its refresh token first.
            revoked, _reason = self._revoke_unused(refresh_id)
            note = "its refresh token was revoked" if revoked else "revoking its refresh token failed too"
            raise InvalidTokenResponseError(f"{error}\n  note: {note}") from None
        return token, refresh_id

    def _revoke_unused(self, refresh_id: str) -> tuple[bool, str]:
        """Revokes the refresh token of a pair nobody will store (one attempt, which a cancel does
        not cut short); (revoked, why not)."""
        secrets = (refresh_id,)
        # Its own short deadline: after a cancel the engine is waiting, and may stop the process.
        seconds = min(self.settings.timeout_seconds, REVOKE_UNUSED_SECONDS)
        once = SddcManagerClient(
            dataclasses.replace(self.settings, timeout_seconds=seconds), warn_unverified=False
        )
        try:
            answer = once._call(
                "revoking the refresh token of a pair that will not be stored",
                "DELETE",
                REVOKE_PATH,
                refresh_id.encode(),
                secrets,
                repeatable=True,
                shielded=True,
            )
        except VcfProviderError as error:
            return False, str(error).splitlines()[0]
        revoked = answer.status < 300 or refresh_token_rejected(answer)
        return revoked, redact(f"HTTP {answer.status} {answer.reason}".strip(), secrets)

    def _revoke_cancelled_login(self, action: str, refresh_id: str) -> OperationCancelled:
        """The error for a login whose caller was cancelled, after revoking its refresh token."""
        revoked, reason = self._revoke_unused(refresh_id)
        if revoked:
            return OperationCancelled(
                action, "the login went through, and its refresh token was revoked: nothing is left behind"
            )
        return OperationCancelled(
            action,
            f"the login went through, but revoking its refresh token failed ({reason}); SDDC Manager "
            "ends it on its own when it expires (about 24 h)",
        )

    def revoke_refresh_token(self, refresh_token: str) -> bool:
        """DELETE /v1/tokens/refresh-token; True when revoked, False when SDDC Manager already did not
        know it (by `refresh_token_rejected`'s rule)."""
        action = "revoking the refresh token"
        secrets = (refresh_token,)
        answer = self._call(action, "DELETE", REVOKE_PATH, refresh_token.encode(), secrets, repeatable=True)
        if refresh_token_rejected(answer):
            return False
        hint = hints.NO_SUCH_API_HINT if no_such_api(answer) else None
        hints.raise_for_status(action, answer, secrets=secrets, hint=hint)
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
                raise hints.network_error(
                    action, method, settings.base_url + path, failure, attempt, repeatable, secrets
                ) from None
            if retries_left > 0 and retry.may_retry_status(answer.status, repeatable=repeatable):
                pause = policy.pause(attempt, answer.headers.get("retry-after"))
                # A pause that would end past the caller's deadline is not begun: the answer stands.
                if limit.sleep(pause, action):
                    continue
            return answer


def _warn_unverified(base_url: str) -> None:
    with _warned_lock:
        if base_url in _warned_unverified:
            return
        _warned_unverified.add(base_url)
    print(f"warning: {unverified_tls_warning(base_url)}", file=sys.stderr, flush=True)
