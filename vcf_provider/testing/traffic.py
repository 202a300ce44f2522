"""What reaches the emulator and what it answers instead: the request log, connections, scripted faults."""

from __future__ import annotations

import random
import threading
import time
from collections import deque

from vcf_provider.testing.faults import Fault, RecordedRequest, vcf_error


class Traffic:
    """The emulator's traffic side (it inherits these): thread-safe, kept in memory only."""

    def __init__(self, *, failure_rate: float = 0.0, failure_seed: int = 0) -> None:
        self.failure_rate = failure_rate
        """The share of requests (0 to 1) answered with an injected 503 instead of normally."""
        self._random = random.Random(failure_seed)  # noqa: S311 - fault injection, not security
        self._traffic_lock = threading.Lock()
        self._faults: dict[tuple[str, str], deque[Fault]] = {}
        self._requests: list[RecordedRequest] = []
        self._connections_accepted = 0
        self._hung_requests_closed: list[float] = []

    def script(self, method: str, path: str, *faults: Fault) -> None:
        """Answers the next requests to `method path` with `faults`, one each, then normally again."""
        with self._traffic_lock:
            self._faults.setdefault((method.upper(), path), deque()).extend(faults)

    def next_fault(self, method: str, path: str) -> Fault | None:
        """The scripted (or randomly injected) fault for the next `method path` request, if any."""
        with self._traffic_lock:
            queue = self._faults.get((method, path))
            if queue:
                return queue.popleft()
            if self.failure_rate and self._random.random() < self.failure_rate:
                return Fault.error(503, vcf_error("SERVICE_UNAVAILABLE", "Injected failure.", "Retry."))
        return None

    def record(self, request: RecordedRequest) -> None:
        """Adds a request to the log (the HTTP side calls it for every request)."""
        with self._traffic_lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._traffic_lock:
            return list(self._requests)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched `method` and `path` (either may be None for any)."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or r.path == path)
        )

    def clear_log(self) -> None:
        with self._traffic_lock:
            self._requests.clear()

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far: N requests over fewer connections means reuse."""
        with self._traffic_lock:
            return self._connections_accepted

    def note_hung_request_closed(self) -> None:
        """Notes the moment a client gave up on a `Fault.hung()` request (the HTTP side calls it)."""
        with self._traffic_lock:
            self._hung_requests_closed.append(time.monotonic())

    @property
    def hung_requests_closed(self) -> list[float]:
        """`time.monotonic()` of each moment a client gave up on a `Fault.hung()` request."""
        with self._traffic_lock:
            return list(self._hung_requests_closed)

    def count_connection(self) -> None:
        """Counts an accepted TCP connection (the HTTP side calls it)."""
        with self._traffic_lock:
            self._connections_accepted += 1
