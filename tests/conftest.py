"""Shared fixtures: the Pulumi engine, temporary stacks, and the SDDC Manager emulator."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.engine import PulumiStack, create_stack, find_pulumi

# The `sddc_manager` fixture comes from the package's pytest11 entry point, as in a user's suite.

ENGINE_MISSING = (
    "the Pulumi engine is not installed: run `make setup` (it builds the pinned CLI when none is found)"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests first: on two workers, one left for the end would run alone while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(scope="session")
def pulumi_cli() -> str:
    """Path of the pulumi CLI; engine tests skip without it, except in CI where that is a failure."""
    path = find_pulumi()
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {ENGINE_MISSING}", pytrace=False)
        pytest.skip(ENGINE_MISSING)
    return path


@pytest.fixture
def new_stack(pulumi_cli: str, tmp_path: Path) -> Callable[..., PulumiStack]:
    """Makes isolated stacks (own project dir, file:// backend and PULUMI_HOME under tmp_path)."""
    made: list[PulumiStack] = []

    def make(source: str, name: str = "test", project: str = "vcf-test") -> PulumiStack:
        stack = create_stack(pulumi_cli, tmp_path / f"{project}-{name}-{len(made)}", source, name, project)
        made.append(stack)
        return stack

    return make


@pytest.fixture
def project_stack(pulumi_cli: str, tmp_path: Path) -> Iterator[Callable[..., PulumiStack]]:
    """Stacks of an existing project directory (an example); removed again, config file included."""
    made: list[PulumiStack] = []

    def make(project_dir: Path, name: str = "test") -> PulumiStack:
        base = tmp_path / f"{project_dir.name}-{len(made)}"
        stack = PulumiStack(
            pulumi=pulumi_cli,
            work_dir=project_dir,
            state_dir=base / "state",
            home_dir=base / "home",
            name=name,
            owns_work_dir=False,
        )
        stack.state_dir.mkdir(parents=True)
        stack.home_dir.mkdir(parents=True)
        stack.init()
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.run("stack", "rm", stack.name, "--yes", "--force", check=False)
