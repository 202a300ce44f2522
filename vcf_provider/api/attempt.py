"""One attempt's deadline on the socket: connect, TLS handshake, every read and write, in short slices.

A socket timeout bounds one blocking call; a server that trickles its answer a byte at a time
resets it forever, and a blocking connect or handshake cannot see a cancel. Here each of them waits
at most until the attempt's deadline, in slices of POLL_SECONDS, and looks at the process's cancel
signal (`vcf_provider.api.deadline`) between slices. The state of the attempt in progress is
thread-local: the engine calls a provider from several threads at once.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import select
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from vcf_provider.api import deadline as _deadline

#: How often a blocked call looks at its deadline and at the process being cancelled.
POLL_SECONDS = 0.25
#: Stands for "no deadline" in `bounded`: about 11 days.
_NO_DEADLINE_SECONDS = 1e6


class _Attempt(threading.local):
    deadline: float | None = None
    sent: bool = False
    stopped_by_shutdown: bool = False
    finish_once_sent: bool = False
    """A cancel ends the attempt only until the request is sent (a login: its answer is awaited)."""
    shielded: bool = False
    """A cancel does not end the attempt at all (the revoke that cleans up after a cancel)."""
    cut_by_caller: bool = False
    """The caller's deadline, not `timeout_seconds`, bounds this attempt."""
    told_waiting: bool = False
    """The user was told that a cancelled login's answer is awaited."""


current = _Attempt()


class ShutdownError(TimeoutError):
    """The provider process is exiting (the CLI was interrupted): give up the attempt now."""


def remaining() -> float | None:
    """Seconds left in this thread's attempt (None outside one); raises once it is over."""
    at = current.deadline
    if at is None:
        return None
    if _deadline.cancelled() and not current.shielded:
        if not (current.finish_once_sent and current.sent):
            # The process is exiting: in-flight calls must not keep it alive until their deadline.
            current.stopped_by_shutdown = True
            raise ShutdownError("the provider is shutting down")
        _tell_waiting_for_login(at - time.monotonic())
    left = at - time.monotonic()
    if left <= 0:
        raise TimeoutError("the attempt's deadline passed")
    return left


def _tell_waiting_for_login(seconds: float) -> None:
    """Once per attempt: why a cancelled `pulumi up` is still busy (the engine shows our stderr)."""
    if current.told_waiting:
        return
    current.told_waiting = True
    print(
        f"cancel received: waiting up to {max(seconds, 0):.0f} s for SDDC Manager's answer to the "
        "login already sent, so that the token pair it creates can be revoked (a second Ctrl-C stops "
        "at once, and may leave that refresh token live until it expires)",
        file=sys.stderr,
        flush=True,
    )


def begin(timeout_seconds: float, *, finish_once_sent: bool, shielded: bool, cut_by_caller: bool) -> None:
    """Starts this thread's attempt: it ends `timeout_seconds` from now."""
    current.deadline = time.monotonic() + timeout_seconds
    current.sent = current.stopped_by_shutdown = current.told_waiting = False
    current.finish_once_sent, current.shielded = finish_once_sent, shielded
    current.cut_by_caller = cut_by_caller


def end() -> None:
    current.deadline = None


