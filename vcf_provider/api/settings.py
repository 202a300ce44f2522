"""How to reach an SDDC Manager, and the rules for it: names, defaults, host parsing, the CA bundle.

A leaf: it imports nothing of this package and nothing of pulumi, so `SddcManagerAuth`, the client
and the policy pack share one set of rules, and `import vcf_provider.downstream.auth` stays light.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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
#: The first retry's delay; it doubles each time (see `vcf_provider.api.retry`).
DEFAULT_BACKOFF_SECONDS = 0.5

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _never_unknown(_value: Any) -> bool:
    return False


def is_pem_text(ca_bundle: str) -> bool:
    """The one rule for `ca_bundle`: PEM text holds a `-----BEGIN` line; anything else is a path."""
    return "-----BEGIN" in ca_bundle


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach one SDDC Manager."""

    base_url: str
    """`https://host[:port][/prefix]`, without a trailing slash."""

    verify: bool = True
    """False skips TLS verification (labs only)."""

    ca_bundle: str | None = None
    """The CAs to trust, as a PEM file's path or PEM text; None trusts the system's CAs."""

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    """The deadline of each attempt: connecting, the TLS handshake, sending and the whole answer."""

    max_retries: int = DEFAULT_MAX_RETRIES
    """Attempts after the first, by the rules of `vcf_provider.api.retry`."""

    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS
    """The first retry's delay; it doubles each time, with jitter."""


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


def host_name(host: Any) -> str | None:
    """The bare host name of a `host` value (FQDN, host:port or URL of any scheme): lower case,
    punycode, no trailing dot; None when there is none. For matching, where `base_url` would refuse."""
    if not isinstance(host, str) or not host.strip():
        return None
    text = host.strip()
    if "://" not in text and _is_bare_ipv6(text):
        text = f"[{text}]"
    parts = urlsplit(text if "://" in text else "https://" + text)
    try:
        name = parts.hostname or ""
    except ValueError:
        return None
    return _ascii_host(name).rstrip(".").lower() or None


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


def connection_problems(
    news: Mapping[str, Any], is_unknown: Callable[[Any], bool] = _never_unknown
) -> list[tuple[str, str]]:
    """(property, reason) for each problem with the settings every token call shares: host, TLS,
    timeout, retries, renewal window, triggers. Values for which `is_unknown` holds pass."""
    failures: list[tuple[str, str]] = []
    host = news.get(HOST)
    if not is_unknown(host):
        if not isinstance(host, str) or not host.strip():
            failures.append(
                (
                    HOST,
                    "host is missing: pass host=..., or set stack config vcf:host or the VCF_HOST "
                    "environment variable to SDDC Manager's FQDN",
                )
            )
        else:
            try:
                base_url(host)
            except ValueError as error:
                failures.append((HOST, str(error)))

    ca_bundle = news.get(CA_BUNDLE)
    if ca_bundle is not None and not is_unknown(ca_bundle):
        problem = ca_bundle_problem(ca_bundle)
        if problem:
            failures.append((CA_BUNDLE, problem))

    allow = news.get(ALLOW_UNVERIFIED_TLS)
    if allow is not None and not is_unknown(allow) and not isinstance(allow, bool):
        failures.append((ALLOW_UNVERIFIED_TLS, "allow_unverified_tls must be true or false"))

    for number in _NUMBERS:
        value = news.get(number.name)
        if value is None or is_unknown(value):
            continue
        problem = number_problem(number, value)
        if problem:
            failures.append((number.name, f"{number.name} {problem}: {number.fix}"))

    triggers = news.get(TRIGGERS)
    if triggers is not None and not is_unknown(triggers) and not isinstance(triggers, (dict, list, str)):
        failures.append((TRIGGERS, "triggers must be a map, a list or a string"))
    return failures


def ca_bundle_problem(ca_bundle: Any) -> str | None:
    """What is wrong with a `ca_bundle` value, or None."""
    if not isinstance(ca_bundle, str) or not ca_bundle:
        return "ca_bundle must be the path of a PEM file of CA certificates, or the PEM text itself"
    if not is_pem_text(ca_bundle):
        if not os.path.isfile(ca_bundle):
            return (
                f"ca_bundle file {ca_bundle!r} does not exist (relative to {os.getcwd()}): point it at a "
                "PEM file holding the CA that signed SDDC Manager's certificate, or give the PEM text"
            )
        if not os.access(ca_bundle, os.R_OK):
            return f"ca_bundle file {ca_bundle!r} is not readable"
    try:
        read_ca_bundle(ca_bundle)
    except CaBundleError as error:
        return str(error)
    return None


def refresh_token_problems(
    news: Mapping[str, Any], is_unknown: Callable[[Any], bool] = _never_unknown
) -> list[tuple[str, str]]:
    """(property, reason) for a missing or padded refresh token; the property is left empty, since
    the engine would print a named property's (secret) value."""
    failures: list[tuple[str, str]] = []
    refresh_token = news.get(REFRESH_TOKEN)
    if not is_unknown(refresh_token) and (not isinstance(refresh_token, str) or not refresh_token.strip()):
        # No property name: the engine prints the named property's value, and this one is a secret.
        failures.append(
            (
                "",
                "refresh_token is empty: pass refresh_token=..., or set it with "
                "`pulumi config set --secret vcf:refreshToken <id>` or the VCF_REFRESH_TOKEN "
                "environment variable (the refreshToken.id from POST /v1/tokens)",
            )
        )
    elif isinstance(refresh_token, str) and refresh_token != refresh_token.strip():
        failures.append(("", "refresh_token has leading or trailing white space: remove it from the value"))
    return failures


def number_problem(number: _Number, value: Any) -> str | None:
    """What is wrong with a value for `number`, or None."""
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
    return not is_pem_text(ca_bundle) and not os.path.isfile(os.path.expanduser(ca_bundle))


class CaBundleError(ValueError):
    """The CA bundle cannot be read or holds no certificate; the message names the fix."""


def read_ca_bundle(ca_bundle: str) -> str:
    """The PEM text of `ca_bundle`, which is PEM text itself or the path of a PEM file."""
    if is_pem_text(ca_bundle):
        text = ca_bundle
    else:
        try:
            with open(os.path.expanduser(ca_bundle), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError as error:
            raise CaBundleError(
                f"the CA bundle {ca_bundle!r} cannot be read ({error.strerror or error}). Point ca_bundle "
                "at a PEM file on this machine, or give the PEM text itself: `pulumi config set "
                "vcf:caBundle <path>` (or VCF_CA_BUNDLE). A path stored by an earlier run on another "
                "machine is replaced by the stack's current vcf:caBundle"
            ) from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise CaBundleError(
            "the CA bundle holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line). Set ca_bundle "
            "(vcf:caBundle) to the CA certificate that signed SDDC Manager's certificate"
        )
    return text


def unverified_tls_warning(base_url: str) -> str:
    """The warning for `allow_unverified_tls=true`."""
    return (
        f"TLS verification is off for {base_url} (allow_unverified_tls=true): anyone on the network path "
        "can read the refresh token. Use ca_bundle instead."
    )
