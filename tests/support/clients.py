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


def api_get(settings: ConnectionSettings, path: str, access_token: str) -> Any:
    """GET an SDDC Manager API path with a bearer token, as the emulator's own tests read it: one
    attempt, the decoded JSON body, and the package's API error for a 4xx or 5xx."""
    import json

    from vcf_provider.api import hints, transport

    answer = transport.send(
        settings.base_url,
        "GET",
        path,
        None,
        {"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        verify=settings.verify,
        ca_bundle=settings.ca_bundle,
        timeout_seconds=settings.timeout_seconds,
    )
    hints.raise_for_status(f"reading {path}", answer, secrets=(access_token,))
    return json.loads(answer.body)
