"""A real forward proxy (proxy.py from PyPI) in a subprocess: http:// or https://, with basic auth."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import trustme
from proxy.http.parser import HttpParser
from proxy.http.proxy.auth import AuthPlugin

#: Where RecordingAuthPlugin writes, set in the proxy's environment.
REQUESTS_FILE_VARIABLE = "VCF_TEST_PROXY_REQUESTS"
REPO_ROOT = Path(__file__).resolve().parents[2]


class RecordingAuthPlugin(AuthPlugin):
    """proxy.py's basic auth, which first writes one line per request it is asked:
    `CONNECT host:port with|without Proxy-Authorization`.

    proxy.py's own access log is written when a tunnel closes; this line is written before the
    proxy answers, so a test reads it as soon as its call returns, and an empty file means that
    no request reached the proxy, refused ones included.
    """

    def before_upstream_connection(self, request: HttpParser) -> HttpParser | None:
        authorized = "with" if request.has_header(b"proxy-authorization") else "without"
        method = (request.method or b"").decode()
        target = f"{(request.host or b'').decode()}:{request.port}"
        with open(os.environ[REQUESTS_FILE_VARIABLE], "a", encoding="utf-8") as requests_file:
            requests_file.write(f"{method} {target} {authorized} Proxy-Authorization\n")
        return super().before_upstream_connection(request)


@dataclass(frozen=True)
class ForwardProxy:
    """A running proxy.py."""

    address: str
    """scheme://127.0.0.1:port: how messages name the proxy."""
    basic_auth: tuple[str, str] | None
    """The (user, password) it asks for, if any."""
    log: Path
    """proxy.py's own log (one access line per tunnel, written when it closes)."""
    requests_file: Path

    @property
    def url(self) -> str:
        """What HTTPS_PROXY is set to: with the proxy's credentials, if it asks for some."""
        return self.with_credentials(*self.basic_auth) if self.basic_auth else self.address

    def with_credentials(self, username: str, password: str) -> str:
        """This proxy's URL with these credentials, percent-encoded as a user writes them."""
        scheme, rest = self.address.split("://", 1)
        return f"{scheme}://{quote(username, safe='')}:{quote(password, safe='')}@{rest}"

    def requests(self) -> list[str]:
        """The requests the proxy was asked so far, one line each (see RecordingAuthPlugin)."""
        return self.requests_file.read_text(encoding="utf-8").splitlines()


@contextmanager
def forward_proxy(
    workdir: Path, *, tls_ca: trustme.CA | None = None, basic_auth: tuple[str, str] | None = None
) -> Iterator[ForwardProxy]:
    """Runs proxy.py on 127.0.0.1; with `tls_ca`, clients reach it over TLS (an https:// proxy)
    with a certificate from that CA; with `basic_auth` (user, password), it answers 407 to a
    request without those credentials."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "port"
    requests_file = workdir / "requests.log"
    requests_file.write_text("")
    command = [
        sys.executable,
        "-m",
        "proxy",
        "--hostname",
        "127.0.0.1",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--num-acceptors",
        "1",
        "--threaded",
        "--auth-plugin",
        f"{__name__}.{RecordingAuthPlugin.__name__}",
    ]
    if basic_auth is not None:
        command += ["--basic-auth", ":".join(basic_auth)]
    if tls_ca is not None:
        certificate = tls_ca.issue_cert("127.0.0.1")
        certificate.cert_chain_pems[0].write_to_path(str(workdir / "cert.pem"))
        certificate.private_key_pem.write_to_path(str(workdir / "key.pem"))
        command += ["--cert-file", str(workdir / "cert.pem"), "--key-file", str(workdir / "key.pem")]
    environment = {
        **os.environ,
        REQUESTS_FILE_VARIABLE: str(requests_file),
        # The plugin is imported by its dotted name from this repository.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    with open(workdir / "proxy.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    try:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"proxy.py did not start: {(workdir / 'proxy.log').read_text()[-2000:]}")
            time.sleep(0.02)  # polling for the port file, under the deadline above
        scheme = "https" if tls_ca is not None else "http"
        yield ForwardProxy(
            f"{scheme}://127.0.0.1:{port_file.read_text().strip()}",
            basic_auth,
            workdir / "proxy.log",
            requests_file,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class SocksProxy:
    """A running SOCKS5 proxy (RFC 1928) with username/password login (RFC 1929)."""

    address: str
    """socks5://127.0.0.1:port"""
    logins: list[str] = field(default_factory=list)
    """`user ok` or `user refused`, one per login it was asked."""

    def with_credentials(self, username: str, password: str) -> str:
        scheme, rest = self.address.split("://", 1)
        return f"{scheme}://{quote(username, safe='')}:{quote(password, safe='')}@{rest}"


@contextmanager
def socks5_proxy(username: str, password: str) -> Iterator[SocksProxy]:
    """A SOCKS5 proxy of our own in a thread (proxy.py speaks no SOCKS): CONNECT only, IPv4 or a
    name, after a username/password login; every client is served in a thread of its own."""
    listener = socket.create_server(("127.0.0.1", 0))
    running = SocksProxy(f"socks5://127.0.0.1:{listener.getsockname()[1]}")

    def read(client: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = client.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the client closed")
            data += chunk
        return data

    def pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def serve(client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):
            _, count = read(client, 2)
            if 2 not in read(client, count):  # 2: username/password
                client.sendall(b"\x05\xff")
                return
            client.sendall(b"\x05\x02")
            _, size = read(client, 2)
            user = read(client, size).decode()
            secret = read(client, read(client, 1)[0]).decode()
            accepted = (user, secret) == (username, password)
            running.logins.append(f"{user} {'ok' if accepted else 'refused'}")
            client.sendall(b"\x01\x00" if accepted else b"\x01\x01")
            if not accepted:
                return
            _, _, _, address_type = read(client, 4)
            if address_type == 1:
                host = socket.inet_ntoa(read(client, 4))
            else:
                host = read(client, read(client, 1)[0]).decode()
            port = int.from_bytes(read(client, 2), "big")
            with socket.create_connection((host, port)) as upstream:
                client.sendall(b"\x05\x00\x00\x01" + bytes(6))  # bound address: unused by clients
                back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
                back.start()
                pipe(client, upstream)
                back.join()

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listener closed: the proxy is stopping
            while True:
                client, _ = listener.accept()
                threading.Thread(target=serve, args=(client,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield running
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        listener.close()
        acceptor.join(timeout=10)
