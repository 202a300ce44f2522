"""The emulator's clock: real time plus however far a test has moved it, shareable with other processes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

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
        self._offset = float(offset_seconds)
        self._lock = threading.Lock()
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
        if not seconds >= 0:
            raise ValueError("advance takes seconds of 0 or more: the clock does not run backwards")
        with self._lock:
            self._offset += seconds
            files = list(self._shared_files)
        for path in files:
            _write_offset(path, self.offset_seconds)
        return self.now()

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
        _write_offset(timestamp_file, self.offset_seconds)
        # The package's additions: its library on LD_PRELOAD (ahead of any already there) and the
        # search path to find it, kept ahead of the caller's own.
        environment = {key: str(value) for key, value in additions.items()}
        for path_variable in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
            if path_variable in environment and os.environ.get(path_variable):
                environment[path_variable] += os.pathsep + os.environ[path_variable]
        environment.update(_FAKETIME_SETTINGS)
        environment["FAKETIME_TIMESTAMP_FILE"] = str(timestamp_file)
        return environment


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
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(f"+{round(offset_seconds)}\n", encoding="ascii")
    os.replace(temporary, path)
