"""Where SddcManagerAuth's access tokens come from: a refresh token or a login, renewed, revoked on close."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.errors import SddcManagerApiError, VcfProviderError
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.downstream.renewal import TokenRenewer

logger = logging.getLogger("vcf_provider.downstream.auth")


class TokenSource:
    """Access tokens for one SDDC Manager, from a refresh token it was given or from a login it
    makes (and then owns: `close` revokes it). Thread-safe; holds no socket between calls.

    `name` is how messages and log lines call it (the auth's repr): never a secret.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        refresh_token: str | None,
        login: dict[str, str] | None,
        renew_before_seconds: float,
        clock: Callable[[], float],
        name: Callable[[], str],
    ) -> None:
        self.settings = settings
        self._refresh_token = refresh_token
        """The refresh token in use; None before a login and after close()."""
        self._login = login
        """The TokenCreationSpec to log in with, for a source made from credentials."""
        self._name = name
        self._closed = False
        self._unrevoked: str | None = None
        """A refresh token this source logged in for whose revoke at close failed."""
        self._close_lock = threading.Lock()
        self._renewer = TokenRenewer(self._fetch, renew_before_seconds=renew_before_seconds, clock=clock)

    @property
    def logs_in(self) -> bool:
        """True for a source made from credentials (it logs in, and revokes at close)."""
        return self._login is not None or self._unrevoked is not None

    def token(self, rejected: str | None = None) -> str:
        """A valid access token; `rejected` is one the manager just refused (a 401)."""
        if self._closed:
            raise VcfProviderError(f"{self._name()} is closed: make a new one to call SDDC Manager again")
        return self._renewer.token(rejected)

    def close(self) -> None:
        """Revokes the refresh token this source logged in for (none otherwise); afterwards it
        refuses to give tokens. A revoke that fails raises and is tried again by the next close."""
        with self._close_lock:
            if not self._closed:
                self._closed = True
                self._renewer.forget()
                self._unrevoked = self._refresh_token if self._login else None
                self._refresh_token, self._login = None, None
            owned = self._unrevoked
            if owned:
                with SddcManagerClient(self.settings, warn_unverified=False) as client:
                    client.revoke_refresh_token(owned)  # raises: kept, for the next close()
                self._unrevoked = None

    def _fetch(self) -> str:
        """A new access token: a refresh, or a login when there is no usable refresh token."""
        with SddcManagerClient(self.settings, warn_unverified=False) as client:
            if self._refresh_token is None:
                return self._log_in(client)
            try:
                return client.refresh_access_token(self._refresh_token)
            except SddcManagerApiError as error:
                if not (error.refresh_token_unknown and self._login is not None):
                    raise
                logger.warning(
                    "%s: SDDC Manager no longer knows the refresh token (HTTP %s); logging in again",
                    self._name(),
                    error.status,
                )
                self._refresh_token = None
                return self._log_in(client)

    def _log_in(self, client: SddcManagerClient) -> str:
        if self._login is None:
            raise VcfProviderError(f"{self._name()} is closed: make a new one to call SDDC Manager again")
        access_token, refresh_token = client.create_token_pair(self._login)
        self._refresh_token = refresh_token
        return access_token

    def __repr__(self) -> str:
        return f"TokenSource({self._name()})"

    def __reduce__(self) -> Any:
        raise TypeError("a TokenSource cannot be pickled: it holds a refresh token")
