"""The downstream example (`examples/downstream`) through the life of a stack, on a moved clock.

The emulator's clock and the clocks of the program and provider processes move together
(libfaketime), so 21 hours and then a month pass between commands in a few seconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import Config

from examples.downstream.workload_domain import StackLogin
from tests.support.engine import REPO_ROOT, VENV, PulumiStack
from tests.support.leaks import audit_stack
from tests.support.routes import LOGIN, MANAGERS, REVOKE, TYPE_PAIR, TYPE_TOKEN
from tests.support.stacks import configure
from vcf_provider.testing import DEFAULT_PASSWORD, RecordedRequest, SddcManagerEmulator

EXAMPLE = REPO_ROOT / "examples" / "downstream"
TYPE_DOMAIN = "pulumi-python:dynamic/vcf-example:WorkloadDomain"
TYPE_MANAGERS = "pulumi-python:dynamic/vcf-example:SddcManagers"
CREATE_DOMAIN = ("POST", "/v1/domains")
HOURS = 3600.0
DAYS = 86_400.0


@pytest.fixture
def example_stack(pulumi_cli: str, tmp_path: Path) -> PulumiStack:
    """A stack of a copy of the example, so that its stack config stays out of the repository."""
    work_dir = tmp_path / "downstream"
    work_dir.mkdir()
    for source in EXAMPLE.glob("*.py"):
        shutil.copy(source, work_dir)
    project = (EXAMPLE / "Pulumi.yaml").read_text()
    (work_dir / "Pulumi.yaml").write_text(project.replace("../../.venv", str(VENV)))
    stack = PulumiStack(pulumi_cli, work_dir, tmp_path / "state", tmp_path / "home")
    stack.state_dir.mkdir()
    stack.home_dir.mkdir()
    stack.init()
    return stack


def state(stack: PulumiStack) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each resource's id and outputs (without the serialized provider) by type, from one export."""
    return {
        resource["type"]: (
            resource["id"],
            {key: value for key, value in resource["outputs"].items() if key != "__provider"},
        )
        for resource in stack.resources()
        if resource.get("id")
    }


def planned_changes(stack: PulumiStack) -> dict[str, str]:
    """What `pulumi preview` plans, by resource type: the operation of each step that changes something."""
    steps = json.loads(stack.preview("--json").stdout).get("steps", [])
    return {step["urn"].split("::")[-2]: step["op"] for step in steps if step["op"] != "same"}


def calls(requests: list[RecordedRequest]) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in requests]


@pytest.mark.engine
@pytest.mark.long
def test_a_workload_domain_survives_rotation_and_an_idle_month_and_is_deleted_once(
    example_stack: PulumiStack, tmp_path: Path
) -> None:
    with SddcManagerEmulator() as sddc_manager:
        sddc_manager.domain_task_polls = 1
        stack = example_stack
        stack.extra_env.update(sddc_manager.clock.process_environment(tmp_path / "faketime"))
        configure(stack, sddc_manager, login=True)
        stack.set_config("pollSeconds", "0.05")

        def run(*command: str) -> list[tuple[str, str]]:
            """Runs `pulumi <command>` (it must succeed) and returns the calls SDDC Manager got."""
            start = len(sddc_manager.requests)
            stack.run(*command)
            return calls(sddc_manager.requests[start:])

        created = run("up", "--yes", "--skip-preview")

        assert created.count(CREATE_DOMAIN) == 1
        (domain_record,) = stack.resources(TYPE_DOMAIN)
        assert "ciphertext" not in json.dumps(domain_record), "no secret in the domain's inputs or outputs"
        first = state(stack)
        domain_id, domain = first[TYPE_DOMAIN]
        _, managers = first[TYPE_MANAGERS]
        assert "refresh_token" not in managers, "no token among the outputs"
        (first_pair,) = sddc_manager.live_refresh_tokens

        # 21 hours later the pair is due for rotation: the plan and the update leave both alone.
        sddc_manager.advance(21 * HOURS)
        assert planned_changes(stack) == {TYPE_PAIR: "replace", TYPE_TOKEN: "update"}
        rotated = run("up", "--yes", "--skip-preview")

        assert first_pair in sddc_manager.revoked_refresh_tokens, "the pair rotated"
        assert rotated.count(LOGIN) == 1, "the new pair's login, and no other"
        assert CREATE_DOMAIN not in rotated, "no second create"
        assert ("GET", MANAGERS) not in rotated, "SddcManagers is not updated for a new token"
        after = state(stack)
        assert after[TYPE_DOMAIN] == (domain_id, domain), "every output kept"
        assert after[TYPE_MANAGERS][1] == managers

        # A connection input changes (the CA as PEM text instead of a path): updates in place.
        pem = sddc_manager.ca_path.read_text().strip()
        stack.set_config("vcf:caBundle", pem)
        reconnected = run("up", "--yes", "--skip-preview")

        assert CREATE_DOMAIN not in reconnected
        assert LOGIN not in reconnected, "the domain's update calls nothing"
        assert reconnected.count(("GET", MANAGERS)) == 1, "SddcManagers lists again over the new CA"
        after = state(stack)
        assert after[TYPE_DOMAIN] == (domain_id, {**domain, "ca_bundle": pem}), "updated in place"
        assert after[TYPE_MANAGERS][1] == {**managers, "ca_bundle": pem}

        # Nothing to do: the engine fails the command if it finds any change.
        assert run("up", "--yes", "--skip-preview", "--expect-no-changes") == []

        # A month without `pulumi up`: every refresh token the state holds has expired.
        sddc_manager.advance(30 * DAYS)
        assert sddc_manager.live_refresh_tokens == []

        destroyed = run("destroy", "--yes", "--skip-preview")

        assert destroyed.count(("DELETE", f"/v1/domains/{domain_id}")) == 1
        assert destroyed.count(LOGIN) == 1, "the domain's delete logged in with the stack's credentials"
        assert sddc_manager.issued_refresh_tokens[-1] in sddc_manager.revoked_refresh_tokens
        assert destroyed.count(REVOKE) == 2, "the delete's login, and the pair's expired token"
        everything = calls(sddc_manager.requests)
        assert [c for c in everything if c[1].startswith("/v1/domains")] == [
            CREATE_DOMAIN,
            ("DELETE", f"/v1/domains/{domain_id}"),
        ]
        assert sddc_manager.live_refresh_tokens == []
        assert stack.resources() == []
        audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def stack_config(**values: str) -> Config:
    return Config({f"vcf:{key}": value for key, value in values.items()}, "vcf-downstream")


def test_the_delete_time_login_comes_from_the_first_place_that_gives_credentials() -> None:
    env = {"VCF_USERNAME": "ci", "VCF_PASSWORD": "env-password", "VCF_REFRESH_TOKEN": "env-token"}

    from_config = StackLogin.find(stack_config(username="admin", password="config-password"), env)
    password_from_env = StackLogin.find(stack_config(username="admin"), env)
    from_env = StackLogin.find(stack_config(refreshToken="config-token"), env)
    token_only = StackLogin.find(stack_config(refreshToken="config-token"), {})

    assert from_config == StackLogin("stack config", {"username": "admin", "password": "config-password"})
    assert password_from_env == StackLogin("stack config", {"username": "admin", "password": "env-password"})
    assert from_env == StackLogin("the environment", {"username": "ci", "password": "env-password"})
    assert token_only == StackLogin("stack config", refresh_token="config-token")
    assert StackLogin.find(stack_config(), {}) is None
    assert "config-password" not in repr(from_config), "no secret in its repr"
