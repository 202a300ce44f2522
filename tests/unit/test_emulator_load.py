"""An emulator with a state dir answers every call under concurrent load: none is dropped."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.support.routes import LOGIN, REFRESH, REVOKE
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator
from vcf_provider.testing.statedir import STATE_FILE

WORKERS = 8
CYCLES_PER_WORKER = 42
"""Each cycle is a login, a refresh and a revoke: 8 x 42 x 3 = 1,008 calls."""


def cycles(emulator: SddcManagerEmulator, count: int, start: threading.Barrier) -> Counter[str]:
    """`count` login-refresh-revoke cycles on one kept-alive connection; counts what each call got."""
    outcomes: Counter[str] = Counter()
    # verify= on each call: a Session's own `verify` loses to REQUESTS_CA_BUNDLE in the environment.
    verify = str(emulator.ca_path)
    with requests.Session() as session:

        def call(method: str, path: str, **options: object) -> requests.Response | None:
            try:
                answer = session.request(method, emulator.url + path, verify=verify, timeout=30, **options)  # type: ignore[arg-type]
            except requests.ConnectionError:
                outcomes["dropped"] += 1
                return None
            outcomes[f"{method} {answer.status_code}"] += 1
            return answer

        start.wait()
        for _ in range(count):
            login = call(*LOGIN, json={"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD})
            if login is None or login.status_code != 201:
                continue
            refresh_id = login.json()["refreshToken"]["id"]
            call(*REFRESH, data=refresh_id, headers={"Content-Type": "application/json"})
            call(*REVOKE, data=refresh_id, headers={"Content-Type": "application/json"})
    return outcomes


def test_a_thousand_logins_refreshes_and_revokes_eight_at_once_drop_nothing(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with SddcManagerEmulator(state_dir=state_dir) as emulator:
        start = threading.Barrier(WORKERS)
        began = time.monotonic()
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(lambda _: cycles(emulator, CYCLES_PER_WORKER, start), range(WORKERS)))
        elapsed = time.monotonic() - began
        total: Counter[str] = sum(results, Counter())
        calls = sum(total.values())
        print(f"{calls} calls, {WORKERS} at once, in {elapsed:.2f} s: {dict(total)}")

        expected = WORKERS * CYCLES_PER_WORKER
        assert total == Counter({"POST 201": expected, "PATCH 200": expected, "DELETE 204": expected})
        assert calls >= 1_000
        assert emulator.count() == calls, "the server saw each call once"
        assert emulator.live_refresh_tokens == []
    saved = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    assert saved["refreshTokens"] == {}, "the last write on disk is the last state, not an older one"
    assert [p.name for p in state_dir.iterdir() if p.name.endswith(".tmp")] == [], "no temporary files left"
