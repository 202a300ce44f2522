"""Every example and the demo run on the real engine against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from tests.support.engine import REPO_ROOT, PulumiStack, fleet_cli_env
from tests.support.leaks import assert_no_leaks, audit_stack, emulator_secrets
from tests.support.stacks import configure
from tests.support.waiting import wait_until
from vcf_provider.policy import PACK_DIRECTORY
from vcf_provider.testing import DEFAULT_PASSWORD, SddcManagerEmulator

# These run in the repository's own directories (examples/, the demo's .demo/): one worker at a time.
pytestmark = [pytest.mark.engine, pytest.mark.long, pytest.mark.xdist_group("repository-files")]

EXAMPLES = REPO_ROOT / "examples"
ProjectStack = Callable[..., PulumiStack]


def test_the_demo_runs_end_to_end_without_printing_a_token(pulumi_cli: str) -> None:
    env = {**os.environ, "PATH": f"{Path(pulumi_cli).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["make", "--no-print-directory", "demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "access_token: [secret]" in out
    assert "the token works" in out
    assert out.count("requests to SDDC Manager during this up: 1") == 1
    assert out.count("requests to SDDC Manager during this up: 0") == 1
    assert "2 unchanged" in out
    assert "- 2 deleted" in out
    assert "eyJ" not in out, "a token-shaped string was printed"
    assert not (REPO_ROOT / "Pulumi.demo.yaml").exists(), "the demo leaves no stack config behind"


def test_downstream_example_waits_for_a_long_task_and_calls_the_api_again_after_its_token_expired(
    project_stack: ProjectStack, pulumi_cli: str
) -> None:
    # 2 s access tokens and a domain task of 6 polls 0.5 s apart: tokens expire in the middle of the wait.
    with SddcManagerEmulator(token_lifetime_seconds=2) as sddc_manager:
        sddc_manager.domain_task_polls = 6
        stack = project_stack(EXAMPLES / "downstream")
        configure(stack, sddc_manager, login=True)
        stack.set_config("pollSeconds", "0.5")

        result = stack.up()

        assert stack.outputs()["managers"] == [{"fqdn": "sddc-manager.vcf.test", "version": "9.0.2.0"}]
        (downstream,) = stack.resources("pulumi-python:dynamic/vcf-example:SddcManagers")
        assert "ciphertext" in downstream["inputs"]["refresh_token"]
        assert "access_token" not in downstream["inputs"]
        task_id = stack.outputs()["domain_task"]
        polls = [r for r in sddc_manager.requests if r.path == f"/v1/tasks/{task_id}"]
        assert len(polls) == 7
        assert len({r.headers["Authorization"] for r in polls}) >= 2, "the token was renewed during the wait"
        assert "wld-01: task IN_PROGRESS, now: Validate input" in result.output
        assert "wld-01: task SUCCESSFUL" in result.output
        created_with = sddc_manager.issued_access_tokens[-1]
        wait_until(lambda: not sddc_manager.access_token_is_valid(created_with))
        sddc_manager.clear_log()

        stack.destroy()

        # The domain's delete logs in with the stack's credentials (no token from the state) and
        # revokes that login after its task; SddcManagers' delete makes no call.
        assert sddc_manager.count("DELETE", "/v1/domains/" + task_id) == 1, "the domain's delete task ran"
        assert sddc_manager.count("POST", "/v1/tokens") == 1
        assert sddc_manager.count("GET", "/v1/sddc-managers") == 0
        assert sddc_manager.live_refresh_tokens == [], "the pair and the delete's login were revoked"
        audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_stack_reference_example_keeps_the_token_secret_in_the_consumer(
    project_stack: ProjectStack, sddc_manager: SddcManagerEmulator
) -> None:
    producer = project_stack(EXAMPLES / "stack-reference" / "producer", name="dev")
    configure(producer, sddc_manager)
    producer.up()
    consumer = project_stack(EXAMPLES / "stack-reference" / "consumer", name="dev")
    # Both stacks share one backend, as they would in a team.
    consumer.state_dir = producer.state_dir
    consumer.init()
    consumer.set_config("producerStack", "organization/vcf-token-producer/dev")

    consumer.up()

    assert consumer.outputs()["access_token"] == "[secret]"
    assert consumer.outputs(show_secrets=True)["access_token"] == sddc_manager.issued_access_tokens[-1]
    stack_export = json.loads(consumer.run("stack", "export").stdout)
    (root,) = [r for r in stack_export["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    assert "ciphertext" in root["outputs"]["access_token"]
    assert sddc_manager.count("PATCH", "/v1/tokens/access-token/refresh") == 1
    consumer.destroy()
    producer.destroy()
    assert_no_leaks({**producer.artifacts(), **consumer.artifacts()}, emulator_secrets(sddc_manager))


def test_policy_example_fails_preview_on_its_deliberate_violation(
    project_stack: ProjectStack, sddc_manager: SddcManagerEmulator
) -> None:
    stack = project_stack(EXAMPLES / "policy")
    stack.set_config("vcf:host", sddc_manager.url)
    stack.set_config("vcf:refreshToken", sddc_manager.issue_refresh_token(), secret=True)

    result = stack.run("preview", "--policy-pack", str(PACK_DIRECTORY), check=False)

    assert result.returncode != 0
    assert "[mandatory]  vcf-tls-verification-required" in result.stdout
    assert sddc_manager.count() == 0


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[list[SddcManagerEmulator]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(SddcManagerEmulator(state_dir=tmp_path / f"sddc-{n}", latency_seconds=0.05))
            for n in range(3)
        ]


def test_fleet_example_converges_three_managers_two_at_a_time(
    pulumi_cli: str, tmp_path: Path, fleet: list[SddcManagerEmulator]
) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "managers": [
                    {
                        "name": f"sddc-{n}",
                        "host": emulator.url,
                        "ca_bundle": str(emulator.ca_path),
                        "refresh_token_env": f"VCF_REFRESH_TOKEN_{n}",
                    }
                    for n, emulator in enumerate(fleet)
                ]
            }
        )
    )
    env = {
        **fleet_cli_env(tmp_path, pulumi_cli),
        **{f"VCF_REFRESH_TOKEN_{n}": emulator.issue_refresh_token() for n, emulator in enumerate(fleet)},
    }

    def run_fleet(*extra: str) -> str:
        completed = subprocess.run(
            # Two at a time for three managers: the third waits for a free worker, as a fleet larger
            # than --parallel does.
            [sys.executable, str(EXAMPLES / "fleet" / "fleet.py"), str(inventory), "--parallel", "2", *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return completed.stdout + completed.stderr

    first = run_fleet()
    assert first.count("refreshed") == 3
    assert all(emulator.count("PATCH", "/v1/tokens/access-token/refresh") == 1 for emulator in fleet)

    second = run_fleet()
    assert second.count("unchanged") == 3
    assert all(emulator.count() == 1 for emulator in fleet), "a fresh fleet makes no requests"

    run_fleet("--destroy")
    assert not list((EXAMPLES / "fleet" / "program").glob("Pulumi.sddc-*.yaml"))
    assert_no_leaks({"fleet output": first + second}, emulator_secrets(*fleet))


def test_the_quickstart_logs_in_with_credentials_and_revokes_on_destroy(
    project_stack: ProjectStack, sddc_manager: SddcManagerEmulator
) -> None:
    stack = project_stack(REPO_ROOT, name="credentials")
    configure(stack, sddc_manager, login=True)

    stack.up()
    assert stack.outputs()["access_token"] == "[secret]"
    stack.destroy()

    assert [(r.method, r.path) for r in sddc_manager.requests] == [
        ("POST", "/v1/tokens"),
        ("PATCH", "/v1/tokens/access-token/refresh"),
        ("DELETE", "/v1/tokens/refresh-token"),
    ]
    assert_no_leaks(stack.artifacts(), [DEFAULT_PASSWORD, *emulator_secrets(sddc_manager)])
