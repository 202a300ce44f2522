"""Clocks for tests: the emulator's (real time plus what tests added, shared) and a hand-moved one."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from vcf_provider.testing.files import write_atomically

#: The latest time the emulator's clock may reach. datetime (task timestamps, the Date header) ends
#: in 9999; the margin leaves room for token lifetimes and `clock_offset_seconds` on top.
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
#: How far `clock_offset_seconds` (a manager whose clock is off) may go either way: 100 years.
MAX_SKEW_SECONDS = 100 * 365.25 * 86_400

MISSING_LIBFAKETIME = (
    "moving other processes' clocks needs the libfaketime package (Linux and macOS): "
    "pip install 'vcf-provider[testing]'"
)


class EmulatorClock:
    """SDDC Manager's time in the emulator. Thread-safe.

    It runs at the real pace from wherever `advance` last put it. Everything time-dependent in the
    emulator reads it: the tokens' `iat`/`nbf`/`exp`, refresh-token expiry, task timestamps and
    durations. `process_environment` hands the same time to processes you start (a `pulumi up`).
    """

    def __init__(self, offset_seconds: float = 0.0) -> None:
        if not math.isfinite(offset_seconds) or time.time() + offset_seconds > LATEST.timestamp():
            raise ValueError(f"the clock's offset must be a finite number of seconds {_BOUND}")
        self._offset = float(offset_seconds)
        self._lock = threading.Lock()
        self._files_lock = threading.Lock()
        self._shared_files: list[Path] = []

    def now(self) -> float:
        """Seconds since the epoch, as SDDC Manager sees them."""
        return time.time() + self.offset_seconds

    def now_datetime(self) -> datetime:
        """`now()` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), timezone.utc)

    @property
    def offset_seconds(self) -> float:
        """How far ahead of the real time this clock is (what `advance` has added up to)."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> float:
        """Moves the clock `seconds` ahead (time never runs backwards here); returns the new `now()`."""
        if seconds < 0:
            raise ValueError("advance takes seconds of 0 or more: the clock does not run backwards")
        with self._lock:
            # Checked under the lock: two advances that each fit could together pass the end.
            if not math.isfinite(seconds) or time.time() + self._offset + seconds > LATEST.timestamp():
                raise ValueError(f"advance takes a finite number of seconds {_BOUND}; {seconds:g} does not")
            self._offset += seconds
        self._share()
        return self.now()

    def _share(self) -> None:
        """Writes the offset to every timestamp file; one writer at a time, so the newest lands last."""
        with self._files_lock:
            with self._lock:
                files, offset = list(self._shared_files), self._offset
            for path in files:
                _write_offset(path, offset)

    def process_environment(self, timestamp_file: Path) -> dict[str, str]:
        """Environment variables that make a process (and its children) see this clock's time.

        It preloads libfaketime, driven by `timestamp_file`, which `advance` rewrites from then on.
        Only wall-clock time moves: monotonic clocks stay real, so timeouts, gRPC deadlines and
        sleeps in those processes behave as usual. Statically linked programs (the Go-built Pulumi
        CLI) keep the real time; the Python processes they start (programs, dynamic providers)
        follow this clock. Each process reads the file when it starts, so move the clock between
        commands, not while one runs.
        """
        try:
            import libfaketime
        except ImportError:
            raise ImportError(MISSING_LIBFAKETIME) from None
        # (whether this process would need a re-exec, the variables that preload the library)
        _, additions = libfaketime.get_reload_information()
        timestamp_file = Path(timestamp_file)
        with self._lock:
            if timestamp_file not in self._shared_files:
                self._shared_files.append(timestamp_file)
        self._share()
        # The package's additions: its library on LD_PRELOAD (ahead of any already there) and the
        # search path to find it, kept ahead of the caller's own.
        environment = {key: str(value) for key, value in additions.items()}
        for path_variable in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
            if path_variable in environment and os.environ.get(path_variable):
                environment[path_variable] += os.pathsep + os.environ[path_variable]
        environment.update(_FAKETIME_SETTINGS)
        environment["FAKETIME_TIMESTAMP_FILE"] = str(timestamp_file)
        return environment


_BOUND = f"that keeps the clock before {LATEST.date().isoformat()} (datetime ends in 9999)"


def check_skew(seconds: float, name: str = "clock_offset_seconds") -> float:
    """`seconds` if it can work as a manager's clock offset; else ValueError saying what can."""
    if not (math.isfinite(seconds) and abs(seconds) <= MAX_SKEW_SECONDS):
        raise ValueError(
            f"{name} must be a finite number of seconds, at most {MAX_SKEW_SECONDS:.0f} (100 years) either "
            f"way; {seconds:g} is not"
        )
    return seconds


class ManualClock:
    """A monotonic clock that moves only when the test says so: the double for `clock=` parameters.

    `SddcManagerAuth(..., clock=ManualClock())` and `TokenRenewer(..., clock=...)` read it where
    they would read `time.monotonic`; `advance` brings a renewal window or an expiry at once,
    without sleeping. Thread-safe.
    """

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """The current reading, in seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Moves the clock `seconds` on (0 or more, finite); returns the new reading."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"advance takes a finite number of seconds of 0 or more, not {seconds:g}")
        with self._lock:
            self._now += seconds
            return self._now


#: How libfaketime runs in the processes: wall clock only, the file read once a process starts.
_FAKETIME_SETTINGS: Mapping[str, str] = {
    # Monotonic clocks stay real: faking them would stretch every timeout and sleep by the offset.
    "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    "DONT_FAKE_MONOTONIC": "1",
    # The package asks for a re-read on every call; the offset only moves between commands, and a
    # file read per clock_gettime() slows gRPC's busy threads for nothing.
    "FAKETIME_NO_CACHE": "0",
    "FAKETIME_CACHE_DURATION": "3600",
}


def _write_offset(path: Path, offset_seconds: float) -> None:
    """libfaketime's relative form: `+N` seconds ahead of the real time (it reads whole seconds only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, f"+{round(offset_seconds)}\n".encode("ascii"))
