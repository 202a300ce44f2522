"""`make test`: every check CI runs, in stages, two lanes at a time, with banners and a summary.

Lane 1 runs the whole pytest suite on the default Python, spread over two workers (pytest-xdist).
Lane 2 meanwhile lints (ruff, mypy: `make lint`), builds and checks the wheel
(`tools/dist_check.py`), then runs the unit and policy tests on the other supported Pythons and on
the lowest allowed dependency versions (`tools/pythons.sh`). Lint leads lane 2 rather than
running alone first: its result is known within half a minute either way, and the tests need not
wait for it. A failed lint stops lane 2 and fails the run.

Lane 2's output goes to a log under `.test-logs/`, shown when a stage fails; lane 1 streams.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOGS = REPO_ROOT / ".test-logs"
PYTHON = str(REPO_ROOT / ".venv" / "bin" / "python")
STARTED = time.monotonic()


@dataclass
class Stage:
    name: str
    command: list[str]
    seconds: float = 0.0
    result: str = "not run"


def banner(text: str) -> None:
    elapsed = time.monotonic() - STARTED
    print(f"\n==> [{int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}] {text}", flush=True)


def run(stage: Stage, *, log: Path | None = None) -> bool:
    banner(f"{stage.name}: started" + (f" (output in {log.relative_to(REPO_ROOT)})" if log else ""))
    began = time.monotonic()
    if log is None:
        code = subprocess.run(stage.command, cwd=REPO_ROOT, check=False).returncode
    else:
        with open(log, "w", encoding="utf-8") as output:
            code = subprocess.run(
                stage.command, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT, check=False
            ).returncode
    stage.seconds = time.monotonic() - began
    stage.result = "passed" if code == 0 else f"FAILED (exit {code})"
    banner(f"{stage.name}: {stage.result} in {stage.seconds:.0f} s")
    if code != 0 and log is not None:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        print("\n".join(lines[-60:]), flush=True)
    return code == 0


def run_lane(stages: list[Stage]) -> None:
    for stage in stages:
        if not run(stage, log=LOGS / f"{stage.name}.log"):
            return


def main() -> int:
    LOGS.mkdir(exist_ok=True)
    # The checkout's own modules, compiled once: where PYTHONDONTWRITEBYTECODE is set, each of the
    # hundreds of Python processes the tests start would compile them again.
    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", "vcf_provider", "tests", "examples", "tools"],
        cwd=REPO_ROOT,
        check=True,
    )
    extra = os.environ.get("PYTEST_ARGS", "").split()
    lint = Stage("lint", ["make", "--no-print-directory", "lint"])
    pytest = Stage(
        "pytest (3.11, all tests)", [PYTHON, "-m", "pytest", "-n", "2", "--dist", "loadgroup", *extra]
    )
    dist = Stage("dist", [PYTHON, "tools/dist_check.py"])
    pythons = Stage("pythons (3.10, 3.12, 3.13, lowest versions)", ["bash", "tools/pythons.sh"])
    stages = [lint, pytest, dist, pythons]

    side = threading.Thread(target=run_lane, args=([lint, dist, pythons],))
    side.start()
    run(pytest)
    side.join()

    total = time.monotonic() - STARTED
    failed = [s for s in stages if s.result != "passed"]
    print("\n==> summary (lanes overlap: pytest beside lint, dist, then pythons)")
    print(f"    {'stage':<46} {'time':>7}  result")
    for stage in stages:
        shown = f"{stage.seconds:6.0f}s" if stage.result != "not run" else "      -"
        print(f"    {stage.name:<46} {shown}  {stage.result}")
    print(f"    {'total (wall)':<46} {total:6.0f}s  {'FAILED' if failed else 'passed'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
