"""wait_for_task: poll GET /v1/tasks/{id} until SDDC Manager's task ends, through expiry and failed polls."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests

from vcf_provider.api import deadline, retry
from vcf_provider.api.errors import (
    OperationCancelled,
    SddcManagerApiError,
    SddcManagerRedirectError,
    SddcManagerTaskFailed,
    SddcManagerTaskTimeout,
    SddcManagerTaskWaitError,
    SddcManagerUnreachableError,
)
from vcf_provider.api.payload import parse_vcf_error
from vcf_provider.api.redaction import redact_document
from vcf_provider.api.tasks import FAILED, SUCCEEDED, task_status
from vcf_provider.downstream.auth import SddcManagerAuth

#: The longest pause between two polls after failed ones.
MAX_BACKOFF_SECONDS = 60.0
#: The longest one poll may take.
POLL_TIMEOUT_SECONDS = 30.0
#: The shortest pause between two polls: a smaller `poll_seconds` is raised to it.
MIN_POLL_SECONDS = 0.1


class _FailedPoll(Exception):
    """One poll that did not read the task; the next one may."""

    def __init__(self, reason: str, retry_after: str | None = None) -> None:
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
    within `timeout_seconds`. Statuses compare case-insensitively, blanks around them ignored; an
    unknown one means "running".

    Every poll, pause and token refresh inside the wait ends by `timeout_seconds`; the engine's
    Cancel (Ctrl-C, SIGTERM) ends the wait within about a second. Inside a dynamic provider this
    holds once the provider is configured by the engine (``vcf_provider`` hooks Cancel there).

    Args:
        auth: An ``SddcManagerAuth`` for the manager that runs the task.
        task_id: The ``id`` of the task, as the call that started it answered.
        timeout_seconds: How long to wait in all. Default 2 h.
        poll_seconds: The pause between two polls. Default 10 s; at least 0.1 s (a smaller value
            is raised to that, so a typo cannot flood the manager).
        on_progress: Called with the task (a dict) on the first poll and whenever its status or
            a sub-task's status changes. Inside a dynamic provider, write progress to stderr (e.g.
            ``pulumi.log.info``): the engine shows it with the stack's output.
        max_failed_polls: Failed polls in a row after which the wait stops.

    Returns:
        The task as the last poll read it, when its status is ``SUCCESSFUL``.

    Raises:
        SddcManagerTaskFailed: the task ended ``FAILED`` or ``CANCELLED``; the message holds its
            name, id, status and its errors (``.errors`` has every one).
        SddcManagerTaskTimeout: `timeout_seconds` passed; the task may still be running.
        SddcManagerTaskWaitError: `max_failed_polls` polls in a row failed, SDDC Manager answered
            that it does not know the task (404) or refused the token (401/403), or the access
            token could not be renewed (the refresh token expired or was revoked): the task may
            still be running. The error that stopped the wait is its ``__cause__``.
        OperationCancelled: the engine cancelled (the CLI was interrupted); the task goes on.
        ValueError: for bad arguments.
    """
    if not isinstance(task_id, str) or not task_id.strip():
        raise ValueError("wait_for_task: task_id is empty: pass the id of the task the API call answered")
    for name, value in (("timeout_seconds", timeout_seconds), ("poll_seconds", poll_seconds)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < float("inf"):
            raise ValueError(f"wait_for_task: {name} must be a finite number above 0, not {value!r}")
    if not isinstance(max_failed_polls, int) or max_failed_polls < 1:
        raise ValueError("wait_for_task: max_failed_polls must be a whole number of 1 or more")
    _hook_engine_cancel()

    task_id = task_id.strip()
    poll_seconds = max(float(poll_seconds), MIN_POLL_SECONDS)
    url = f"{auth.base_url}/v1/tasks/{quote(task_id, safe='')}"
    what = f"waiting for SDDC Manager task {task_id}"
    policy = retry.RetryPolicy(
        total=max_failed_polls,
        backoff_factor=poll_seconds,
        backoff_max=MAX_BACKOFF_SECONDS,
        jitter=False,
        retry_after_at_least=True,
    )
    failures: list[str] = []
    last_status: str | None = None
    last_summary: object = None
    used: list[str] = []  # the access tokens sent: a task's errors might echo one
    own = deadline.Deadline.after(timeout_seconds)
    with deadline.scope(own) as limit, auth.session() as session:
        try:
            while True:
                pause = poll_seconds
                try:
                    seconds = max(min(POLL_TIMEOUT_SECONDS, limit.remaining()), 0.001)
                    task = _poll(session, url, task_id, seconds, used)
                except _FailedPoll as failed:
                    failures.append(str(failed))
                    if len(failures) >= policy.total:
                        raise SddcManagerTaskWaitError(
                            task_id,
                            f"{what} stopped: {len(failures)} polls in a row failed",
                            last_status,
                            "last failure: " + failures[-1],
                        ) from None
                    pause = policy.pause(len(failures), failed.retry_after)
                else:
                    failures.clear()
                    last_status = task_status(task)
                    summary = _summary(task)
                    if summary != last_summary:
                        last_summary = summary
                        if on_progress is not None:
                            on_progress(task)
                    if last_status in SUCCEEDED:
                        return task
                    if last_status in FAILED:
                        raise SddcManagerTaskFailed(task, secrets=used)
                limit.wait(pause, what)
                if limit.expired:
                    why = f"last poll failed: {failures[-1]}" if failures else ""
                    limited_by = (
                        f"after {timeout_seconds:g} s (timeout_seconds)"
                        if limit.at >= own.at
                        else "at the deadline of the operation it is part of, before timeout_seconds"
                    )
                    raise SddcManagerTaskTimeout(
                        task_id,
                        f"{what} timed out {limited_by}; its last status was {last_status or 'not read'}",
                        last_status,
                        why,
                    )
        except OperationCancelled:
            raise OperationCancelled(
                what, "the task itself goes on running on SDDC Manager: wait for it again later"
            ) from None


def _hook_engine_cancel() -> None:
    """Inside a dynamic provider's process, makes the engine's Cancel end this wait (the hook is
    installed at configure too; this covers a user's own provider that never imports ours there)."""
    import sys

    if "pulumi.dynamic.__main__" in sys.modules:
        from vcf_provider.engine import cancel

        cancel.install()


def _poll(
    session: requests.Session, url: str, task_id: str, timeout: float, used: list[str]
) -> dict[str, Any]:
    """One GET of the task; raises `_FailedPoll` when trying again may help, and a final error when not."""
    try:
        answer = session.get(url, timeout=timeout)
    except SddcManagerRedirectError:
        raise
    except SddcManagerApiError as error:  # the token's refresh was answered with an error
        if error.status in retry.SERVER_ASKED_STATUSES | retry.TRANSIENT_STATUSES:
            raise _FailedPoll(str(error).splitlines()[0]) from None
        what = "the refresh token expired or was revoked" if error.refresh_token_unknown else "it failed"
        raise SddcManagerTaskWaitError(
            task_id,
            f"waiting for SDDC Manager task {task_id} stopped: the access token could not be "
            f"renewed ({what})",
            None,
            str(error),
        ) from error
    except SddcManagerUnreachableError as error:  # the token's refresh got no answer
        raise _FailedPoll(str(error).splitlines()[0]) from None
    except requests.RequestException as error:
        raise _FailedPoll(f"GET {url} failed: {type(error).__name__}") from None
    with answer:
        if answer.status_code in retry.SERVER_ASKED_STATUSES | retry.TRANSIENT_STATUSES:
            raise _FailedPoll(
                f"GET {url} answered HTTP {answer.status_code} {answer.reason}",
                answer.headers.get("Retry-After"),
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
        (str(sub.get("name") or sub.get("description") or index), task_status(sub))
        for index, sub in enumerate(subtasks if isinstance(subtasks, list) else [])
        if isinstance(sub, dict)
    )
    return task_status(task), steps
