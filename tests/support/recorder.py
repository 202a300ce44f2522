"""A second server that records every byte it receives: proof of where a token did (not) go."""

from __future__ import annotations

import socket
import ssl
import threading
from types import TracebackType

import trustme


class RecordingServer:
    """Answers every request with `status` (401 by default) and keeps each request's raw bytes.

    Plain HTTP, or HTTPS with a certificate from `ca` (give it the emulator's CA, so a client that
    trusts the manager trusts this server too: the worst case for a leak).
    """

    def __init__(self, *, ca: trustme.CA | None = None, status: int = 401) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._tls: ssl.SSLContext | None = None
        if ca is not None:
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1").configure_cert(self._tls)
        self._status = status
        self._lock = threading.Lock()
        self._received: list[bytes] = []
        self._stopping = threading.Event()
        self._listener.settimeout(0.02)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"

    @property
    def received(self) -> list[bytes]:
        """The raw bytes of each connection, in order (headers and body as sent)."""
        with self._lock:
            return list(self._received)

    def text(self) -> str:
        return "\n".join(data.decode("latin-1") for data in self.received)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        data = b""
        try:
            if self._tls is not None:
                connection = self._tls.wrap_socket(connection, server_side=True)
            connection.settimeout(5)
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            with self._lock:
                self._received.append(data)
            body = b'{"errorCode": "Unauthorized", "message": "Who are you?"}'
            connection.sendall(
                f"HTTP/1.1 {self._status} Recorded\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
        except OSError:
            pass
        finally:
            connection.close()
