"""The VCF `Error` payload SDDC Manager answers 4xx and 5xx with: its model, a tolerant parser, a renderer."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Longest text kept from any one field of a server's answer.
MAX_FIELD_CHARS = 500
#: Most list items, map entries and nesting levels rendered from one payload.
MAX_ITEMS = 20
MAX_DEPTH = 5
#: Longest snippet of a body that is not a VCF `Error`.
MAX_SNIPPET_CHARS = 200
#: Most characters of payload detail in one error message (the first line and hint come on top).
MAX_DETAIL_CHARS = 8000

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    text = _CONTROL_CHARS.sub(" ", text)
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return clip(value)
    return clip(json.dumps(value, ensure_ascii=False, default=str))


@dataclass(frozen=True)
class ErrorCause:
    """One underlying exception reported by SDDC Manager."""

    type: str | None
    """The Java exception type, when given."""

    message: str | None
    """What that exception said."""


@dataclass(frozen=True)
class VcfError:
    """The `Error` object SDDC Manager returns with 4xx and 5xx answers; every field is optional."""

    error_code: str | None = None
    """The minor error code, such as `TOKEN_NOT_FOUND` or `Unauthorized`."""

    error_type: str | None = None
    """The error type (for example `ERROR`)."""

    message: str | None = None
    """The localized message: what went wrong."""

    remediation_message: str | None = None
    """The localized remediation: what to do about it."""

    reference_token: str | None = None
    """Correlates the error with SDDC Manager's logs; quote it to VMware support."""

    arguments: tuple[str, ...] = ()
    """The values the message was built from."""

    causes: tuple[ErrorCause, ...] = ()
    """The underlying exceptions."""

    nested_errors: tuple[VcfError, ...] = ()
    """The errors this composite error is made of."""

    context: Mapping[str, str] = field(default_factory=dict)
    """Where the error happened (component and similar)."""

    label: str | None = None
    """A short title (VCF 9.0.2 and later)."""

    remediation_url: str | None = None
    """A documentation link for the remediation (VCF 9.0.2 and later)."""

    notifications: tuple[Mapping[str, Any], ...] = ()
    """Structured notifications with severity and remediations (VCF 9.1.1 and later)."""

    extra: Mapping[str, Any] = field(default_factory=dict)
    """Fields this version of the package does not know, kept as they came."""


_KNOWN_FIELDS = {
    "errorCode": "error_code",
    "errorType": "error_type",
    "message": "message",
    "remediationMessage": "remediation_message",
    "referenceToken": "reference_token",
    "label": "label",
    "remediationUrl": "remediation_url",
}
# `cause` (a list, or one object) is how ErrorResponse payloads of other endpoints spell `causes`.
_STRUCTURED_FIELDS = {"arguments", "causes", "cause", "nestedErrors", "context", "notifications"}


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def parse_vcf_error(document: Any, depth: int = 0) -> VcfError | None:
    """Reads a decoded JSON document as a VCF `Error`; None when it is not one.

    Tolerant by design: wrong types are converted to text, unknown fields go to `extra`,
    and lists and nesting are cut at MAX_ITEMS and MAX_DEPTH.
    """
    if not isinstance(document, dict):
        return None
    if not (set(document) & (set(_KNOWN_FIELDS) | _STRUCTURED_FIELDS)):
        return None
    known = {attr: _text_or_none(document.get(key)) for key, attr in _KNOWN_FIELDS.items()}

    def items(key: str) -> list[Any]:
        value = document.get(key)
        if isinstance(value, dict) and key == "cause":
            return [value]
        return list(value[:MAX_ITEMS]) if isinstance(value, list) else []

    causes = tuple(
        ErrorCause(type=_text_or_none(c.get("type")), message=_text_or_none(c.get("message")))
        if isinstance(c, dict)
        else ErrorCause(type=None, message=_text_or_none(c))
        for c in (items("causes") + items("cause"))[:MAX_ITEMS]
    )
    nested: tuple[VcfError, ...] = ()
    if depth < MAX_DEPTH:
        parsed = (parse_vcf_error(n, depth + 1) for n in items("nestedErrors"))
        nested = tuple(n for n in parsed if n is not None)
    raw_context = document.get("context")
    context = (
        {str(k): _text_or_none(v) or "" for k, v in list(raw_context.items())[:MAX_ITEMS]}
        if isinstance(raw_context, dict)
        else {}
    )
    notifications = tuple(n for n in items("notifications") if isinstance(n, dict))
    extra = {k: v for k, v in document.items() if k not in _KNOWN_FIELDS and k not in _STRUCTURED_FIELDS}
    return VcfError(
        **known,
        arguments=tuple(_text_or_none(a) or "" for a in items("arguments")),
        causes=causes,
        nested_errors=nested,
        context=context,
        notifications=notifications,
        extra=dict(list(extra.items())[:MAX_ITEMS]),
    )


def render_vcf_error(error: VcfError, indent: str = "  ") -> list[str]:
    """The lines that show every field present in `error`, nested errors indented below."""
    lines: list[str] = []

    def add(name: str, value: str | None, note: str = "") -> None:
        if value:
            lines.append(f"{indent}{name}: {clip(value)}{note}")

    add("label", error.label)
    add("errorCode", error.error_code)
    add("errorType", error.error_type)
    add("message", error.message)
    add("remediationMessage", error.remediation_message)
    add("remediationUrl", error.remediation_url)
    add(
        "referenceToken",
        error.reference_token,
        " (quote it to VMware support: it finds this error in SDDC Manager's logs)",
    )
    if error.arguments:
        add("arguments", ", ".join(error.arguments))
    if error.context:
        add("context", ", ".join(f"{k}={v}" for k, v in error.context.items()))
    if error.causes:
        lines.append(f"{indent}causes:")
        for cause in error.causes:
            described = ": ".join(part for part in (cause.type, cause.message) if part) or "(no details)"
            lines.append(f"{indent}  - {clip(described)}")
    for notification in error.notifications:
        severity = _scalar(notification.get("severity", "notification"))
        lines.append(f"{indent}notification ({severity}): {_scalar(notification.get('message', ''))}")
        if notification.get("impactMessage"):
            lines.append(f"{indent}  impact: {_scalar(notification['impactMessage'])}")
        remediations = notification.get("remediations")
        for remediation in remediations[:MAX_ITEMS] if isinstance(remediations, list) else []:
            if isinstance(remediation, dict):
                link = f" ({_scalar(remediation['link'])})" if remediation.get("link") else ""
                lines.append(f"{indent}  remediation: {_scalar(remediation.get('message', ''))}{link}")
    for key, value in error.extra.items():
        add(clip(str(key), 80), _scalar(value))
    if error.nested_errors:
        lines.append(f"{indent}nestedErrors:")
        for nested in error.nested_errors:
            nested_lines = render_vcf_error(nested, indent + "    ")
            if nested_lines:
                first = nested_lines[0]
                nested_lines[0] = f"{indent}  - {first.lstrip()}"
            lines.extend(nested_lines)
    return lines


def bounded(lines: list[str]) -> list[str]:
    """At most MAX_DETAIL_CHARS of lines; says how many were left out."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > MAX_DETAIL_CHARS:
            kept.append(f"  ... {len(lines) - len(kept)} more lines of the payload not shown")
            break
        kept.append(line)
        used += len(line) + 1
    return kept
