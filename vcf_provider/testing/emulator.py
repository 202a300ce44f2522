"""A local HTTPS SDDC Manager that speaks the token API, with scripted faults and a request log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from vcf_provider.testing.faults import Fault, RecordedRequest, vcf_error
from vcf_provider.testing.server import make_server
from vcf_provider.testing.tasks import TaskBook

DEFAULT_USERNAME = "administrator@vsphere.local"
DEFAULT_PASSWORD = "VMware123!VMware123!"  # noqa: S105 - the emulator's documented demo login
#: The lifetime reported for SDDC Manager's refresh tokens (it does not say so in its answers).
DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS = 86_400.0
MISSING_TRUSTME = (
    "the SDDC Manager emulator makes its own CA with trustme, which is not installed: "
    "pip install 'vcf-provider[testing]'"
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _RefreshToken(NamedTuple):
    username: str
    expires_monotonic: float | None


class SddcManagerEmulator:
    """An SDDC Manager token API on 127.0.0.1 with real TLS from its own CA.

    Use as a context manager, or call `start()` and `stop()`. Everything is thread-safe.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime_seconds: float = 3600,
        refresh_token_lifetime_seconds: float | None = DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS,
        latency_seconds: float = 0.0,
        cert_hostnames: Iterable[str] | None = None,
        users: Mapping[str, str] | None = None,
        api_keys: Iterable[str] = (),
        id_tokens: Iterable[str] = (),
        refresh_answer: str = "raw",
        failure_rate: float = 0.0,
        failure_seed: int = 0,
        state_dir: Path | None = None,
        clock_offset_seconds: float = 0.0,
    ) -> None:
        import tempfile

        try:
            import trustme
        except ImportError:
            raise ImportError(MISSING_TRUSTME) from None

        if token_lifetime_seconds <= 0:
            raise ValueError("token_lifetime_seconds must be above 0")
        if latency_seconds < 0:
            raise ValueError("latency_seconds must not be negative")
        if refresh_token_lifetime_seconds is not None and refresh_token_lifetime_seconds <= 0:
            raise ValueError("refresh_token_lifetime_seconds must be above 0, or None for no expiry")
        self.host = host
        self.token_lifetime_seconds = token_lifetime_seconds
        self.refresh_token_lifetime_seconds = refresh_token_lifetime_seconds
        """How long a refresh token works after POST /v1/tokens; None: until revoked."""
        self.clock_offset_seconds = clock_offset_seconds
        """Added to every token's iat/nbf/exp: an SDDC Manager whose clock is off."""
        self.latency_seconds = latency_seconds
        self.users = dict(users or {DEFAULT_USERNAME: DEFAULT_PASSWORD})
        self.api_keys = set(api_keys)
        self.id_tokens = set(id_tokens)
        """Identity broker id tokens that POST /v1/tokens accepts as `idToken` (VCF 9)."""
        if refresh_answer not in ("raw", "json"):
            raise ValueError("refresh_answer is 'raw' (token text) or 'json' (a JSON string)")
        self.refresh_answer = refresh_answer
        self.failure_rate = failure_rate
        self._random = random.Random(failure_seed)  # noqa: S311 - fault injection, not security
        self._signing_key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._refresh_tokens: dict[str, _RefreshToken] = {}
        self._faults: dict[tuple[str, str], deque[Fault]] = {}
        self._requests: list[RecordedRequest] = []
        self._issued_access_tokens: list[str] = []
        self._revoked: list[str] = []
        self._issued_refresh_tokens: list[str] = []
        self.stopping = threading.Event()
        self._connections_accepted = 0
        self._hung_requests_closed: list[float] = []
        self.domain_task_polls = 3
        """Polls before a task started by POST /v1/domains or DELETE /v1/domains/{id} ends."""
        self.tasks = TaskBook()
        """The tasks `GET /v1/tasks/{id}` serves; add them with `add_task`."""

        self._own_state_dir = None
        if state_dir is None:
            self._own_state_dir = tempfile.TemporaryDirectory(prefix="sddc-emulator-")
            state_dir = Path(self._own_state_dir.name)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA(organization_name="SDDC Manager emulator CA")
        self.ca_path = state_dir / "sddc-emulator-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        # By default the certificate names every way of reaching this server on loopback.
        names = cert_hostnames if cert_hostnames is not None else ("localhost", "127.0.0.1", host)
        server_cert = self.ca.issue_cert(*dict.fromkeys(names))
        self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(self.tls_context)

        self._server = make_server(self, host, port)
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to pass as `host`, e.g. https://127.0.0.1:8443."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def start(self) -> SddcManagerEmulator:
        # A short poll interval: stop() waits for the serving loop to notice, and tests stop many.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="sddc-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._own_state_dir is not None:
            self._own_state_dir.cleanup()

    def __enter__(self) -> SddcManagerEmulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- tokens ------------------------------------------------------------------------------
    def issue_refresh_token(
        self,
        username: str = DEFAULT_USERNAME,
        lifetime_seconds: float | None = None,
        refresh_id: str | None = None,
    ) -> str:
        """A new refresh token id for `username`, as POST /v1/tokens would give.

        It expires after `lifetime_seconds`, by default `refresh_token_lifetime_seconds`. Pass
        `refresh_id` to make a known id valid again (state saved against another emulator).
        """
        refresh_id = refresh_id or str(uuid.uuid4())
        lifetime = self.refresh_token_lifetime_seconds if lifetime_seconds is None else lifetime_seconds
        expires = None if lifetime is None else time.monotonic() + lifetime
        with self._lock:
            self._refresh_tokens[refresh_id] = _RefreshToken(username, expires)
            self._issued_refresh_tokens.append(refresh_id)
        return refresh_id

    def refresh_token_user(self, refresh_id: str) -> str | None:
        """The user of a refresh token that still works, or None (unknown, expired or revoked)."""
        with self._lock:
            token = self._refresh_tokens.get(refresh_id)
        if token is None or (
            token.expires_monotonic is not None and time.monotonic() >= token.expires_monotonic
        ):
            return None
        return token.username

    def revoke(self, refresh_id: str) -> bool:
        """Forget a refresh token, as DELETE /v1/tokens/refresh-token does; False if it was unknown."""
        with self._lock:
            if self._refresh_tokens.pop(refresh_id, None) is None:
                return False
            self._revoked.append(refresh_id)
            return True

    def revoke_all(self) -> int:
        """Revoke every refresh token (an administrator's clean-up); returns how many still worked."""
        working = self.live_refresh_tokens
        with self._lock:
            self._revoked.extend(self._refresh_tokens)
            self._refresh_tokens.clear()
        return len(working)

    def expire_refresh_tokens(self) -> int:
        """Let every refresh token reach its end of life now, as if its lifetime had passed."""
        with self._lock:
            for refresh_id, token in self._refresh_tokens.items():
                self._refresh_tokens[refresh_id] = _RefreshToken(token.username, time.monotonic())
            return len(self._refresh_tokens)

    @property
    def issued_refresh_tokens(self) -> list[str]:
        """Every refresh token handed out, oldest first, whatever became of it (for assertions)."""
        with self._lock:
            return list(self._issued_refresh_tokens)

    @property
    def revoked_refresh_tokens(self) -> list[str]:
        with self._lock:
            return list(self._revoked)

    @property
    def live_refresh_tokens(self) -> list[str]:
        """Refresh tokens that still work: issued, not revoked, not expired."""
        now = time.monotonic()
        with self._lock:
            return [
                refresh_id
                for refresh_id, token in self._refresh_tokens.items()
                if token.expires_monotonic is None or token.expires_monotonic > now
            ]

    @property
    def issued_access_tokens(self) -> list[str]:
        """Every access token handed out, oldest first (for assertions)."""
        with self._lock:
            return list(self._issued_access_tokens)

    def mint_access_token(
        self,
        username: str = DEFAULT_USERNAME,
        lifetime_seconds: float | None = None,
        clock_offset_seconds: float = 0.0,
    ) -> str:
        """An HS256 JWT shaped like SDDC Manager's, signed with this emulator's key."""
        now = int(time.time() + self.clock_offset_seconds + clock_offset_seconds)
        lifetime = self.token_lifetime_seconds if lifetime_seconds is None else lifetime_seconds
        claims = {
            "iat": now,
            "nbf": now,
            "exp": now + int(lifetime),
            "sub": username,
            "iss": "vcf-auth",
            "aud": "sddc-manager",
            "jti": str(uuid.uuid4()),
            "user": username,
            "name": username.split("@")[0],
            "scope": ["ADMIN"],
        }
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64url(json.dumps(claims).encode())
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        token = f"{header}.{payload}.{_b64url(signature)}"
        with self._lock:
            self._issued_access_tokens.append(token)
        return token

    def access_token_is_valid(self, token: str) -> bool:
        """True when `token` was signed by this emulator and has not expired."""
        try:
            header, payload, signature = token.split(".")
            expected = hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(_b64url(expected), signature):
                return False
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, TypeError):
            return False
        now = time.time() + self.clock_offset_seconds
        return isinstance(claims, dict) and float(claims.get("exp", 0)) > now

    # -- tasks -------------------------------------------------------------------------------
    def add_task(
        self,
        name: str,
        *,
        polls_until_done: int = 0,
        final: str = "SUCCESSFUL",
        errors: Iterable[Mapping[str, Any]] = (),
        task_type: str = "DOMAIN_CREATE",
        subtasks: Iterable[str] = ("Validate input", "Deploy", "Configure"),
    ) -> str:
        """A task that `GET /v1/tasks/{id}` reports IN_PROGRESS for `polls_until_done` polls, then
        `final` (``SUCCESSFUL``, ``FAILED``, ``CANCELLED``) with `errors` (VCF `Error` dicts, see
        `vcf_error`). Returns its id. Polls need a valid bearer token; script failed polls with
        ``script("GET", f"/v1/tasks/{id}", Fault.error(503), ...)``.
        """
        return self.tasks.add(
            name,
            polls_until_done=polls_until_done,
            final=final,
            errors=errors,
            task_type=task_type,
            subtasks=subtasks,
        )

    # -- faults and the request log -------------------------------------------------------------
    def script(self, method: str, path: str, *faults: Fault) -> None:
        """Answers the next requests to `method path` with `faults`, one each, then normally again."""
        with self._lock:
            self._faults.setdefault((method.upper(), path), deque()).extend(faults)

    def next_fault(self, method: str, path: str) -> Fault | None:
        """The scripted (or randomly injected) fault for the next `method path` request, if any."""
        with self._lock:
            queue = self._faults.get((method, path))
            if queue:
                return queue.popleft()
            if self.failure_rate and self._random.random() < self.failure_rate:
                return Fault.error(503, vcf_error("SERVICE_UNAVAILABLE", "Injected failure.", "Retry."))
        return None

    def record(self, request: RecordedRequest) -> None:
        """Adds a request to the log (the HTTP side calls it for every request)."""
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched `method` and `path` (either may be None for any)."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or r.path == path)
        )

    def clear_log(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far: N requests over fewer connections means reuse."""
        with self._lock:
            return self._connections_accepted

    def note_hung_request_closed(self) -> None:
        """Notes the moment a client gave up on a `Fault.hung()` request (the HTTP side calls it)."""
        with self._lock:
            self._hung_requests_closed.append(time.monotonic())

    @property
    def hung_requests_closed(self) -> list[float]:
        """`time.monotonic()` of each moment a client gave up on a `Fault.hung()` request."""
        with self._lock:
            return list(self._hung_requests_closed)

    def count_connection(self) -> None:
        """Counts an accepted TCP connection (the HTTP side calls it)."""
        with self._lock:
            self._connections_accepted += 1
