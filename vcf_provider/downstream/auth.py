"""SddcManagerAuth: the requests side (auth hook, 401 retry, where the token may go) of a TokenSource."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from vcf_provider.api import credentials, settings
from vcf_provider.api import properties as p
from vcf_provider.api.errors import VcfProviderError
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.downstream.session import AuthSession, requests_verify
from vcf_provider.downstream.token_source import TokenSource

logger = logging.getLogger("vcf_provider.downstream.auth")

_RETRIED = "_vcf_provider_retried_after_401"
_CREDENTIALS_HINT = (
    "pass username= and password=, or api_key=, or id_token= (VCF 9's identity broker), exactly one"
)


def _given(
    host: str,
    ca_bundle: str | None,
    allow_unverified_tls: bool,
    timeout_seconds: float,
    max_retries: int,
    renew_before_seconds: float,
) -> dict[str, Any]:
    """The connection arguments by their setting names, for `settings`' checks."""
    return {
        p.HOST.name: host,
        p.CA_BUNDLE.name: ca_bundle,
        p.ALLOW_UNVERIFIED_TLS.name: allow_unverified_tls,
        p.TIMEOUT_SECONDS.name: timeout_seconds,
        p.MAX_RETRIES.name: max_retries,
        p.RENEW_BEFORE_SECONDS.name: renew_before_seconds,
    }


