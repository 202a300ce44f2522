"""The short soak slice: a stack through a month of runs, revocations, an outage, a clock step, a cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak.harness import run_soak
from tests.soak.schedule import short_schedule

pytestmark = [pytest.mark.engine, pytest.mark.long]


def test_an_unattended_stack_keeps_one_valid_token_and_one_live_pair_through_every_event(
    pulumi_cli: str, tmp_path: Path
) -> None:
    # The table goes to stdout: pytest shows it with a failure.
    report = run_soak(pulumi_cli, tmp_path, short_schedule())

    assert len(report.rows) == 8
    succeeded = [row for row in report.rows if row.result == "ok"]
    assert len(succeeded) == 6
    assert all(row.live_refresh_tokens == 1 for row in succeeded), "the pair's, and no orphan"
    assert report.logins_actual <= report.logins_expected
    assert report.rows[4].result == "failed as documented (manager down)"
    assert report.rows[5].result == "ok", "the run after the outage heals"
    assert report.rows[6].result.startswith("cancelled")
    assert report.rows[3].requests["HEAD"] >= 1, "the clock step was seen by measuring the manager's clock"
    assert report.leaks == []
