"""pytest fixtures that give each test a running SDDC Manager emulator (via the pytest11 entry point)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vcf_provider.testing.emulator import SddcManagerEmulator


@pytest.fixture
def sddc_manager(tmp_path: Path) -> Iterator[SddcManagerEmulator]:
    """A running emulator on 127.0.0.1 with its CA at `sddc_manager.ca_path`.

    An installed package registers this plugin through its `pytest11` entry point, named after this
    module: a suite needs no conftest line, and an old `pytest_plugins = [...]` line naming the module
    finds it registered already. `-p no:vcf_provider.testing.pytest_plugin` turns it off.
    """
    with SddcManagerEmulator(state_dir=tmp_path / "sddc-manager") as emulator:
        yield emulator
