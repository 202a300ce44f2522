"""A downstream resource whose create runs for a long time: it starts a task and waits for it.

Creating a workload domain takes SDDC Manager one to two hours, longer than an access token
lives. `SddcManagerAuth` renews the token while `wait_for_task` polls, and a failed poll (the
manager restarting a service, a proxy hiccup) is tried again instead of failing the `pulumi up`.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider

INPUTS = ("host", "refresh_token", "ca_bundle", "domain_name", "poll_seconds")


def _auth(props: dict[str, Any]) -> Any:
    from vcf_provider import SddcManagerAuth

    return SddcManagerAuth(props["host"], props["refresh_token"], ca_bundle=props.get("ca_bundle"))


def _run_task(props: dict[str, Any], method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """Sends the call that starts a task, then waits for the task, telling the user how it goes."""
    from vcf_provider import wait_for_task

    auth = _auth(props)
    with auth.session() as session:
        answer = session.request(method, auth.base_url + path, json=body, timeout=60)
        answer.raise_for_status()
        task_id = answer.json()["id"]

    def progress(task: dict[str, Any]) -> None:
        # A dynamic provider has no engine connection: this reaches the `pulumi up` output through
        # the provider's stderr, shown with the stack rather than the resource.
        running = [s["name"] for s in task.get("subTasks", []) if s.get("status") == "IN_PROGRESS"]
        now = f", now: {running[0]}" if running else ""
        pulumi.log.info(f"{props['domain_name']}: task {task.get('status')}{now}")

    return wait_for_task(
        auth, task_id, poll_seconds=float(props.get("poll_seconds") or 10), on_progress=progress
    )


class WorkloadDomainProvider(ResourceProvider):
    """Creates a workload domain and waits for it; deletes it the same way."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        task = _run_task(props, "POST", "/v1/domains", {"domainName": props["domain_name"]})
        domain_id = next(
            (r.get("resourceId") for r in task.get("resources", []) if r.get("resourceId")), None
        )
        outputs = {key: props.get(key) for key in INPUTS}
        return CreateResult(domain_id or task["id"], {**outputs, "task_id": task["id"]})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # A new name means a new domain; the connection inputs only change how later calls are made.
        return DiffResult(
            changes=any(olds.get(k) != news.get(k) for k in INPUTS),
            replaces=["domain_name"] if olds.get("domain_name") != news.get("domain_name") else [],
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _run_task(props, "DELETE", f"/v1/domains/{id_}", None)


class WorkloadDomain(Resource, module="vcf-example", name="WorkloadDomain"):
    """A workload domain: `POST /v1/domains`, then waiting for its task (hours on a real manager)."""

    task_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        host: pulumi.Input[str],
        refresh_token: pulumi.Input[str],
        domain_name: pulumi.Input[str],
        ca_bundle: pulumi.Input[str] | None = None,
        poll_seconds: pulumi.Input[float] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "host": host,
            "refresh_token": refresh_token,
            "ca_bundle": ca_bundle,
            "domain_name": domain_name,
            "poll_seconds": poll_seconds,
            "task_id": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["refresh_token"])
        super().__init__(
            WorkloadDomainProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
        )
