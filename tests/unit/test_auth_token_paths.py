"""SddcManagerAuth sends its token only to its host over https: on every path a request can take."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.leaks import assert_no_leaks, emulator_secrets
from tests.support.recorder import RecordingServer
from tests.support.routes import MANAGERS
from vcf_provider import SddcManagerAuth, SddcManagerRedirectError
from vcf_provider.testing import Fault, SddcManagerEmulator, vcf_error


@pytest.fixture
def manager_url(sddc_manager: SddcManagerEmulator) -> str:
    # The manager by name, so that a server on 127.0.0.1 is another host, as far as anyone can tell.
    return f"https://localhost:{sddc_manager.port}"


@pytest.fixture
def auth(sddc_manager: SddcManagerEmulator, manager_url: str) -> SddcManagerAuth:
    return SddcManagerAuth(
        manager_url, sddc_manager.issue_refresh_token(), ca_bundle=str(sddc_manager.ca_path)
    )


@pytest.fixture(params=["https", "http"])
def other_server(
    request: pytest.FixtureRequest, sddc_manager: SddcManagerEmulator
) -> Iterator[RecordingServer]:
    """Another server that answers 401: over https with a certificate the client trusts, or plain http."""
    ca = sddc_manager.ca if request.param == "https" else None
    with RecordingServer(ca=ca) as server:
        yield server


def redirect_to(sddc_manager: SddcManagerEmulator, server: RecordingServer) -> None:
    sddc_manager.script("GET", MANAGERS, Fault.redirect(server.url + MANAGERS, status=302))


def assert_token_never_arrived(server: RecordingServer, sddc_manager: SddcManagerEmulator) -> None:
    carried_a_header = "authorization" in server.text().lower()
    assert not carried_a_header, "an Authorization header reached the other server"
    assert_no_leaks({"what the other server received": server.text()}, emulator_secrets(sddc_manager))


def test_a_users_session_following_a_redirect_never_sends_the_token_on_nor_retries_the_401_there(
    sddc_manager: SddcManagerEmulator, manager_url: str, auth: SddcManagerAuth, other_server: RecordingServer
) -> None:
    redirect_to(sddc_manager, other_server)

    with requests.Session() as session:
        session.auth = auth
        answer = session.get(manager_url + MANAGERS, verify=str(sddc_manager.ca_path), timeout=10)

    assert answer.status_code == 401, "the other server's 401 comes back as it is"
    assert len(other_server.received) == 1, "no second request with a refreshed token"
    assert sddc_manager.count("PATCH") == 1, "a 401 from elsewhere does not cost a refresh"
    assert_token_never_arrived(other_server, sddc_manager)


def test_requests_get_with_auth_never_sends_the_token_across_a_redirect(
    sddc_manager: SddcManagerEmulator, manager_url: str, auth: SddcManagerAuth, other_server: RecordingServer
) -> None:
    redirect_to(sddc_manager, other_server)

    answer = requests.get(manager_url + MANAGERS, auth=auth, verify=str(sddc_manager.ca_path), timeout=10)

    assert answer.status_code == 401
    assert len(other_server.received) == 1
    assert_token_never_arrived(other_server, sddc_manager)


def test_the_401_retry_after_a_redirect_stays_away_from_the_other_server(
    sddc_manager: SddcManagerEmulator, manager_url: str, auth: SddcManagerAuth, other_server: RecordingServer
) -> None:
    # The manager first says 401 (the token is refreshed and the request sent again), and the
    # repeated request is redirected elsewhere, where the answer is 401 once more.
    sddc_manager.script(
        "GET",
        MANAGERS,
        Fault.error(401, vcf_error("Unauthorized", "Token expired.", "")),
        Fault.redirect(other_server.url + MANAGERS, status=302),
    )

    with requests.Session() as session:
        session.auth = auth
        answer = session.get(manager_url + MANAGERS, verify=str(sddc_manager.ca_path), timeout=10)

    assert answer.status_code == 401
    assert len(other_server.received) == 1
    assert sddc_manager.count("PATCH") == 2
    assert_token_never_arrived(other_server, sddc_manager)


def test_the_auth_session_follows_no_redirect_at_all(
    sddc_manager: SddcManagerEmulator, manager_url: str, auth: SddcManagerAuth, other_server: RecordingServer
) -> None:
    redirect_to(sddc_manager, other_server)

    with auth.session() as session, pytest.raises(SddcManagerRedirectError) as caught:
        session.get(manager_url + MANAGERS, timeout=10)

    message = str(caught.value)
    assert message.startswith(f"GET {manager_url}{MANAGERS} answered HTTP 302, a redirect to 127.0.0.1:")
    assert "allow_redirects=False" in message
    assert other_server.received == []
    assert_no_leaks({"error": message}, emulator_secrets(sddc_manager))


def test_the_auth_session_returns_a_redirect_unfollowed_when_asked_to(
    sddc_manager: SddcManagerEmulator, manager_url: str, auth: SddcManagerAuth, other_server: RecordingServer
) -> None:
    redirect_to(sddc_manager, other_server)

    with auth.session() as session:
        answer = session.get(manager_url + MANAGERS, timeout=10, allow_redirects=False)

    assert answer.status_code == 302
    assert answer.headers["Location"] == other_server.url + MANAGERS
    assert other_server.received == []


def test_a_same_host_redirect_in_the_auth_session_is_refused_too(
    sddc_manager: SddcManagerEmulator, manager_url: str, auth: SddcManagerAuth
) -> None:
    sddc_manager.script("GET", MANAGERS, Fault.redirect(manager_url + "/ui/login", status=302))

    with auth.session() as session, pytest.raises(SddcManagerRedirectError, match="a redirect to localhost:"):
        session.get(manager_url + MANAGERS, timeout=10)

    assert sddc_manager.count("GET") == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:{port}/v1/sddc-managers",  # the same machine by another name is another host
        "http://localhost:{port}/v1/sddc-managers",  # the manager itself, in clear text
        "https://localhost:1/v1/sddc-managers",  # another port
        "https://example.com/v1/sddc-managers",
    ],
)
def test_a_request_anywhere_but_the_host_over_https_is_refused_before_anything_is_sent(
    sddc_manager: SddcManagerEmulator, auth: SddcManagerAuth, url: str
) -> None:
    with requests.Session() as session:
        session.auth = auth
        with pytest.raises(ValueError, match="only sends its token to that SDDC Manager over https"):
            session.get(url.format(port=sddc_manager.port), timeout=10)

    assert sddc_manager.count() == 0, "not even the refresh"


def test_the_401_retry_on_the_host_itself_still_works(
    sddc_manager: SddcManagerEmulator, manager_url: str, auth: SddcManagerAuth
) -> None:
    sddc_manager.script("GET", MANAGERS, Fault.error(401, vcf_error("Unauthorized", "Token expired.", "")))

    with auth.session() as session:
        answer = session.get(manager_url + MANAGERS, timeout=10)

    assert answer.status_code == 200
    assert [r.status_code for r in answer.history] == [401]
    second = [r for r in sddc_manager.requests if r.path == MANAGERS][-1]
    sent_the_new_token = second.headers["Authorization"] == f"Bearer {sddc_manager.issued_access_tokens[-1]}"
    assert sent_the_new_token


def test_a_body_that_pauses_longer_than_a_slice_is_read_with_the_callers_timeout(tmp_path: Path) -> None:
    import trustme

    from vcf_provider.downstream.session import BoundedAdapter

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    release = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with context.wrap_socket(connection, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nab")
            release.wait(5)  # a pause far longer than the sockets' 0.25 s slices
            tls.sendall(b"cd")

    threading.Thread(target=serve, daemon=True).start()
    threading.Timer(1.0, release.set).start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with requests.Session() as session:
        session.mount("https://", BoundedAdapter())
        answer = session.get(
            f"https://127.0.0.1:{listener.getsockname()[1]}/", verify=str(ca_file), timeout=30
        )

    assert answer.content == b"abcd"
    listener.close()
