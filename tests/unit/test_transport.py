"""One attempt of one request: its deadline, its failure kinds, pooled connections, and answers decoded."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from tests.support.clients import emulator_settings
from tests.support.routes import REFRESH
from tests.support.waiting import wait_until
from vcf_provider.api import deadline, transport
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.failures import FailureKind
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import Fault, SddcManagerEmulator


def settings_for(emulator: SddcManagerEmulator, **overrides: object) -> ConnectionSettings:
    return emulator_settings(emulator, **{"timeout_seconds": 1.0, "max_retries": 1, **overrides})


def send(settings: ConnectionSettings, method: str, path: str, body: bytes | None = None) -> transport.Answer:
    return transport.send(
        settings.base_url,
        method,
        path,
        body,
        {"Content-Type": "application/json"},
        verify=settings.verify,
        ca_bundle=settings.ca_bundle,
        timeout_seconds=settings.timeout_seconds,
    )


def test_a_trickled_answer_fails_at_the_attempts_deadline_as_sent(sddc_manager: SddcManagerEmulator) -> None:
    sddc_manager.script(*REFRESH, Fault.trickled(0.2))
    settings = settings_for(sddc_manager, timeout_seconds=0.5)

    with pytest.raises(transport.NetworkFailure) as raised:
        send(settings, *REFRESH, sddc_manager.issue_refresh_token().encode())

    assert raised.value.kind is FailureKind.TIMEOUT
    assert raised.value.may_have_reached_server
    assert str(raised.value) == "no complete answer within 0.5 s"


def test_a_closed_port_is_refused_before_anything_is_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = ConnectionSettings(base_url=f"https://127.0.0.1:{port}", timeout_seconds=2.0)

    with pytest.raises(transport.NetworkFailure) as raised:
        send(settings, "GET", "/")

    assert raised.value.kind is FailureKind.REFUSED
    assert not raised.value.may_have_reached_server


def test_a_cancel_ends_an_attempt_in_flight_as_a_shutdown(sddc_manager: SddcManagerEmulator) -> None:
    sddc_manager.script(*REFRESH, Fault.hung())
    settings = settings_for(sddc_manager, timeout_seconds=30.0)
    failures: list[transport.NetworkFailure] = []

    def attempt() -> None:
        try:
            send(settings, *REFRESH, b"x")
        except transport.NetworkFailure as failure:
            failures.append(failure)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    try:
        wait_until(lambda: sddc_manager.count(*REFRESH) == 1)
        deadline.cancel_everything()
        thread.join(5)
    finally:
        deadline._reset_for_tests()

    assert not thread.is_alive(), "the 30 s attempt did not end at the cancel"
    assert [failure.kind for failure in failures] == [FailureKind.SHUTDOWN]


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("application/json; charset=iso-8859-1", "Zürich".encode("latin-1"), "Zürich"),
        ("application/json", '"Zürich"'.encode("utf-16"), '"Zürich"'),
        ("text/plain; charset=no-such-charset", "Zürich".encode(), "Zürich"),
        ("", b"\x80\x81", "\ufffd\ufffd"),
    ],
)
def test_an_answer_decodes_by_its_charset_or_as_json_would(content_type: str, body: bytes, text: str) -> None:
    answer = transport.Answer("GET", "https://m/", 200, "OK", {"content-type": content_type}, body, False)

    assert answer.text == text


def test_many_clients_share_one_connection(sddc_manager: SddcManagerEmulator) -> None:
    transport.close_pools()
    refresh_token = sddc_manager.issue_refresh_token()

    for _ in range(20):
        with SddcManagerClient(settings_for(sddc_manager)) as client:
            client.refresh_access_token(refresh_token)

    assert sddc_manager.count(*REFRESH) == 20
    assert sddc_manager.connections_accepted == 1


def test_a_changed_ca_file_gets_its_own_connections(
    sddc_manager: SddcManagerEmulator, tmp_path: Path
) -> None:
    transport.close_pools()
    refresh_token = sddc_manager.issue_refresh_token()
    copy = tmp_path / "ca-copy.pem"
    copy.write_text(sddc_manager.ca_path.read_text() + "\n")

    SddcManagerClient(settings_for(sddc_manager)).refresh_access_token(refresh_token)
    SddcManagerClient(settings_for(sddc_manager, ca_bundle=str(copy))).refresh_access_token(refresh_token)
    SddcManagerClient(settings_for(sddc_manager, ca_bundle=copy.read_text())).refresh_access_token(
        refresh_token
    )

    # The same CA content, as another path or as PEM text, is the same TLS setting.
    assert sddc_manager.connections_accepted == 1


def test_a_cancel_is_seen_during_a_tls_handshake_that_gets_no_answer() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    held: list[object] = []
    threading.Thread(target=lambda: held.append(silent.accept()), daemon=True).start()
    settings = ConnectionSettings(
        base_url=f"https://127.0.0.1:{silent.getsockname()[1]}", timeout_seconds=30.0
    )
    failures: list[transport.NetworkFailure] = []

    def attempt() -> None:
        try:
            send(settings, "GET", "/")
        except transport.NetworkFailure as failure:
            failures.append(failure)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    try:
        wait_until(lambda: bool(held))  # connected: the handshake is what hangs now
        deadline.cancel_everything()
        thread.join(5)
    finally:
        deadline._reset_for_tests()
        silent.close()

    assert not thread.is_alive(), "the 30 s handshake did not end at the cancel"
    assert [failure.kind for failure in failures] == [FailureKind.SHUTDOWN]
