"""The engine harness itself: a dynamic resource lives through up, output and destroy."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.engine import StackFactory

pytestmark = pytest.mark.engine

PROGRAM = """
import pulumi
from tests.support.echo_resource import Echo

echo = Echo("echo", name="engine")
pulumi.export("greeting", echo.greeting)
"""


def test_dynamic_resource_is_created_read_back_and_destroyed(new_stack: StackFactory) -> None:
    stack = new_stack(PROGRAM)

    stack.up()

    assert stack.outputs() == {"greeting": "hello engine"}
    assert len(stack.resources("pulumi-python:dynamic/test:Echo")) == 1

    stack.destroy()

    assert stack.resources("pulumi-python:dynamic/test:Echo") == []


def test_pulumi_reports_the_pinned_version(pulumi_cli: str) -> None:
    version = subprocess.run([pulumi_cli, "version"], capture_output=True, text=True, check=True).stdout
    major, minor, _patch = (int(part) for part in version.strip().lstrip("v").split(".")[:3])
    assert (major, minor) >= (3, 274), version
