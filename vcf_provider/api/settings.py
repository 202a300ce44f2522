"""How to reach an SDDC Manager, and the rules for it: names, defaults, host parsing, the CA bundle.

A leaf: it imports nothing of this package and nothing of pulumi, so `SddcManagerAuth`, the client
and the policy pack share one set of rules, and `import vcf_provider.downstream.auth` stays light.
"""

from __future__ import annotations

import math
import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vcf_provider.api import properties as p
from vcf_provider.api.properties import Property

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

    timeout_seconds: float = p.TIMEOUT_SECONDS.default
    """The deadline of each attempt: connecting, the TLS handshake, sending and the whole answer."""

    max_retries: int = p.MAX_RETRIES.default
    """Attempts after the first, by the rules of `vcf_provider.api.retry`."""

    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS
    """The first retry's delay; it doubles each time, with jitter."""


def base_url(host: str) -> str:
    """Turns `host` (FQDN, host:port, or https:// URL) into `https://host[:port][/prefix]`.

    Raises ValueError with a message that says what is wrong and what to write instead. The message
    never holds a `user:password@` part of `host` (`shown_host`).
    """
    text = host.strip()
    if not text:
        raise ValueError("host is empty: set it to SDDC Manager's FQDN, e.g. sddc-manager.example.com")
    if _has_credentials(text):
        # First, so that no later message quotes the value.
        raise ValueError(
            "host must not hold credentials (user:password@): write the host name alone, and pass the "
            "refresh token or the login as their own inputs"
        )
    shown = shown_host(text)
    if "://" not in text and _is_bare_ipv6(text):
        text = f"[{text}]"  # `::1` means the address, not host `:` and port 1
    if "://" not in text:
        if text.startswith("/") or "/" in text.split("]")[-1].split(":")[0]:
            raise ValueError(f"host {shown!r} is not a host name: {p.HOST.advice}")
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        raise ValueError(
            f"host uses {parts.scheme}://, but only https:// is allowed: the refresh token must never "
            "travel in clear text. Write the host name alone or an https:// URL."
        )
    if parts.query or parts.fragment:
        raise ValueError("host must not have a query (?...) or fragment (#...): write https://host[:port]")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"host {shown!r} has a port that is not a number from 1 to 65535") from None
    name = _ascii_host(parts.hostname or "")
    if not _is_host_name(name):
        raise ValueError(
            f"host {shown!r} does not name a valid host: {p.HOST.advice} "
            "(an internationalized name may be given as is or in its punycode xn-- form)"
        )
    # One spelling per manager (lower case, an address in its short form, no default port, no
    # trailing slash), so that spelling `host` differently is no change to diff.
    name = _canonical_address(name) or name.lower().rstrip(".")
    netloc = f"[{name}]" if ":" in name else name
    if port is not None:
        if port == 0:
            raise ValueError(f"host {shown!r} has port 0: use a port from 1 to 65535")
        if port != 443:
            netloc += f":{port}"
    return f"https://{netloc}{parts.path.rstrip('/')}"


def _has_credentials(text: str) -> bool:
    """True when a `host` value has a `user[:password]@` part before its host name."""
    authority = text.split("://", 1)[-1].split("/", 1)[0]
    return "@" in authority


def shown_host(host: str) -> str:
    """`host` as messages may quote it: any `user:password@` part removed, at most 100 characters."""
    text = host.strip()
    scheme, sep, rest = text.rpartition("://")
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    shown = f"{scheme}{sep}{authority}{slash}{path}"
    return shown if len(shown) <= 100 else shown[:97] + "..."


def _canonical_address(name: str) -> str | None:
    """An IP address in its one spelling (`0:0:0:0:0:0:0:1` -> `::1`), or None for a host name."""
    import ipaddress

    try:
        return ipaddress.ip_address(name).compressed
    except ValueError:
        return None


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


#: The numeric inputs and their rules (bounds, whole numbers, advice) come from `properties`.
NUMBERS: tuple[Property, ...] = tuple(prop for prop in p.ALL if prop.kind in ("number", "integer"))


