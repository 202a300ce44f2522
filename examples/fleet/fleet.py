"""Keeps an access token fresh for every SDDC Manager in an inventory, one Pulumi stack each.

    python examples/fleet/fleet.py inventory.yaml [--destroy] [--parallel 4]

Uses the Automation API on the program in ./program: each manager gets its own stack (named after
it), updated concurrently, with the backend and passphrase taken from the usual environment
(PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE). Prints a summary table of expiries, then each
failure's first error line and errorCode. --destroy reads no refresh token.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

PROGRAM_DIR = Path(__file__).resolve().parent / "program"
_STACK_TYPE = "::pulumi:pulumi:Stack::"


@dataclass(frozen=True)
class Manager:
    """One inventory entry."""

    name: str
    host: str
    refresh_token_env: str
    ca_bundle: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one manager's stack."""

    manager: Manager
    result: str
    expires_at: str = "-"
    seconds: float = 0.0
    reason: str = ""
    """Why it failed: the resource's first error line and errorCode; empty unless it failed."""


def load_inventory(path: Path) -> list[Manager]:
    document: Any = yaml.safe_load(path.read_text())
    entries = document.get("managers") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SystemExit(f"{path}: expected a 'managers:' list with at least one entry")
    managers = []
    for number, entry in enumerate(entries, start=1):
        missing = [key for key in ("name", "host", "refresh_token_env") if not entry.get(key)]
        if missing:
            raise SystemExit(f"{path}: manager #{number} lacks {', '.join(missing)}")
        managers.append(
            Manager(entry["name"], entry["host"], entry["refresh_token_env"], entry.get("ca_bundle"))
        )
    return managers


def converge(manager: Manager, destroy: bool) -> Outcome:
    """Brings one manager's stack up to date, or destroys it; the outcome says why it failed."""
    started = time.monotonic()
    events: list[auto.EngineEvent] = []
    try:
        if destroy:
            return _destroy(manager, events, started)
        refresh_token = os.environ.get(manager.refresh_token_env)
        if not refresh_token:
            return Outcome(manager, f"skipped: ${manager.refresh_token_env} is not set")
        stack = auto.create_or_select_stack(
            stack_name=manager.name, work_dir=str(PROGRAM_DIR), opts=_workspace_options()
        )
        stack.set_config("vcf:host", auto.ConfigValue(manager.host))
        stack.set_config("vcf:refreshToken", auto.ConfigValue(refresh_token, secret=True))
        if manager.ca_bundle:
            stack.set_config("vcf:caBundle", auto.ConfigValue(manager.ca_bundle))
        result = stack.up(on_output=lambda _line: None, on_event=events.append)
        changes = result.summary.resource_changes or {}
        refreshed = any(count for op, count in changes.items() if op in ("create", "update", "replace"))
        verb = "refreshed" if refreshed else "unchanged"
        expires = result.outputs.get("expires_at")
        return Outcome(manager, verb, str(expires.value) if expires else "-", time.monotonic() - started)
    except auto.CommandError as error:
        reason = failure_reason(events, str(error))
        return Outcome(manager, "failed", seconds=time.monotonic() - started, reason=reason)


def _destroy(manager: Manager, events: list[auto.EngineEvent], started: float) -> Outcome:
    """Destroys and removes the stack: its state holds all that delete needs, so no token is read."""
    try:
        stack = auto.select_stack(
            stack_name=manager.name, work_dir=str(PROGRAM_DIR), opts=_workspace_options()
        )
    except auto.StackNotFoundError:
        return Outcome(manager, "no stack", seconds=time.monotonic() - started)
    stack.destroy(on_output=lambda _line: None, on_event=events.append)
    stack.workspace.remove_stack(manager.name)
    return Outcome(manager, "destroyed", seconds=time.monotonic() - started)


def _workspace_options() -> auto.LocalWorkspaceOptions:
    return auto.LocalWorkspaceOptions(secrets_provider="passphrase")


def failure_reason(events: list[auto.EngineEvent], error_text: str) -> str:
    """The first line of the failing resource's error, with its errorCode when it has one."""
    # A resource's error diagnostic first, then the stack's ("update failed"), then the CLI's own
    # `error:` line (a backend or passphrase problem). Providers redact tokens from their errors.
    errors = [
        event.diagnostic_event
        for event in events
        if event.diagnostic_event is not None and event.diagnostic_event.severity == "error"
    ]
    by_resource = [d for d in errors if d.urn and _STACK_TYPE not in d.urn]
    for diagnostic in by_resource or errors:
        lines = [line.strip() for line in diagnostic.message.strip().splitlines()]
        if not lines or not lines[0]:
            continue
        name = f"{diagnostic.urn.rsplit('::', 1)[-1]}: " if diagnostic.urn else ""
        code = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("errorCode:")), None)
        return f"{name}{lines[0]}" + (f" (errorCode {code})" if code else "")
    stderr = error_text.split("\n stderr:", 1)[-1]
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    first = next((line for line in lines if line.startswith("error:")), lines[0] if lines else "")
    return first.removeprefix("error:").strip() or "pulumi failed without saying why"


def print_table(outcomes: list[Outcome]) -> None:
    rows = [("MANAGER", "HOST", "RESULT", "EXPIRES AT", "SECONDS")]
    rows += [(o.manager.name, o.manager.host, o.result, o.expires_at, f"{o.seconds:.1f}") for o in outcomes]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])
    for outcome in (o for o in outcomes if o.reason):
        print(f"{outcome.manager.name}: {outcome.reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("inventory", type=Path)
    parser.add_argument("--destroy", action="store_true", help="destroy and remove every manager's stack")
    parser.add_argument("--parallel", type=int, default=4, help="stacks updated at once (default 4)")
    args = parser.parse_args(argv)
    managers = load_inventory(args.inventory)
    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        outcomes = list(pool.map(lambda m: converge(m, args.destroy), managers))
    print_table(outcomes)
    failed = [o for o in outcomes if o.result.startswith(("failed", "skipped"))]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
