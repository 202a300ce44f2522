"""A state dir belongs to one running emulator, and a restart on it carries on where the last stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clients import emulator_settings
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import SddcManagerEmulator, StateDirInUseError


def test_a_second_emulator_on_a_live_state_dir_is_refused_and_the_first_keeps_working(tmp_path: Path) -> None:
    with SddcManagerEmulator(state_dir=tmp_path) as first:
        ca_before = first.ca_path.read_bytes()
        with pytest.raises(StateDirInUseError) as refused:
            SddcManagerEmulator(state_dir=tmp_path)

        assert str(refused.value) == (
            f"state dir {tmp_path} is in use by a running emulator (pid {os.getpid()}, this process); "
            "stop that one first, or give this one another --state-dir"
        )
        assert first.ca_path.read_bytes() == ca_before, "the CA was not touched"
        with SddcManagerClient(emulator_settings(first, max_retries=0)) as client:
            assert client.refresh_token_works(first.issue_refresh_token())


def test_the_command_line_refuses_a_live_state_dir_in_one_line_naming_it_and_the_other_process(
    tmp_path: Path,
) -> None:
    first = subprocess.Popen(
        [sys.executable, "-m", "vcf_provider.testing", "--json", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout is not None
        started = json.loads(first.stdout.readline())
        second = subprocess.run(
            [sys.executable, "-m", "vcf_provider.testing", "--state-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert second.returncode == 2
        assert second.stderr == (
            f"error: state dir {tmp_path} is in use by a running emulator (pid {first.pid}, another "
            "process); stop that one first, or give this one another --state-dir\n"
        )
        settings = ConnectionSettings(base_url=started["url"], ca_bundle=started["ca_path"], max_retries=0)
        with SddcManagerClient(settings) as client:
            assert client.refresh_token_works(started["refresh_token"]), "the first one still serves"
    finally:
        first.terminate()
        assert first.wait(timeout=10) == 0


def test_a_restart_on_the_same_dir_keeps_the_ca_the_clock_and_the_refresh_tokens_that_still_work(
    tmp_path: Path,
) -> None:
    with SddcManagerEmulator(state_dir=tmp_path, refresh_token_lifetime_seconds=3600) as first:
        kept = first.issue_refresh_token()
        revoked = first.issue_refresh_token()
        expiring = first.issue_refresh_token(lifetime_seconds=60)
        first.revoke(revoked)
        first.advance(120)
        access = first.mint_access_token()
        ca = first.ca_path.read_bytes()
        moved_to = first.now()

    with SddcManagerEmulator(state_dir=tmp_path) as second:
        assert second.ca_path.read_bytes() == ca
        assert second.now() >= moved_to, "the clock carries on from where the tests had moved it"
        assert second.live_refresh_tokens == [kept]
        assert second.access_token_is_valid(access), "tokens signed before the restart still work"
        settings = emulator_settings(second, max_retries=0)
        with SddcManagerClient(settings) as client:
            assert client.refresh_token_works(kept), "over TLS from the same CA file"
            assert not client.refresh_token_works(revoked)
            assert not client.refresh_token_works(expiring)


def test_the_state_dir_is_free_again_once_its_emulator_stops(tmp_path: Path) -> None:
    SddcManagerEmulator(state_dir=tmp_path).start().stop()
    with SddcManagerEmulator(state_dir=tmp_path) as again:
        assert again.ca_path.is_file()


def test_the_help_says_what_the_state_dir_keeps_and_that_it_is_one_emulators() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "vcf_provider.testing", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    flat = " ".join(shown.split())
    assert "keep the CA, signing key, clock and refresh tokens here" in flat
    assert "one running emulator per dir (a second one is refused)" in flat
    assert "--refresh-answer {json,raw}" in flat
