"""Every exception the package raises; each message is complete, readable and secret-free."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from vcf_provider.api.payload import (
    MAX_ITEMS,
    MAX_SNIPPET_CHARS,
    VcfError,
    bounded,
    clip,
    render_vcf_error,
)
from vcf_provider.api.redaction import redact, redact_document
from vcf_provider.api.tasks import FAILED, task_errors, task_status


class VcfProviderError(Exception):
    """Base class of every error this package raises; `str()` is complete, readable and secret-free."""


class OperationCancelled(VcfProviderError):
    """The work was cancelled: the CLI was interrupted (Ctrl-C, SIGTERM) or the process is exiting.

    Nothing was left half done on SDDC Manager's side that the message does not name: a login that
    went through is revoked before this is raised.
    """

    def __init__(self, what: str, note: str = "") -> None:
        self.what = what
        """What stopped, e.g. `refreshing the access token`."""
        text = f"{what} was cancelled: the provider was stopped (the CLI was interrupted)"
        super().__init__(f"{text}.\n  note: {note}" if note else f"{text}.")


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
            lines.extend(bounded(render_vcf_error(error)))
        elif body_length:
            lines.append(
                f"  the body is not a VCF Error: {body_length} bytes of {content_type or 'unknown type'}"
            )
            if body_snippet:
                lines.append(f"  it starts with: {clip(body_snippet, MAX_SNIPPET_CHARS)!r}")
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

    #: Errors shown in the message; `.errors` keeps every one.
    SHOWN_ERRORS = 10

    def __init__(self, task: Mapping[str, Any], secrets: Iterable[str] = ()) -> None:
        secrets = tuple(secrets)
        task = redact_document(dict(task), secrets)
        self.task = task
        """The last task document, as `GET /v1/tasks/{id}` answered it (secrets redacted)."""
        self.task_id = str(task.get("id", "?"))
        self.status = str(task.get("status", "?")).strip()
        self.errors = task_errors(task.get("errors"))
        """Every error of the task's `errors`, parsed as VCF `Error`s (strings become messages)."""
        name = clip(str(task.get("name") or task.get("type") or "task"), 200)
        lines = [f"SDDC Manager task {name!r} ({self.task_id}) ended {self.status}"]
        for index, error in enumerate(self.errors[: self.SHOWN_ERRORS], 1):
            lines.append(f"  error {index}:")
            lines.extend(render_vcf_error(error, "    "))
        if len(self.errors) > self.SHOWN_ERRORS:
            lines.append(
                f"  ... and {len(self.errors) - self.SHOWN_ERRORS} more errors (all of them in .errors, "
                "or in the task in the SDDC Manager UI)"
            )
        failed = [
            f"{sub.get('name') or sub.get('description') or '?'}: {sub.get('status')}"
            for sub in _listed(task.get("subTasks"))
            if isinstance(sub, dict) and task_status(sub) in FAILED
        ]
        if failed:
            lines.append("  failed sub-tasks: " + clip("; ".join(failed)))
        if not self.errors:
            lines.append("  SDDC Manager gave no error details: see the task in the SDDC Manager UI")
        if task.get("isRetryable") is True:
            lines.append(
                f"  hint: the task can be retried: PATCH /v1/tasks/{self.task_id}, or Retry in the UI"
            )
        super().__init__(redact("\n".join(bounded(lines)), secrets))


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
