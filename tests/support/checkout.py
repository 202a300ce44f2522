"""The repository the tests came from, and a mark for tests that read its files (not the package's)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]

#: The wheel check (`make dist`) runs a copy of the tests against the installed wheel, with no
#: README, plugin/ or pyproject.toml beside them: tests of those files skip there, and only there.
needs_checkout = pytest.mark.skipif(
    not (CHECKOUT / "pyproject.toml").is_file(),
    reason="reads the repository's own files (README, plugin/, pyproject.toml), absent beside the wheel",
)
