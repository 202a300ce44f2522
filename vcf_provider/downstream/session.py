"""The requests.Session that SddcManagerAuth.session() returns: the manager's CA, and no redirects."""

from __future__ import annotations

import atexit
import contextlib
import os
import ssl
import tempfile
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from vcf_provider.api import attempt, deadline, transport
from vcf_provider.api.errors import OperationCancelled, SddcManagerRedirectError
from vcf_provider.api.settings import ConnectionSettings, is_pem_text

_pem_files: dict[str, str] = {}
_pem_lock = threading.Lock()


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _pem_file(pem: str) -> str:
    """A private file holding `pem` (requests wants a path), removed when the process exits."""
    with _pem_lock:
        path = _pem_files.get(pem)
        if path is None:
            handle, path = tempfile.mkstemp(prefix="vcf-ca-", suffix=".pem")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(pem)
            atexit.register(_remove, path)
            _pem_files[pem] = path
        return path


def requests_verify(settings: ConnectionSettings) -> bool | str:
    """`settings`' TLS trust as requests' `verify`: False, True (system CAs) or a CA file's path."""
    if not settings.verify:
        return False
    if settings.ca_bundle is None:
        return True
    if not is_pem_text(settings.ca_bundle):
        return settings.ca_bundle
    return _pem_file(settings.ca_bundle)


class BoundedAdapter(HTTPAdapter):
    """Sends each request under the caller's deadline (`vcf_provider.api.deadline`) and the
    process's cancel: a cancel ends a request in flight within a quarter second, as the token
    calls do. It uses our deadline sockets through requests' documented hook for pool settings."""

    def __init__(self) -> None:
        super().__init__()
        self._contexts: dict[bool | str, ssl.SSLContext] = {}
        self._contexts_lock = threading.Lock()

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:  # requests >= 2.32; types-requests spells the two dicts as TypedDicts
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params.get("scheme") == "https" and isinstance(verify, (bool, str)):
            with self._contexts_lock:
                context = self._contexts.get(verify)
                if context is None:
                    context = self._contexts[verify] = transport.requests_tls_context(verify)
            pool_kwargs["ssl_context"] = context
        return host_params, pool_kwargs

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        where = urlsplit(request.url or "")
        what = f"{request.method} {where.scheme}://{where.netloc}{where.path}"
        deadline.current().check(what)
        timeout = kwargs.get("timeout")
        seconds = sum(timeout) if isinstance(timeout, tuple) and None not in timeout else timeout
        with attempt.bounded(seconds if isinstance(seconds, (int, float)) else None) as seen:
            try:
                response = super().send(request, *args, **kwargs)
                if not kwargs.get("stream"):
                    # The body too, under the deadline and the cancel (requests would read it later).
                    response.content  # noqa: B018
                return response
            except requests.RequestException:
                if seen.cancelled or deadline.cancelled():
                    raise OperationCancelled(what) from None
                raise


class AuthSession(requests.Session):
    """A session for one SDDC Manager.

    - Its `verify` wins over REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE (which plain requests lets replace
      a session's CA), so the manager's CA stays the one trusted.
    - Each request ends by the caller's deadline and within a quarter second of a cancel
      (`BoundedAdapter`), raising OperationCancelled then.
    - It never follows a redirect: the request carried the token, and the next hop might go
      anywhere. A redirect raises `SddcManagerRedirectError`, unless the call passed
      `allow_redirects=False`, which returns the 3xx answer as it came.
    """

    def __init__(self) -> None:
        super().__init__()
        self.mount("https://", BoundedAdapter())

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None:
            settings["verify"] = self.verify
        return settings

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        follow = kwargs.pop("allow_redirects", True)
        response = super().send(request, allow_redirects=False, **kwargs)
        if follow and response.is_redirect:
            response.close()
            location = response.headers.get("location", "")
            target = urlsplit(location).netloc or "the same host"
            where = urlsplit(request.url or "")
            raise SddcManagerRedirectError(
                f"{request.method} {where.scheme}://{where.netloc}{where.path} answered HTTP "
                f"{response.status_code}, a redirect to {target}. Redirects are not followed with the "
                "SDDC Manager token: call the address SDDC Manager answers on directly, or pass "
                "allow_redirects=False to handle the answer yourself."
            )
        return response
