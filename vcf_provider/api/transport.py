"""Connections to SDDC Manager: one pool per manager and TLS setting, and one deadline per attempt.

A provider process serves many resources (four calls at a time), so connections are pooled for the
life of the process: N tokens for one manager cost one TLS handshake per concurrent call, not N.
Nothing but the TLS connection is kept between calls: no header, body or token.
"""

from __future__ import annotations

import atexit
import hashlib
import math
import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from vcf_provider.api import attempt as _attempts
from vcf_provider.api import deadline as _deadline
from vcf_provider.api import proxies
from vcf_provider.api.attempt import DeadlinePool, DeadlineSocket
from vcf_provider.api.failures import FailureKind
from vcf_provider.api.proxies import Proxy
from vcf_provider.api.settings import read_ca_bundle

#: The most a body is read; an access token is under 2 KB, an `Error` under a few KB.
MAX_BODY_BYTES = 64 * 1024
#: The engine calls a dynamic provider from 4 threads; more connections per manager never help.
POOL_SIZE = 4


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read whole (up to MAX_BODY_BYTES) within the attempt's deadline."""

    method: str
    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    truncated: bool

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def text(self) -> str:
        """The body decoded with the charset its Content-Type declares; without one, as JSON
        would be read (UTF-8, or UTF-16/32 by its first bytes). Undecodable bytes become U+FFFD."""
        import json
        from email.message import Message

        header = Message()
        header["content-type"] = self.content_type or "application/octet-stream"
        charset = header.get_content_charset() or json.detect_encoding(self.body)
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class NetworkFailure(Exception):
    """An attempt that got no usable answer. `str()` is a short, clean reason."""

    def __init__(self, kind: FailureKind | str, detail: str, *, may_have_reached_server: bool) -> None:
        super().__init__(detail)
        self.kind = FailureKind(kind)
        """Why the attempt failed (`vcf_provider.api.failures`)."""
        self.detail = detail
        self.may_have_reached_server = may_have_reached_server
        """False only when the request cannot have been sent (no connection, failed handshake)."""


