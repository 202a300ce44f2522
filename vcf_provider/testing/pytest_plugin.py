"""pytest fixtures that give each test a running SDDC Manager emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vcf_provider.testing.emulator import SddcManagerEmulator


@pytest.fixture
def sddc_manager(tmp_path: Path) -> Iterator[SddcManagerEmulator]:
    """A running emulator on 127.0.0.1 with its CA at `sddc_manager.ca_path`."""
    with SddcManagerEmulator(state_dir=tmp_path / "sddc-manager") as emulator:
        yield emulator
