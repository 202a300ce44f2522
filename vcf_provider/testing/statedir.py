"""An emulator's state directory: held by one live emulator at a time, and kept across restarts."""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from vcf_provider.testing.clock import LATEST
from vcf_provider.testing.files import write_atomically

CA = TypeVar("CA")

CA_FILE = "sddc-emulator-ca.pem"
CA_KEY_FILE = "sddc-emulator-ca-key.pem"
STATE_FILE = "sddc-emulator-state.json"
LOCK_FILE = "sddc-emulator.lock"
STATE_VERSION = 1


class StateDirError(RuntimeError):
    """A state dir the emulator cannot use: not a writable directory, or files it cannot read.

    The message is one line naming the dir or file and what is wrong. Files it could not read are
    left exactly as they were: they may hold the only copy of a CA or of live refresh tokens.
    """


class StateDirInUseError(StateDirError):
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
        self._write_lock = threading.Lock()

    @property
    def ca_path(self) -> Path:
        return self.path / CA_FILE

    def acquire(self) -> None:
        """Takes the directory, or raises StateDirInUseError naming the process that has it.

        A path that is no directory, or one this process cannot write, is a StateDirError naming it.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            handle = open(self.path / LOCK_FILE, "a+", encoding="ascii")  # noqa: SIM115 - held while running
        except OSError as error:
            raise self.unusable(error) from None
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

    def unusable(self, error: OSError) -> StateDirError:
        """The error for a dir this process cannot write or read, naming it (never the port)."""
        if self.path.exists() and not self.path.is_dir():
            reason = "it is a file, not a directory"
        else:
            reason = error.strerror or str(error)
            if error.filename:
                reason += f": {Path(error.filename).name}"
        return StateDirError(f"state dir {self.path} cannot be used ({reason})")

    def load_ca(self, build: Callable[[bytes, bytes], CA]) -> CA | None:
        """`build(certificate PEM, key PEM)` from the saved CA; None when this dir has none yet."""
        cert_file, key_file = self.path / CA_FILE, self.path / CA_KEY_FILE
        where = f"CA files {cert_file} and {key_file}"
        try:
            cert_pem, key_pem = cert_file.read_bytes(), key_file.read_bytes()
        except FileNotFoundError:
            if cert_file.exists() or key_file.exists():
                raise StateDirError(f"{where}: only one of them is there; {LEFT_AS_ARE}") from None
            return None
        except OSError as error:
            raise StateDirError(f"{where}: they cannot be read ({error.strerror}); {LEFT_AS_ARE}") from None
        try:
            return build(cert_pem, key_pem)
        except (ValueError, TypeError):
            raise StateDirError(
                f"{where}: they are not a PEM certificate and its private key; {LEFT_AS_ARE}"
            ) from None

    def save_ca_pem(self, cert_pem: bytes, key_pem: bytes) -> None:
        self._write(CA_KEY_FILE, key_pem, PRIVATE)
        self._write(CA_FILE, cert_pem, 0o644)

    def load_state(self) -> SavedState | None:
        """The state a previous emulator saved here, or None when there is none yet.

        A state file it cannot read or make sense of is a StateDirError naming the file and what is
        wrong; the file is left as it is (nothing overwrites it, since no emulator starts on it).
        """
        state_file = self.path / STATE_FILE
        try:
            document: Any = json.loads(state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise _bad_state(state_file, f"it cannot be read ({error.strerror})") from None
        except UnicodeDecodeError:
            raise _bad_state(state_file, "it is not UTF-8 text") from None
        except json.JSONDecodeError as error:
            raise _bad_state(
                state_file, f"it is not JSON ({error.msg} at line {error.lineno} column {error.colno})"
            ) from None
        try:
            return parse_state(document)
        except ValueError as error:
            raise _bad_state(state_file, str(error)) from None

    def save_state(self, state: SavedState) -> None:
        """Writes `state`; concurrent callers are serialized, so the one that writes last wins."""
        document = {
            "version": STATE_VERSION,
            "signingKey": state.signing_key.hex(),
            "clockOffsetSeconds": state.clock_offset_seconds,
            "refreshTokens": {
                refresh_id: {"user": user, "expiresAt": expires}
                for refresh_id, (user, expires) in state.refresh_tokens.items()
            },
        }
        self._write(STATE_FILE, json.dumps(document, indent=1).encode(), PRIVATE)

    def _write(self, name: str, data: bytes, mode: int) -> None:
        # The lock orders this process's writers; write_atomically keeps each one whole on disk.
        try:
            with self._write_lock:
                write_atomically(self.path / name, data, mode)
        except OSError as error:
            raise self.unusable(error) from None


#: Keys and live refresh tokens: readable by the owner only.
PRIVATE = 0o600
LEFT_AS_IS = "it was left as it is: fix or remove it"
LEFT_AS_ARE = "they were left as they are: fix or remove them"


def _bad_state(state_file: Path, problem: str) -> StateDirError:
    return StateDirError(f"state file {state_file}: {problem}; {LEFT_AS_IS}")


def parse_state(document: Any) -> SavedState:
    """A saved state from its JSON document; ValueError saying which field is wrong (never a token)."""
    if not isinstance(document, dict):
        raise ValueError("it is not a JSON object")
    if document.get("version") != STATE_VERSION:
        raise ValueError(
            f"it has version {document.get('version')!r}; this emulator reads version {STATE_VERSION}"
        )
    key = document.get("signingKey")
    try:
        signing_key = bytes.fromhex(key) if isinstance(key, str) else b""
    except ValueError:
        signing_key = b""
    if not signing_key:
        raise ValueError("signingKey is not a hex string")
    offset = _number(document.get("clockOffsetSeconds", 0.0), "clockOffsetSeconds")
    if offset is None or offset < 0 or time.time() + offset > LATEST.timestamp():
        raise ValueError(f"clockOffsetSeconds {offset} is not between 0 and the clock's end, {LATEST.date()}")
    entries = document.get("refreshTokens") or {}
    if not isinstance(entries, dict):
        raise ValueError("refreshTokens is not an object")
    tokens: dict[str, tuple[str, float | None]] = {}
    # Entries are named by their position: their keys are live refresh tokens, not for messages.
    for position, (refresh_id, entry) in enumerate(entries.items(), start=1):
        user = entry.get("user") if isinstance(entry, dict) else None
        if not isinstance(user, str) or not user:
            raise ValueError(f"refreshTokens entry {position} has no user")
        expires = _number(entry.get("expiresAt"), f"refreshTokens entry {position}: expiresAt")
        tokens[refresh_id] = (user, expires)
    return SavedState(signing_key=signing_key, clock_offset_seconds=offset, refresh_tokens=tokens)


def _number(value: Any, name: str) -> float | None:
    """`value` as seconds (None stays None); ValueError for anything else, booleans and inf included."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{name} is not a finite number")
    return float(value)
