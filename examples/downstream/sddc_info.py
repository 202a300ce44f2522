"""A downstream dynamic resource that calls the SDDC Manager API in its create and update.

It takes the pair's **refresh token** as an input and builds an `SddcManagerAuth` from it inside each
provider method, which fetches a fresh access token when it needs one. That works for calls made
during a `pulumi up`: the pair rotates (every 20 h) before the resources that use it are updated,
so the token that arrives is always good. It does not work for a delete a month from now (nothing
renews a token before a destroy), so this resource's delete makes no call; a resource whose delete
must call SDDC Manager logs in with the stack's credentials instead (`workload_domain.py`).
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

#: A change here lists the managers again, in place. The refresh token is not among them: a new one
#: (a rotation) changes nothing about the managers, so it is no reason to update.
UPDATES = ("host", "ca_bundle", "triggers")


def _managers(props: dict[str, Any]) -> list[dict[str, Any]]:
    from vcf_provider import SddcManagerAuth

    auth = SddcManagerAuth(props["host"], props["refresh_token"], ca_bundle=props.get("ca_bundle"))
    with auth.session() as session:
        answer = session.get(f"{auth.base_url}/v1/sddc-managers", timeout=30)
        answer.raise_for_status()
        page = answer.json()
    return [{"fqdn": m.get("fqdn"), "version": m.get("version")} for m in page.get("elements", [])]


class SddcManagersProvider(ResourceProvider):
    """Lists SDDC Managers on create and update. See `SddcManagers`."""

    # Nothing secret is captured in the provider itself: the refresh token comes in as an input.
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(uuid.uuid4().hex, {**_kept(props), "managers": _managers(props)})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # `olds` are the outputs in state; never compare whole dicts (they hold `__provider`).
        return DiffResult(changes=any(olds.get(key) != news.get(key) for key in UPDATES), replaces=[])

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # The outputs are replaced by what this returns: every one of them, or it is lost.
        return UpdateResult({**_kept(news), "managers": _managers(news)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Listing made nothing on SDDC Manager, so there is nothing to delete there, and no call:
        # the state holds no token, and the one the last `pulumi up` had may have expired.
        return None


def _kept(props: dict[str, Any]) -> dict[str, Any]:
    """What the state keeps besides the managers: the inputs that `diff` compares. Not the token."""
    return {key: props.get(key) for key in UPDATES}


class SddcManagers(Resource, module="vcf-example", name="SddcManagers"):
    """The SDDC Managers that `GET /v1/sddc-managers` lists, read with a renewing access token.

    - create, and update (a new `host`, `ca_bundle` or `triggers`): one `GET /v1/sddc-managers`.
    - a new refresh token (the pair rotated): no change, no call; the outputs stay.
    - delete: no call (nothing was made on SDDC Manager).
    """

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
        """`refresh_token`: e.g. `pair.refresh_token`; kept secret (encrypted in this resource's
        inputs) even when given as plain text. `triggers`: any change lists the managers again (an
        update), e.g. a run number or date."""
        props = {
            "host": host,
            "refresh_token": pulumi.Output.secret(refresh_token),
            "ca_bundle": ca_bundle,
            "triggers": triggers,
            "managers": None,
        }
        super().__init__(SddcManagersProvider(), resource_name, props, opts)
