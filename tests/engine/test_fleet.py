"""examples/fleet on the real engine: why a manager failed, and destroy without tokens."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from pulumi import automation as auto

from tests.support.engine import REPO_ROOT, fleet_cli_env
from tests.support.leaks import assert_no_leaks, emulator_secrets
from vcf_provider.testing import SddcManagerEmulator

# The fleet keeps its stacks' config in examples/fleet/program: one worker at a time there.
pytestmark = [pytest.mark.engine, pytest.mark.xdist_group("repository-files")]

FLEET = REPO_ROOT / "examples" / "fleet"
NEVER_ISSUED = "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11"
RunFleet = Callable[..., subprocess.CompletedProcess[str]]
#: Stack names unique to this test process: the stacks' config files share examples/fleet/program,
#: and the two test workers run fleet tests at the same time.
PREFIX = f"fleet-{os.getpid()}"


def load_fleet() -> ModuleType:
    """fleet.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("fleet_example", FLEET / "fleet.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def managers(tmp_path: Path) -> Iterator[list[SddcManagerEmulator]]:
    with ExitStack() as stack:
        yield [stack.enter_context(SddcManagerEmulator(state_dir=tmp_path / f"sddc-{n}")) for n in range(2)]


@pytest.fixture
def run_fleet(pulumi_cli: str, tmp_path: Path, managers: list[SddcManagerEmulator]) -> Iterator[RunFleet]:
    """Runs fleet.py on an inventory of `managers` named PREFIX-N; destroys what is left after."""
    inventory = tmp_path / "inventory.yaml"
    names = [f"{PREFIX}-{n}" for n in range(len(managers))]
    inventory.write_text(
        yaml.safe_dump(
            {
                "managers": [
                    {
                        "name": name,
                        "host": emulator.url,
                        "ca_bundle": str(emulator.ca_path),
                        "refresh_token_env": f"VCF_FLEET_TEST_{n}",
                    }
                    for n, (name, emulator) in enumerate(zip(names, managers, strict=True))
                ]
            }
        )
    )
    base_env = fleet_cli_env(tmp_path, pulumi_cli)

    def run(*extra: str, tokens: dict[int, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in base_env.items() if not k.startswith("VCF_FLEET_TEST_")}
        env |= {f"VCF_FLEET_TEST_{n}": token for n, token in (tokens or {}).items()}
        return subprocess.run(
            [sys.executable, str(FLEET / "fleet.py"), str(inventory), *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    yield run
    run("--destroy")
    for name in names:
        (FLEET / "program" / f"Pulumi.{name}.yaml").unlink(missing_ok=True)


def test_a_failed_manager_shows_its_first_error_line_and_destroy_needs_no_refresh_token(
    run_fleet: RunFleet, managers: list[SddcManagerEmulator]
) -> None:
    # One fleet run serves both behaviours: a failure's reason, then a destroy with no token set.
    completed = run_fleet(tokens={0: managers[0].issue_refresh_token(), 1: NEVER_ISSUED})

    out = completed.stdout + completed.stderr
    assert completed.returncode == 1, out
    assert f"{PREFIX}-0" in out
    assert "refreshed" in out
    assert (
        f"{PREFIX}-1: sddc-token: refreshing the access token failed: HTTP 404 Not Found from PATCH "
        f"{managers[1].url}/v1/tokens/access-token/refresh (errorCode REFRESH_TOKEN_NOT_FOUND)"
    ) in out
    assert "Duration:" not in out
    assert "stderr:" not in out
    assert_no_leaks({"fleet output": out}, [NEVER_ISSUED, *emulator_secrets(*managers)])

    destroyed = run_fleet("--destroy", tokens={})

    gone = destroyed.stdout + destroyed.stderr
    assert destroyed.returncode == 0, gone
    assert gone.count("destroyed") == 2, gone
    assert "skipped" not in gone
    assert not list((FLEET / "program").glob(f"Pulumi.{PREFIX}-*.yaml")), "the stacks were removed"
    again = run_fleet("--destroy", tokens={})
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("no stack") == 2


def test_without_an_engine_diagnostic_the_clis_error_line_is_the_reason() -> None:
    fleet = load_fleet()
    text = (
        "\n code: 255\n stdout: \n stderr: error: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE\n"
    )

    assert fleet.failure_reason([], text) == "incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE"


def test_the_resources_error_comes_before_the_stacks_update_failed() -> None:
    fleet = load_fleet()
    stack_urn = "urn:pulumi:s::vcf-fleet::pulumi:pulumi:Stack::vcf-fleet-s"
    token_urn = "urn:pulumi:s::vcf-fleet::pulumi-python:dynamic/vcf:RefreshedAccessToken::sddc-token"
    events = [
        auto.EngineEvent(
            0, 0, diagnostic_event=auto.DiagnosticEvent("update failed\n", "never", "error", urn=stack_urn)
        ),
        auto.EngineEvent(
            1, 0, diagnostic_event=auto.DiagnosticEvent("retrying\n", "never", "warning", urn=token_urn)
        ),
        auto.EngineEvent(
            2,
            0,
            diagnostic_event=auto.DiagnosticEvent(
                "connecting failed: refused\n  hint: x\n", "never", "error", urn=token_urn
            ),
        ),
    ]

    assert fleet.failure_reason(events, "") == "sddc-token: connecting failed: refused"
