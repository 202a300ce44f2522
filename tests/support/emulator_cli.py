"""`python -m vcf_provider.testing` as a user runs it, for the emulator's command-line tests."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs the emulator's CLI with `args` to its end (30 s at most); never raises on its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "vcf_provider.testing", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
