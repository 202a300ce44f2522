"""One deadline and one cancel signal for every wait: attempts, retry pauses, refreshes, task polls, revokes.

Go's `context.Context` in the small. A `Deadline` is a point on the monotonic clock (or none);
the cancel signal is one per process, because what ends work is process-wide: the engine's
Cancel (the first Ctrl-C or SIGTERM of the CLI), and the interpreter shutting down. Code that
waits asks `Deadline.sleep` or `Deadline.check` rather than `time.sleep`, so a cancel ends any wait
within `SLICE_SECONDS`, and nothing waits past the deadline its caller set.

The deadline in force travels with the call in a context variable (`scope`, `current`): a refresh
made inside someone else's request (a downstream `session.get`, a task poll) is bounded by what
that caller has left.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from vcf_provider.api.errors import OperationCancelled

#: How often a wait looks at the cancel signal when nothing sets it (the main thread dying).
SLICE_SECONDS = 0.25

_cancelled = threading.Event()


def cancel_everything() -> None:
    """Ends every wait and attempt in this process, now and later (the engine cancelled)."""
    _cancelled.set()


_watching_exit = False


def cancelled() -> bool:
    """True once the process was cancelled, or (in a provider process) is shutting down."""
    return _cancelled.is_set() or (_watching_exit and not threading.main_thread().is_alive())


def _reset_for_tests() -> None:
    """Forgets a cancel (tests that cancel in-process); never called by the package."""
    _cancelled.clear()


def watch_process_exit() -> None:
    """In a provider process only: its exit counts as a cancel.

    On SIGINT the provider host's main thread returns and the interpreter joins the gRPC worker
    threads before anything else: a call in flight would hold the process until the engine kills
    it 5 s later. The hook registered here runs before that join (Python 3.9+). Not done at import:
    in a user's script, worker threads that go on after the main thread returns must keep working.
    """
    global _watching_exit
    if _watching_exit:
        return
    _watching_exit = True
    register = getattr(threading, "_register_atexit", None)
    if register is None:
        return
    try:
        register(_cancelled.set)
    except RuntimeError:  # already shutting down
        _cancelled.set()


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock by which a piece of work ends (`math.inf`: none)."""

    at: float = math.inf
    """`time.monotonic()` seconds."""

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline `seconds` from now."""
        return cls(time.monotonic() + seconds)

    def within(self, seconds: float) -> Deadline:
        """This deadline, or `seconds` from now when that comes first."""
        return Deadline(min(self.at, time.monotonic() + seconds))

    def remaining(self) -> float:
        """Seconds left (0 once past; `math.inf` without a deadline)."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self, what: str) -> None:
        """Raises OperationCancelled when the process was cancelled; `what` says what stopped."""
        if cancelled():
            raise OperationCancelled(what)

    def sleep(self, seconds: float, what: str) -> bool:
        """Waits `seconds` and returns True; returns False at once when the deadline would come
        first (so no pause is begun that cannot be followed by work).

        Raises OperationCancelled within `SLICE_SECONDS` of a cancel.
        """
        self.check(what)
        end = time.monotonic() + max(0.0, seconds)
        if end >= self.at:
            return False
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            _cancelled.wait(min(left, SLICE_SECONDS))
            self.check(what)

    def wait(self, seconds: float, what: str) -> None:
        """Waits `seconds`, or until the deadline when that comes first.

        Raises OperationCancelled within `SLICE_SECONDS` of a cancel.
        """
        end = min(time.monotonic() + max(0.0, seconds), self.at)
        while True:
            self.check(what)
            left = end - time.monotonic()
            if left <= 0:
                return
            _cancelled.wait(min(left, SLICE_SECONDS))


NONE = Deadline()

_current: ContextVar[Deadline] = ContextVar("vcf_provider_deadline", default=NONE)


def current() -> Deadline:
    """The deadline of the work this call is part of (`NONE` outside any `scope`)."""
    return _current.get()


@contextlib.contextmanager
def scope(deadline: Deadline) -> Iterator[Deadline]:
    """Runs the block under `deadline`, or the enclosing one when that comes first."""
    effective = Deadline(min(deadline.at, current().at))
    token = _current.set(effective)
    try:
        yield effective
    finally:
        _current.reset(token)
