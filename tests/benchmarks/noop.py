"""The benchmark's floor: a dynamic resource that does nothing, from an importable module."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class NoOpProvider(ResourceProvider):
    """Creates nothing; every other operation is the SDK's default."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("noop", props)


class NoOp(Resource, module="bench", name="NoOp"):
    """A resource with no inputs and no work."""

    def __init__(self, name: str) -> None:
        super().__init__(NoOpProvider(), name, {})
