"""The emulator's HTTP side: TLS connections, routing, scripted faults and the token API's answers."""

from __future__ import annotations

import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote

from vcf_provider.testing.faults import Fault, RecordedRequest, vcf_error
from vcf_provider.testing.tasks import TaskBook

TASKS_PREFIX = "/v1/tasks/"
DOMAINS_PATH = "/v1/domains"


class Backend(Protocol):
    """What the HTTP side needs of an emulator: its state, answers and request log (no private parts)."""

    latency_seconds: float
    refresh_answer: str
    users: dict[str, str]
    api_keys: set[str]
    id_tokens: set[str]
    domain_task_polls: int
    domain_task_seconds: float | None
    tasks: TaskBook
    stopping: threading.Event
    tls_context: ssl.SSLContext

    def record(self, request: RecordedRequest) -> None: ...
    def next_fault(self, method: str, path: str) -> Fault | None: ...
    def count_connection(self) -> None: ...
    def note_hung_request_closed(self) -> None: ...
    def issue_refresh_token(self, username: str = ...) -> str: ...
    def refresh_token_user(self, refresh_id: str) -> str | None: ...
    def revoke(self, refresh_id: str) -> bool: ...
    def mint_access_token(self, username: str = ..., *, clock_offset_seconds: float = ...) -> str: ...
    def access_token_is_valid(self, token: str) -> bool: ...
    def manager_time(self) -> float: ...
    def add_task(
        self,
        name: str,
        *,
        polls_until_done: int = ...,
        task_type: str = ...,
        duration_seconds: float | None = ...,
    ) -> str: ...


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


class EmulatorServer(ThreadingHTTPServer):
    """One emulator's listening socket: TLS from its CA, a thread per connection."""

    daemon_threads = True
    allow_reuse_address = True
    emulator: Backend

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        # Without it, a small answer waits ~40 ms for the client's delayed ACK (Nagle's algorithm).
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.emulator.count_connection()
        # The handshake happens in the handler's thread, so a silent client blocks only itself.
        wrapped = self.emulator.tls_context.wrap_socket(
            connection, server_side=True, do_handshake_on_connect=False
        )
        return wrapped, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts, bad certificates) are part of the tests, not errors.
        pass


class EmulatorServer6(EmulatorServer):
    """The same on an IPv6 address."""

    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "SDDC-Manager-Emulator/1.0"
    # Buffered: the status line, headers and body leave in one write when the answer is complete.
    wbufsize = 64 * 1024

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def emulator(self) -> Backend:
        return self.server.emulator

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header tells SDDC Manager's time: the emulator's clock, and any offset it is given.
        return super().date_time_string(self.emulator.manager_time() if timestamp is None else timestamp)

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        self.emulator.record(RecordedRequest(method, path, dict(self.headers.items()), body))
        if self.emulator.latency_seconds:
            time.sleep(self.emulator.latency_seconds)
        fault = self.emulator.next_fault(method, path)
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
        if route is None and method == "HEAD" and path == "/":
            route = self._head_root
        if route is None and method == "GET" and path.startswith(TASKS_PREFIX):
            route = self._task
        if route is None and method == "POST" and path == DOMAINS_PATH:
            route = self._create_domain
        if route is None and method == "DELETE" and path.startswith(DOMAINS_PATH + "/"):
            route = self._delete_domain
        if route is None:
            self._json(404, vcf_error("NOT_FOUND", f"No API at {method} {path}.", "Check the URL."))
        else:
            route(body)
        if fault is not None and fault.delay_seconds and self.emulator.stopping.wait(fault.delay_seconds):
            return
        if fault is not None and fault.release is not None:
            while not fault.release.wait(0.05):
                if self.emulator.stopping.is_set():
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
            if self.emulator.stopping.wait(fault.trickle_seconds_per_byte):
                break

    def _json(self, status: int, document: Any) -> None:
        self._send(status, json.dumps(document).encode())

    def _play(self, fault: Fault) -> None:
        if fault.hang:
            self._hold_until_client_leaves()
            return
        if fault.delay_seconds and self.emulator.stopping.wait(fault.delay_seconds):
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
        while not self.emulator.stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if not readable:
                continue
            try:
                data = self.connection.recv(1)
            except (OSError, ssl.SSLError):
                data = b""
            if not data:
                self.emulator.note_hung_request_closed()
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
        # 201 as the 9.x spec declares (older specs also listed 200; clients accept any 2xx).
        self._json(201, {"accessToken": access, "refreshToken": {"id": refresh_id}})

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

    def _authorized(self) -> bool:
        """True for a valid bearer token; otherwise answers 401 with a VCF Error."""
        authorization = self.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ").strip()
        if authorization.startswith("Bearer ") and self.emulator.access_token_is_valid(token):
            return True
        self._json(
            401,
            vcf_error(
                "Unauthorized",
                "The access token is missing, invalid or expired.",
                "Refresh the access token and retry.",
            ),
        )
        return False

    def _task(self, _body: bytes) -> None:
        if not self._authorized():
            return
        task_id = unquote(self.path.split("?", 1)[0][len(TASKS_PREFIX) :])
        task = self.emulator.tasks.poll(task_id)
        if task is None:
            self._json(
                404,
                vcf_error("TASK_NOT_FOUND", f"Task {task_id[:80]} not found.", "Check the task id."),
            )
            return
        self._json(200, task)

    def _create_domain(self, body: bytes) -> None:
        """POST /v1/domains: a workload domain is a long task; the answer is the task (202)."""
        if not self._authorized():
            return
        try:
            spec = json.loads(body)
        except ValueError:
            spec = None
        name = spec.get("domainName") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not name:
            self._json(
                400, vcf_error("DOMAIN_SPEC_INVALID", "domainName is missing.", "Send a DomainCreationSpec.")
            )
            return
        self._start_task(f"Creating workload domain {name[:80]}", "DOMAIN_CREATE")

    def _delete_domain(self, _body: bytes) -> None:
        if not self._authorized():
            return
        domain_id = unquote(self.path.split("?", 1)[0][len(DOMAINS_PATH) + 1 :])
        self._start_task(f"Deleting workload domain {domain_id[:80]}", "DOMAIN_DELETE")

    def _start_task(self, name: str, task_type: str) -> None:
        task_id = self.emulator.add_task(
            name,
            polls_until_done=self.emulator.domain_task_polls,
            task_type=task_type,
            duration_seconds=self.emulator.domain_task_seconds,
        )
        task = self.emulator.tasks.peek(task_id)
        self._send(202, json.dumps(task).encode(), {"Location": f"{TASKS_PREFIX}{task_id}"})

    def _head_root(self, _body: bytes) -> None:
        """HEAD /: SDDC Manager's web server answers with its UI's headers (no body for a HEAD)."""
        self._send(200, b"", {"Content-Type": "text/html"})

    def _sddc_managers(self, _body: bytes) -> None:
        if not self._authorized():
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


def make_server(emulator: Backend, host: str, port: int) -> EmulatorServer:
    """A bound (not yet serving) server that answers for `emulator` on `host`:`port`."""
    server_class = EmulatorServer6 if ":" in host else EmulatorServer
    server = server_class((host, port), _Handler)
    server.emulator = emulator
    return server
