"""A throwaway dynamic resource that proves the engine harness works end to end."""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class EchoProvider(ResourceProvider):
    """Creates nothing real: its output is the greeting built from its input."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=uuid.uuid4().hex, outs={**props, "greeting": f"hello {props['name']}"})


class Echo(Resource, module="test", name="Echo"):
    """A resource whose `greeting` output echoes its `name` input."""

    greeting: pulumi.Output[str]

    def __init__(self, resource_name: str, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(EchoProvider(), resource_name, {"name": name, "greeting": None}, opts)
