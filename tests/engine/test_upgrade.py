"""A stack made by each earlier release previews, updates and destroys with today's code.

Each release adds a fixture with `tools/make_upgrade_fixture.py`: its stack export, its stack
config (passphrase-encrypted) and the program it ran, under tests/fixtures/upgrade/<version>/, and
a line in PLANS. The promise these tests hold: module and class paths that state references
(`__provider`) never move, an upgrade never replaces a resource, an update happens only where a new
input's default appears or a token is due for renewal, and secrets stay secret.

The stacks run as if soon after their fixture was made: the program and the dynamic providers see
that time through libfaketime and the emulator's clock is set back to match, so what the plan shows
does not depend on the day the suite runs (a 0.2.0 pair run at today's time would be rotated by
age, a replacement the upgrade has nothing to do with). Then the clock moves past the access token's
expiry, still within the pair's rotation age, and renewal is the only change.
"""

from __future__ import annotations

import base64
import importlib
import json
import pickletools
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import dill
import pytest

import vcf_provider
from tests.support.engine import VENV, PulumiStack
from tests.support.leaks import audit_stack
from tests.support.routes import LOGIN, REFRESH
from tests.support.routes import TYPE_PAIR as PAIR
from vcf_provider.resources.model import RESOURCES
from vcf_provider.testing import DEFAULT_PASSWORD, SddcManagerEmulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upgrade"
RELEASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "fixture.json").is_file())
#: What an upgrade may do to a resource: nothing, or an update in place.
ALLOWED_STEPS = {"same", "update"}
#: What today's code plans for each release's stack soon after it was made (nothing due), and why.
PLANS: dict[str, dict[str, str]] = {
    # rotate_after_seconds appears with its default (0.1.0 had no rotation); no request. The token's
    # refresh_token comes from the pair, whose outputs a preview of its update cannot know, so the
    # token shows an update too; `up` sends nothing for it (the pair keeps its refresh token).
    "0.1.0": {"sddc-login": "update", "sddc-token": "update"},
    # 0.2.0 stored every input today's code has: nothing to do.
    "0.2.0": {"sddc-login": "same", "sddc-token": "same"},
}
#: How long after the fixture was made the stack first runs: before anything is due.
SOON_AFTER_SECONDS = 10 * 60
#: When it runs again: past the access token's hour, well within the pair's 20 h rotation age.
RENEWAL_DUE_AFTER_SECONDS = 2 * 60 * 60
#: Every input or output that is always secret, by the dynamic type that stores it.
SECRET_NAMES = {model.dynamic_type: model.secret_names for model in RESOURCES}


