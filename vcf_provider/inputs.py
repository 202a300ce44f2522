"""The resource's input properties: names, defaults, and the checks that run at preview (no network)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

if TYPE_CHECKING:
    from vcf_provider.client import ConnectionSettings

#: The stack config namespace of every `vcf:*` setting.
CONFIG_NAMESPACE = "vcf"

HOST = "host"
REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a property name
CA_BUNDLE = "ca_bundle"
ALLOW_UNVERIFIED_TLS = "allow_unverified_tls"
TIMEOUT_SECONDS = "timeout_seconds"
MAX_RETRIES = "max_retries"
RENEW_BEFORE_SECONDS = "renew_before_seconds"
TRIGGERS = "triggers"
ROTATE_AFTER_SECONDS = "rotate_after_seconds"

DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_RENEW_BEFORE_SECONDS = 300
#: 20 h: under the 24 h a refresh token is reported to live, so a daily `pulumi up` finds it working.
DEFAULT_ROTATE_AFTER_SECONDS = 72_000
MAX_RENEW_BEFORE_SECONDS = 86_400
MAX_TIMEOUT_SECONDS = 3_600
MAX_MAX_RETRIES = 100

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def is_unknown(value: Any) -> bool:
    """True for a value the engine will only know after an earlier resource is created.

    The SDK hands these over as its sentinel string, or (inside secrets) as `Unknown` objects.
    """
    return (isinstance(value, str) and value == UNKNOWN) or isinstance(value, Unknown)


def base_url(host: str) -> str:
    """Turns `host` (FQDN, host:port, or https:// URL) into `https://host[:port][/prefix]`.

    Raises ValueError with a message that says what is wrong and what to write instead.
    """
    text = host.strip()
    if not text:
        raise ValueError("host is empty: set it to SDDC Manager's FQDN, e.g. sddc-manager.example.com")
    if "://" not in text and _is_bare_ipv6(text):
        text = f"[{text}]"  # `::1` means the address, not host `:` and port 1
    if "://" not in text:
        if text.startswith("/") or "/" in text.split("]")[-1].split(":")[0]:
            raise ValueError(f"host {host!r} is not a host name: write sddc-manager.example.com[:port]")
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        raise ValueError(
            f"host uses {parts.scheme}://, but only https:// is allowed: the refresh token must never "
            "travel in clear text. Write the host name alone or an https:// URL."
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError("host must not hold credentials (user:password@): pass the refresh token instead")
    if parts.query or parts.fragment:
        raise ValueError("host must not have a query (?...) or fragment (#...): write https://host[:port]")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"host {host!r} has a port that is not a number from 1 to 65535") from None
    name = _ascii_host(parts.hostname or "")
    if not _is_host_name(name):
        raise ValueError(
            f"host {host!r} does not name a valid host: write sddc-manager.example.com[:port] "
            "(an internationalized name may be given as is or in its punycode xn-- form)"
        )
    # One spelling per manager (lower case, no default port, no trailing slash), so that spelling
    # `host` differently is no change to diff.
    name = name.lower().rstrip(".")
    netloc = f"[{name}]" if ":" in name else name
    if port is not None:
        if port == 0:
            raise ValueError(f"host {host!r} has port 0: use a port from 1 to 65535")
        if port != 443:
            netloc += f":{port}"
    return f"https://{netloc}{parts.path.rstrip('/')}"


def same_host(old: Any, new: Any) -> bool:
    """True when two `host` values name the same manager however they are spelled."""
    if old == new:
        return True
    if not isinstance(old, str) or not isinstance(new, str):
        return False
    try:
        return base_url(old) == base_url(new)
    except ValueError:
        return False


def _ascii_host(name: str) -> str:
    """An internationalized name in its punycode (xn--) form, which DNS and certificates use."""
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name  # not a valid IDN: the host check names the problem


def _is_bare_ipv6(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _is_host_name(name: str) -> bool:
    import ipaddress  # only checks need it; keeps `import vcf_provider` light for every program

    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    labels = name.rstrip(".").split(".")
    return len(name) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


@dataclass(frozen=True)
class _Number:
    name: str
    default: float
    minimum: float
    maximum: float
    integer: bool
    fix: str


_NUMBERS = (
    _Number(
        TIMEOUT_SECONDS,
        DEFAULT_TIMEOUT_SECONDS,
        0,
        MAX_TIMEOUT_SECONDS,
        False,
        "use a value above 0, e.g. 30",
    ),
    _Number(
        MAX_RETRIES, DEFAULT_MAX_RETRIES, 0, MAX_MAX_RETRIES, True, "use a whole number from 0 to 100, e.g. 3"
    ),
    _Number(
        RENEW_BEFORE_SECONDS,
        DEFAULT_RENEW_BEFORE_SECONDS,
        0,
        MAX_RENEW_BEFORE_SECONDS,
        False,
        "use a number of seconds from 0 to 86400, e.g. 300",
    ),
    _Number(
        ROTATE_AFTER_SECONDS,
        DEFAULT_ROTATE_AFTER_SECONDS,
        0,
        math.inf,
        False,
        "use a number of seconds, e.g. 72000 (20 h), or 0 to never rotate",
    ),
)


def check_connection(news: Mapping[str, Any]) -> list[CheckFailure]:
    """Problems with the inputs every token resource shares: host, TLS, timeout, retries, triggers."""
    failures: list[CheckFailure] = []
    host = news.get(HOST)
    if not is_unknown(host):
        if not isinstance(host, str) or not host.strip():
            failures.append(
                CheckFailure(
                    HOST,
                    "host is missing: pass host=..., or set stack config vcf:host or the VCF_HOST "
                    "environment variable to SDDC Manager's FQDN",
                )
            )
        else:
            try:
                base_url(host)
            except ValueError as error:
                failures.append(CheckFailure(HOST, str(error)))

    ca_bundle = news.get(CA_BUNDLE)
    if ca_bundle is not None and not is_unknown(ca_bundle):
        problem = _ca_bundle_problem(ca_bundle)
        if problem:
            failures.append(CheckFailure(CA_BUNDLE, problem))

    allow = news.get(ALLOW_UNVERIFIED_TLS)
    if allow is not None and not is_unknown(allow) and not isinstance(allow, bool):
        failures.append(CheckFailure(ALLOW_UNVERIFIED_TLS, "allow_unverified_tls must be true or false"))

    for number in _NUMBERS:
        value = news.get(number.name)
        if value is None or is_unknown(value):
            continue
        problem = _number_problem(number, value)
        if problem:
            failures.append(CheckFailure(number.name, f"{number.name} {problem}: {number.fix}"))

    triggers = news.get(TRIGGERS)
    if triggers is not None and not is_unknown(triggers) and not isinstance(triggers, (dict, list, str)):
        failures.append(CheckFailure(TRIGGERS, "triggers must be a map, a list or a string"))
    return failures


def _ca_bundle_problem(ca_bundle: Any) -> str | None:
    if not isinstance(ca_bundle, str) or not ca_bundle:
        return "ca_bundle must be the path of a PEM file of CA certificates, or the PEM text itself"
    if "-----BEGIN" not in ca_bundle:
        if not os.path.isfile(ca_bundle):
            return (
                f"ca_bundle file {ca_bundle!r} does not exist (relative to {os.getcwd()}): point it at a "
                "PEM file holding the CA that signed SDDC Manager's certificate, or give the PEM text"
            )
        if not os.access(ca_bundle, os.R_OK):
            return f"ca_bundle file {ca_bundle!r} is not readable"
    from vcf_provider.transport import CaBundleError, read_ca_bundle

    try:
        read_ca_bundle(ca_bundle)
    except CaBundleError as error:
        return str(error)
    return None


def check(news: Mapping[str, Any]) -> list[CheckFailure]:
    """Every problem with RefreshedAccessToken's inputs, each naming the property and the fix.

    Unknown values (known only after an earlier resource is created) pass.
    """
    failures = check_connection(news)
    refresh_token = news.get(REFRESH_TOKEN)
    if not is_unknown(refresh_token) and (not isinstance(refresh_token, str) or not refresh_token.strip()):
        # No property name: the engine prints the named property's value, and this one is a secret.
        failures.append(
            CheckFailure(
                "",
                "refresh_token is empty: pass refresh_token=..., or set it with "
                "`pulumi config set --secret vcf:refreshToken <id>` or the VCF_REFRESH_TOKEN "
                "environment variable (the refreshToken.id from POST /v1/tokens)",
            )
        )
    elif isinstance(refresh_token, str) and refresh_token != refresh_token.strip():
        failures.append(
            CheckFailure("", "refresh_token has leading or trailing white space: remove it from the value")
        )
    return failures


def _number_problem(number: _Number, value: Any) -> str | None:
    if isinstance(value, str):
        return f"is the text {value[:20]!r}, not a number: write it without quotes"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"is {type(value).__name__}, not a number"
    if not math.isfinite(value):
        return f"is {value}: it must be a finite number"
    if number.integer and value != int(value):
        return "is not a whole number"
    if number.name == TIMEOUT_SECONDS and value <= 0:
        return "must be above 0"
    if value < number.minimum:
        return f"must not be below {number.minimum:g}"
    if value > number.maximum:
        return f"must not be above {number.maximum:g}"
    return None


def number(props: Mapping[str, Any], name: str) -> float:
    """A numeric input, or its default when unset (numbers arrive from the engine as floats)."""
    value = props.get(name)
    default = next(n.default for n in _NUMBERS if n.name == name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def connection_settings(props: Mapping[str, Any], ca_bundle: str | None = None) -> ConnectionSettings:
    """The client settings for checked inputs; `ca_bundle` overrides the stored one when given."""
    # Imported here: the program process never needs the HTTP stack, only the provider does.
    from vcf_provider.client import ConnectionSettings

    stored = props.get(CA_BUNDLE)
    return ConnectionSettings(
        base_url=base_url(str(props[HOST])),
        verify=props.get(ALLOW_UNVERIFIED_TLS) is not True,
        ca_bundle=ca_bundle or (str(stored) if stored else None),
        timeout_seconds=number(props, TIMEOUT_SECONDS),
        max_retries=int(number(props, MAX_RETRIES)),
    )


def missing_ca_file(ca_bundle: str) -> bool:
    """True when `ca_bundle` is a path (not PEM text) with no file there on this machine."""
    return "-----BEGIN" not in ca_bundle and not os.path.isfile(os.path.expanduser(ca_bundle))
