"""One deadline and one cancel for every wait: retry pauses, logins, refreshes inside a caller's deadline."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.clients import emulator_settings
from tests.support.routes import LOGIN, REFRESH, REVOKE
from tests.support.waiting import wait_until
from vcf_provider.api import deadline
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.errors import OperationCancelled, SddcManagerApiError, SddcManagerUnreachableError
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, Fault, SddcManagerEmulator

CREDENTIALS = {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}
#: How long a cancelled call may still take to end in these tests: far below the waits it cuts.
ENDS_WITHIN_SECONDS = 5.0


@pytest.fixture
def cancel() -> Iterator[Callable[[], None]]:
    """Cancels this process as the engine's Cancel does; forgets it after the test."""
    yield deadline.cancel_everything
    deadline._reset_for_tests()


class Background:
    """Runs `work` on a thread and keeps what it returned or raised."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], Any]) -> None:
        try:
            self.result = work()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            self.error = error

    def join(self) -> BaseException | None:
        self._thread.join(ENDS_WITHIN_SECONDS)
        assert not self._thread.is_alive(), f"still running {ENDS_WITHIN_SECONDS} s after the cancel"
        return self.error


def test_a_deadline_sleeps_whole_pauses_only_and_a_cancel_ends_a_wait() -> None:
    limit = deadline.Deadline.after(0.2)

    assert limit.sleep(0.01, "a pause") is True
    assert limit.sleep(5, "a pause past the deadline") is False, "not begun at all"
    assert deadline.Deadline().remaining() == float("inf")
    with deadline.scope(deadline.Deadline.after(60)) as outer, deadline.scope(limit) as inner:
        assert inner.at == limit.at < outer.at
        assert deadline.current() == inner
    assert deadline.current() == deadline.NONE


def test_a_cancel_during_a_retry_after_pause_ends_it_at_once(
    sddc_manager: SddcManagerEmulator, cancel: Callable[[], None]
) -> None:
    sddc_manager.script(*REFRESH, Fault.error(503, None, **{"Retry-After": "30"}))
    client = SddcManagerClient(emulator_settings(sddc_manager))
    refresh = Background(lambda: client.refresh_access_token(sddc_manager.issue_refresh_token()))
    wait_until(lambda: sddc_manager.count(*REFRESH) == 1)

    cancel()

    error = refresh.join()
    assert isinstance(error, OperationCancelled)
    assert str(error).startswith("refreshing the access token was cancelled: the provider was stopped")
    assert sddc_manager.count(*REFRESH) == 1


def test_a_retry_pause_that_would_pass_the_callers_deadline_is_not_begun(
    sddc_manager: SddcManagerEmulator,
) -> None:
    sddc_manager.script(*REFRESH, Fault.error(503, None, **{"Retry-After": "30"}))
    client = SddcManagerClient(emulator_settings(sddc_manager))

    with deadline.scope(deadline.Deadline.after(3)), pytest.raises(SddcManagerApiError) as raised:
        client.refresh_access_token(sddc_manager.issue_refresh_token())

    assert raised.value.status == 503
    assert sddc_manager.count(*REFRESH) == 1


def test_an_attempt_never_outlives_the_callers_deadline(sddc_manager: SddcManagerEmulator) -> None:
    sddc_manager.script(*REFRESH, Fault.hung())
    client = SddcManagerClient(emulator_settings(sddc_manager, timeout_seconds=30.0, max_retries=0))

    with deadline.scope(deadline.Deadline.after(0.5)), pytest.raises(SddcManagerUnreachableError) as raised:
        client.refresh_access_token(sddc_manager.issue_refresh_token())

    assert "s the operation had left" in str(raised.value)


def test_a_login_under_way_at_a_cancel_is_answered_and_its_refresh_token_revoked(
    sddc_manager: SddcManagerEmulator, cancel: Callable[[], None]
) -> None:
    release = threading.Event()
    sddc_manager.script(*LOGIN, Fault.held_until(release))
    client = SddcManagerClient(emulator_settings(sddc_manager))
    login = Background(lambda: client.create_token_pair(CREDENTIALS))
    wait_until(lambda: sddc_manager.count(*LOGIN) == 1)

    cancel()  # the login has reached the manager, which goes on to carry it out
    release.set()

    error = login.join()
    assert isinstance(error, OperationCancelled)
    assert "its refresh token was revoked: nothing is left behind" in str(error)
    assert sddc_manager.count(*REVOKE) == 1
    assert len(sddc_manager.issued_refresh_tokens) == 1
    assert sddc_manager.live_refresh_tokens == []


def test_a_login_not_yet_sent_at_a_cancel_is_not_sent(
    sddc_manager: SddcManagerEmulator, cancel: Callable[[], None]
) -> None:
    cancel()

    with pytest.raises(OperationCancelled):
        SddcManagerClient(emulator_settings(sddc_manager)).create_token_pair(CREDENTIALS)

    assert sddc_manager.count(*LOGIN) == 0


def test_a_worker_thread_of_a_plain_script_keeps_working_after_the_main_thread_returns(
    sddc_manager: SddcManagerEmulator,
) -> None:
    # Only a provider process (engine/cancel.install, the package's server) treats its exit as a cancel.
    script = f"""
import threading
from vcf_provider import SddcManagerAuth, wait_for_task
auth = SddcManagerAuth(
    {sddc_manager.url!r}, {sddc_manager.issue_refresh_token()!r}, ca_bundle={str(sddc_manager.ca_path)!r}
)
task = {sddc_manager.add_task("Create domain", polls_until_done=3)!r}
threading.Thread(target=lambda: print("done:", wait_for_task(auth, task, poll_seconds=0.2)["status"])).start()
"""
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )

    assert finished.stdout.strip() == "done: SUCCESSFUL", finished.stderr


def test_a_thread_waiting_for_another_threads_hung_refresh_keeps_its_own_deadline(
    sddc_manager: SddcManagerEmulator,
) -> None:
    from vcf_provider import SddcManagerAuth, SddcManagerTaskTimeout, wait_for_task

    task = sddc_manager.add_task("Create domain", polls_until_done=10_000)
    auth = SddcManagerAuth(
        sddc_manager.url,
        sddc_manager.issue_refresh_token(),
        ca_bundle=str(sddc_manager.ca_path),
        timeout_seconds=20,
    )
    sddc_manager.script(*REFRESH, Fault.hung())
    first = Background(auth.access_token)  # holds the one refresh, hung for 20 s
    wait_until(lambda: sddc_manager.count(*REFRESH) == 1)

    waiting = Background(lambda: wait_for_task(auth, task, timeout_seconds=1, poll_seconds=0.1))

    assert isinstance(waiting.join(), SddcManagerTaskTimeout), "the 1 s wait outlived the other refresh"
    del first
