"""Which proxy reaches a manager (HTTPS_PROXY, ALL_PROXY, NO_PROXY) and with which credentials."""

from __future__ import annotations

import base64
import importlib.util
import os
import re
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import unquote

import urllib3
from urllib3.exceptions import LocationParseError

#: Proxies urllib3 reaches with CONNECT (over TLS for https://).
HTTP_SCHEMES = ("http", "https")
#: Proxies urllib3.contrib.socks reaches, when PySocks is installed.
SOCKS_SCHEMES = ("socks4", "socks4a", "socks5", "socks5h")
_DEFAULT_PORTS = {"http": 80, "https": 443, **dict.fromkeys(SOCKS_SCHEMES, 1080)}
#: A proxy that wants other credentials: http.client's line for a 407 to CONNECT, and PySocks' two.
_PROXY_AUTH_REQUIRED = re.compile(
    r"Tunnel connection failed: 407|authentication (failed|methods were rejected)", re.IGNORECASE
)


class ProxySettingError(ValueError):
    """A proxy variable that cannot be used: one line that names the variable and the fix."""


@dataclass(frozen=True)
class Proxy:
    """The proxy for one manager. Neither `url` nor the repr holds the credentials."""

    url: str
    """scheme://host:port without user:password@: what urllib3 is given and what messages show."""
    variable: str
    """Where it was set (HTTPS_PROXY, https_proxy, ALL_PROXY, ...), for messages."""
    username: str | None = field(default=None, repr=False)
    """Percent-decoded from the URL, as requests decodes it (`p%40ss` is `p@ss`)."""
    password: str | None = field(default=None, repr=False)
    """Percent-decoded too; empty for `user@proxy`."""

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]

    @property
    def is_socks(self) -> bool:
        return self.scheme in SOCKS_SCHEMES

    @property
    def has_credentials(self) -> bool:
        return self.username is not None

    def headers(self) -> dict[str, str]:
        """The CONNECT request's Proxy-Authorization (Basic), or none without credentials."""
        if self.username is None:
            return {}
        credentials = f"{self.username}:{self.password or ''}"
        try:
            return urllib3.util.make_headers(proxy_basic_auth=credentials)
        except UnicodeEncodeError:
            # requests (Latin-1) fails past Latin-1; RFC 7617 allows UTF-8, and curl sends those bytes.
            token = base64.b64encode(credentials.encode()).decode()
            return {"proxy-authorization": f"Basic {token}"}


def proxy_for(url: str) -> Proxy | None:
    """The proxy for `url` from the environment, or None to go direct (NO_PROXY, or none set).

    The rules of requests: NO_PROXY first, then HTTPS_PROXY, then ALL_PROXY, each lowercase before
    uppercase. Raises ProxySettingError for a value that cannot work, before any connection.
    """
    from requests.utils import should_bypass_proxies

    if should_bypass_proxies(url, no_proxy=None):
        return None
    for key in ("https", "all"):
        found = _variable(key)
        if found is not None:
            return parse_proxy(found[1], found[0])
    return None


def _variable(key: str) -> tuple[str, str] | None:
    lower = f"{key}_proxy"
    if lower in os.environ:
        # urllib, so requests, prefers the lowercase name, and an empty one turns the proxy off.
        value = os.environ[lower]
        return (lower, value) if value.strip() else None
    upper = lower.upper()
    if os.environ.get(upper, "").strip():
        return upper, os.environ[upper]
    # macOS and Windows keep a system proxy outside the environment; requests reads it this way.
    system = urllib.request.getproxies().get(key)
    return (f"the system's {key} proxy setting", system) if system else None


def parse_proxy(value: str, variable: str) -> Proxy:
    """A proxy URL as a Proxy; `host:port` without a scheme is http://, as in requests and curl."""
    text = value.strip()
    if "://" not in text:
        text = f"http://{text}"
    unencoded = ProxySettingError(
        f"{variable} is not a proxy URL, or its user or password holds @ : / # ? or % unencoded: set it "
        "to http://host:port or http://user:password@host:port, with those characters in the user and "
        "password percent-encoded (p@ss is written p%40ss)"
    )
    # An @ after the authority means a user or password was cut by an unencoded / # or ?: what
    # urllib3 would take for the host is then part of the password, so nothing of it is shown.
    if "@" in text.split("://", 1)[1].partition("@")[2] or "@" in text.split("://", 1)[1].split("/", 1)[-1]:
        authority = text.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        if authority.count("@") != 1 or "@" in text.split("://", 1)[1][len(authority) :]:
            raise unencoded
    try:
        parts = urllib3.util.parse_url(text)
    except LocationParseError:
        parts = None
    if parts is None or not parts.host:
        # Not even the host is shown: the value may hold a password in a form we could not split.
        raise unencoded
    scheme = (parts.scheme or "http").lower()
    shown = f"{scheme}://{parts.host}:{parts.port or _DEFAULT_PORTS.get(scheme, 80)}"
    if scheme not in HTTP_SCHEMES and scheme not in SOCKS_SCHEMES:
        raise ProxySettingError(
            f"{variable} is {shown}, and {scheme}:// is not a proxy scheme: use http://host:port "
            "(a proxy that speaks CONNECT), https://host:port, or socks5://host:port"
        )
    if scheme in SOCKS_SCHEMES and not _socks_installed():
        raise ProxySettingError(
            f"{variable} is {shown}, a SOCKS proxy, which needs PySocks: install it beside vcf-provider "
            f"(pip install PySocks), or set {variable} to an http:// proxy"
        )
    username = password = None
    if parts.auth is not None:
        user, _, secret = parts.auth.partition(":")
        username, password = unquote(user), unquote(secret)
    return Proxy(url=shown, variable=variable, username=username, password=password)


def _socks_installed() -> bool:
    # urllib3.contrib.socks warns and raises on import without PySocks: look before importing it.
    return importlib.util.find_spec("socks") is not None


def asks_for_credentials(reason: str) -> bool:
    """True when a proxy failure's reason is a 407 Proxy Authentication Required or a refused SOCKS login."""
    return bool(_PROXY_AUTH_REQUIRED.search(reason))


def credentials_refused(proxy: Proxy) -> str:
    """What that refusal means for this proxy's settings, without the credentials."""
    said = "the SOCKS login was refused" if proxy.is_socks else "HTTP 407 Proxy Authentication Required"
    if proxy.has_credentials:
        return f"the proxy {proxy.url} refused the user and password in {proxy.variable} ({said})"
    return f"the proxy {proxy.url} asks for a user and password, and {proxy.variable} has none ({said})"
