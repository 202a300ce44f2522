"""wait_for_task: polls a task to its end through expired tokens and failed polls; says why it stops."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.support.leaks import assert_no_leaks, emulator_secrets
from tests.support.routes import REFRESH
from tests.support.waiting import wait_until
from vcf_provider import (
    SddcManagerApiError,
    SddcManagerAuth,
    SddcManagerTaskFailed,
    SddcManagerTaskTimeout,
    SddcManagerTaskWaitError,
    wait_for_task,
)
from vcf_provider.api.errors import OperationCancelled
from vcf_provider.testing import Fault, SddcManagerEmulator, vcf_error


def auth_for(emulator: SddcManagerEmulator) -> SddcManagerAuth:
    return SddcManagerAuth(emulator.url, emulator.issue_refresh_token(), ca_bundle=str(emulator.ca_path))


def test_a_successful_task_is_returned_with_progress_at_each_change(
    sddc_manager: SddcManagerEmulator,
) -> None:
    task_id = sddc_manager.add_task("Create domain wld-01", polls_until_done=5)
    seen: list[tuple[str, list[str]]] = []

    task = wait_for_task(
        auth_for(sddc_manager),
        task_id,
        poll_seconds=0.01,
        on_progress=lambda t: seen.append((t["status"], [s["status"] for s in t["subTasks"]])),
    )

    assert task["id"] == task_id
    assert task["status"] == "SUCCESSFUL"
    assert sddc_manager.tasks.polls(task_id) == 6
    assert seen == [
        ("IN_PROGRESS", ["IN_PROGRESS", "PENDING", "PENDING"]),
        ("IN_PROGRESS", ["SUCCESSFUL", "IN_PROGRESS", "PENDING"]),
        ("IN_PROGRESS", ["SUCCESSFUL", "SUCCESSFUL", "IN_PROGRESS"]),
        ("SUCCESSFUL", ["SUCCESSFUL", "SUCCESSFUL", "SUCCESSFUL"]),
    ], "once per change, not once per poll"


def test_a_failed_task_raises_with_its_name_id_status_and_every_error(
    sddc_manager: SddcManagerEmulator,
) -> None:
    errors = [
        vcf_error("NSX_DEPLOYMENT_FAILED", "NSX Manager did not come up.", "Check the NSX appliance sizing."),
        vcf_error("VCENTER_UNREACHABLE", "vCenter timed out.", "Check DNS for the vCenter FQDN."),
    ]
    task_id = sddc_manager.add_task("Create domain wld-01", polls_until_done=1, final="FAILED", errors=errors)

    with pytest.raises(SddcManagerTaskFailed) as caught:
        wait_for_task(auth_for(sddc_manager), task_id, poll_seconds=0.01)

    lines = str(caught.value).splitlines()
    assert lines[0] == f"SDDC Manager task 'Create domain wld-01' ({task_id}) ended FAILED"
    text = str(caught.value)
    for error in errors:
        for field in ("errorCode", "message", "remediationMessage", "referenceToken"):
            assert f"{field}: {error[field]}" in text
    assert f"PATCH /v1/tasks/{task_id}" in text, "a failed task can be retried"
    assert caught.value.task["status"] == "FAILED"
    assert [e.error_code for e in caught.value.errors] == ["NSX_DEPLOYMENT_FAILED", "VCENTER_UNREACHABLE"]


@pytest.mark.parametrize("final", ["CANCELLED", "cancelled", "Failed"])
def test_statuses_compare_without_regard_to_case(sddc_manager: SddcManagerEmulator, final: str) -> None:
    task_id = sddc_manager.add_task("Expand cluster", final=final)

    with pytest.raises(SddcManagerTaskFailed, match=f"ended {final}$|ended {final}\n"):
        wait_for_task(auth_for(sddc_manager), task_id, poll_seconds=0.01)


def test_an_unknown_status_means_still_running(sddc_manager: SddcManagerEmulator) -> None:
    task_id = sddc_manager.add_task("Add host", polls_until_done=3)
    odd = Fault.raw(200, f'{{"id": "{task_id}", "name": "Add host", "status": "Queued_For_Retry"}}')
    sddc_manager.script("GET", f"/v1/tasks/{task_id}", odd, odd)

    assert wait_for_task(auth_for(sddc_manager), task_id, poll_seconds=0.01)["status"] == "SUCCESSFUL"


def test_the_wait_survives_expired_tokens_and_three_failed_polls_in_a_row() -> None:
    with SddcManagerEmulator(token_lifetime_seconds=1) as emulator:
        task_id = emulator.add_task("Create domain wld-01", polls_until_done=12)
        path = f"/v1/tasks/{task_id}"
        emulator.script(
            "GET",
            path,
            Fault.error(503, vcf_error("SERVICE_UNAVAILABLE", "Restarting.", "")),
            Fault.dropped(),
            Fault.error(429, vcf_error("TOO_MANY_REQUESTS", "Slow down.", ""), **{"Retry-After": "0"}),
        )

        task = wait_for_task(auth_for(emulator), task_id, poll_seconds=0.1)

    assert task["status"] == "SUCCESSFUL"
    assert emulator.tasks.polls(task_id) == 13, "every poll the task needed, after the three that failed"
    used = {r.headers["Authorization"] for r in emulator.requests if r.path == path}
    assert len(used) >= 2, "the token expired during the wait and was renewed"


def test_a_401_during_the_wait_is_healed_by_one_refresh(sddc_manager: SddcManagerEmulator) -> None:
    task_id = sddc_manager.add_task("Create cluster", polls_until_done=2)
    auth = auth_for(sddc_manager)
    sddc_manager.script(
        "GET", f"/v1/tasks/{task_id}", Fault.error(401, vcf_error("Unauthorized", "Expired.", ""))
    )

    assert wait_for_task(auth, task_id, poll_seconds=0.01)["status"] == "SUCCESSFUL"
    assert sddc_manager.count(*REFRESH) == 2


def test_too_many_failed_polls_in_a_row_stop_the_wait_and_say_the_task_may_still_run(
    sddc_manager: SddcManagerEmulator,
) -> None:
    task_id = sddc_manager.add_task("Create domain", polls_until_done=50)
    down = Fault.error(502, vcf_error("BAD_GATEWAY", "Proxy error.", ""))
    sddc_manager.script("GET", f"/v1/tasks/{task_id}", *[down] * 3)

    with pytest.raises(SddcManagerTaskWaitError) as caught:
        wait_for_task(auth_for(sddc_manager), task_id, poll_seconds=0.01, max_failed_polls=3)

    message = str(caught.value)
    assert (
        message.splitlines()[0] == f"waiting for SDDC Manager task {task_id} stopped: 3 polls in a row failed"
    )
    assert "HTTP 502" in message
    assert "the task may still be running on SDDC Manager" in message


def test_the_timeout_names_the_task_and_says_it_may_still_be_running(
    sddc_manager: SddcManagerEmulator,
) -> None:
    task_id = sddc_manager.add_task("Create domain", polls_until_done=10_000)

    with pytest.raises(SddcManagerTaskTimeout) as caught:
        wait_for_task(auth_for(sddc_manager), task_id, timeout_seconds=0.3, poll_seconds=0.05)

    message = str(caught.value)
    assert message.startswith(
        f"waiting for SDDC Manager task {task_id} timed out after 0.3 s (timeout_seconds); its last status "
        "was IN_PROGRESS"
    )
    assert "the task may still be running on SDDC Manager" in message
    assert caught.value.task_id == task_id


def test_an_unknown_task_is_a_clear_error_at_once(sddc_manager: SddcManagerEmulator) -> None:
    with pytest.raises(SddcManagerTaskWaitError) as caught:
        wait_for_task(auth_for(sddc_manager), "no-such-task", poll_seconds=0.01)

    message = str(caught.value)
    assert message.splitlines()[0] == (
        "waiting for SDDC Manager task no-such-task failed: SDDC Manager does not know this task id"
    )
    assert "errorCode: TASK_NOT_FOUND" in message
    assert sddc_manager.count("GET") == 1


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"task_id": ""}, "task_id is empty"),
        ({"timeout_seconds": 0}, "timeout_seconds must be a finite number above 0"),
        ({"poll_seconds": float("nan")}, "poll_seconds must be a finite number above 0"),
        ({"max_failed_polls": 0}, "max_failed_polls must be a whole number"),
    ],
)
def test_bad_arguments_are_named(
    sddc_manager: SddcManagerEmulator, options: dict[str, Any], says: str
) -> None:
    arguments: dict[str, Any] = {"task_id": "t-1", **options}
    with pytest.raises(ValueError, match=says):
        wait_for_task(auth_for(sddc_manager), **arguments)


def test_no_token_appears_in_what_a_failed_wait_shows(sddc_manager: SddcManagerEmulator) -> None:
    auth = auth_for(sddc_manager)
    token = auth.access_token()
    task_id = sddc_manager.add_task(
        "Create domain",
        final="FAILED",
        errors=[vcf_error("ECHO", f"Your token was {token}", "Do not echo tokens.")],
    )
    sddc_manager.script(
        "GET", "/v1/tasks/other", Fault.error(403, vcf_error("FORBIDDEN", f"No, {token}.", ""))
    )

    with pytest.raises(SddcManagerTaskFailed) as failed:
        wait_for_task(auth, task_id, poll_seconds=0.01)
    with pytest.raises(SddcManagerTaskWaitError) as refused:
        wait_for_task(auth, "other", poll_seconds=0.01)

    assert_no_leaks(
        {"failed": str(failed.value), "refused": str(refused.value)}, emulator_secrets(sddc_manager)
    )


def test_a_failed_task_keeps_every_error_and_shows_the_first_ten(sddc_manager: SddcManagerEmulator) -> None:
    errors = [vcf_error(f"E{number:02d}", f"Step {number} failed.", "Look at it.") for number in range(60)]
    task_id = sddc_manager.add_task("Create domain", final="FAILED", errors=errors)

    with pytest.raises(SddcManagerTaskFailed) as caught:
        wait_for_task(auth_for(sddc_manager), task_id, poll_seconds=0.01)

    assert len(caught.value.errors) == 60
    message = str(caught.value)
    assert "errorCode: E09" in message
    assert "errorCode: E10" not in message
    assert "... and 50 more errors (all of them in .errors" in message


@pytest.mark.parametrize(
    ("errors", "shown"),
    [
        (
            '["Host esx-01 is not reachable.", "License expired."]',
            ["Host esx-01 is not reachable.", "License expired."],
        ),
        ('{"errorCode": "NSX_DOWN", "message": "NSX Manager is down."}', ["NSX Manager is down."]),
    ],
)
def test_errors_given_as_strings_or_as_one_object_are_shown(
    sddc_manager: SddcManagerEmulator, errors: str, shown: list[str]
) -> None:
    body = f'{{"id": "t-9", "name": "Add host", "status": "FAILED", "errors": {errors}}}'
    sddc_manager.script("GET", "/v1/tasks/t-9", Fault.raw(200, body))

    with pytest.raises(SddcManagerTaskFailed) as caught:
        wait_for_task(auth_for(sddc_manager), "t-9", poll_seconds=0.01)

    assert [error.message for error in caught.value.errors] == shown
    assert "gave no error details" not in str(caught.value)


def test_a_status_with_blanks_around_it_still_ends_the_wait(sddc_manager: SddcManagerEmulator) -> None:
    sddc_manager.script("GET", "/v1/tasks/t-8", Fault.raw(200, '{"id": "t-8", "status": " SUCCESSFUL "}'))

    task = wait_for_task(auth_for(sddc_manager), "t-8", poll_seconds=0.01, timeout_seconds=5)

    assert task["id"] == "t-8"
    assert sddc_manager.count("GET", "/v1/tasks/t-8") == 1


def test_a_tiny_poll_interval_is_raised_to_the_floor(sddc_manager: SddcManagerEmulator) -> None:
    task_id = sddc_manager.add_task("Create domain", polls_until_done=10_000)

    with pytest.raises(SddcManagerTaskTimeout):
        wait_for_task(auth_for(sddc_manager), task_id, poll_seconds=1e-6, timeout_seconds=0.5)

    # 0.5 s at one poll per 0.1 s at most; 1e-6 s made hundreds.
    assert sddc_manager.count("GET", f"/v1/tasks/{task_id}") <= 6


def test_a_refresh_token_revoked_during_the_wait_names_the_task_and_keeps_the_cause(
    sddc_manager: SddcManagerEmulator,
) -> None:
    task_id = sddc_manager.add_task("Create domain", polls_until_done=10_000)
    auth = auth_for(sddc_manager)
    auth.access_token()
    sddc_manager.revoke_all()
    sddc_manager.advance(3600)  # the access token expired too: the next poll must refresh

    with pytest.raises(SddcManagerTaskWaitError) as caught:
        wait_for_task(auth, task_id, poll_seconds=0.01, timeout_seconds=30)

    message = str(caught.value)
    assert message.splitlines()[0] == (
        f"waiting for SDDC Manager task {task_id} stopped: the access token could not be renewed "
        "(the refresh token expired or was revoked)"
    )
    assert "the task may still be running" in message
    assert isinstance(caught.value.__cause__, SddcManagerApiError)


def test_a_refresh_that_hangs_inside_a_poll_ends_with_the_waits_deadline(
    sddc_manager: SddcManagerEmulator,
) -> None:
    task_id = sddc_manager.add_task("Create domain", polls_until_done=10_000)
    sddc_manager.script(*REFRESH, *[Fault.hung()] * 4)
    started = time.monotonic()

    with pytest.raises(SddcManagerTaskTimeout) as caught:
        # The auth's own deadline is 30 s an attempt, 4 attempts: the wait's 1 s bounds them all.
        wait_for_task(auth_for(sddc_manager), task_id, poll_seconds=0.1, timeout_seconds=1)

    assert time.monotonic() - started < 10
    assert "timed out after 1 s" in str(caught.value)
    assert sddc_manager.count("GET", f"/v1/tasks/{task_id}") == 0


def test_a_cancel_ends_the_wait_and_says_the_task_goes_on(sddc_manager: SddcManagerEmulator) -> None:
    from vcf_provider.api import deadline

    task_id = sddc_manager.add_task("Create domain", polls_until_done=10_000)
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            wait_for_task(auth_for(sddc_manager), task_id, poll_seconds=30)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.append(error)

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    try:
        wait_until(lambda: sddc_manager.count("GET", f"/v1/tasks/{task_id}") == 1)
        deadline.cancel_everything()  # what the engine's Cancel does in a provider
        thread.join(5)
    finally:
        deadline._reset_for_tests()

    assert not thread.is_alive(), "the 30 s pause did not end at the cancel"
    (error,) = outcome
    assert isinstance(error, OperationCancelled)
    assert str(error).startswith(f"waiting for SDDC Manager task {task_id} was cancelled")
    assert "the task itself goes on running on SDDC Manager" in str(error)
