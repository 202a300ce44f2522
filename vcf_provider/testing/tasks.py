"""Scripted SDDC Manager tasks for the emulator: each poll moves one along until its final status."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ScriptedTask:
    """A task that reports IN_PROGRESS for `polls_until_done` polls, then `final`."""

    id: str
    name: str
    type: str
    polls_until_done: int
    final: str
    errors: list[dict[str, Any]]
    subtask_names: list[str]
    created: str = field(default_factory=_now)
    completed: str | None = None
    polls: int = 0

    def poll(self) -> dict[str, Any]:
        """The task as `GET /v1/tasks/{id}` answers it now; counts as one poll."""
        self.polls += 1
        return self.document()

    def document(self) -> dict[str, Any]:
        """The task as it stands, without counting a poll."""
        done = self.polls > self.polls_until_done
        if done and self.completed is None:
            self.completed = _now()
        status = self.final if done else "IN_PROGRESS"
        subtasks = [
            {"name": name, "description": name, "status": self._subtask_status(index, status), "errors": []}
            for index, name in enumerate(self.subtask_names)
        ]
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "status": status,
            "creationTimestamp": self.created,
            "completionTimestamp": self.completed,
            "subTasks": subtasks,
            "errors": list(self.errors) if done else [],
            "resources": [],
            "isCancellable": not done,
            "isRetryable": done and self.final == "FAILED",
        }

    def _subtask_status(self, index: int, status: str) -> str:
        """Sub-tasks finish one by one as the polls go by; the last one ends as the task does."""
        steps = len(self.subtask_names)
        if status != "IN_PROGRESS":
            return status if index == steps - 1 else "SUCCESSFUL"
        running = min(steps - 1, max(0, self.polls - 1) * steps // (self.polls_until_done + 1))
        if index < running:
            return "SUCCESSFUL"
        return "IN_PROGRESS" if index == running else "PENDING"


class TaskBook:
    """The emulator's tasks by id. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, ScriptedTask] = {}

    def add(
        self,
        name: str,
        *,
        polls_until_done: int = 0,
        final: str = "SUCCESSFUL",
        errors: Iterable[Mapping[str, Any]] = (),
        task_type: str = "DOMAIN_CREATE",
        subtasks: Iterable[str] = ("Validate input", "Deploy", "Configure"),
    ) -> str:
        if polls_until_done < 0:
            raise ValueError("polls_until_done must not be negative")
        task = ScriptedTask(
            id=str(uuid.uuid4()),
            name=name,
            type=task_type,
            polls_until_done=polls_until_done,
            final=final,
            errors=[dict(e) for e in errors],
            subtask_names=list(subtasks),
        )
        with self._lock:
            self._tasks[task.id] = task
        return task.id

    def poll(self, task_id: str) -> dict[str, Any] | None:
        """The task's document after one more poll; None for an unknown id."""
        with self._lock:
            task = self._tasks.get(task_id)
            return None if task is None else task.poll()

    def peek(self, task_id: str) -> dict[str, Any] | None:
        """The task's document without counting a poll; None for an unknown id."""
        with self._lock:
            task = self._tasks.get(task_id)
            return None if task is None else task.document()

    def polls(self, task_id: str) -> int:
        with self._lock:
            return self._tasks[task_id].polls
