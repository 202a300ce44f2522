"""A clock the test moves by hand, for SddcManagerAuth(clock=...)."""

from __future__ import annotations

import threading


class ManualClock:
    """Monotonic seconds that only move when the test says so. Thread-safe."""

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
