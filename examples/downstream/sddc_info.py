"""A downstream dynamic resource that calls the SDDC Manager API whenever it runs, with SddcManagerAuth.

The pattern for your own resources that call SDDC Manager in update or delete, maybe months after
the create: take the **refresh token** as an input (it arrives as a secret, so the engine keeps it
encrypted in this resource's state too), and build an `SddcManagerAuth` from the inputs inside
each provider method. It fetches a fresh access token when it needs one. An `access_token` input
would be frozen in this resource's state and long expired by then.
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

INPUTS = ("host", "refresh_token", "ca_bundle", "triggers")


def _managers(props: dict[str, Any]) -> list[dict[str, Any]]:
    from vcf_provider import SddcManagerAuth

    auth = SddcManagerAuth(props["host"], props["refresh_token"], ca_bundle=props.get("ca_bundle"))
    with auth.session() as session:
        answer = session.get(f"{auth.base_url}/v1/sddc-managers", timeout=30)
        answer.raise_for_status()
        page = answer.json()
    return [{"fqdn": m.get("fqdn"), "version": m.get("version")} for m in page.get("elements", [])]


class SddcManagersProvider(ResourceProvider):
    """Lists SDDC Managers on create and update; checks the API is still reachable on delete."""

    # Nothing secret is captured in the provider itself: the refresh token comes in as an input.
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(uuid.uuid4().hex, {**_stored(props), "managers": _managers(props)})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=any(olds.get(k) != news.get(k) for k in INPUTS))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**_stored(news), "managers": _managers(news)})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Stands in for the DELETE your own resource would send: an API call long after the create.
        _managers(props)


def _stored(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in INPUTS}


class SddcManagers(Resource, module="vcf-example", name="SddcManagers"):
    """The SDDC Managers that `GET /v1/sddc-managers` lists, read with a renewing access token."""

    managers: pulumi.Output[list[dict[str, str]]]

    def __init__(
        self,
        resource_name: str,
        *,
        host: pulumi.Input[str],
        refresh_token: pulumi.Input[str],
        ca_bundle: pulumi.Input[str] | None = None,
        triggers: pulumi.Input[dict[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`triggers`: any change lists the managers again (an update), e.g. a run number or date."""
        props = {
            "host": host,
            "refresh_token": refresh_token,
            "ca_bundle": ca_bundle,
            "triggers": triggers,
            "managers": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["refresh_token"])
        super().__init__(
            SddcManagersProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
        )
