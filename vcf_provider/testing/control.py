"""The emulator's control interface under /__emulator/: clock, request log, refresh tokens; off by default."""

from __future__ import annotations

import json
from typing import Any, Protocol

from vcf_provider.testing.clock import EmulatorClock
from vcf_provider.testing.faults import RecordedRequest
from vcf_provider.testing.rules import ApiAnswer, ApiRequest

CONTROL_PREFIX = "/__emulator/"
_ADVANCE_BODY = 'Send {"seconds": 3600}.'

#: (method, path under the prefix) -> what it does, for the 404 that lists them.
ENDPOINTS = {
    ("GET", "clock"): "the clock: now, offsetSeconds, managerTime (seconds since the epoch)",
    ("POST", "clock/advance"): 'moves the clock: body {"seconds": 3600}; answers as GET clock',
    ("GET", "requests"): "the request log: method and path of each SDDC Manager request, oldest first",
    ("DELETE", "requests"): "empties the request log",
    ("GET", "refresh-tokens"): "how many refresh tokens were issued, are live, were revoked (no ids)",
    ("POST", "refresh-tokens/revoke-all"): "revokes every refresh token; answers how many worked",
    ("POST", "refresh-tokens/expire"): "every refresh token reaches its end of life now",
}


class Controlled(Protocol):
    """What the control interface moves and reads in an emulator."""

    clock: EmulatorClock

    def manager_time(self) -> float: ...
    def advance(self, seconds: float) -> float: ...
    def clear_log(self) -> None: ...
    def revoke_all(self) -> int: ...
    def expire_refresh_tokens(self) -> int: ...
    @property
    def requests(self) -> list[RecordedRequest]: ...
    @property
    def issued_refresh_tokens(self) -> list[str]: ...
    @property
    def live_refresh_tokens(self) -> list[str]: ...
    @property
    def revoked_refresh_tokens(self) -> list[str]: ...


def _refused(status: int, message: str, remediation: str) -> ApiAnswer:
    return ApiAnswer.error(status, "EMULATOR_CONTROL_REFUSED", message, remediation)


class ControlApi:
    """Answers requests under CONTROL_PREFIX from `emulator`; JSON in and out, no authentication.

    For tests written in other languages (a YAML program, Go or TypeScript code) that start the
    emulator with `python -m vcf_provider.testing --control` and drive it over HTTPS like any other
    client. The prefix cannot collide with SDDC Manager's API, whose paths start with /v1/ (or are /).
    Errors are VCF `Error` payloads (errorCode EMULATOR_CONTROL_REFUSED); ENDPOINTS lists the calls.

    Anyone who can reach the port can move the clock, so it is off unless asked for, and the
    emulator listens on loopback by default. Answers never hold a token, a password or a request's
    headers or body: the log shows each request's method and path only.
    """

    def __init__(self, emulator: Controlled) -> None:
        self.emulator = emulator

    def __call__(self, request: ApiRequest) -> ApiAnswer:
        endpoint = (request.method, request.path.removeprefix(CONTROL_PREFIX).rstrip("/"))
        if endpoint == ("GET", "clock"):
            return self._clock()
        if endpoint == ("POST", "clock/advance"):
            return self._advance(request.body)
        if endpoint == ("GET", "requests"):
            log = [{"method": r.method, "path": r.path} for r in self.emulator.requests]
            return ApiAnswer.json(200, {"count": len(log), "requests": log})
        if endpoint == ("DELETE", "requests"):
            self.emulator.clear_log()
            return ApiAnswer(204)
        if endpoint == ("GET", "refresh-tokens"):
            return ApiAnswer.json(
                200,
                {
                    "issued": len(self.emulator.issued_refresh_tokens),
                    "live": len(self.emulator.live_refresh_tokens),
                    "revoked": len(self.emulator.revoked_refresh_tokens),
                },
            )
        if endpoint == ("POST", "refresh-tokens/revoke-all"):
            return ApiAnswer.json(200, {"revoked": self.emulator.revoke_all()})
        if endpoint == ("POST", "refresh-tokens/expire"):
            return ApiAnswer.json(200, {"expired": self.emulator.expire_refresh_tokens()})
        listed = "; ".join(f"{m} {CONTROL_PREFIX}{p}: {what}" for (m, p), what in ENDPOINTS.items())
        return _refused(404, f"No control endpoint at {request.method} {request.path}.", listed)

    def _clock(self) -> ApiAnswer:
        clock = self.emulator.clock
        return ApiAnswer.json(
            200,
            {
                "now": clock.now(),
                "offsetSeconds": clock.offset_seconds,
                "managerTime": self.emulator.manager_time(),
            },
        )

    def _advance(self, body: bytes) -> ApiAnswer:
        try:
            document: Any = json.loads(body or b"null")
        except ValueError:
            document = None
        seconds = document.get("seconds") if isinstance(document, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            return _refused(400, "The body is not a JSON object with a number of seconds.", _ADVANCE_BODY)
        try:
            self.emulator.advance(seconds)
        except ValueError as error:
            return _refused(400, str(error), "Advance by a smaller number of seconds, 0 or more.")
        return self._clock()
