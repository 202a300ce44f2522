"""Client settings that reach an emulator: its URL and CA, fast backoff, anything else overridable."""

from __future__ import annotations

from typing import Any

from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import SddcManagerEmulator


def emulator_settings(emulator: SddcManagerEmulator, **overrides: Any) -> ConnectionSettings:
    """Settings for `emulator` (5 s timeout, 3 retries, 10 ms backoff unless overridden)."""
    options: dict[str, Any] = {
        "base_url": emulator.url,
        "ca_bundle": str(emulator.ca_path),
        "timeout_seconds": 5.0,
        "max_retries": 3,
        "backoff_seconds": 0.01,
        **overrides,
    }
    return ConnectionSettings(**options)
