"""Every exception the package raises, the VCF `Error` payload, and how both are rendered safely."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vcf_provider.api.redaction import redact

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


def _clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    text = _CONTROL_CHARS.sub(" ", text)
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _clip(value)
    return _clip(json.dumps(value, ensure_ascii=False, default=str))


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
            lines.append(f"{indent}{name}: {_clip(value)}{note}")

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
            lines.append(f"{indent}  - {_clip(described)}")
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
        add(_clip(str(key), 80), _scalar(value))
    if error.nested_errors:
        lines.append(f"{indent}nestedErrors:")
        for nested in error.nested_errors:
            nested_lines = render_vcf_error(nested, indent + "    ")
            if nested_lines:
                first = nested_lines[0]
                nested_lines[0] = f"{indent}  - {first.lstrip()}"
            lines.extend(nested_lines)
    return lines


def _bounded(lines: list[str]) -> list[str]:
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


class VcfProviderError(Exception):
    """Base class of every error this package raises; `str()` is complete, readable and secret-free."""


class SddcManagerApiError(VcfProviderError):
    """SDDC Manager answered with an HTTP error status."""

    def __init__(
        self,
        *,
        action: str,
        method: str,
        url: str,
        status: int,
        reason: str,
        error: VcfError | None = None,
        content_type: str | None = None,
        body_snippet: str | None = None,
        body_length: int | None = None,
        hint: str | None = None,
        secrets: Iterable[str] = (),
        refresh_token_unknown: bool = False,
    ) -> None:
        self.action = action
        self.method = method
        self.url = url
        self.status = status
        self.reason = reason
        self.error = error
        self.content_type = content_type
        self.hint = hint
        self.refresh_token_unknown = refresh_token_unknown
        """True when the answer says SDDC Manager no longer knows the refresh token sent."""
        lines = [f"{action} failed: HTTP {status} {reason} from {method} {url}".rstrip()]
        if error is not None:
            lines.extend(_bounded(render_vcf_error(error)))
        elif body_length:
            lines.append(
                f"  the body is not a VCF Error: {body_length} bytes of {content_type or 'unknown type'}"
            )
            if body_snippet:
                lines.append(f"  it starts with: {_clip(body_snippet, MAX_SNIPPET_CHARS)!r}")
        else:
            lines.append(f"  the body is empty (content type: {content_type or 'none'})")
        if hint:
            lines.append(f"  hint: {hint}")
        super().__init__(redact("\n".join(lines), secrets))

    @classmethod
    def with_note(cls, error: SddcManagerApiError, note: str) -> SddcManagerApiError:
        """`error` with one more line, `  note: ...`, at its end."""
        noted = cls.__new__(cls)
        noted.__dict__.update(error.__dict__)
        Exception.__init__(noted, f"{error}\n  note: {note}")
        return noted


class SddcManagerUnreachableError(VcfProviderError):
    """No usable HTTP answer: connection refused or dropped, DNS failure, or timeout."""


class SddcManagerTlsError(SddcManagerUnreachableError):
    """The TLS handshake failed, most often because the certificate is not trusted."""


class SddcManagerRedirectError(VcfProviderError):
    """SDDC Manager answered with a redirect, which is never followed (it would resend the credential)."""


class InvalidTokenResponseError(VcfProviderError):
    """SDDC Manager answered 2xx, but the body is not a usable access token."""


class SddcManagerTaskFailed(VcfProviderError):
    """A task SDDC Manager ran ended FAILED or CANCELLED; `str()` has its name, id, status and errors."""

    def __init__(self, task: Mapping[str, Any], secrets: Iterable[str] = ()) -> None:
        secrets = tuple(secrets)
        task = redact_document(dict(task), secrets)
        self.task = task
        """The last task document, as `GET /v1/tasks/{id}` answered it (secrets redacted)."""
        self.task_id = str(task.get("id", "?"))
        self.status = str(task.get("status", "?"))
        self.errors = tuple(
            e for e in (parse_vcf_error(item) for item in _listed(task.get("errors"))) if e is not None
        )
        """The task's `errors[]`, parsed as VCF `Error`s."""
        name = _clip(str(task.get("name") or task.get("type") or "task"), 200)
        lines = [f"SDDC Manager task {name!r} ({self.task_id}) ended {self.status}"]
        for index, error in enumerate(self.errors, 1):
            lines.append(f"  error {index}:")
            lines.extend(render_vcf_error(error, "    "))
        failed = [
            f"{sub.get('name') or sub.get('description') or '?'}: {sub.get('status')}"
            for sub in _listed(task.get("subTasks"))
            if isinstance(sub, dict) and str(sub.get("status", "")).upper() in ("FAILED", "CANCELLED")
        ]
        if failed:
            lines.append("  failed sub-tasks: " + _clip("; ".join(failed)))
        if not self.errors:
            lines.append("  SDDC Manager gave no error details: see the task in the SDDC Manager UI")
        if task.get("isRetryable") is True:
            lines.append(
                f"  hint: the task can be retried: PATCH /v1/tasks/{self.task_id}, or Retry in the UI"
            )
        super().__init__(redact("\n".join(_bounded(lines)), secrets))


class SddcManagerTaskWaitError(VcfProviderError):
    """Waiting for a task stopped before the task ended; the task may still be running on SDDC Manager."""

    def __init__(self, task_id: str, first_line: str, last_status: str | None, detail: str = "") -> None:
        self.task_id = task_id
        self.last_status = last_status
        """The status of the last successful poll, if any."""
        lines = [first_line]
        if detail:
            lines.extend(f"  {line}" for line in detail.splitlines())
        lines.append(
            f"  hint: the task may still be running on SDDC Manager: look at GET /v1/tasks/{task_id} or "
            "the UI before starting it again, and wait for it again with wait_for_task"
        )
        super().__init__("\n".join(lines))


class SddcManagerTaskTimeout(SddcManagerTaskWaitError):
    """Waiting for a task ran out of time (`timeout_seconds`)."""


def _listed(value: Any) -> list[Any]:
    return list(value[:MAX_ITEMS]) if isinstance(value, list) else []


def redact_document(document: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of decoded JSON with `redact` applied to every string, keys included.

    Done before anything is clipped for display, so a secret cut in two cannot slip through.
    """
    secrets = tuple(secrets)
    if isinstance(document, str):
        return redact(document, secrets)
    if isinstance(document, list):
        return [redact_document(item, secrets) for item in document]
    if isinstance(document, dict):
        return {redact(str(k), secrets): redact_document(v, secrets) for k, v in document.items()}
    return document
