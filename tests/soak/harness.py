"""The soak: one stack through a schedule of `pulumi up --yes --refresh` runs on a moved clock.

The emulator's clock and the provider processes' clocks (libfaketime, via the environment the CLI
passes on) move together between runs; the Pulumi CLI itself keeps the real time. After every run
the soak asserts what a user relies on and prints one table row.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.soak.schedule import CLOCK_OFF, CLOCK_OFF_SECONDS, MANAGER_DOWN, REVOKE_ALL, SIGTERM, Run
from tests.support.engine import CommandResult, create_stack
from tests.support.leaks import find_leaks
from tests.support.routes import LOGIN, REFRESH, TYPE_PAIR, TYPE_TOKEN
from tests.support.stacks import configure, first_error_line
from tests.support.waiting import wait_until
from vcf_provider.api.jwt import parse_rfc3339
from vcf_provider.testing import DEFAULT_PASSWORD, Fault, SddcManagerEmulator

#: SDDC Manager's lifetimes (what real ones report) and the package's default pair rotation.
ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 86_400
ROTATE_AFTER = 72_000
#: A pair this close to a boundary may or may not cross it during the run: a login is allowed.
BOUNDARY_SLACK_SECONDS = 300

PROGRAM = """
import os

import pulumi
from examples.downstream.sddc_info import SddcManagers
from vcf_provider import AccessTokenPair, RefreshedAccessToken

pair = AccessTokenPair("login")
token = RefreshedAccessToken("token", host=pair.host, refresh_token=pair.refresh_token)
# The downstream example's resource: SddcManagerAuth in every run's update (a new trigger each run).
SddcManagers(
    "managers",
    host=pair.host,
    refresh_token=pair.refresh_token,
    ca_bundle=pulumi.Config("vcf").get("caBundle"),
    triggers={"run": os.environ["SOAK_RUN"]},
)
pulumi.export("expires_at", token.expires_at)
"""

#: The first line a user sees when SDDC Manager is down (README, "When something fails").
DOWN_FIRST_LINE = re.compile(
    r"failed: no answer from PATCH https://\S+ after \d+ attempts: Connection refused\."
)


@dataclass
class RunRecord:
    """One row of the soak's table."""

    number: int
    simulated: datetime
    gap_seconds: int
    events: tuple[str, ...]
    requests: Counter[str] = field(default_factory=Counter)
    logins_expected: int = 0
    logins_actual: int = 0
    live_refresh_tokens: int = 0
    result: str = ""
    seconds: float = 0.0


@dataclass
class SoakReport:
    """What the soak measured, for the summary."""

    rows: list[RunRecord]
    leaks: list[str]
    secrets_audited: int

    @property
    def span_seconds(self) -> float:
        return (self.rows[-1].simulated - self.rows[0].simulated).total_seconds()

    @property
    def logins_expected(self) -> int:
        return sum(row.logins_expected for row in self.rows)

    @property
    def logins_actual(self) -> int:
        return sum(row.logins_actual for row in self.rows)

    def summary(self) -> str:
        days = self.span_seconds / 86_400
        succeeded = [row for row in self.rows if row.result == "ok"]
        live_ok = sorted({row.live_refresh_tokens for row in succeeded})
        live_failed = sorted({row.live_refresh_tokens for row in self.rows if row not in succeeded})
        return (
            f"simulated span {days:.0f} days ({days / 365:.2f} years), {len(self.rows)} runs "
            f"({len(succeeded)} ok, {len(self.rows) - len(succeeded)} failed as planned), "
            f"logins expected at most {self.logins_expected} / actual {self.logins_actual}, "
            f"live refresh tokens after each ok run: {live_ok}, after the failed ones: {live_failed} "
            "(none that no pair holds), "
            f"leaks: {len(self.leaks)} ({self.secrets_audited} secrets audited in every encoding)"
        )


