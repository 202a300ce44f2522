"""A real forward proxy (proxy.py from PyPI) in a subprocess: plain http:// (CONNECT) or https://."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trustme


@contextmanager
def forward_proxy(workdir: Path, *, tls_ca: trustme.CA | None = None) -> Iterator[str]:
    """Runs proxy.py on 127.0.0.1 and yields its URL; with `tls_ca`, clients reach it over TLS
    (an https:// proxy) with a certificate from that CA. The access log is `workdir/proxy.log`."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "port"
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
    ]
    if tls_ca is not None:
        certificate = tls_ca.issue_cert("127.0.0.1")
        certificate.cert_chain_pems[0].write_to_path(str(workdir / "cert.pem"))
        certificate.private_key_pem.write_to_path(str(workdir / "key.pem"))
        command += ["--cert-file", str(workdir / "cert.pem"), "--key-file", str(workdir / "key.pem")]
    with open(workdir / "proxy.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"proxy.py did not start: {(workdir / 'proxy.log').read_text()[-2000:]}")
            time.sleep(0.02)
        scheme = "https" if tls_ca is not None else "http"
        yield f"{scheme}://127.0.0.1:{port_file.read_text().strip()}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
