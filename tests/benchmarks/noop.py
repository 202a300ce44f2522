"""The benchmark's floor: a dynamic resource that does nothing, from an importable module."""

from __future__ import annotations

from typing import Any

from pulumi import ResourceOptions
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


class Shaped(Resource, module="bench", name="Shaped"):
    """A no-op with RefreshedAccessToken's inputs and outputs, a secret input among them."""

    def __init__(self, name: str, secret: Any) -> None:
        props = {
            "host": "https://127.0.0.1:1",
            "refresh_token": secret,
            "ca_bundle": "ca.pem",
            "allow_unverified_tls": None,
            "timeout_seconds": 30.0,
            "max_retries": 3,
            "renew_before_seconds": 300.0,
            "triggers": None,
            "access_token": None,
            "expires_at": None,
            "refreshed_at": None,
        }
        options = ResourceOptions(additional_secret_outputs=["access_token", "refresh_token"])
        super().__init__(NoOpProvider(), name, props, options)
