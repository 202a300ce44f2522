"""Stacks that keep working unattended: rotation by age, healing on refresh, portable TLS settings."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import PulumiStack, StackFactory
from tests.support.leaks import audit_stack
from tests.support.routes import LOGIN, REFRESH, REVOKE, TYPE_TOKEN
from tests.support.routes import TYPE_PAIR as PAIR
from tests.support.stacks import PAIR_PROGRAM, emulator_stack, first_error_line
from tests.support.waiting import wait_until
from vcf_provider.testing import DEFAULT_PASSWORD, Fault, SddcManagerEmulator, vcf_error

pytestmark = pytest.mark.engine

#: A pair feeding a token; rotation age from `test:rotateAfter` (default: the package's default).
ROTATING_PROGRAM = """
import pulumi
from vcf_provider import AccessTokenPair, RefreshedAccessToken

config = pulumi.Config("test")
rotate = config.get_float("rotateAfter")
pair = AccessTokenPair("login", rotate_after_seconds=rotate)
token = RefreshedAccessToken("token", host=pair.host, refresh_token=pair.refresh_token)
pulumi.export("created_at", pair.created_at)
"""

#: SDDC Manager's refresh tokens live this long in these tests (24 h on a real one).
REFRESH_TOKEN_LIFETIME = 3.0


@pytest.fixture
def short_lived() -> Iterator[SddcManagerEmulator]:
    with SddcManagerEmulator(refresh_token_lifetime_seconds=REFRESH_TOKEN_LIFETIME) as emulator:
        yield emulator


def stored_refresh_token(stack: PulumiStack, type_token: str) -> str:
    """The refresh token in one resource's state, decrypted (`stack export --show-secrets`)."""
    (resource,) = stack.resources(type_token, show_secrets=True)
    value: str = json.loads(resource["outputs"]["refresh_token"]["plaintext"])
    return value


def test_a_plain_up_after_the_refresh_tokens_lifetime_rotates_the_pair_and_refreshes_with_the_new_one(
    new_stack: StackFactory, short_lived: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, short_lived, ROTATING_PROGRAM, login=True)
    stack.set_config("test:rotateAfter", "2")
    stack.up()
    (old,) = short_lived.issued_refresh_tokens
    wait_until(lambda: short_lived.live_refresh_tokens == [])  # the refresh token's lifetime passed
    short_lived.clear_log()

    preview = stack.preview()
    assert "+-1 to replace" in preview.stdout, "preview shows the rotation"
    assert "~ 1 to update" in preview.stdout, "and the token that will refresh with the new pair"
    assert short_lived.count() == 0, "a preview sends nothing"
    stack.up()

    calls = [(r.method, r.path) for r in short_lived.requests]
    assert calls == [LOGIN, REFRESH, REVOKE], "new pair first, then the token refreshes, then the revoke"
    (new,) = short_lived.live_refresh_tokens
    assert new != old
    assert stored_refresh_token(stack, TYPE_TOKEN) == new, (
        "the token refreshed with the new pair in the same run"
    )
    audit_stack(stack, short_lived, extra=[DEFAULT_PASSWORD])


def test_changing_rotate_after_seconds_alone_updates_in_place_with_no_request(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, ROTATING_PROGRAM, login=True)
    stack.up()
    before = stored_refresh_token(stack, PAIR)
    sddc_manager.clear_log()

    stack.set_config("test:rotateAfter", "0")
    result = stack.up()

    assert "1 updated" in result.stdout
    assert sddc_manager.count() == 0
    assert stored_refresh_token(stack, PAIR) == before


