"""A stack made by each earlier release previews, updates and destroys with today's code.

Each release adds a fixture with `tools/make_upgrade_fixture.py`: its stack export, its stack
config (passphrase-encrypted) and the program it ran, under tests/fixtures/upgrade/<version>/.
The promise these tests hold: module and class paths that state references (`__provider`) never
move, an upgrade never replaces a resource, and an update happens only where a new input's default
appears (or a token is due for renewal anyway).
"""

from __future__ import annotations

import base64
import importlib
import json
import pickletools
import shutil
from pathlib import Path
from typing import Any

import dill
import pytest

from tests.support.engine import VENV, PulumiStack
from tests.support.leaks import audit_stack
from tests.support.routes import TYPE_PAIR as PAIR
from vcf_provider.testing import DEFAULT_PASSWORD, SddcManagerEmulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upgrade"
RELEASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "fixture.json").is_file())
TOKEN = "pulumi-python:dynamic/vcf:RefreshedAccessToken"
#: What an upgrade may do to a resource: nothing, or an update in place.
ALLOWED_STEPS = {"same", "update"}


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


def test_there_is_a_fixture_for_the_first_release() -> None:
    assert "0.1.0" in RELEASES


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
        # The fixture was made against another emulator: point its state and config at this one.
        exported = (FIXTURES / version / "stack.json").read_text()
        exported = exported.replace(meta["host"], sddc_manager.url)
        exported = exported.replace(meta["ca_bundle"], str(sddc_manager.ca_path))
        (tmp_path / "stack.json").write_text(exported)
        stack.run("stack", "init", meta["stack"], "--secrets-provider", "passphrase")
        stack.run("stack", "import", "--file", str(tmp_path / "stack.json"))
        stack.set_config("vcf:host", sddc_manager.url)
        stack.set_config("vcf:caBundle", str(sddc_manager.ca_path))
        (pair,) = stack.resources(PAIR, show_secrets=True)
        refresh_token = json.loads(pair["outputs"]["refresh_token"]["plaintext"])
        sddc_manager.issue_refresh_token(refresh_id=refresh_token)  # the manager still knows it

        preview = json.loads(stack.run("preview", "--json").stdout)
        steps = {step["urn"].rsplit("::", 1)[-1]: step["op"] for step in preview["steps"]}
        assert set(steps.values()) <= ALLOWED_STEPS, steps
        assert steps["sddc-login"] == "update", "rotate_after_seconds appears with its default"
        assert sddc_manager.count() == 0

        stack.up()

        assert sddc_manager.count("POST", "/v1/tokens") == 0, "no new login on upgrade"
        (pair,) = stack.resources(PAIR)
        assert pair["outputs"]["rotate_after_seconds"] == 72000
        assert pair["outputs"]["created_at"], "the upgraded pair knows its age"
        assert stack.outputs()["package_version"] != version

        stack.destroy()

        assert sddc_manager.revoked_refresh_tokens == [refresh_token]
        audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])
