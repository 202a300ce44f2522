"""A downstream resource of the "read once, now" kind: it uses `access_token` during its create only."""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class ReadOnceProvider(ResourceProvider):
    """Lists SDDC Managers with the access token it is given, on create only."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        from tests.support.clients import api_get
        from vcf_provider.api.settings import connection_settings

        page = api_get(connection_settings(props), "/v1/sddc-managers", props["access_token"])
        managers = [{"fqdn": m.get("fqdn"), "version": m.get("version")} for m in page.get("elements", [])]
        stored = {key: value for key, value in props.items() if key != "__provider"}
        return CreateResult(uuid.uuid4().hex, {**stored, "managers": managers})


class ManagersReadOnce(Resource, module="test", name="ManagersReadOnce"):
    """The SDDC Managers `GET /v1/sddc-managers` listed when this resource was created."""

    managers: pulumi.Output[list[dict[str, str]]]

    def __init__(
        self,
        resource_name: str,
        *,
        host: pulumi.Input[str],
        access_token: pulumi.Input[str],
        ca_bundle: pulumi.Input[str] | None = None,
    ) -> None:
        props = {"host": host, "access_token": access_token, "ca_bundle": ca_bundle, "managers": None}
        secret = pulumi.ResourceOptions(additional_secret_outputs=["access_token"])
        super().__init__(ReadOnceProvider(), resource_name, props, secret)
