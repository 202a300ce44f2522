"""The soak's downstream resource: calls SDDC Manager with SddcManagerAuth in every update."""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

INPUTS = ("host", "refresh_token", "ca_bundle", "run")


def _list_managers(props: dict[str, Any]) -> int:
    """GET /v1/sddc-managers with a token SddcManagerAuth gets from the refresh token."""
    from vcf_provider import SddcManagerAuth

    auth = SddcManagerAuth(props["host"], props["refresh_token"], ca_bundle=props.get("ca_bundle"))
    try:
        with auth.session() as session:
            answer = session.get(f"{auth.base_url}/v1/sddc-managers", timeout=30)
            answer.raise_for_status()
            return len(answer.json()["elements"])
    finally:
        auth.close()


class ManagerListProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(uuid.uuid4().hex, {**_stored(props), "managers": _list_managers(props)})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=any(olds.get(k) != news.get(k) for k in INPUTS))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**_stored(news), "managers": _list_managers(news)})


def _stored(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in INPUTS}


class ManagerList(Resource, module="soak", name="ManagerList"):
    """Lists SDDC Managers on create and on every update (`run` changes every soak run)."""

    managers: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        host: pulumi.Input[str],
        refresh_token: pulumi.Input[str],
        run: pulumi.Input[str],
        ca_bundle: pulumi.Input[str] | None = None,
    ) -> None:
        props = {"host": host, "refresh_token": refresh_token, "ca_bundle": ca_bundle, "run": run}
        secret = pulumi.ResourceOptions(additional_secret_outputs=["refresh_token"])
        super().__init__(ManagerListProvider(), resource_name, {**props, "managers": None}, secret)
