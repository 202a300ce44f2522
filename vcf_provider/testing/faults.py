"""Scripted answers for the emulator: faults that replace one normal answer, and VCF `Error` payloads."""

from __future__ import annotations

import json
import random
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fault:
    """One scripted answer that replaces the emulator's normal one for a single request."""

    status: int = 0
    """HTTP status to answer with (0 when the fault sends no status line)."""

    body: bytes = b""
    """The body to send with `status`."""

    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra response headers (Content-Type defaults to application/json)."""

    delay_seconds: float = 0.0
    """Wait this long before answering (or before dropping the connection)."""

    drop_connection: bool = False
    """Send a partial response, then close the connection."""

    hang: bool = False
    """Never answer: hold the connection open until the client closes it or the emulator stops."""

    trickle_seconds_per_byte: float = 0.0
    """Send the answer one byte at a time, this long apart (a slow link or a stuck proxy)."""

    process_first: bool = False
    """Carry out the request normally (a login creates its pair), then wait `delay_seconds` before
    answering: the server did the work, the client may give up before hearing of it."""

    clock_offset_seconds: float = 0.0
    """Answer normally, with the token's iat/nbf/exp shifted by this much (a server clock that is off)."""

    release: threading.Event | None = field(default=None, compare=False)
    """Carry out the request, then hold the answer until this event is set (or the emulator stops)."""

    @classmethod
    def error(cls, status: int, payload: Any = None, **headers: str) -> Fault:
        """An HTTP error with a JSON payload (a VCF `Error` dict, usually)."""
        body = b"" if payload is None else json.dumps(payload).encode()
        return cls(status=status, body=body, headers=headers)

    @classmethod
    def raw(cls, status: int, body: bytes | str, content_type: str = "application/json") -> Fault:
        """Any status with any body, byte for byte."""
        data = body.encode() if isinstance(body, str) else body
        return cls(status=status, body=data, headers={"Content-Type": content_type})

    @classmethod
    def redirect(cls, location: str, status: int = 307) -> Fault:
        """A redirect to `location`."""
        return cls(status=status, headers={"Location": location})

    @classmethod
    def dropped(cls, delay_seconds: float = 0.0) -> Fault:
        """The connection closes in the middle of the response."""
        return cls(drop_connection=True, delay_seconds=delay_seconds)

    @classmethod
    def hung(cls) -> Fault:
        """The server accepts the request and never answers."""
        return cls(hang=True)

    @classmethod
    def trickled(cls, seconds_per_byte: float, fault: Fault | None = None) -> Fault:
        """The normal answer (or `fault`'s), sent one byte every `seconds_per_byte`."""
        base = fault or cls()
        return cls(
            status=base.status,
            body=base.body,
            headers=base.headers,
            process_first=base.status == 0,
            trickle_seconds_per_byte=seconds_per_byte,
        )

    @classmethod
    def late(cls, delay_seconds: float) -> Fault:
        """The request is carried out at once; its answer leaves `delay_seconds` later."""
        return cls(process_first=True, delay_seconds=delay_seconds)

    @classmethod
    def held_until(cls, release: threading.Event) -> Fault:
        """The request is carried out at once; its answer leaves when the test sets `release`.

        For ordering tests without wall-clock sleeps: what else the server answers meanwhile.
        """
        return cls(process_first=True, release=release)

    @classmethod
    def skewed_clock(cls, offset_seconds: float) -> Fault:
        """The normal answer, its token's times shifted by `offset_seconds` (negative: server behind)."""
        return cls(process_first=True, clock_offset_seconds=offset_seconds)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received."""

    method: str
    path: str
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    """Kept out of repr: it holds credentials."""


def vcf_error(code: str, message: str, remediation: str, **extra: Any) -> dict[str, Any]:
    """A VCF `Error` payload as SDDC Manager sends it."""
    reference = "".join(random.choices(string.ascii_uppercase + string.digits, k=6))  # noqa: S311
    payload: dict[str, Any] = {
        "errorCode": code,
        "errorType": "ERROR",
        "message": message,
        "remediationMessage": remediation,
        "referenceToken": reference,
        "arguments": [],
        "causes": [],
        "context": {},
    }
    payload.update(extra)
    return payload