# -- TLS contexts and pools ----------------------------------------------------------------------
def _tls_context(verify: bool, ca_pem: str | None) -> ssl.SSLContext:
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca_pem is not None:
        context = ssl.create_default_context(cadata=ca_pem)
    else:
        context = ssl.create_default_context()
        if not context.cert_store_stats().get("x509_ca"):
            import certifi  # a minimal container may have no system CAs; requests' bundle is there

            context.load_verify_locations(certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.sslsocket_class = DeadlineSocket
    return context


def requests_tls_context(verify: bool | str) -> ssl.SSLContext:
    """A TLS context with our deadline sockets for a requests session (`verify` as requests takes
    it), trusting what requests would: nothing checked, the CA file or folder, or certifi's CAs."""
    if verify is False:
        return _tls_context(False, None)
    import certifi

    context = ssl.create_default_context()
    if verify is True:
        context.load_verify_locations(certifi.where())
    elif os.path.isdir(verify):
        context.load_verify_locations(capath=verify)
    else:
        context.load_verify_locations(cafile=verify)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.sslsocket_class = DeadlineSocket
    return context


class UnverifiedPool(DeadlinePool):
    """The pool for `verify=False`: as urllib3's, without its InsecureRequestWarning per request.

    Our client warns once per manager itself. Overriding `_validate_conn` (urllib3 2.x) keeps the
    silence to our own connections, where a warnings filter would silence a user's app too; the
    canary `tests/unit/test_upstream_canaries.py` says when urllib3 changes it.
    """

    def _validate_conn(self, conn: Any) -> None:
        urllib3.HTTPConnectionPool._validate_conn(self, conn)
        if getattr(conn, "is_closed", False):
            conn.connect()  # what urllib3's own does: connect now, so TLS errors surface here


def _proxy_tls_context(ca_pem: str | None) -> ssl.SSLContext:
    """Trust for an https:// proxy: the system's CAs, plus the manager's CA (a lab often signs both)."""
    context = _tls_context(True, None)
    if ca_pem is not None:
        context.load_verify_locations(cadata=ca_pem)
    return context


@dataclass(frozen=True)
class _PoolKey:
    scheme_host_port: tuple[str, str, int]
    verify: bool
    ca_sha256: str | None
    proxy: Proxy | None


_pools: dict[_PoolKey, urllib3.HTTPSConnectionPool] = {}
_managers: list[urllib3.PoolManager] = []
_pools_lock = threading.Lock()


def connection_pool(base_url: str, verify: bool, ca_bundle: str | None) -> urllib3.HTTPSConnectionPool:
    """The pool for one manager and TLS setting; made on first use, shared by every thread after."""
    parts = urllib3.util.parse_url(base_url)
    host, port = parts.host or "", parts.port or 443
    ca_pem = read_ca_bundle(ca_bundle) if verify and ca_bundle else None
    # The environment's proxy variables only: no .netrc, no REQUESTS_CA_BUNDLE replacing ca_bundle.
    proxy = proxies.proxy_for(base_url)
    key = _PoolKey(
        ("https", host, port),
        verify,
        hashlib.sha256(ca_pem.strip().encode()).hexdigest() if ca_pem else None,
        proxy,
    )
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            options: dict[str, Any] = {
                "maxsize": POOL_SIZE,
                "block": False,
                "ssl_context": _tls_context(verify, ca_pem),
                "cert_reqs": "CERT_REQUIRED" if verify else "CERT_NONE",
                "retries": False,
            }
            if proxy is not None:
                manager = _proxy_manager(proxy, verify, ca_pem, options)
                _managers.append(manager)
                pool = manager.connection_from_host(host.strip("[]"), port, "https")  # type: ignore[assignment]
                assert pool is not None
            else:
                pool_class = DeadlinePool if verify else UnverifiedPool
                pool = pool_class(host.strip("[]"), port, **options)
            _pools[key] = pool
        return pool


def _proxy_manager(
    proxy: Proxy, verify: bool, ca_pem: str | None, options: dict[str, Any]
) -> urllib3.PoolManager:
    """A manager for one proxy. urllib3 gets the URL without credentials; they travel only as the
    CONNECT's Proxy-Authorization (or the SOCKS login), so no urllib3 object or message shows them."""
    unverified: type[urllib3.HTTPSConnectionPool] = UnverifiedPool
    manager: urllib3.PoolManager
    if proxy.is_socks:
        from urllib3.contrib.socks import SOCKSHTTPSConnection, SOCKSProxyManager

        manager = SOCKSProxyManager(
            proxy.url, username=proxy.username, password=proxy.password, num_pools=1, **options
        )
        unverified = type("UnverifiedSocksPool", (UnverifiedPool,), {"ConnectionCls": SOCKSHTTPSConnection})
    else:
        if proxy.scheme == "https":
            # TLS to the proxy, and the manager's TLS inside it: the outer socket is ours, so
            # the deadline holds; the request counts as sent from the CONNECT on (README).
            options = {**options, "proxy_ssl_context": _proxy_tls_context(ca_pem)}
        manager = urllib3.ProxyManager(proxy.url, num_pools=1, proxy_headers=proxy.headers(), **options)
    if not verify:
        manager.pool_classes_by_scheme = {**manager.pool_classes_by_scheme, "https": unverified}
    elif not proxy.is_socks:
        # The TCP connect to the proxy waits in slices too (a cancel is seen while it hangs).
        manager.pool_classes_by_scheme = {**manager.pool_classes_by_scheme, "https": DeadlinePool}
    return manager


@atexit.register
def close_pools() -> None:
    """Closes every pooled connection (at exit, and in tests that count connections)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        for manager in _managers:
            manager.clear()
        _pools.clear()
        _managers.clear()


# -- one attempt -----------------------------------------------------------------------------------
def send(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None,
    headers: Mapping[str, str],
    *,
    verify: bool,
    ca_bundle: str | None,
    timeout_seconds: float,
    finish_once_sent: bool = False,
    shielded: bool = False,
) -> Answer:
    """One attempt of one request, over with an answer or a NetworkFailure within `timeout_seconds`
    (or the caller's deadline, `vcf_provider.api.deadline.current()`, when that comes first):
    connect, TLS handshake, sending and the whole answer share that one deadline.

    A cancel ends the attempt within a quarter second, except once a `finish_once_sent` request is
    sent (its answer is awaited within the deadline) and for a `shielded` one."""
    pool = connection_pool(base_url, verify, ca_bundle)
    prefix = urllib3.util.parse_url(base_url).path or ""
    url = base_url + path
    left = math.inf if shielded else _deadline.current().remaining()
    cut_by_caller = left < timeout_seconds
    timeout_seconds = min(timeout_seconds, left)
    if timeout_seconds <= 0:
        raise NetworkFailure("timeout", "the operation's deadline passed", may_have_reached_server=False)
    _attempts.begin(
        timeout_seconds, finish_once_sent=finish_once_sent, shielded=shielded, cut_by_caller=cut_by_caller
    )
    response = None
    try:
        response = pool.urlopen(
            method,
            prefix + path,
            body=body,
            headers=dict(headers),
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
            preload_content=False,
        )
        data = response.read(MAX_BODY_BYTES + 1, decode_content=True) or b""
        truncated = len(data) > MAX_BODY_BYTES
        if truncated:
            response.close()  # the rest is never read, so this connection cannot be reused
        return Answer(
            method=method,
            url=url,
            status=response.status,
            reason=response.reason or "",
            headers={name.lower(): value for name, value in response.headers.items()},
            body=data[:MAX_BODY_BYTES],
            truncated=truncated,
        )
    except (urllib3.exceptions.HTTPError, OSError) as error:
        if response is not None:
            response.close()
        raise _classify(error, timeout_seconds, proxies.proxy_for(base_url)) from None
    finally:
        if response is not None:
            response.release_conn()
        _attempts.end()


def _classify(error: BaseException, timeout_seconds: float, proxy: Proxy | None = None) -> NetworkFailure:
    """Turns urllib3's and ssl's exceptions into a kind and a one-line reason a person can read."""
    sent = _attempts.current.sent
    if _attempts.current.stopped_by_shutdown:
        return NetworkFailure(
            "shutdown", "the provider was stopped (the CLI was interrupted)", may_have_reached_server=sent
        )
    if isinstance(error, NameResolutionError):
        return NetworkFailure("dns", "the host name does not resolve (DNS)", may_have_reached_server=False)
    if isinstance(error, NewConnectionError) and proxy is not None and proxy.is_socks:
        # Every PySocks failure, a refused login included, arrives as a failed new connection.
        return _proxy_failure(proxy, _os_reason(error), sent=False)
    if isinstance(error, NewConnectionError):
        return NetworkFailure(
            "refused", _os_reason(error) or "the connection failed", may_have_reached_server=False
        )
    # After NewConnectionError, which subclasses it for history's sake.
    if isinstance(error, ConnectTimeoutError):
        return NetworkFailure(
            "connect-timeout", f"no connection within {timeout_seconds:.3g} s", may_have_reached_server=False
        )
    if isinstance(error, ProxyError):
        return _proxy_failure(proxy, _os_reason(error), sent)
    # The deadline socket's TimeoutError may arrive wrapped (in a ProtocolError or an SSLError).
    if isinstance(error, (ReadTimeoutError, TimeoutError)) or isinstance(_innermost(error), TimeoutError):
        return NetworkFailure(
            "timeout" if sent else "connect-timeout",
            f"no complete answer within the {timeout_seconds:.2g} s the operation had left"
            if _attempts.current.cut_by_caller
            else f"no complete answer within {timeout_seconds:.3g} s",
            may_have_reached_server=sent,
        )
    # A certificate is checked in the handshake, before the request: through an https:// proxy the
    # CONNECT already counts as sent, yet a verify failure is still a TLS problem, never a retry.
    if isinstance(error, SSLError) and (
        not sent or isinstance(_innermost(error), ssl.SSLCertVerificationError)
    ):
        return _tls_failure(error)
    if isinstance(error, (ProtocolError, SSLError, OSError, urllib3.exceptions.HTTPError)):
        reason = _os_reason(error) or "the connection closed"
        return NetworkFailure("dropped", f"the connection broke: {reason}", may_have_reached_server=sent)
    return NetworkFailure("dropped", type(error).__name__, may_have_reached_server=sent)


def _proxy_failure(proxy: Proxy | None, reason: str, sent: bool) -> NetworkFailure:
    if proxy is not None and proxies.asks_for_credentials(reason):
        # The proxy itself refused, before any byte went to the manager.
        return NetworkFailure("proxy-auth", proxies.credentials_refused(proxy), may_have_reached_server=False)
    shown = proxy.url if proxy else "the HTTPS proxy"
    return NetworkFailure("proxy", f"the proxy {shown} failed: {reason}", may_have_reached_server=sent)


def _innermost(error: BaseException) -> BaseException:
    seen = error
    for _ in range(10):
        nested = next((a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)), None)
        nested = nested or seen.__cause__ or seen.__context__
        if nested is None:
            break
        seen = nested
    return seen


def _os_reason(error: BaseException) -> str:
    """`Connection refused`, `Connection reset by peer`: the OS's words without wrapper text."""
    inner = _innermost(error)
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror
    text = str(inner)
    # urllib3 prefixes its connection object's repr: keep what follows it.
    return text.split(">: ", 1)[-1].strip()


#: OpenSSL's X509_V_ERR_CERT_NOT_YET_VALID and X509_V_ERR_CERT_HAS_EXPIRED.
_CERT_NOT_YET_VALID = 9
_CERT_EXPIRED = 10


def _tls_failure(error: BaseException) -> NetworkFailure:
    inner = _innermost(error)
    if isinstance(inner, ssl.SSLCertVerificationError):
        message = (inner.verify_message or "certificate verify failed").rstrip(".")
        lowered = message.lower()
        if inner.verify_code in (_CERT_EXPIRED, _CERT_NOT_YET_VALID) or "expired" in lowered:
            return NetworkFailure(
                "tls-expired", f"certificate verify failed: {message}", may_have_reached_server=False
            )
        if "hostname" in lowered or "ip address mismatch" in lowered:
            return NetworkFailure(
                "tls-hostname", f"certificate verify failed: {message}", may_have_reached_server=False
            )
        return NetworkFailure(
            "tls-verify", f"certificate verify failed: {message}", may_have_reached_server=False
        )
    reason = getattr(inner, "reason", None) or ""
    if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG"):
        return NetworkFailure(
            "plain-http", "the server answered in plain HTTP, not TLS", may_have_reached_server=False
        )
    text = reason or _os_reason(error) or "the TLS handshake failed"
    return NetworkFailure("tls", f"the TLS handshake failed: {text}", may_have_reached_server=False)