def connection_problems(
    news: Mapping[str, Any], is_unknown: Callable[[Any], bool] = _never_unknown
) -> list[tuple[str, str]]:
    """(property, reason) for each problem with the settings every token call shares: host, TLS,
    timeout, retries, renewal window, triggers. Values for which `is_unknown` holds pass.

    Every reason starts with the property's name; `reported_property` decides whether the engine
    may be told the property (it prints the value of a named one)."""
    failures: list[tuple[str, str]] = []
    host = news.get(p.HOST.name)
    if not is_unknown(host):
        if not isinstance(host, str) or not host.strip():
            failures.append(
                (p.HOST.name, f"host is missing: {p.HOST.where_to_set()}, to SDDC Manager's FQDN")
            )
        else:
            try:
                base_url(host)
            except ValueError as error:
                failures.append((p.HOST.name, str(error)))

    ca_bundle = news.get(p.CA_BUNDLE.name)
    if ca_bundle is not None and not is_unknown(ca_bundle):
        problem = ca_bundle_problem(ca_bundle)
        if problem:
            failures.append((p.CA_BUNDLE.name, problem))

    allow = news.get(p.ALLOW_UNVERIFIED_TLS.name)
    if allow is not None and not is_unknown(allow) and not isinstance(allow, bool):
        failures.append((p.ALLOW_UNVERIFIED_TLS.name, "allow_unverified_tls must be true or false"))

    for prop in NUMBERS:
        value = news.get(prop.name)
        if value is None or is_unknown(value):
            continue
        problem = number_problem(prop, value)
        if problem:
            failures.append((prop.name, f"{prop.name} {problem}: {prop.advice}"))

    triggers = news.get(p.TRIGGERS.name)
    if triggers is not None and not is_unknown(triggers) and not isinstance(triggers, (dict, list, str)):
        failures.append((p.TRIGGERS.name, "triggers must be a map, a list or a string"))
    return failures


def reported_property(name: str) -> str:
    """The property to name in a CheckFailure: none for an input that is or may carry a secret,
    since the engine prints a named property's value beside the reason (which names it anyway)."""
    prop = p.BY_NAME.get(name)
    return "" if prop is not None and (prop.secret or prop.may_carry_secret) else name


def ca_bundle_problem(ca_bundle: Any) -> str | None:
    """What is wrong with a `ca_bundle` value, or None: the same reading `up` does, so what passes
    preview loads at `up`."""
    if not isinstance(ca_bundle, str) or not ca_bundle:
        return "ca_bundle must be the path of a PEM file of CA certificates, or the PEM text itself"
    if not is_pem_text(ca_bundle):
        path = os.path.expanduser(ca_bundle)
        if not os.path.isfile(path):
            return (
                f"ca_bundle file {ca_bundle!r} does not exist (relative to {os.getcwd()}): point it at a "
                "PEM file holding the CA that signed SDDC Manager's certificate, or give the PEM text"
            )
        if not os.access(path, os.R_OK):
            return f"ca_bundle file {ca_bundle!r} is not readable"
    try:
        pem = read_ca_bundle(ca_bundle)
        ssl.create_default_context(cadata=pem)
    except CaBundleError as error:
        return str(error)
    except (ssl.SSLError, ValueError) as error:
        return (
            f"ca_bundle holds a certificate block that does not load ({error.__class__.__name__}: "
            f"{getattr(error, 'reason', None) or 'bad certificate data'}): export the CA again in PEM form"
        )
    return None


def refresh_token_problems(
    news: Mapping[str, Any], is_unknown: Callable[[Any], bool] = _never_unknown
) -> list[tuple[str, str]]:
    """(property, reason) for a missing or padded refresh token."""
    failures: list[tuple[str, str]] = []
    name = p.REFRESH_TOKEN.name
    refresh_token = news.get(name)
    if not is_unknown(refresh_token) and (not isinstance(refresh_token, str) or not refresh_token.strip()):
        failures.append(
            (
                name,
                f"refresh_token is empty: {p.REFRESH_TOKEN.where_to_set()} "
                "(the refreshToken.id from POST /v1/tokens)",
            )
        )
    elif isinstance(refresh_token, str) and refresh_token != refresh_token.strip():
        failures.append((name, "refresh_token has leading or trailing white space: remove it from the value"))
    return failures


