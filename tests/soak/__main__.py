"""`make soak`: the long soak schedule, its table and its summary (`python -m tests.soak --help`)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.soak.harness import run_soak
from tests.soak.schedule import long_schedule, short_schedule
from tests.support.engine import find_pulumi


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=2026, help="the schedule's seed (default 2026)")
    parser.add_argument("--short", action="store_true", help="the short slice that `make test` runs")
    parser.add_argument("--runs", type=int, default=60, help="at least this many runs (default 60)")
    args = parser.parse_args()
    pulumi = find_pulumi()
    if pulumi is None:
        print("error: no pulumi CLI: run `make setup`", file=sys.stderr)
        return 2
    schedule = short_schedule() if args.short else long_schedule(args.seed, min_runs=args.runs)
    print(f"soak: {len(schedule)} runs of `pulumi up --yes --refresh`, seed {args.seed}", flush=True)
    with tempfile.TemporaryDirectory(prefix="vcf-soak-") as work_dir:
        try:
            run_soak(pulumi, Path(work_dir), schedule, out=lambda line: print(line, flush=True))
        except AssertionError as failure:
            print(f"soak FAILED: {failure}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
