"""The requests.Session that SddcManagerAuth.session() returns: the manager's CA, and no redirects."""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import threading
from typing import Any
from urllib.parse import urlsplit

import requests

from vcf_provider.api.errors import SddcManagerRedirectError
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


class AuthSession(requests.Session):
    """A session for one SDDC Manager.

    - Its `verify` wins over REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE (which plain requests lets replace
      a session's CA), so the manager's CA stays the one trusted.
    - It never follows a redirect: the request carried the token, and the next hop might go
      anywhere. A redirect raises `SddcManagerRedirectError`, unless the call passed
      `allow_redirects=False`, which returns the 3xx answer as it came.
    """

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
