"""wait_for_task: poll GET /v1/tasks/{id} until SDDC Manager's task ends, through expiry and failed polls."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests

from vcf_provider.api import retry
from vcf_provider.api.errors import (
    SddcManagerApiError,
    SddcManagerRedirectError,
    SddcManagerTaskFailed,
    SddcManagerTaskTimeout,
    SddcManagerTaskWaitError,
    SddcManagerUnreachableError,
    parse_vcf_error,
    redact_document,
)
from vcf_provider.downstream.auth import SddcManagerAuth

SUCCEEDED = frozenset({"SUCCESSFUL", "SUCCEEDED", "COMPLETED"})
FAILED = frozenset({"FAILED", "CANCELLED", "CANCELED"})
#: Answers after which the next poll may well work: the manager is busy, restarting or behind a proxy.
_TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The longest pause between two polls after failed ones.
MAX_BACKOFF_SECONDS = 60.0
#: The longest one poll may take.
POLL_TIMEOUT_SECONDS = 30.0


class _FailedPoll(Exception):
    """One poll that did not read the task; the next one may."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def wait_for_task(
    auth: SddcManagerAuth,
    task_id: str,
    *,
    timeout_seconds: float = 7200,
    poll_seconds: float = 10,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    max_failed_polls: int = 10,
) -> dict[str, Any]:
    """Waits until SDDC Manager's task `task_id` ends, polling ``GET /v1/tasks/{id}`` with `auth`.

    A workload domain takes one to two hours, so the wait outlives access tokens (`auth` renews
    them) and shrugs off failed polls: connection errors, timeouts and 429/5xx answers (honouring
    ``Retry-After``) are tried again with a growing pause, up to `max_failed_polls` in a row and
    within `timeout_seconds`. Statuses compare case-insensitively; an unknown one means "running".

    Args:
        auth: An ``SddcManagerAuth`` for the manager that runs the task.
        task_id: The ``id`` of the task, as the call that started it answered.
        timeout_seconds: How long to wait in all. Default 2 h.
        poll_seconds: The pause between two polls. Default 10 s.
        on_progress: Called with the task (a dict) on the first poll and whenever its status or
            a sub-task's status changes. Inside a dynamic provider, write progress to stderr (e.g.
            ``pulumi.log.info``): the engine shows it with the stack's output.
        max_failed_polls: Failed polls in a row after which the wait stops.

    Returns:
        The task as the last poll read it, when its status is ``SUCCESSFUL``.

    Raises:
        SddcManagerTaskFailed: the task ended ``FAILED`` or ``CANCELLED``; the message holds its
            name, id, status and every error SDDC Manager gave.
        SddcManagerTaskTimeout: `timeout_seconds` passed; the task may still be running.
        SddcManagerTaskWaitError: `max_failed_polls` polls in a row failed, or SDDC Manager
            answered that it does not know the task (404) or refused the token (401/403).
        ValueError: for bad arguments.
    """
    if not isinstance(task_id, str) or not task_id.strip():
        raise ValueError("wait_for_task: task_id is empty: pass the id of the task the API call answered")
    for name, value in (("timeout_seconds", timeout_seconds), ("poll_seconds", poll_seconds)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < float("inf"):
            raise ValueError(f"wait_for_task: {name} must be a finite number above 0, not {value!r}")
    if not isinstance(max_failed_polls, int) or max_failed_polls < 1:
        raise ValueError("wait_for_task: max_failed_polls must be a whole number of 1 or more")

    url = f"{auth.base_url}/v1/tasks/{quote(task_id.strip(), safe='')}"
    started = time.monotonic()
    deadline = started + timeout_seconds
    failures: list[str] = []
    last_status: str | None = None
    last_summary: object = None
    used: list[str] = []  # the access tokens sent: a task's errors might echo one
    with auth.session() as session:
        while True:
            pause = poll_seconds
            try:
                task = _poll(
                    session,
                    url,
                    task_id,
                    min(POLL_TIMEOUT_SECONDS, max(deadline - time.monotonic(), 1)),
                    used,
                )
            except _FailedPoll as failed:
                failures.append(str(failed))
                if len(failures) >= max_failed_polls:
                    raise SddcManagerTaskWaitError(
                        task_id,
                        f"waiting for SDDC Manager task {task_id} stopped: {len(failures)} polls in a row "
                        "failed",
                        last_status,
                        "last failure: " + failures[-1],
                    ) from None
                backoff = min(poll_seconds * 2.0 ** (len(failures) - 1), MAX_BACKOFF_SECONDS)
                pause = max(backoff, failed.retry_after or 0.0)
            else:
                failures.clear()
                last_status = str(task.get("status", "")).upper()
                summary = _summary(task)
                if summary != last_summary:
                    last_summary = summary
                    if on_progress is not None:
                        on_progress(task)
                if last_status in SUCCEEDED:
                    return task
                if last_status in FAILED:
                    raise SddcManagerTaskFailed(task, secrets=used)
            left = deadline - time.monotonic()
            if left <= 0:
                why = f"last poll failed: {failures[-1]}" if failures else ""
                raise SddcManagerTaskTimeout(
                    task_id,
                    f"waiting for SDDC Manager task {task_id} timed out after {timeout_seconds:g} s "
                    f"(timeout_seconds); its last status was {last_status or 'not read'}",
                    last_status,
                    why,
                )
            time.sleep(min(pause, left))


def _poll(
    session: requests.Session, url: str, task_id: str, timeout: float, used: list[str]
) -> dict[str, Any]:
    """One GET of the task; raises `_FailedPoll` when trying again may help, and a final error when not."""
    try:
        answer = session.get(url, timeout=timeout)
    except SddcManagerRedirectError:
        raise
    except SddcManagerApiError as error:  # the token's refresh was answered with an error
        if error.status in _TRANSIENT_STATUSES:
            raise _FailedPoll(str(error).splitlines()[0]) from None
        raise
    except SddcManagerUnreachableError as error:  # the token's refresh got no answer
        raise _FailedPoll(str(error).splitlines()[0]) from None
    except requests.RequestException as error:
        raise _FailedPoll(f"GET {url} failed: {type(error).__name__}") from None
    with answer:
        if answer.status_code in _TRANSIENT_STATUSES:
            raise _FailedPoll(
                f"GET {url} answered HTTP {answer.status_code} {answer.reason}",
                retry.parse_retry_after(answer.headers.get("Retry-After")),
            )
        token = str(answer.request.headers.get("Authorization", "")).removeprefix("Bearer ")
        if token and token not in used:
            used.append(token)
        if answer.status_code >= 400:
            raise _task_error(answer, url, task_id, token)
        try:
            task = answer.json()
        except ValueError:
            raise _FailedPoll(
                f"GET {url} answered HTTP {answer.status_code} with a body that is not JSON"
            ) from None
    if not isinstance(task, dict):
        raise _FailedPoll(f"GET {url} answered a JSON {type(task).__name__}, not a task")
    return task


def _task_error(answer: requests.Response, url: str, task_id: str, token: str) -> SddcManagerTaskWaitError:
    secrets = (token,) if token else ()
    error = None
    with contextlib.suppress(ValueError):
        error = parse_vcf_error(redact_document(json.loads(answer.text), secrets))
    api_error = SddcManagerApiError(
        action=f"reading task {task_id}",
        method="GET",
        url=url,
        status=answer.status_code,
        reason=answer.reason or "",
        error=error,
        content_type=answer.headers.get("Content-Type"),
        body_length=len(answer.content),
        secrets=secrets,
    )
    meaning = {
        404: "SDDC Manager does not know this task id",
        401: "SDDC Manager refused the access token even after a refresh",
        403: "the user behind the token may not read tasks",
    }.get(answer.status_code, "SDDC Manager refused the request")
    return SddcManagerTaskWaitError(
        task_id, f"waiting for SDDC Manager task {task_id} failed: {meaning}", None, str(api_error)
    )


def _summary(task: Mapping[str, Any]) -> object:
    """What progress means: the task's status and each sub-task's status."""
    subtasks = task.get("subTasks")
    steps = tuple(
        (str(sub.get("name") or sub.get("description") or index), str(sub.get("status", "")).upper())
        for index, sub in enumerate(subtasks if isinstance(subtasks, list) else [])
        if isinstance(sub, dict)
    )
    return str(task.get("status", "")).upper(), steps
