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


def start_cli(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Starts `python -m vcf_provider.testing --json *args` and reads what it printed (url, ca_path,
    refresh_token, ...); stop it with `terminate()`. A process that printed nothing is killed."""
    import json

    process = subprocess.Popen(
        [sys.executable, "-m", "vcf_provider.testing", "--json", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        started: dict[str, str] = json.loads(process.stdout.readline())
    except BaseException:
        process.kill()
        process.wait(timeout=10)
        raise
    return process, started
