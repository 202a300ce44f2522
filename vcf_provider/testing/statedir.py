"""An emulator's state directory: held by one live emulator at a time, and kept across restarts."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

CA_FILE = "sddc-emulator-ca.pem"
CA_KEY_FILE = "sddc-emulator-ca-key.pem"
STATE_FILE = "sddc-emulator-state.json"
LOCK_FILE = "sddc-emulator.lock"
STATE_VERSION = 1


class StateDirInUseError(RuntimeError):
    """Another live emulator holds this state directory (its CA and tokens are in use)."""


@dataclass
class SavedState:
    """What an emulator keeps across a restart on the same state directory."""

    signing_key: bytes
    """The key its access tokens are signed with, so tokens issued before a restart still work."""

    clock_offset_seconds: float = 0.0
    """How far tests had moved its clock (`advance`): a restart keeps the time where it was."""

    refresh_tokens: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    """Refresh token id -> (user, expiry by the emulator's clock, None for never)."""


class StateDir:
    """One emulator's hold on a directory: an exclusive lock, the CA files and the saved state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_file: IO[str] | None = None

    @property
    def ca_path(self) -> Path:
        return self.path / CA_FILE

    def acquire(self) -> None:
        """Takes the directory, or raises StateDirInUseError naming the process that has it."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.path / LOCK_FILE, "a+", encoding="ascii")  # noqa: SIM115 - held while running
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            who = "this process" if holder == str(os.getpid()) else "another process"
            raise StateDirInUseError(
                f"state dir {self.path} is in use by a running emulator (pid {holder}, {who}); "
                "stop that one first, or give this one another --state-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def release(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                self._lock_file.seek(0)
                self._lock_file.truncate()
            self._lock_file.close()  # closing the file releases the lock
            self._lock_file = None

    def load_ca_pem(self) -> tuple[bytes, bytes] | None:
        """The saved CA (certificate, private key) in PEM, or None when this dir has none yet."""
        try:
            return (self.path / CA_FILE).read_bytes(), (self.path / CA_KEY_FILE).read_bytes()
        except FileNotFoundError:
            return None

    def save_ca_pem(self, cert_pem: bytes, key_pem: bytes) -> None:
        _write_private(self.path / CA_KEY_FILE, key_pem)
        _write(self.path / CA_FILE, cert_pem)

    def load_state(self) -> SavedState | None:
        """The state a previous emulator saved here, or None (none yet, or from an unknown version)."""
        try:
            document: Any = json.loads((self.path / STATE_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
            return None
        tokens = {
            str(refresh_id): (str(entry["user"]), entry.get("expiresAt"))
            for refresh_id, entry in (document.get("refreshTokens") or {}).items()
        }
        return SavedState(
            signing_key=bytes.fromhex(document["signingKey"]),
            clock_offset_seconds=float(document.get("clockOffsetSeconds", 0.0)),
            refresh_tokens=tokens,
        )

    def save_state(self, state: SavedState) -> None:
        document = {
            "version": STATE_VERSION,
            "signingKey": state.signing_key.hex(),
            "clockOffsetSeconds": state.clock_offset_seconds,
            "refreshTokens": {
                refresh_id: {"user": user, "expiresAt": expires}
                for refresh_id, (user, expires) in state.refresh_tokens.items()
            },
        }
        _write_private(self.path / STATE_FILE, json.dumps(document, indent=1).encode())


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Writes through a temporary file, so a reader (or a crash) never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as output:
        output.write(data)
    os.replace(temporary, path)


def _write_private(path: Path, data: bytes) -> None:
    """Keys and live refresh tokens: readable by the owner only."""
    _write(path, data, 0o600)
