"""A downstream dynamic resource that calls the SDDC Manager API with a RefreshedAccessToken.

The pattern for your own resources: take `access_token` as an input (it arrives as a secret, so
the engine keeps it encrypted in this resource's state too), and build the client from inputs
inside the provider, never from captured globals.
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult


class SddcManagersProvider(ResourceProvider):
    """Reads GET /v1/sddc-managers with the access token it is given."""

    serialize_as_secret_always = False

    def _read(self, props: dict[str, Any]) -> dict[str, Any]:
        from vcf_provider.client import SddcManagerClient
        from vcf_provider.inputs import connection_settings

        with SddcManagerClient(connection_settings(props)) as client:
            page = client.get("/v1/sddc-managers", access_token=props["access_token"])
        managers = [{"fqdn": m.get("fqdn"), "version": m.get("version")} for m in page.get("elements", [])]
        return {**{k: v for k, v in props.items() if k != "__provider"}, "managers": managers}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(uuid.uuid4().hex, self._read(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(olds.get(k) != news.get(k) for k in ("host", "access_token", "ca_bundle"))
        return DiffResult(changes=changed)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._read(news))


class SddcManagers(Resource, module="vcf-example", name="SddcManagers"):
    """The SDDC Managers that `GET /v1/sddc-managers` lists, read with an access token."""

    managers: pulumi.Output[list[dict[str, str]]]

    def __init__(
        self,
        resource_name: str,
        *,
        host: pulumi.Input[str],
        access_token: pulumi.Input[str],
        ca_bundle: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"host": host, "access_token": access_token, "ca_bundle": ca_bundle, "managers": None}
        secret = pulumi.ResourceOptions(additional_secret_outputs=["access_token"])
        super().__init__(
            SddcManagersProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
        )
