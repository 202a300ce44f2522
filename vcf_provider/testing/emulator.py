"""A local HTTPS SDDC Manager that speaks the token API, with scripted faults and a request log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import select
import socket
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from vcf_provider.testing.faults import Fault, RecordedRequest, vcf_error

DEFAULT_USERNAME = "administrator@vsphere.local"
DEFAULT_PASSWORD = "VMware123!VMware123!"  # noqa: S105 - the emulator's documented demo login
#: The lifetime reported for SDDC Manager's refresh tokens (it does not say so in its answers).
DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS = 86_400.0


def _refresh_token_id(body: bytes) -> str:
    """The id in a refresh or revoke body, sent raw (PowerVCF, this package) or as a JSON string
    (the official Python and Go SDKs, which follow the spec's `string` schema literally)."""
    text = body.decode("utf-8", errors="replace").strip()
    if text.startswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        if isinstance(decoded, str):
            return decoded
    return text


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

        import trustme

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
        self._stopping = threading.Event()
        self._connections_accepted = 0
        self._hung_requests_closed: list[float] = []

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
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(self._tls)

        server_class = _Server6 if ":" in host else _Server
        self._server = server_class((host, port), _Handler)
        self._server.emulator = self
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
        self._thread = threading.Thread(target=self._server.serve_forever, name="sddc-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
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

    # -- faults and the request log -------------------------------------------------------------
    def script(self, method: str, path: str, *faults: Fault) -> None:
        """Answers the next requests to `method path` with `faults`, one each, then normally again."""
        with self._lock:
            self._faults.setdefault((method.upper(), path), deque()).extend(faults)

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get((method, path))
            if queue:
                return queue.popleft()
            if self.failure_rate and self._random.random() < self.failure_rate:
                return Fault.error(503, vcf_error("SERVICE_UNAVAILABLE", "Injected failure.", "Retry."))
        return None

    def _record(self, request: RecordedRequest) -> None:
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

    @property
    def hung_requests_closed(self) -> list[float]:
        """`time.monotonic()` of each moment a client gave up on a `Fault.hung()` request."""
        with self._lock:
            return list(self._hung_requests_closed)

    def _count_connection(self) -> None:
        with self._lock:
            self._connections_accepted += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: SddcManagerEmulator

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        # Without it, a small answer waits ~40 ms for the client's delayed ACK (Nagle's algorithm).
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.emulator._count_connection()
        # The handshake happens in the handler's thread, so a silent client blocks only itself.
        wrapped = self.emulator._tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts, bad certificates) are part of the tests, not errors.
        pass


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "SDDC-Manager-Emulator/1.0"
    # Buffered: the status line, headers and body leave in one write when the answer is complete.
    wbufsize = 64 * 1024

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def emulator(self) -> SddcManagerEmulator:
        return self.server.emulator

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        self.emulator._record(RecordedRequest(method, path, dict(self.headers.items()), body))
        if self.emulator.latency_seconds:
            time.sleep(self.emulator.latency_seconds)
        fault = self.emulator._next_fault(method, path)
        self._answer = b""
        self._clock_offset = fault.clock_offset_seconds if fault else 0.0
        if fault is not None and not fault.process_first:
            self._play(fault)
            return
        route = {
            ("POST", "/v1/tokens"): self._create_token_pair,
            ("PATCH", "/v1/tokens/access-token/refresh"): self._refresh,
            ("DELETE", "/v1/tokens/refresh-token"): self._revoke,
            ("GET", "/v1/sddc-managers"): self._sddc_managers,
        }.get((method, path))
        if route is None:
            self._json(404, vcf_error("NOT_FOUND", f"No API at {method} {path}.", "Check the URL."))
        else:
            route(body)
        if fault is not None and fault.delay_seconds and self.emulator._stopping.wait(fault.delay_seconds):
            return
        self._write(self._answer, fault)

    # -- answers ---------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        """Composes the whole answer; `_write` sends it (at once, late or trickled)."""
        merged = {"Content-Type": "application/json"}
        merged.update(headers or {})
        reason = self.responses.get(status, ("",))[0]
        lines = [
            f"HTTP/1.1 {status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        lines += [f"{name}: {value}" for name, value in merged.items()]
        lines.append(f"Content-Length: {len(body)}")
        self._answer = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def _write(self, data: bytes, fault: Fault | None) -> None:
        if fault is None or not fault.trickle_seconds_per_byte:
            self.wfile.write(data)
            return
        for index in range(len(data)):
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()
            if self.emulator._stopping.wait(fault.trickle_seconds_per_byte):
                break

    def _json(self, status: int, document: Any) -> None:
        self._send(status, json.dumps(document).encode())

    def _play(self, fault: Fault) -> None:
        if fault.hang:
            self._hold_until_client_leaves()
            return
        if fault.delay_seconds and self.emulator._stopping.wait(fault.delay_seconds):
            return
        if fault.drop_connection:
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
            )
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(fault.status, fault.body, fault.headers)
        self._write(self._answer, fault)

    def _hold_until_client_leaves(self) -> None:
        self.close_connection = True
        while not self.emulator._stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if not readable:
                continue
            try:
                data = self.connection.recv(1)
            except (OSError, ssl.SSLError):
                data = b""
            if not data:
                with self.emulator._lock:
                    self.emulator._hung_requests_closed.append(time.monotonic())
                return

    def _mint(self, username: str) -> str:
        return self.emulator.mint_access_token(username, clock_offset_seconds=self._clock_offset)

    def _create_token_pair(self, body: bytes) -> None:
        try:
            spec = json.loads(body)
        except ValueError:
            spec = None
        if not isinstance(spec, dict):
            self._json(
                400,
                vcf_error("INVALID_REQUEST", "The request body is not JSON.", "Send a TokenCreationSpec."),
            )
            return
        username = spec.get("username")
        if isinstance(spec.get("apiKey"), str) and spec["apiKey"] in self.emulator.api_keys:
            username = "api-key-user@local"
        elif isinstance(spec.get("idToken"), str) and spec["idToken"] in self.emulator.id_tokens:
            username = "id-token-user@local"
        elif not (isinstance(username, str) and self.emulator.users.get(username) == spec.get("password")):
            self._json(
                400,
                vcf_error(
                    "INVALID_CREDENTIALS",
                    "Invalid username or password.",
                    "Check the credentials and try again.",
                    causes=[{"type": "AuthenticationException", "message": "Bad credentials"}],
                ),
            )
            return
        refresh_id = self.emulator.issue_refresh_token(username)
        access = self._mint(username)
        self._json(200, {"accessToken": access, "refreshToken": {"id": refresh_id}})

    def _refresh(self, body: bytes) -> None:
        refresh_id = _refresh_token_id(body)
        if not refresh_id:
            self._json(
                400,
                vcf_error(
                    "REFRESH_TOKEN_MISSING",
                    "The refresh token is missing from the request.",
                    "Send the refresh token id as the request body.",
                ),
            )
            return
        username = self.emulator.refresh_token_user(refresh_id)
        if username is None:
            self._json(
                404,
                vcf_error(
                    "REFRESH_TOKEN_NOT_FOUND",
                    "Refresh token not found. It is invalid, expired or has been revoked.",
                    "Create a new token pair with POST /v1/tokens.",
                    context={"component": "vcf-auth"},
                ),
            )
            return
        token = self._mint(username)
        if self.emulator.refresh_answer == "json":
            self._json(200, token)
        else:
            self._send(200, token.encode())

    def _revoke(self, body: bytes) -> None:
        refresh_id = _refresh_token_id(body)
        # An expired token is gone for SDDC Manager too: revoking it is a 404.
        if self.emulator.refresh_token_user(refresh_id) is None or not self.emulator.revoke(refresh_id):
            self._json(
                404, vcf_error("REFRESH_TOKEN_NOT_FOUND", "Refresh token not found.", "Nothing to do.")
            )
            return
        self._send(204, b"", {})

    def _sddc_managers(self, _body: bytes) -> None:
        authorization = self.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ").strip()
        if not authorization.startswith("Bearer ") or not self.emulator.access_token_is_valid(token):
            self._json(
                401,
                vcf_error(
                    "Unauthorized",
                    "The access token is missing, invalid or expired.",
                    "Refresh the access token and retry.",
                ),
            )
            return
        self._json(
            200,
            {
                "elements": [
                    {
                        "id": "5d3c6b8e-0000-4000-8000-000000000001",
                        "fqdn": "sddc-manager.vcf.test",
                        "version": "9.0.2.0",
                    }
                ],
                "pageMetadata": {"pageNumber": 0, "pageSize": 1, "totalElements": 1, "totalPages": 1},
            },
        )
