"""A state dir belongs to one running emulator, and a restart on it carries on where the last stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.clients import emulator_settings
from tests.support.emulator_cli import run_cli, start_cli
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    SddcManagerEmulator,
    StateDirError,
    StateDirInUseError,
)
from vcf_provider.testing.statedir import CA_FILE, CA_KEY_FILE, STATE_FILE


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
    first, started = start_cli("--state-dir", str(tmp_path))
    try:
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


def saved_state(tmp_path: Path) -> dict[str, Any]:
    """A state dir with one working refresh token; returns its state file's document."""
    with SddcManagerEmulator(state_dir=tmp_path) as emulator:
        emulator.issue_refresh_token()
    return dict(json.loads((tmp_path / STATE_FILE).read_text(encoding="utf-8")))


def spoil_token_user(document: dict[str, Any]) -> None:
    (entry,) = document["refreshTokens"].values()
    del entry["user"]


def spoil_signing_key(document: dict[str, Any]) -> None:
    document["signingKey"] = "not hex at all"


def spoil_clock(document: dict[str, Any]) -> None:
    document["clockOffsetSeconds"] = "soon"


@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (spoil_signing_key, "signingKey is not a hex string"),
        (spoil_token_user, "refreshTokens entry 1 has no user"),
        (spoil_clock, "clockOffsetSeconds is not a number"),
    ],
)
def test_a_state_file_with_a_bad_field_is_refused_in_one_line_naming_it_and_kept(
    tmp_path: Path, spoil: Callable[[dict[str, Any]], None], problem: str
) -> None:
    document = saved_state(tmp_path)
    spoil(document)
    state_file = tmp_path / STATE_FILE
    state_file.write_text(json.dumps(document), encoding="utf-8")
    before = state_file.read_bytes()

    with pytest.raises(StateDirError) as refused:
        SddcManagerEmulator(state_dir=tmp_path)

    assert str(refused.value) == f"state file {state_file}: {problem}; it was left as it is: fix or remove it"
    assert state_file.read_bytes() == before
    with SddcManagerEmulator(state_dir=tmp_path / "other"):
        pass  # and the refused emulator let go of everything it held


def test_a_truncated_state_file_is_never_overwritten_and_the_cli_says_so_in_one_line(tmp_path: Path) -> None:
    saved_state(tmp_path)
    state_file = tmp_path / STATE_FILE
    truncated = state_file.read_bytes()[:40]
    state_file.write_bytes(truncated)

    result = run_cli("--state-dir", str(tmp_path))

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: state file {state_file}: it is not JSON (")
    assert result.stderr.endswith("); it was left as it is: fix or remove it\n")
    assert result.stderr.count("\n") == 1, "one line, no traceback"
    assert state_file.read_bytes() == truncated, "the evidence (and the tokens) are still there"


def test_a_state_file_from_another_version_is_refused_not_replaced(tmp_path: Path) -> None:
    document = saved_state(tmp_path)
    document["version"] = 99
    (tmp_path / STATE_FILE).write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(StateDirError, match="it has version 99; this emulator reads version 1"):
        SddcManagerEmulator(state_dir=tmp_path)
    assert json.loads((tmp_path / STATE_FILE).read_text(encoding="utf-8"))["version"] == 99


def test_a_garbage_ca_is_refused_in_one_line_naming_the_file_and_kept(tmp_path: Path) -> None:
    saved_state(tmp_path)
    ca_file = tmp_path / CA_FILE
    ca_file.write_bytes(b"-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")

    result = run_cli("--state-dir", str(tmp_path))

    assert result.returncode == 2
    assert result.stderr == (
        f"error: CA files {ca_file} and {tmp_path / CA_KEY_FILE}: they are not a PEM certificate and "
        "its private key; they were left as they are: fix or remove them\n"
    )
    assert ca_file.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----\ngarbage")


def test_a_state_dir_path_that_is_a_file_is_named_not_blamed_on_the_port(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "state"
    not_a_dir.write_text("a file", encoding="utf-8")

    result = run_cli("--state-dir", str(not_a_dir))

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: state dir {not_a_dir} cannot be used (")
    assert "--port" not in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_state_dir_is_named_not_blamed_on_the_port(tmp_path: Path) -> None:
    read_only = tmp_path / "state"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        with pytest.raises(StateDirError, match=f"state dir {read_only} cannot be used"):
            SddcManagerEmulator(state_dir=read_only)
    finally:
        read_only.chmod(0o700)


def test_a_state_write_that_fails_while_serving_is_a_500_naming_the_dir_not_a_dropped_call(
    tmp_path: Path,
) -> None:
    with SddcManagerEmulator(state_dir=tmp_path) as emulator:
        # A directory where the state file goes: no write can replace it, for root too.
        (tmp_path / STATE_FILE).unlink()
        (tmp_path / STATE_FILE).mkdir()
        answer = requests.post(
            emulator.url + "/v1/tokens",
            json={"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD},
            verify=str(emulator.ca_path),
            timeout=10,
        )
    assert answer.status_code == 500
    assert answer.json()["errorCode"] == "EMULATOR_STATE_DIR_FAILED"
    assert answer.json()["message"].startswith(f"state dir {tmp_path} cannot be used (")
