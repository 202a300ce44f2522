"""Scripted SDDC Manager tasks for the emulator: each ends after some polls or some emulator time."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any


def _timestamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ScriptedTask:
    """A task that reports IN_PROGRESS until it ends, then `final`.

    It ends after `polls_until_done` polls, or, with `duration_seconds`, once that much time has
    passed on the emulator's clock since it started (however many polls that took).
    """

    id: str
    name: str
    type: str
    polls_until_done: int
    final: str
    errors: list[dict[str, Any]]
    subtask_names: list[str]
    clock: Callable[[], float]
    started: float
    duration_seconds: float | None = None
    completed: str | None = None
    polls: int = 0

    def _progress(self) -> float:
        """How far along it is, from 0 to 1 (1: done)."""
        if self.duration_seconds is not None:
            if self.duration_seconds <= 0:
                return 1.0
            return min(1.0, (self.clock() - self.started) / self.duration_seconds)
        if self.polls > self.polls_until_done:
            return 1.0
        return max(0, self.polls - 1) / (self.polls_until_done + 1)

    def poll(self) -> dict[str, Any]:
        """The task as `GET /v1/tasks/{id}` answers it now; counts as one poll."""
        self.polls += 1
        return self.document()

    def document(self) -> dict[str, Any]:
        """The task as it stands, without counting a poll."""
        progress = self._progress()
        done = progress >= 1.0
        if done and self.completed is None:
            self.completed = _timestamp(self.clock())
        status = self.final if done else "IN_PROGRESS"
        subtasks = [
            {
                "name": name,
                "description": name,
                "status": self._subtask_status(index, status, progress),
                "errors": [],
            }
            for index, name in enumerate(self.subtask_names)
        ]
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "status": status,
            "creationTimestamp": _timestamp(self.started),
            "completionTimestamp": self.completed,
            "subTasks": subtasks,
            "errors": list(self.errors) if done else [],
            "resources": [],
            "isCancellable": not done,
            "isRetryable": done and self.final == "FAILED",
        }

    def _subtask_status(self, index: int, status: str, progress: float) -> str:
        """Sub-tasks finish one by one as the task goes along; the last one ends as the task does."""
        steps = len(self.subtask_names)
        if status != "IN_PROGRESS":
            return status if index == steps - 1 else "SUCCESSFUL"
        running = min(steps - 1, int(progress * steps))
        if index < running:
            return "SUCCESSFUL"
        return "IN_PROGRESS" if index == running else "PENDING"


class TaskBook:
    """The emulator's tasks by id, timed by `clock` (seconds since the epoch). Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
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
        duration_seconds: float | None = None,
    ) -> str:
        if polls_until_done < 0:
            raise ValueError("polls_until_done must not be negative")
        if duration_seconds is not None and not duration_seconds >= 0:
            raise ValueError("duration_seconds must be 0 or more (or None to count polls)")
        task = ScriptedTask(
            id=str(uuid.uuid4()),
            name=name,
            type=task_type,
            polls_until_done=polls_until_done,
            final=final,
            errors=[dict(e) for e in errors],
            subtask_names=list(subtasks),
            clock=self._clock,
            started=self._clock(),
            duration_seconds=duration_seconds,
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