class SddcManagerAuth(AuthBase):
    """Authenticates ``requests`` calls to SDDC Manager with an access token it renews itself.

    For code that calls SDDC Manager later or for hours (a downstream dynamic provider's update and
    delete, a script, waiting for a workload domain), where an ``access_token`` taken once would
    have expired::

        from vcf_provider import SddcManagerAuth, wait_for_task

        with SddcManagerAuth.from_credentials(host, username=user, password=password) as auth:
            with auth.session() as session:
                task = session.post(auth.base_url + "/v1/domains", json=spec).json()
            wait_for_task(auth, task["id"])

    Or from a refresh token you already have (``AccessTokenPair.refresh_token``)::

        auth = SddcManagerAuth("sddc-manager.example.com", refresh_token, ca_bundle="/etc/vcf/ca.pem")

    **Renewal** (as botocore's refreshable credentials): a token is used until
    ``renew_before_seconds`` (default 300) before it expires. In that advisory window one thread
    refreshes while the others keep using the current token without waiting; if that refresh
    fails, the current token is kept and the failure is logged once (logger ``vcf_provider.downstream.auth``).
    In the last 60 s (or half the advisory window, when shorter) every caller waits for one
    shared refresh. A window as long as the token's life is halved, with one warning. Lifetimes
    come from the token's own ``exp - iat``, measured on this machine's monotonic clock.

    **A 401 answer** from ``host`` makes it refresh once and send the request again (bodies given as
    bytes or text); a second 401 is returned.

    **The token goes only to** ``host`` **over https**: a request anywhere else raises ValueError; a
    401 from another server (after a redirect in your own session) is left alone; ``session()``
    follows no redirect at all.

    **An expired refresh token**: an auth made by ``from_credentials`` logs in again, once per such
    answer; one made from a refresh token raises ``SddcManagerApiError`` (the hint says how to get
    a new one).

    ``close()`` (or leaving ``with auth:``) revokes the refresh token that ``from_credentials``
    created; it never revokes a refresh token you passed in. Neither the tokens nor a password
    appear in its ``repr``, in its errors or in its log lines, and it cannot be pickled, so it
    never lands in Pulumi state: build it inside your provider's methods from their inputs.

    Args:
        host: SDDC Manager's FQDN, ``host:port`` or ``https://`` URL, as for ``RefreshedAccessToken``.
        refresh_token: A refresh token id, e.g. ``AccessTokenPair.refresh_token`` passed to your resource.
        ca_bundle: The CAs to trust: a PEM file's path or PEM text. Default: the system's. The
            refresh uses it, and so does ``session()``.
        allow_unverified_tls: Skip TLS verification (labs only).
        timeout_seconds, max_retries: For each token call, as for ``RefreshedAccessToken``.
        renew_before_seconds: The advisory window: refresh this long before the token expires.
        clock: Seconds on a monotonic clock, for tests that move time (default ``time.monotonic``).

    Raises:
        ValueError: for bad arguments, naming the argument and the fix.
        VcfProviderError: from a request, when the token cannot be had (e.g. ``SddcManagerApiError``
            with a hint when SDDC Manager no longer knows the refresh token).
    """

    def __init__(
        self,
        host: str,
        refresh_token: str,
        *,
        ca_bundle: str | None = None,
        allow_unverified_tls: bool = False,
        timeout_seconds: float = p.TIMEOUT_SECONDS.default,
        max_retries: int = p.MAX_RETRIES.default,
        renew_before_seconds: float = p.RENEW_BEFORE_SECONDS.default,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        given = _given(
            host, ca_bundle, allow_unverified_tls, timeout_seconds, max_retries, renew_before_seconds
        )
        self._setup({**given, p.REFRESH_TOKEN.name: refresh_token}, clock, refresh_token=refresh_token)

    def _setup(
        self,
        given: dict[str, Any],
        clock: Callable[[], float],
        what: str = "SddcManagerAuth",
        *,
        refresh_token: str | None = None,
        login: dict[str, str] | None = None,
    ) -> None:
        problems = settings.connection_problems(given)
        if p.REFRESH_TOKEN.name in given:
            problems += settings.refresh_token_problems(given)
        if problems:
            raise ValueError(f"{what}: " + "; ".join(reason for _name, reason in problems))
        self._settings: ConnectionSettings = settings.connection_settings(given)
        self._source = TokenSource(
            self._settings,
            refresh_token=refresh_token,
            login=login,
            renew_before_seconds=float(given[p.RENEW_BEFORE_SECONDS.name]),
            clock=clock,
            name=self.__repr__,
        )

    @classmethod
    def from_credentials(
        cls,
        host: str,
        *,
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        id_token: str | None = None,
        ca_bundle: str | None = None,
        allow_unverified_tls: bool = False,
        timeout_seconds: float = p.TIMEOUT_SECONDS.default,
        max_retries: int = p.MAX_RETRIES.default,
        renew_before_seconds: float = p.RENEW_BEFORE_SECONDS.default,
        clock: Callable[[], float] = time.monotonic,
    ) -> SddcManagerAuth:
        """An auth that logs in (``POST /v1/tokens``) on first use and renews from that token pair.

        Exactly one way to log in: ``username`` and ``password``, ``api_key``, or ``id_token``.
        When SDDC Manager no longer knows the pair's refresh token (expired after about 24 h, or
        revoked), it logs in again, once per such answer. ``close()`` revokes the refresh token
        it holds. The other arguments are as for the constructor.
        """
        values = {
            credentials.USERNAME: username,
            credentials.PASSWORD: password,
            credentials.API_KEY: api_key,
            credentials.ID_TOKEN: id_token,
        }
        problems = [reason for _name, reason in credentials.problems(values, hint_text=_CREDENTIALS_HINT)]
        if problems:
            raise ValueError("SddcManagerAuth.from_credentials: " + "; ".join(problems))
        auth = cls.__new__(cls)
        auth._setup(
            _given(host, ca_bundle, allow_unverified_tls, timeout_seconds, max_retries, renew_before_seconds),
            clock,
            "SddcManagerAuth.from_credentials",
            login=credentials.login_body(values),
        )
        return auth

    @property
    def base_url(self) -> str:
        """The SDDC Manager this auth is for, e.g. ``https://sddc-manager.example.com``."""
        return self._settings.base_url

    def access_token(self) -> str:
        """A valid access token, renewed first when due.

        For calls made without ``requests`` (another HTTP library, a CLI): keep it for one call only.
        """
        return self._token()

    def session(self) -> requests.Session:
        """A ``requests.Session`` that uses this auth, trusts the same CAs (PEM text included) and
        follows no redirects (one raises ``SddcManagerRedirectError``).

        Close it when done (``with auth.session() as session: ...``).
        """
        session = AuthSession()
        session.auth = self
        session.verify = requests_verify(self._settings)
        session.headers["Accept"] = "application/json"
        return session

    def close(self) -> None:
        """Revokes the refresh token that ``from_credentials`` logged in for (none otherwise);
        afterwards the auth refuses to give tokens. Safe to call twice.

        Raises:
            VcfProviderError: when the revoke fails. The auth stays closed, and calling ``close()``
                again tries the revoke again; left alone, the token expires on its own (about 24 h).
        """
        self._source.close()

    def __enter__(self) -> SddcManagerAuth:
        return self

    def __exit__(self, exc_type: object, *_rest: object) -> None:
        if exc_type is None:
            self.close()
            return
        try:  # an error is already on its way out: a failed revoke must not replace it
            self.close()
        except VcfProviderError as error:
            logger.warning("%r: revoking the refresh token failed: %s", self, str(error).splitlines()[0])

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self._require_same_server(request.url)
        request.headers["Authorization"] = f"Bearer {self._token()}"
        request.register_hook("response", self._retry_after_401)  # type: ignore[no-untyped-call]
        return request

    def __repr__(self) -> str:
        how = ", from credentials" if getattr(self, "_source", None) and self._source.logs_in else ""
        return f"SddcManagerAuth({self.base_url!r}{how})"

    def __reduce__(self) -> Any:
        raise TypeError(
            "SddcManagerAuth cannot be pickled: it holds a refresh token, and a pickled copy would land "
            "in Pulumi state (a dynamic provider's __provider) unencrypted. Build it inside the "
            "provider's create/update/delete from their inputs instead."
        )

    def _token(self, rejected: str | None = None) -> str:
        return self._source.token(rejected)

    # -- where the token may go ---------------------------------------------------------------
    def _is_for_host(self, url: str | None) -> bool:
        wanted = urlsplit(self.base_url)
        given = urlsplit(url or "")
        if given.scheme != "https" or not given.netloc:
            return False
        try:
            return settings.base_url(given.netloc) == f"https://{wanted.netloc}"
        except ValueError:
            return False

    def _require_same_server(self, url: str | None) -> None:
        if self._is_for_host(url):
            return
        given = urlsplit(url or "")
        shown = f"{given.scheme}://{given.hostname or ''}" if given.netloc else "a URL without a host"
        if given.port:
            shown += f":{given.port}"
        raise ValueError(
            f"SddcManagerAuth for {self.base_url} was asked to authenticate a request to {shown}; "
            "it only sends its token to that SDDC Manager over https. Use a session per manager."
        )

    def _retry_after_401(self, response: requests.Response, **send_options: Any) -> requests.Response:
        request = response.request
        if response.status_code != 401 or getattr(request, _RETRIED, False):
            return response
        # After a redirect, `request` may be for another server: it never gets the token.
        if not self._is_for_host(request.url) or response.connection is None:
            return response
        if request.body is not None and not isinstance(request.body, (bytes, str)):
            return response  # a stream cannot be sent twice
        used = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        token = self._token(rejected=used)
        response.content  # noqa: B018 - read the body so the connection goes back to the pool
        response.close()
        again = request.copy()
        setattr(again, _RETRIED, True)
        again.headers["Authorization"] = f"Bearer {token}"
        retried: requests.Response = response.connection.send(again, **send_options)
        retried.history.append(response)
        retried.request = again
        return retried
