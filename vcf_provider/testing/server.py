"""The emulator's socket side: TLS connections, the request log, latency, and scripted faults played back."""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from vcf_provider.testing.control import CONTROL_PREFIX
from vcf_provider.testing.faults import Fault, RecordedRequest
from vcf_provider.testing.rules import ApiAnswer, ApiRequest
from vcf_provider.testing.statedir import StateDirError

#: What a dropped connection sends before it closes: a promise of 500 bytes, then one.
_PARTIAL_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"


class Backend(Protocol):
    """What the socket side needs of an emulator: TLS, a stop signal, faults, the log, the answers."""

    latency_seconds: float
    control: bool
    """Whether requests under CONTROL_PREFIX go to the control interface (no log, faults or latency)."""
    stopping: threading.Event
    tls_context: ssl.SSLContext

    def answer(self, request: ApiRequest) -> ApiAnswer: ...
    def next_fault(self, method: str, path: str) -> Fault | None: ...
    def record(self, request: RecordedRequest) -> None: ...
    def count_connection(self) -> None: ...
    def note_hung_request_closed(self) -> None: ...
    def manager_time(self) -> float: ...


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
        headers = dict(self.headers.items())
        if self.emulator.control and path.startswith(CONTROL_PREFIX):
            # The test's own calls: not SDDC Manager traffic, so no log, no latency, no faults.
            self.wfile.write(self._compose(self._answer(ApiRequest(method, path, headers, body))))
            return
        self.emulator.record(RecordedRequest(method, path, headers, body))
        if self.emulator.latency_seconds:
            time.sleep(self.emulator.latency_seconds)
        fault = self.emulator.next_fault(method, path)
        if fault is not None and not fault.process_first:
            self._play(fault)
            return
        offset = fault.clock_offset_seconds if fault else 0.0
        answer = self._compose(self._answer(ApiRequest(method, path, headers, body, offset)))
        if fault is not None and fault.delay_seconds and self.emulator.stopping.wait(fault.delay_seconds):
            return
        if fault is not None and fault.release is not None:
            while not fault.release.wait(0.05):
                if self.emulator.stopping.is_set():
                    return
        self._write(answer, fault)

    def _answer(self, request: ApiRequest) -> ApiAnswer:
        """The emulator's answer; its own failures become a 500 with a VCF Error, never a dropped call."""
        try:
            return self.emulator.answer(request)
        except StateDirError as error:
            return ApiAnswer.error(
                500, "EMULATOR_STATE_DIR_FAILED", str(error), "Fix the emulator's state dir and retry."
            )
        except Exception as error:  # noqa: BLE001 - a client must hear of it; the type names the bug
            return ApiAnswer.error(
                500, "EMULATOR_FAILED", f"The emulator failed ({type(error).__name__}).", "Report it."
            )

    def _compose(self, answer: ApiAnswer) -> bytes:
        """The whole answer in bytes; `_write` sends it (at once, late or trickled)."""
        reason = self.responses.get(answer.status, ("",))[0]
        lines = [
            f"HTTP/1.1 {answer.status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        lines += [f"{name}: {value}" for name, value in answer.headers.items()]
        lines.append(f"Content-Length: {len(answer.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body

    def _write(self, data: bytes, fault: Fault | None) -> None:
        if fault is None or not fault.trickle_seconds_per_byte:
            self.wfile.write(data)
            return
        for index in range(len(data)):
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()
            if self.emulator.stopping.wait(fault.trickle_seconds_per_byte):
                break

    def _play(self, fault: Fault) -> None:
        """A fault that replaces the answer: hang, drop the connection, or a scripted status."""
        if fault.hang:
            self._hold_until_client_leaves()
            return
        if fault.delay_seconds and self.emulator.stopping.wait(fault.delay_seconds):
            return
        if fault.drop_connection:
            self.wfile.write(_PARTIAL_ANSWER)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        headers = {"Content-Type": "application/json", **fault.headers}
        self._write(self._compose(ApiAnswer(fault.status, fault.body, headers)), fault)

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


def make_server(emulator: Backend, host: str, port: int) -> EmulatorServer:
    """A bound (not yet serving) server that answers for `emulator` on `host`:`port`."""
    server_class = EmulatorServer6 if ":" in host else EmulatorServer
    server = server_class((host, port), _Handler)
    server.emulator = emulator
    return server