def number_problem(prop: Property, value: Any) -> str | None:
    """What is wrong with a value for the numeric input `prop`, or None."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return f"is the text {value[:20]!r}, not a number"
        return f"is the text {value[:20]!r}, not a number: write it without quotes"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"is {type(value).__name__}, not a number"
    if not math.isfinite(value):
        return f"is {value}: it must be a finite number"
    if prop.kind == "integer" and value != int(value):
        return "is not a whole number"
    if prop.minimum is not None:
        if prop.above_minimum and value <= prop.minimum:
            return f"must be above {prop.minimum:g}"
        if value < prop.minimum:
            return f"must not be below {prop.minimum:g}"
    if prop.maximum is not None and value > prop.maximum:
        return f"must not be above {prop.maximum:g}"
    return None


def number(props: Mapping[str, Any], prop: Property) -> float:
    """A numeric input, or its default when unset (numbers arrive from the engine as floats)."""
    value = props.get(prop.name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return float(prop.default)


def connection_settings(props: Mapping[str, Any], ca_bundle: str | None = None) -> ConnectionSettings:
    """The client settings for checked inputs; `ca_bundle` overrides the stored one when given."""
    stored = props.get(p.CA_BUNDLE.name)
    return ConnectionSettings(
        base_url=base_url(str(props[p.HOST.name])),
        verify=props.get(p.ALLOW_UNVERIFIED_TLS.name) is not True,
        ca_bundle=ca_bundle or (str(stored) if stored else None),
        timeout_seconds=number(props, p.TIMEOUT_SECONDS),
        max_retries=int(number(props, p.MAX_RETRIES)),
    )


def missing_ca_file(ca_bundle: str) -> bool:
    """True when `ca_bundle` is a path (not PEM text) with no file there on this machine."""
    return not is_pem_text(ca_bundle) and not os.path.isfile(os.path.expanduser(ca_bundle))


class CaBundleError(ValueError):
    """The CA bundle cannot be read or holds no certificate; the message names the fix."""


# A certificate block as `openssl x509` writes it; what surrounds the blocks (a BOM, the `-text`
# dump, names in any script) is dropped, since ssl's `cadata` takes ASCII PEM only.
_CERTIFICATE_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*?-----END CERTIFICATE-----")


def read_ca_bundle(ca_bundle: str) -> str:
    """The certificate blocks of `ca_bundle` (PEM text itself or a PEM file's path) as ASCII PEM."""
    if is_pem_text(ca_bundle):
        text = ca_bundle
    else:
        try:
            with open(os.path.expanduser(ca_bundle), encoding="utf-8-sig", errors="replace") as handle:
                text = handle.read()
        except OSError as error:
            raise CaBundleError(
                f"the CA bundle {ca_bundle!r} cannot be read ({error.strerror or error}). Point ca_bundle "
                f"at a PEM file on this machine, or give the PEM text itself: "
                f"`pulumi config set {p.CA_BUNDLE.config} <path>` (or {p.CA_BUNDLE.env_var}). A path "
                f"stored by an earlier run on another machine is replaced by the stack's current "
                f"{p.CA_BUNDLE.config}"
            ) from None
    blocks = _CERTIFICATE_BLOCK.findall(text)
    if not blocks:
        raise CaBundleError(
            "the CA bundle holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' block). Set "
            f"ca_bundle ({p.CA_BUNDLE.config}) to the CA certificate that signed SDDC Manager's certificate"
        )
    return "\n".join(blocks) + "\n"


def unverified_tls_warning(base_url: str) -> str:
    """The warning for `allow_unverified_tls=true`."""
    return (
        f"TLS verification is off for {base_url} (allow_unverified_tls=true): anyone on the network path "
        "can read the refresh token. Use ca_bundle instead."
    )
