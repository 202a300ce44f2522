"""The `sddc_manager` fixture works in a user's own suite once the package is installed, with no conftest."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

PLUGIN = "vcf_provider.testing.pytest_plugin"

USERS_TEST = """
from vcf_provider.testing import SddcManagerEmulator


def test_the_fixture_is_a_running_emulator(sddc_manager: SddcManagerEmulator) -> None:
    assert sddc_manager.url.startswith("https://127.0.0.1:")
    assert sddc_manager.refresh_token_user(sddc_manager.issue_refresh_token()) is not None
"""


def run_users_suite(project: Path) -> subprocess.CompletedProcess[str]:
    """pytest in a project outside this checkout (so this repo's conftest.py plays no part)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(project)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_package_declares_the_plugin_under_its_module_name() -> None:
    # Under the module's own name, pytest sees one plugin whether it comes from the entry point or
    # from a `pytest_plugins = [...]` line (this repo's conftest, or a user's older one).
    declared = [ep for ep in entry_points(group="pytest11") if ep.value == PLUGIN]
    assert [ep.name for ep in declared] == [PLUGIN]


def test_a_users_suite_gets_the_fixture_with_no_conftest(tmp_path: Path) -> None:
    (tmp_path / "test_users.py").write_text(USERS_TEST, encoding="utf-8")
    result = run_users_suite(tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


@pytest.mark.parametrize("line", [f"pytest_plugins = [{PLUGIN!r}]", f"pytest_plugins = {PLUGIN!r}"])
def test_a_conftest_that_still_names_the_plugin_does_not_load_it_twice(tmp_path: Path, line: str) -> None:
    (tmp_path / "conftest.py").write_text(line + "\n", encoding="utf-8")
    (tmp_path / "test_users.py").write_text(USERS_TEST, encoding="utf-8")
    result = run_users_suite(tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
