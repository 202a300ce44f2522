"""Through a real forward proxy (proxy.py), http:// (CONNECT) and https:// (TLS in TLS): the same
guarantees as direct: one deadline per attempt, a login sent once, the manager's certificate checked
end to end, connections reused, NO_PROXY honoured, and a dead proxy named without its credentials."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.support.clients import emulator_settings
from tests.support.proxies import forward_proxy
from tests.support.routes import LOGIN, REFRESH
from tests.support.waiting import wait_until
from vcf_provider import SddcManagerTlsError, SddcManagerUnreachableError
from vcf_provider.api import transport
from vcf_provider.api.client import ConnectionSettings, SddcManagerClient
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, Fault, SddcManagerEmulator

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(scope="module")
def manager() -> Iterator[SddcManagerEmulator]:
    with SddcManagerEmulator() as emulator:
        yield emulator


#: The CA of the https:// proxy's certificate: another CA than the manager's, as in a company.
PROXY_CA = trustme.CA(organization_name="Proxy CA")


@pytest.fixture(scope="module", params=["http", "https"])
def proxy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """(URL, access log) of a proxy."""
    workdir = tmp_path_factory.mktemp(f"proxy-{request.param}")
    with forward_proxy(workdir, tls_ca=PROXY_CA if request.param == "https" else None) as url:
        yield url, workdir / "proxy.log"


def settings_for(
    manager: SddcManagerEmulator, manager_ca: str | None = None, **overrides: Any
) -> ConnectionSettings:
    """Settings whose CA bundle trusts the proxy's CA and `manager_ca` (default: the manager's)."""
    manager_pem = manager_ca or manager.ca.cert_pem.bytes().decode()
    bundle = manager_pem + PROXY_CA.cert_pem.bytes().decode()
    return emulator_settings(manager, ca_bundle=bundle, **overrides)


@pytest.fixture
def proxied(
    proxy: tuple[str, Path], manager: SddcManagerEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SddcManagerEmulator]:
    """The manager, with HTTPS_PROXY pointing at the proxy and fresh connection pools."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy[0])
    transport.close_pools()
    manager.clear_log()
    yield manager
    transport.close_pools()


def dead_port() -> int:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return int(closed.getsockname()[1])


def test_requests_go_through_the_proxy_and_reuse_one_connection(
    proxied: SddcManagerEmulator, proxy: tuple[str, Path]
) -> None:
    accepted_before = proxied.connections_accepted
    with SddcManagerClient(settings_for(proxied)) as client:
        for _ in range(5):
            client.refresh_access_token(proxied.issue_refresh_token())

    assert proxied.count(*REFRESH) == 5
    assert proxied.connections_accepted - accepted_before == 1, "one tunnel, reused"
    transport.close_pools()  # proxy.py writes its access log line when the tunnel closes
    wait_until(lambda: f"CONNECT 127.0.0.1:{proxied.port}" in proxy[1].read_text())


def test_the_managers_certificate_is_verified_end_to_end(proxied: SddcManagerEmulator) -> None:
    other_ca = trustme.CA().cert_pem.bytes().decode()  # not the CA of the manager's certificate
    settings = settings_for(proxied, other_ca, max_retries=0)

    with SddcManagerClient(settings) as client, pytest.raises(SddcManagerTlsError) as caught:
        client.refresh_access_token(proxied.issue_refresh_token())

    assert "certificate verify failed" in str(caught.value)
    assert proxied.count() == 0


def test_one_deadline_per_attempt_holds_against_a_trickling_answer(proxied: SddcManagerEmulator) -> None:
    proxied.script(*REFRESH, Fault.trickled(0.2))
    settings = settings_for(proxied, timeout_seconds=1.0, max_retries=0)

    started = time.monotonic()
    with SddcManagerClient(settings) as client, pytest.raises(SddcManagerUnreachableError) as caught:
        client.refresh_access_token(proxied.issue_refresh_token())
    elapsed = time.monotonic() - started

    assert "no complete answer within 1 s" in str(caught.value)
    # The whole answer takes over a minute at 5 bytes/s; the attempt ends at its deadline.
    assert elapsed < 5, f"the attempt took {elapsed:.1f} s"


def test_a_login_is_never_sent_twice_once_it_may_have_arrived(proxied: SddcManagerEmulator) -> None:
    proxied.script(*LOGIN, Fault.late(3.0))
    settings = settings_for(proxied, timeout_seconds=0.5, max_retries=3)

    with SddcManagerClient(settings) as client, pytest.raises(SddcManagerUnreachableError) as caught:
        client.create_token_pair({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD})

    assert proxied.count(*LOGIN) == 1
    assert "is never sent twice once it may have reached SDDC Manager" in str(caught.value)


def test_no_proxy_sends_the_manager_direct(
    manager: SddcManagerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{dead_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    transport.close_pools()

    with SddcManagerClient(emulator_settings(manager, max_retries=0)) as client:
        client.refresh_access_token(manager.issue_refresh_token())


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_dead_proxy_is_named_without_its_credentials_and_the_hint_says_no_proxy(
    manager: SddcManagerEmulator, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    port = dead_port()
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"{scheme}://proxyuser:Pr0xyPassw0rd@127.0.0.1:{port}")
    transport.close_pools()

    settings = emulator_settings(manager, max_retries=0)
    with SddcManagerClient(settings) as client, pytest.raises(SddcManagerUnreachableError) as caught:
        client.refresh_access_token(manager.issue_refresh_token())
    transport.close_pools()

    message = str(caught.value)
    assert f"the proxy {scheme}://127.0.0.1:{port} failed" in message
    assert "NO_PROXY" in message.split("hint: ", 1)[1]
    assert "Pr0xyPassw0rd" not in message
    assert "proxyuser" not in message