class DeadlineSocket(ssl.SSLSocket):
    """A TLS socket whose handshake, reads and writes end by the current attempt's deadline.

    Outside an attempt (a body that requests reads after our adapter returned) it keeps the
    timeout its caller set, not the last slice of ours.
    """

    def settimeout(self, value: float | None) -> None:
        self._vcf_caller_timeout = value
        super().settimeout(value)

    def _slice(self) -> bool:
        """Sets the next slice's timeout; False outside an attempt (the caller's timeout is back)."""
        left = remaining()
        if left is None:
            if "_vcf_caller_timeout" in self.__dict__:
                ssl.SSLSocket.settimeout(self, self._vcf_caller_timeout)
            return False
        if "_vcf_caller_timeout" not in self.__dict__:
            self._vcf_caller_timeout = self.gettimeout()
        ssl.SSLSocket.settimeout(self, min(left, POLL_SECONDS))
        return True

    def do_handshake(self, block: bool = False) -> None:
        while True:
            if not self._slice():
                return super().do_handshake(block)
            try:
                return super().do_handshake(block)
            except TimeoutError:
                continue  # the handshake resumes where it stopped: look at the deadline again

    def sendall(self, data: Any, flags: int = 0) -> None:
        current.sent = True  # from here on the server may have the request
        left = remaining()
        if left is not None:
            ssl.SSLSocket.settimeout(self, left)
        super().sendall(data, flags)

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        # urllib3's SSLTransport (TLS to the manager inside TLS to an https:// proxy) reads this way.
        while True:
            if not self._slice():
                return super().recv(buflen, flags)
            try:
                return super().recv(buflen, flags)
            except TimeoutError:
                continue

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        while True:
            if not self._slice():
                return super().recv_into(buffer, nbytes, flags)
            try:
                return super().recv_into(buffer, nbytes, flags)
            except TimeoutError:
                continue  # nothing was consumed: look at the deadline again


def _connect(address: tuple[str, int], timeout: float | None, options: Any, source: Any) -> socket.socket:
    """A TCP connection that waits in slices (a silent firewall would hold a blocking connect)."""
    host, port = address
    last: OSError | None = None
    for family, kind, proto, _name, where in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            for option in options or ():
                sock.setsockopt(*option)
            if source:
                sock.bind(source)
            sock.setblocking(False)
            code = sock.connect_ex(where)
            until = time.monotonic() + (timeout if timeout is not None else math.inf)
            while code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                left = min(remaining() or math.inf, until - time.monotonic())
                if left <= 0:
                    raise TimeoutError("connect timed out")
                _, writable, _ = select.select([], [sock], [], min(left, POLL_SECONDS))
                if writable:
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
            sock.settimeout(timeout)
            return sock
        except TimeoutError:
            sock.close()
            raise  # the deadline or a cancel: no other address is tried
        except OSError as error:
            sock.close()
            last = error
    raise last or OSError("getaddrinfo returned no address")


class DeadlineConnection(urllib3.connection.HTTPSConnection):
    """urllib3's connection, with the TCP connect in slices under the attempt's deadline."""

    def _new_conn(self) -> socket.socket:
        if current.deadline is None:
            return super()._new_conn()
        try:
            address = (self._dns_host, self.port)
            return _connect(address, self.timeout, self.socket_options, self.source_address)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        except TimeoutError as error:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from error
        except OSError as error:
            raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error


class DeadlinePool(urllib3.HTTPSConnectionPool):
    """A pool whose connections connect under the attempt's deadline."""

    ConnectionCls = DeadlineConnection


@dataclass
class Bounded:
    """What `bounded` saw of the request it ran."""

    cancelled: bool = False


@contextlib.contextmanager
def bounded(timeout_seconds: float | None) -> Iterator[Bounded]:
    """Runs one request of another client (a requests session on `requests_tls_context`) under
    the attempt rules: it ends by `timeout_seconds` (None: the caller's deadline alone) and within
    a quarter second of a cancel, as our own attempts do."""
    seconds = min(timeout_seconds or math.inf, _deadline.current().remaining())
    saved = (current.deadline, current.sent, current.stopped_by_shutdown)
    saved_modes = (current.finish_once_sent, current.shielded)
    # A deadline far away still makes the sockets look at the cancel signal between slices.
    current.deadline = time.monotonic() + min(seconds, _NO_DEADLINE_SECONDS)
    current.sent = current.stopped_by_shutdown = False
    current.finish_once_sent = current.shielded = False
    seen = Bounded()
    try:
        yield seen
    finally:
        seen.cancelled = current.stopped_by_shutdown
        current.deadline, current.sent, current.stopped_by_shutdown = saved
        current.finish_once_sent, current.shielded = saved_modes