def fixture(version: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((FIXTURES / version / "fixture.json").read_text())
    return meta


def stored_providers(version: str) -> list[str]:
    export = json.loads((FIXTURES / version / "stack.json").read_text())
    found = []
    for resource in export["deployment"]["resources"]:
        serialized = (resource.get("outputs") or {}).get("__provider")
        if isinstance(serialized, str):
            found.append(serialized)
    return found


def made_at(version: str) -> float:
    """When the fixture's `pulumi up` ran: its state's manifest time, in seconds since the epoch."""
    export = json.loads((FIXTURES / version / "stack.json").read_text())
    stamp = export["deployment"]["manifest"]["time"]
    # RFC 3339 with nanoseconds: whole seconds are enough here.
    return datetime.fromisoformat(stamp.split(".")[0].rstrip("Z") + "+00:00").timestamp()


def revealed_secrets(stack: PulumiStack) -> list[str]:
    """Every secret's plaintext in the stack's state (read without entering the transcript)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "plaintext" in value:
                plain = json.loads(value["plaintext"])
                found.extend([plain] if isinstance(plain, str) else [])
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(stack.export(show_secrets=True)["deployment"]["resources"])
    return found


def assert_secrets_encrypted(stack: PulumiStack) -> None:
    """Each always-secret input and output of our resources is ciphertext in state."""
    for resource in stack.resources():
        for name in SECRET_NAMES.get(resource["type"], ()):
            for kind in ("inputs", "outputs"):
                value = (resource.get(kind) or {}).get(name)
                if value is not None:
                    assert isinstance(value, dict), f"{resource['urn']} {kind}.{name} is not a secret"
                    assert "ciphertext" in value, f"{resource['urn']} {kind}.{name} is not encrypted"


class FixtureTime:
    """The program's and providers' clock (libfaketime) and the emulator's, set to a fixture's time."""

    def __init__(
        self, stack: PulumiStack, sddc_manager: SddcManagerEmulator, path: Path, made: float
    ) -> None:
        self.sddc_manager, self.path, self.made = sddc_manager, path, made
        stack.extra_env.update(sddc_manager.clock.process_environment(path))

    def set(self, seconds_after_made: float) -> None:
        """From the next command on, the time is `seconds_after_made` after the fixture's `up`."""
        offset = self.made + seconds_after_made - time.time()  # ahead for a fixture made minutes ago
        # libfaketime's relative form, written here: EmulatorClock only moves forward.
        self.path.write_text(f"{round(offset):+d}\n")
        self.sddc_manager.clock_offset_seconds = offset


def test_there_is_a_fixture_for_the_first_release() -> None:
    assert "0.1.0" in RELEASES


def test_there_is_a_fixture_for_0_2_0_and_a_plan_for_every_fixture() -> None:
    assert "0.2.0" in RELEASES
    assert set(RELEASES) <= set(PLANS), "add the new fixture's expected plan to PLANS"


@pytest.mark.parametrize("version", RELEASES)
def test_every_name_pickled_into_state_still_imports(version: str) -> None:
    providers = stored_providers(version)
    assert providers, "the fixture holds serialized providers"
    for serialized in providers:
        pickled = base64.b64decode(serialized)
        strings = [arg for _, arg, _ in pickletools.genops(pickled) if isinstance(arg, str)]
        modules = [s for s in strings if s.startswith("vcf_provider")]
        assert modules, "the provider is pickled by reference to our modules"
        for module in modules:
            importlib.import_module(module)
        provider = dill.loads(pickled)  # noqa: S301 - our own committed fixture
        assert type(provider).__module__.startswith("vcf_provider.")


@pytest.mark.engine
@pytest.mark.parametrize("version", RELEASES)
def test_a_stack_from_an_earlier_release_previews_updates_and_destroys(
    version: str, pulumi_cli: str, tmp_path: Path
) -> None:
    meta = fixture(version)
    work = tmp_path / "project"
    work.mkdir()
    stack = PulumiStack(
        pulumi=pulumi_cli,
        work_dir=work,
        state_dir=tmp_path / "state",
        home_dir=tmp_path / "home",
        name=meta["stack"],
        extra_env={"PULUMI_CONFIG_PASSPHRASE": meta["passphrase"]},
    )
    stack.state_dir.mkdir()
    stack.home_dir.mkdir()
    (work / "Pulumi.yaml").write_text(
        f"name: {meta['project']}\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n"
    )
    shutil.copy(FIXTURES / "program.py", work / "__main__.py")
    shutil.copy(FIXTURES / version / f"Pulumi.{meta['stack']}.yaml", work)

    with SddcManagerEmulator() as sddc_manager:
        clock = FixtureTime(stack, sddc_manager, tmp_path / "faketime", made_at(version))
        clock.set(SOON_AFTER_SECONDS)
        # The fixture was made against another emulator: point its state and config at this one.
        exported = (FIXTURES / version / "stack.json").read_text()
        exported = exported.replace(meta["host"], sddc_manager.url)
        exported = exported.replace(meta["ca_bundle"], str(sddc_manager.ca_path))
        (tmp_path / "stack.json").write_text(exported)
        stack.run("stack", "init", meta["stack"], "--secrets-provider", "passphrase")
        stack.run("stack", "import", "--file", str(tmp_path / "stack.json"))
        stack.set_config("vcf:host", sddc_manager.url)
        stack.set_config("vcf:caBundle", str(sddc_manager.ca_path))
        fixture_secrets = revealed_secrets(stack)
        (pair,) = stack.resources(PAIR, show_secrets=True)
        refresh_token = json.loads(pair["outputs"]["refresh_token"]["plaintext"])
        sddc_manager.issue_refresh_token(refresh_id=refresh_token)  # the manager still knows it

        # Soon after the fixture was made: the plan is the upgrade's alone.
        assert planned_steps(stack) == PLANS[version]
        assert sddc_manager.count() == 0

        stack.up()

        assert sddc_manager.count() == 0, "nothing was due: no login, no refresh"
        (pair,) = stack.resources(PAIR)
        assert pair["outputs"]["rotate_after_seconds"] == 72000
        assert pair["outputs"]["created_at"], "the upgraded pair knows its age"
        assert stack.outputs()["package_version"] == vcf_provider.__version__, "today's code ran"
        assert planned_steps(stack) == dict.fromkeys(PLANS[version], "same"), "the upgrade is done"
        assert_secrets_encrypted(stack)

        # Past the access token's expiry, within the pair's rotation age: renewal, in place.
        clock.set(RENEWAL_DUE_AFTER_SECONDS)
        assert planned_steps(stack) == {"sddc-login": "same", "sddc-token": "update"}
        stack.up()

        assert sddc_manager.count(*REFRESH) == 1, "one refresh renews the token"
        assert sddc_manager.count(*LOGIN) == 0, "no new login on upgrade"
        assert_secrets_encrypted(stack)

        stack.destroy()

        assert sddc_manager.revoked_refresh_tokens == [refresh_token]
        assert fixture_secrets, "the fixture holds secrets"
        audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD, *fixture_secrets])


def planned_steps(stack: PulumiStack) -> dict[str, str]:
    """`pulumi preview`'s step for each of the program's resources, by name; only same or update
    (the JSON lists no step for a resource that stays the same)."""
    preview = json.loads(stack.run("preview", "--json").stdout)
    steps = {step["urn"].rsplit("::", 1)[-1]: step["op"] for step in preview.get("steps") or []}
    assert set(steps.values()) <= ALLOWED_STEPS, steps
    return {name: steps.get(name, "same") for name in ("sddc-login", "sddc-token")}
