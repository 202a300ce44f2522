"""The emulator's tasks: GET /v1/tasks/{id} as SDDC Manager answers it, behind a bearer token."""

from __future__ import annotations

import pytest
import requests

from tests.support.clients import api_get, emulator_settings
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.errors import SddcManagerApiError
from vcf_provider.testing import SddcManagerEmulator, vcf_error

TASK_FIELDS = {
    "id",
    "name",
    "type",
    "status",
    "creationTimestamp",
    "completionTimestamp",
    "subTasks",
    "errors",
    "resources",
    "isCancellable",
    "isRetryable",
}


def test_a_task_runs_for_its_polls_then_ends_with_its_final_status(sddc_manager: SddcManagerEmulator) -> None:
    error = vcf_error("NSX_FAILED", "NSX did not come up.", "Check sizing.")
    task_id = sddc_manager.add_task("Create domain", polls_until_done=2, final="FAILED", errors=[error])
    token = sddc_manager.mint_access_token()

    with SddcManagerClient(emulator_settings(sddc_manager)) as client:
        polls = [api_get(client.settings, f"/v1/tasks/{task_id}", token) for _ in range(3)]

    assert [p["status"] for p in polls] == ["IN_PROGRESS", "IN_PROGRESS", "FAILED"]
    assert set(polls[-1]) == TASK_FIELDS
    assert polls[0]["completionTimestamp"] is None
    assert polls[-1]["completionTimestamp"] >= polls[-1]["creationTimestamp"]
    assert polls[-1]["errors"] == [error]
    assert (polls[0]["isCancellable"], polls[-1]["isCancellable"], polls[-1]["isRetryable"]) == (
        True,
        False,
        True,
    )


@pytest.mark.parametrize("token", ["expired", "forged", "none"])
def test_polling_needs_a_valid_bearer_token(sddc_manager: SddcManagerEmulator, token: str) -> None:
    task_id = sddc_manager.add_task("Create domain")
    tokens = {
        "expired": sddc_manager.mint_access_token(lifetime_seconds=-1),
        "forged": sddc_manager.mint_access_token()[:-4] + "AAAA",
        "none": "",
    }

    with (
        SddcManagerClient(emulator_settings(sddc_manager)) as client,
        pytest.raises(SddcManagerApiError) as caught,
    ):
        api_get(client.settings, f"/v1/tasks/{task_id}", tokens[token])

    assert caught.value.status == 401
    assert caught.value.error is not None
    assert caught.value.error.error_code == "Unauthorized"
    assert sddc_manager.tasks.polls(task_id) == 0, "a refused poll does not move the task"


def test_an_unknown_task_is_a_404_vcf_error(sddc_manager: SddcManagerEmulator) -> None:
    with (
        SddcManagerClient(emulator_settings(sddc_manager)) as client,
        pytest.raises(SddcManagerApiError) as caught,
    ):
        api_get(client.settings, "/v1/tasks/nope", sddc_manager.mint_access_token())

    assert caught.value.status == 404
    assert caught.value.error is not None
    assert caught.value.error.error_code == "TASK_NOT_FOUND"


def test_creating_a_domain_answers_its_task_which_then_runs(sddc_manager: SddcManagerEmulator) -> None:
    sddc_manager.domain_task_polls = 1
    token = sddc_manager.mint_access_token()

    answer = requests.post(
        sddc_manager.url + "/v1/domains",
        json={"domainName": "wld-01"},
        headers={"Authorization": f"Bearer {token}"},
        verify=str(sddc_manager.ca_path),
        timeout=10,
    )
    task = answer.json()
    with SddcManagerClient(emulator_settings(sddc_manager)) as client:
        statuses = [api_get(client.settings, f"/v1/tasks/{task['id']}", token)["status"] for _ in range(2)]

    assert answer.status_code == 202
    assert answer.headers["Location"] == f"/v1/tasks/{task['id']}"
    assert (task["name"], task["type"], task["status"]) == (
        "Creating workload domain wld-01",
        "DOMAIN_CREATE",
        "IN_PROGRESS",
    )
    assert statuses == ["IN_PROGRESS", "SUCCESSFUL"]
