"""The kinds of network failure an attempt can end in, named once for the transport, retries and hints."""

from __future__ import annotations

from enum import Enum


class FailureKind(str, Enum):
    """Why an attempt got no usable answer. A `str` enum: `kind == "timeout"` reads as it did."""

    REFUSED = "refused"
    """No connection: refused, unreachable network or host."""
    DNS = "dns"
    """The host name does not resolve."""
    CONNECT_TIMEOUT = "connect-timeout"
    """No connection (or no TLS handshake) within the deadline: nothing was sent."""
    TIMEOUT = "timeout"
    """Sent, but no complete answer within the deadline."""
    DROPPED = "dropped"
    """The connection broke."""
    TLS_VERIFY = "tls-verify"
    """The certificate is not trusted."""
    TLS_HOSTNAME = "tls-hostname"
    """The certificate names another host."""
    TLS_EXPIRED = "tls-expired"
    """The certificate is outside its validity period."""
    PLAIN_HTTP = "plain-http"
    """Something on that port speaks plain HTTP."""
    TLS = "tls"
    """Another TLS handshake failure."""
    PROXY = "proxy"
    """The HTTPS proxy failed."""
    PROXY_AUTH = "proxy-auth"
    """The HTTPS proxy asked for credentials (407) it was not given, or refused them."""
    SHUTDOWN = "shutdown"
    """The process was cancelled (the CLI was interrupted)."""

    def __str__(self) -> str:
        return self.value


#: Failures that another attempt cannot fix.
PERMANENT = frozenset(
    {
        FailureKind.TLS_VERIFY,
        FailureKind.TLS_HOSTNAME,
        FailureKind.TLS_EXPIRED,
        FailureKind.PLAIN_HTTP,
        FailureKind.PROXY_AUTH,
        FailureKind.SHUTDOWN,
    }
)
