"""SddcManagerAuth: a requests auth that keeps a fresh SDDC Manager access token on every request."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from vcf_provider import clock, inputs
from vcf_provider.client import ConnectionSettings, SddcManagerClient

_RETRIED = "_vcf_provider_retried_after_401"
_pem_files: dict[str, str] = {}
_pem_lock = threading.Lock()


def _remove(path: str) -> None:
    import contextlib
    import os

    with contextlib.suppress(OSError):
        os.remove(path)


def _pem_file(pem: str) -> str:
    """A private file holding `pem` (requests wants a path), removed when the process exits."""
    with _pem_lock:
        path = _pem_files.get(pem)
        if path is None:
            import atexit
            import os
            import tempfile

            handle, path = tempfile.mkstemp(prefix="vcf-ca-", suffix=".pem")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(pem)
            atexit.register(_remove, path)
            _pem_files[pem] = path
        return path


class _PinnedVerifySession(requests.Session):
    """A session whose `verify` wins over REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE (which plain
    requests lets replace a session's CA), so SDDC Manager's CA stays the one trusted."""

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None:
            settings["verify"] = self.verify
        return settings


class SddcManagerAuth(AuthBase):
    """Authenticates ``requests`` calls to SDDC Manager with an access token it renews itself.

    For code that calls SDDC Manager again later (a downstream dynamic provider's update and
    delete, a script, a long apply), where an ``access_token`` taken as an input would have expired::

        import requests
        from vcf_provider import SddcManagerAuth

        auth = SddcManagerAuth("sddc-manager.example.com", refresh_token, ca_bundle="/etc/vcf/ca.pem")
        with auth.session() as session:    # auth, and the same CAs for requests' own TLS check
            session.get(auth.base_url + "/v1/sddc-managers").raise_for_status()

    (Or set ``session.auth = auth`` and ``session.verify`` on a session of your own.)

    - Before each request it attaches ``Authorization: Bearer <access token>``, refreshing the
      token first (``PATCH /v1/tokens/access-token/refresh``) when there is none yet or it expires
      within ``renew_before_seconds`` (measured as ``RefreshedAccessToken`` does, on this
      machine's clock from the token's own lifetime).
    - A 401 answer makes it refresh once and send the request again (bodies given as bytes or text).
    - One instance may be shared between threads: they wait for a single refresh.
    - It attaches the token only to requests for ``host``; a request elsewhere raises ValueError,
      so the token never reaches another server.
    - It cannot be pickled, so it never lands in Pulumi state: build it inside your provider's
      methods from their inputs, not in the program.

    Args:
        host: SDDC Manager's FQDN, ``host:port`` or ``https://`` URL, as for ``RefreshedAccessToken``.
        refresh_token: A refresh token id, e.g. ``AccessTokenPair.refresh_token`` passed to your resource.
        ca_bundle: The CAs to trust: a PEM file's path or PEM text. Default: the system's. The
            refresh uses it, and so does ``session()``.
        allow_unverified_tls: Skip TLS verification for the refresh (labs only).
        timeout_seconds, max_retries: For each refresh, as for ``RefreshedAccessToken``.
        renew_before_seconds: Refresh this long before the access token expires. Default 300.

    Raises:
        ValueError: for bad arguments, naming the argument and the fix.
        VcfProviderError: from a request, when the refresh fails (e.g. ``SddcManagerApiError``
            with a hint when SDDC Manager no longer knows the refresh token).
    """

    def __init__(
        self,
        host: str,
        refresh_token: str,
        *,
        ca_bundle: str | None = None,
        allow_unverified_tls: bool = False,
        timeout_seconds: float = inputs.DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = inputs.DEFAULT_MAX_RETRIES,
        renew_before_seconds: float = inputs.DEFAULT_RENEW_BEFORE_SECONDS,
    ) -> None:
        given = {
            inputs.HOST: host,
            inputs.CA_BUNDLE: ca_bundle,
            inputs.ALLOW_UNVERIFIED_TLS: allow_unverified_tls,
            inputs.TIMEOUT_SECONDS: timeout_seconds,
            inputs.MAX_RETRIES: max_retries,
            inputs.RENEW_BEFORE_SECONDS: renew_before_seconds,
            inputs.REFRESH_TOKEN: refresh_token,
        }
        problems = [failure.reason for failure in inputs.check(given)]
        if problems:
            raise ValueError("SddcManagerAuth: " + "; ".join(problems))
        self._settings: ConnectionSettings = inputs.connection_settings(given)
        self._refresh_token = refresh_token
        self._renew_before = timedelta(seconds=renew_before_seconds)
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._received_at = datetime.min.replace(tzinfo=timezone.utc)

    @property
    def base_url(self) -> str:
        """The SDDC Manager this auth is for, e.g. ``https://sddc-manager.example.com``."""
        return self._settings.base_url

    def access_token(self) -> str:
        """A valid access token, refreshed first when it is missing or about to expire.

        For calls made without ``requests`` (another HTTP library, a CLI): keep it for one call only.
        """
        return self._current_token(stale=None)

    def session(self) -> requests.Session:
        """A ``requests.Session`` that uses this auth and trusts the same CAs (PEM text included).

        Close it when done (``with auth.session() as session: ...``).
        """
        session = _PinnedVerifySession()
        session.auth = self
        session.verify = self._requests_verify()
        session.headers["Accept"] = "application/json"
        return session

    def _requests_verify(self) -> bool | str:
        ca_bundle = self._settings.ca_bundle
        if not self._settings.verify:
            return False
        if ca_bundle is None:
            return True
        if "-----BEGIN" not in ca_bundle:
            return ca_bundle
        return _pem_file(ca_bundle)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self._require_same_server(request.url)
        request.headers["Authorization"] = f"Bearer {self._current_token(stale=None)}"
        request.register_hook("response", self._retry_after_401)  # type: ignore[no-untyped-call]
        return request

    def __repr__(self) -> str:
        return f"SddcManagerAuth({self.base_url!r})"

    def __reduce__(self) -> Any:
        raise TypeError(
            "SddcManagerAuth cannot be pickled: it holds a refresh token, and a pickled copy would land "
            "in Pulumi state (a dynamic provider's __provider) unencrypted. Build it inside the "
            "provider's create/update/delete from their inputs instead."
        )

    def _current_token(self, stale: str | None) -> str:
        """The access token to use; refreshed when due, or when it is still `stale` (rejected)."""
        with self._lock:
            now = datetime.now(timezone.utc)
            token = self._access_token
            if (
                token is None
                or token == stale
                or clock.renewal_due(token, self._received_at, self._renew_before, now)
            ):
                with SddcManagerClient(self._settings) as client:
                    token = client.refresh_access_token(self._refresh_token)
                self._access_token, self._received_at = token, datetime.now(timezone.utc)
            return token

    def _require_same_server(self, url: str | None) -> None:
        wanted = urlsplit(self.base_url)
        given = urlsplit(url or "")
        if given.scheme != "https" or inputs.base_url(given.netloc) != f"https://{wanted.netloc}":
            shown = f"{given.scheme}://{given.netloc}" if given.netloc else repr(url)
            raise ValueError(
                f"SddcManagerAuth for {self.base_url} was asked to authenticate a request to {shown}; "
                "it only sends its token to that SDDC Manager over https. Use a session per manager."
            )

    def _retry_after_401(self, response: requests.Response, **send_options: Any) -> requests.Response:
        request = response.request
        if response.status_code != 401 or getattr(request, _RETRIED, False):
            return response
        if request.body is not None and not isinstance(request.body, (bytes, str)):
            return response  # a stream cannot be sent twice
        used = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        token = self._current_token(stale=used)
        response.content  # noqa: B018 - read the body so the connection goes back to the pool
        response.close()
        again = request.copy()
        setattr(again, _RETRIED, True)
        again.headers["Authorization"] = f"Bearer {token}"
        if response.connection is None:
            return response
        retried: requests.Response = response.connection.send(again, **send_options)
        retried.history.append(response)
        retried.request = again
        return retried