def human_gap(seconds: int) -> str:
    """90d, 24.1h, 61min: a unit from two of it up, so the gaps around 1 h and 24 h stay readable."""
    for unit, size in (("d", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= (size if unit == "min" else 2 * size):
            value = seconds / size
            return f"{value:.1f}{unit}".replace(".0", "")
    return f"{seconds}s"


#: Request counts by method: POST logs in, PATCH refreshes, DELETE revokes, GET calls the API,
#: HEAD reads the manager's clock.
METHODS = ("POST", "PATCH", "DELETE", "GET", "HEAD")
HEADER = f"{'run':>3}  {'simulated (UTC)':<16}  {'gap':>6}  " + " ".join(f"{m:>6}" for m in METHODS)
HEADER += f"  {'logins exp/act':>14}  {'live':>4}  {'secs':>4}  result (events before the run)"


def table_row(row: RunRecord) -> str:
    counts = row.requests
    events = f" ({'; '.join(row.events)})" if row.events else ""
    return (
        f"{row.number:>3}  {row.simulated:%Y-%m-%d %H:%M}  {human_gap(row.gap_seconds):>6}  "
        + " ".join(f"{counts[method]:>6}" for method in METHODS)
        + "  "
        f"{row.logins_expected:>6}/{row.logins_actual:<7}  {row.live_refresh_tokens:>4}  "
        f"{row.seconds:>4.0f}  {row.result}{events}"
    )


class Soak:
    """One stack, one emulator (restarted on the same state dir and port when it was down)."""

    def __init__(self, pulumi: str, work_dir: Path, out: Callable[[str], None] = print) -> None:
        self.work_dir = work_dir
        self.out = out
        self.state_dir = work_dir / "sddc-manager"
        self.timestamp_file = work_dir / "faketime" / "offset"
        self.emulator: SddcManagerEmulator | None = None
        self._port_holder: socket.socket | None = None
        self.port = 0
        self._start_emulator()
        self.stack = create_stack(pulumi, work_dir / "stack", PROGRAM, project="vcf-soak")
        configure(self.stack, self.manager, login=True)
        # The same file across restarts, so the environment stays the same too.
        self.stack.extra_env.update(self.environment)
        self.secrets: set[str] = {DEFAULT_PASSWORD}
        self.pair_created: float | None = None
        self.revoked_since_last_run = False
        self.audited_transcript = 0
        self.audited_files: dict[Path, tuple[int, int]] = {}

    # -- the emulator ------------------------------------------------------------------------
    @property
    def manager(self) -> SddcManagerEmulator:
        assert self.emulator is not None, "SDDC Manager is down"
        return self.emulator

    def _start_emulator(self) -> None:
        if self._port_holder is not None:
            self._port_holder.close()
            self._port_holder = None
        self.emulator = SddcManagerEmulator(
            port=self.port,
            state_dir=self.state_dir,
            token_lifetime_seconds=ACCESS_TOKEN_LIFETIME,
            refresh_token_lifetime_seconds=REFRESH_TOKEN_LIFETIME,
        ).start()
        self.port = self.emulator.port
        # The provider processes see the emulator's time: the same file, rewritten by advance().
        self.environment = self.emulator.clock.process_environment(self.timestamp_file)

    def _stop_emulator(self) -> None:
        self._collect_secrets()
        self.manager.stop()
        self.emulator = None
        # A manager that is down refuses connections: hold its port (bound, not listening) so that
        # no other test's server takes it meanwhile and answers in its place.
        holder = socket.socket()
        holder.bind(("127.0.0.1", self.port))
        self._port_holder = holder

    def _collect_secrets(self) -> None:
        if self.emulator is not None:
            self.secrets.update(self.emulator.issued_refresh_tokens, self.emulator.issued_access_tokens)

    # -- one run -------------------------------------------------------------------------------
    def run(self, schedule: Iterable[Run]) -> SoakReport:
        rows: list[RunRecord] = []
        self.out(HEADER)
        for number, planned in enumerate(schedule, start=1):
            row = self._run_once(number, planned)
            rows.append(row)
            self.out(table_row(row))
        leaks = self._final_audit()
        report = SoakReport(rows, leaks, len(self.secrets))
        assert not leaks, "secrets leaked:\n" + "\n".join(sorted(set(leaks)))
        return report

    def _run_once(self, number: int, planned: Run) -> RunRecord:
        manager = self.manager
        if planned.gap_seconds:
            manager.advance(planned.gap_seconds)
        manager.clock_offset_seconds = CLOCK_OFF_SECONDS if CLOCK_OFF in planned.events else 0.0
        if REVOKE_ALL in planned.events:
            manager.revoke_all()
            self.revoked_since_last_run = True
        row = RunRecord(number, manager.clock.now_datetime(), planned.gap_seconds, planned.events)
        expected = self._logins_needed(manager.now()) if not planned.expect_failure else 0
        manager.clear_log()
        started = time.monotonic()

        if MANAGER_DOWN in planned.events:
            self._stop_emulator()
            result = self._up(number)
            self._start_emulator()
        elif SIGTERM in planned.events:
            result = self._cancelled_up(number)
        else:
            result = self._up(number)
        row.seconds = time.monotonic() - started

        manager = self.manager
        row.requests = Counter(r.method for r in manager.requests)
        row.logins_actual = manager.count(*LOGIN)
        row.logins_expected = expected
        live = manager.live_refresh_tokens
        row.live_refresh_tokens = len(live)
        row.result = self._check(number, planned, result, row, live)
        return row

    def _up(self, number: int) -> CommandResult:
        # A new `run` for the downstream resource: it calls the API in every run's update.
        self.stack.extra_env["SOAK_RUN"] = str(number)
        return self.stack.run("up", "--yes", "--refresh", check=False, timeout=600)

    def _cancelled_up(self, number: int) -> CommandResult:
        """`pulumi up` gets SIGTERM while SDDC Manager holds its first refresh request."""
        self.stack.extra_env["SOAK_RUN"] = str(number)
        release = threading.Event()
        self.manager.script(REFRESH[0], REFRESH[1], Fault(process_first=True, release=release))
        stack = self.stack
        args = ["up", "--yes", "--refresh"]
        process = subprocess.Popen(
            [stack.pulumi, "--non-interactive", *args],
            cwd=stack.work_dir,
            env=stack.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_until(lambda: self.manager.count(*REFRESH) >= 1, timeout=120)
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=120)
        finally:
            release.set()
            if process.poll() is None:
                process.kill()
        result = CommandResult(args, process.returncode, stdout, stderr)
        stack.transcript.append(result)
        return result

    # -- what the user relies on --------------------------------------------------------------
    def _logins_needed(self, now: float) -> int:
        """Logins this run may need: a pair that is gone (revoked, or past its refresh token's
        lifetime) or due for rotation needs one; the first run too."""
        if self.pair_created is None or self.revoked_since_last_run:
            return 1
        age = now - self.pair_created
        return 1 if age >= ROTATE_AFTER - BOUNDARY_SLACK_SECONDS else 0

    def _check(
        self, number: int, planned: Run, result: CommandResult, row: RunRecord, live: list[str]
    ) -> str:
        context = f"run {number} ({', '.join(planned.events) or 'no event'}): "
        if MANAGER_DOWN in planned.events:
            assert result.returncode != 0, context + "the run succeeded with SDDC Manager down"
            first = first_error_line(result, TYPE_PAIR)
            assert DOWN_FIRST_LINE.search(first), context + f"first line was: {first}\n{result.output}"
            outcome = "failed as documented (manager down)"
        elif SIGTERM in planned.events:
            assert result.returncode != 0, context + "the cancelled run reported success"
            outcome = f"cancelled (exit {result.returncode})"
        else:
            assert result.returncode == 0, context + f"exit {result.returncode}\n{result.output[-3000:]}"
            outcome = "ok"
            self.revoked_since_last_run = False

        stored = self._stored()
        pair = stored[TYPE_PAIR]
        orphans = [token for token in live if token != pair["refresh_token"]]
        assert not orphans, context + f"{len(orphans)} live refresh tokens that no pair in state holds"
        # A failed run changes nothing: the pair's token may have expired in the gap before it.
        assert planned.expect_failure or live == [pair["refresh_token"]], (
            context + f"{len(live)} live refresh tokens on SDDC Manager; want exactly the pair's"
        )
        created = parse_rfc3339(pair["created_at"])
        assert created is not None
        self.pair_created = created.timestamp()
        if not planned.expect_failure:
            token = stored[TYPE_TOKEN]["access_token"]
            assert self.manager.access_token_is_valid(token), (
                context + "the stack's access token is not valid"
            )
        assert row.logins_actual <= row.logins_expected, (
            context + f"{row.logins_actual} logins, the schedule needs at most {row.logins_expected}"
        )
        self._audit_new_artifacts(context)
        return outcome

    def _stored(self) -> dict[str, dict[str, str]]:
        """Each resource's outputs by type, secrets decrypted (one export, kept out of the audit)."""
        stored = {}
        for resource in self.stack.resources(show_secrets=True):
            stored[resource["type"]] = {
                key: json.loads(value["plaintext"])
                if isinstance(value, dict) and "plaintext" in value
                else value
                for key, value in (resource.get("outputs") or {}).items()
            }
        return stored

    def _audit_new_artifacts(self, context: str) -> None:
        """The leak audit over what this run added: its output and the state files it wrote."""
        self._collect_secrets()
        new = self.stack.transcript[self.audited_transcript :]
        self.audited_transcript = len(self.stack.transcript)
        artifacts = {
            f"`pulumi {' '.join(r.args)}` {kind}": text
            for r in new
            for kind, text in (("stdout", r.stdout), ("stderr", r.stderr))
        }
        for path in self.stack.state_files():
            stamp = path.stat()
            if self.audited_files.get(path) != (stamp.st_mtime_ns, stamp.st_size):
                self.audited_files[path] = (stamp.st_mtime_ns, stamp.st_size)
                artifacts[str(path)] = path.read_text(errors="replace")
        leaks = find_leaks(artifacts, sorted(self.secrets))
        assert not leaks, context + "secrets leaked:\n" + "\n".join(sorted(set(leaks)))

    def _final_audit(self) -> list[str]:
        """The rest of what the stack left: its export now, the CLI's logs, the project's files."""
        self._collect_secrets()
        self._audit_new_artifacts("after the last run: ")
        artifacts = {
            name: text
            for name, text in self.stack.artifacts().items()
            if not name.startswith("#") and Path(name) not in self.audited_files
        }
        return find_leaks(artifacts, sorted(self.secrets))

    def close(self) -> None:
        if self.emulator is not None:
            self._stop_emulator()


def run_soak(
    pulumi: str, work_dir: Path, schedule: list[Run], out: Callable[[str], None] = print
) -> SoakReport:
    """Runs `schedule` on a new stack under `work_dir`; raises AssertionError at the first broken promise."""
    soak = Soak(pulumi, work_dir, out)
    try:
        report = soak.run(schedule)
    finally:
        soak.close()
    out(report.summary())
    return report