def test_up_refresh_after_an_administrator_revoked_the_pair_logs_in_again(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, ROTATING_PROGRAM, login=True)
    stack.up()
    sddc_manager.revoke_all()
    sddc_manager.clear_log()

    stack.up("--refresh")

    calls = [(r.method, r.path) for r in sddc_manager.requests]
    assert calls.count(REFRESH) == 2, "the pair's read asks once, then the token refreshes with the new pair"
    assert calls.count(LOGIN) == 1
    assert calls.count(REVOKE) == 0
    assert len(sddc_manager.live_refresh_tokens) == 1
    assert stored_refresh_token(stack, TYPE_TOKEN) == sddc_manager.live_refresh_tokens[0]
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_a_malformed_body_400_on_refresh_fails_the_read_keeps_the_pair_and_orphans_nothing(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, ROTATING_PROGRAM, login=True)
    stack.up()
    (pair_token,) = sddc_manager.live_refresh_tokens
    malformed = Fault.error(400, vcf_error("BAD_REQUEST", "Request body is malformed", "Check the request."))
    sddc_manager.script("PATCH", "/v1/tokens/access-token/refresh", malformed)

    result = stack.run("refresh", "--yes", "--skip-preview", check=False)

    assert result.returncode != 0, "nobody knows whether the token works: the read fails"
    assert first_error_line(result, PAIR).startswith(
        "checking the refresh token failed: HTTP 400 Bad Request"
    )
    assert "SDDC Manager refused the request itself, not the refresh token" in result.stdout
    assert stored_refresh_token(stack, PAIR) == pair_token, "the pair is kept in state"
    assert sddc_manager.count(*LOGIN) == 1, "no second login"

    stack.destroy()

    assert sddc_manager.live_refresh_tokens == [], "destroy revoked it: nothing is left live"
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_a_refresh_with_a_revoked_pair_token_names_both_ways_out(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, ROTATING_PROGRAM, login=True)
    stack.up()
    sddc_manager.revoke_all()

    result = stack.up("--replace", stack.resources(TYPE_TOKEN)[0]["urn"], check=False)

    assert result.returncode != 0
    first = first_error_line(result)
    assert first.startswith("refreshing the access token failed: HTTP 404 Not Found from PATCH https://")
    assert "`pulumi up --refresh`" in result.stdout
    assert "`pulumi config set --secret vcf:refreshToken <id>`" in result.stdout
    assert "Traceback" not in result.stdout
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_destroy_on_a_machine_where_the_stored_ca_path_is_gone_uses_the_stacks_current_ca(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator, tmp_path: Path
) -> None:
    first_home = tmp_path / "laptop" / "ca.pem"
    first_home.parent.mkdir()
    shutil.copy(sddc_manager.ca_path, first_home)
    stack = emulator_stack(new_stack, sddc_manager, PAIR_PROGRAM, login=True)
    stack.set_config("vcf:caBundle", str(first_home))
    stack.up()
    (live,) = sddc_manager.live_refresh_tokens
    elsewhere = tmp_path / "ci-runner" / "sddc-ca.pem"
    elsewhere.parent.mkdir()
    shutil.move(first_home, elsewhere)
    stack.set_config("vcf:caBundle", str(tmp_path / "nowhere.pem"))

    failed = stack.destroy(check=False)

    assert failed.returncode != 0
    first = first_error_line(failed, PAIR)
    assert first.startswith("no CA bundle on this machine: the ca_bundle path stored by an earlier run ("), (
        first
    )
    assert "`pulumi destroy --run-program`" in failed.stdout
    assert "OSError" not in failed.stdout
    assert "Traceback" not in failed.stdout
    assert sddc_manager.live_refresh_tokens == [live], "nothing was revoked, and the pair is still in state"

    stack.set_config("vcf:caBundle", str(elsewhere))
    stack.run("destroy", "--yes", "--skip-preview", "--run-program")

    assert sddc_manager.revoked_refresh_tokens == [live]
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_a_ca_given_as_pem_text_needs_no_file_at_all(
    new_stack: StackFactory, sddc_manager: SddcManagerEmulator
) -> None:
    stack = emulator_stack(new_stack, sddc_manager, ROTATING_PROGRAM, login=True)
    stack.set_config("vcf:caBundle", sddc_manager.ca_path.read_text())
    stack.up()
    (pair,) = stack.resources(PAIR)
    assert pair["outputs"]["ca_bundle"].startswith("-----BEGIN CERTIFICATE-----")

    sddc_manager.ca_path.unlink()  # nothing on disk: state and config carry the CA
    stack.destroy()

    assert len(sddc_manager.revoked_refresh_tokens) == 1
    assert sddc_manager.live_refresh_tokens == []
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])
