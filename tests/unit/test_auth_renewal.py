"""SddcManagerAuth's renewal windows: advisory (one thread refreshes, others go on), mandatory (all
wait for one refresh), a window too wide for the token (clamped, one warning). Time moves by hand."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.routes import MANAGERS, REFRESH
from tests.support.waiting import wait_until
from vcf_provider import SddcManagerAuth
from vcf_provider.testing import Fault, ManualClock, SddcManagerEmulator, vcf_error

LIFETIME = 3600  # the emulator's default, as SDDC Manager's


def make_auth(emulator: SddcManagerEmulator, clock: ManualClock, **options: Any) -> SddcManagerAuth:
    return SddcManagerAuth(
        emulator.url, emulator.issue_refresh_token(), ca_bundle=str(emulator.ca_path), clock=clock, **options
    )


def in_threads(count: int, work: Callable[[], str]) -> tuple[list[threading.Thread], list[str]]:
    results: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        value = work()
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def test_a_fresh_token_is_reused_without_a_refresh(sddc_manager: SddcManagerEmulator) -> None:
    clock = ManualClock()
    auth = make_auth(sddc_manager, clock)
    first = auth.access_token()

    clock.advance(LIFETIME - 301)  # just before the advisory window

    same = auth.access_token() == first
    assert same, "the same token"
    assert sddc_manager.count(*REFRESH) == 1


def test_in_the_advisory_window_one_thread_refreshes_while_the_others_are_served_meanwhile(
    sddc_manager: SddcManagerEmulator,
) -> None:
    clock = ManualClock()
    auth = make_auth(sddc_manager, clock)
    old = auth.access_token()
    clock.advance(LIFETIME - 200)  # 200 s left: advisory (300), not mandatory (60)
    release = threading.Event()
    sddc_manager.script(*REFRESH, Fault.held_until(release))

    def get() -> str:
        with auth.session() as session:
            answer = session.get(sddc_manager.url + MANAGERS, timeout=10)
        return f"{answer.status_code} {name_of(answer.request.headers['Authorization'])}"

    def name_of(authorization: str | None) -> str:
        # Tokens never reach test output, not even in an assertion's diff.
        new = sddc_manager.issued_access_tokens[-1]
        return {f"Bearer {old}": "old", f"Bearer {new}": "new", None: "none"}.get(authorization, "other")

    # The first thread takes the refresh; once it is held at the manager, seven more arrive.
    first, results = in_threads(1, get)
    wait_until(lambda: sddc_manager.count(*REFRESH) == 2)
    others, more = in_threads(7, get)
    try:
        # Their requests reach the manager, and are answered, while the refresh is still held there.
        wait_until(lambda: len(more) == 7)
        assert results == [], "the refreshing thread is still waiting"
    finally:
        release.set()
        for thread in first + others:
            thread.join()
    results += more

    order = [(r.method, name_of(r.headers.get("Authorization"))) for r in sddc_manager.requests[1:]]
    assert order == [("PATCH", "none")] + [("GET", "old")] * 7 + [("GET", "new")]
    assert sorted(results) == ["200 new"] + ["200 old"] * 7
    assert sddc_manager.count(*REFRESH) == 2, "one refresh for eight threads"


def test_in_the_mandatory_window_every_caller_waits_for_one_shared_refresh(
    sddc_manager: SddcManagerEmulator,
) -> None:
    clock = ManualClock()
    auth = make_auth(sddc_manager, clock)
    old = auth.access_token()
    clock.advance(LIFETIME - 30)  # 30 s left: mandatory
    release = threading.Event()
    sddc_manager.script(*REFRESH, Fault.held_until(release))

    threads, results = in_threads(4, auth.access_token)
    wait_until(lambda: sddc_manager.count(*REFRESH) == 2)
    assert results == [], "nobody went on with the old token"
    release.set()
    for thread in threads:
        thread.join()

    new = sddc_manager.issued_access_tokens[-1]
    assert new != old
    assert [token == new for token in results] == [True] * 4
    assert sddc_manager.count(*REFRESH) == 2


def test_an_expired_token_is_renewed_before_use(sddc_manager: SddcManagerEmulator) -> None:
    clock = ManualClock()
    auth = make_auth(sddc_manager, clock)
    old = auth.access_token()
    clock.advance(LIFETIME + 1)

    renewed = auth.access_token() != old
    assert renewed
    assert sddc_manager.count(*REFRESH) == 2


def test_a_failed_refresh_in_the_advisory_window_keeps_the_token_and_warns_once(
    sddc_manager: SddcManagerEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    auth = make_auth(sddc_manager, clock, max_retries=0)
    old = auth.access_token()
    clock.advance(LIFETIME - 250)
    down = Fault.error(503, vcf_error("SERVICE_UNAVAILABLE", "Restarting.", "Retry later."))
    sddc_manager.script(*REFRESH, down, down)

    with caplog.at_level(logging.WARNING, logger="vcf_provider.downstream.auth"):
        tokens = [auth.access_token() for _ in range(5)]
        clock.advance(31)  # past the pause before the next try, still in the advisory window
        tokens += [auth.access_token() for _ in range(5)]

    assert [token == old for token in tokens] == [True] * 10
    assert sddc_manager.count(*REFRESH) == 3, "one try, a pause, one more try: not one per call"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "renewing the access token early failed; the current one is used" in warnings[0]
    assert "HTTP 503" in warnings[0]

    clock.advance(31)
    renewed = auth.access_token() != old
    assert renewed, "the next try succeeds"


def test_a_failed_refresh_in_the_mandatory_window_raises(sddc_manager: SddcManagerEmulator) -> None:
    clock = ManualClock()
    auth = make_auth(sddc_manager, clock, max_retries=0)
    auth.access_token()
    clock.advance(LIFETIME - 10)
    sddc_manager.script(*REFRESH, Fault.error(503, vcf_error("SERVICE_UNAVAILABLE", "Restarting.", "")))

    with pytest.raises(Exception, match="refreshing the access token failed: HTTP 503"):
        auth.access_token()


def test_a_window_as_long_as_the_token_is_clamped_with_one_warning_not_a_refresh_per_call(
    sddc_manager: SddcManagerEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    auth = make_auth(sddc_manager, clock, renew_before_seconds=7200)

    with caplog.at_level(logging.WARNING, logger="vcf_provider.downstream.auth"), auth.session() as session:
        for _ in range(10):
            session.get(sddc_manager.url + MANAGERS, timeout=10).raise_for_status()
            clock.advance(60)  # ten minutes in all: inside the clamped window's fresh part

    assert sddc_manager.count(*REFRESH) == 1
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "renew_before_seconds=7200 is not shorter than the access token's lifetime of 3600 s" in warning
    assert "renewing 1800 s before expiry instead" in warning

    clock.advance(LIFETIME / 2)
    auth.access_token()
    assert sddc_manager.count(*REFRESH) == 2, "the clamped window still renews"
