"""Through a real forward proxy with basic auth (proxy.py), http:// (CONNECT) and https:// (TLS in TLS)."""

from __future__ import annotations

import base64
import logging
import socket
import time
import traceback
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import trustme

from tests.support.clients import emulator_settings
from tests.support.proxies import ForwardProxy, SocksProxy, forward_proxy, socks5_proxy
from tests.support.routes import LOGIN, REFRESH
from vcf_provider import SddcManagerTlsError, SddcManagerUnreachableError
from vcf_provider.api import proxies, transport
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, Fault, SddcManagerEmulator

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(scope="module")
def manager() -> Iterator[SddcManagerEmulator]:
    with SddcManagerEmulator() as emulator:
        yield emulator


#: The CA of the https:// proxy's certificate: another CA than the manager's, as in a company.
PROXY_CA = trustme.CA(organization_name="Proxy CA")
PROXY_USER = "proxyuser"
#: With the characters a proxy URL must percent-encode (@ : space), so decoding is tested too.
PROXY_PASSWORD = "S3cr3t:p@ss w0rd"


@pytest.fixture(scope="module", params=["http", "https"])
def proxy(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForwardProxy]:
    """A proxy that asks for PROXY_USER and PROXY_PASSWORD."""
    workdir = tmp_path_factory.mktemp(f"proxy-{request.param}")
    tls_ca = PROXY_CA if request.param == "https" else None
    with forward_proxy(workdir, tls_ca=tls_ca, basic_auth=(PROXY_USER, PROXY_PASSWORD)) as running:
        yield running


def settings_for(
    manager: SddcManagerEmulator, manager_ca: str | None = None, **overrides: Any
) -> ConnectionSettings:
    """Settings whose CA bundle trusts the proxy's CA and `manager_ca` (default: the manager's)."""
    manager_pem = manager_ca or manager.ca.cert_pem.bytes().decode()
    bundle = manager_pem + PROXY_CA.cert_pem.bytes().decode()
    return emulator_settings(manager, ca_bundle=bundle, **overrides)


def clear_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    transport.close_pools()


@pytest.fixture
def proxied(
    proxy: ForwardProxy, manager: SddcManagerEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SddcManagerEmulator]:
    """The manager, with HTTPS_PROXY pointing at the proxy (credentials included) and fresh pools."""
    clear_proxy_variables(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    manager.clear_log()
    proxy.requests_file.write_text("")
    yield manager
    transport.close_pools()


def dead_port() -> int:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return int(closed.getsockname()[1])


def test_requests_go_through_the_proxy_and_reuse_one_connection(
    proxied: SddcManagerEmulator, proxy: ForwardProxy
) -> None:
    accepted_before = proxied.connections_accepted
    with SddcManagerClient(settings_for(proxied)) as client:
        for _ in range(5):
            client.refresh_access_token(proxied.issue_refresh_token())

    assert proxied.count(*REFRESH) == 5
    assert proxied.connections_accepted - accepted_before == 1, "one tunnel, reused"
    assert proxy.requests() == [f"CONNECT 127.0.0.1:{proxied.port} with Proxy-Authorization"]


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
    proxy: ForwardProxy, manager: SddcManagerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_proxy_variables(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    proxy.requests_file.write_text("")
    manager.clear_log()

    with SddcManagerClient(emulator_settings(manager, max_retries=0)) as client:
        client.refresh_access_token(manager.issue_refresh_token())
    transport.close_pools()

    # The proxy writes its line before it answers, so a request through it would be there by now.
    assert proxy.requests() == []


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_dead_proxy_is_named_without_its_credentials_and_the_hint_says_no_proxy(
    manager: SddcManagerEmulator, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    port = dead_port()
    clear_proxy_variables(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", f"{scheme}://proxyuser:Pr0xyPassw0rd@127.0.0.1:{port}")

    settings = emulator_settings(manager, max_retries=0)
    with SddcManagerClient(settings) as client, pytest.raises(SddcManagerUnreachableError) as caught:
        client.refresh_access_token(manager.issue_refresh_token())
    transport.close_pools()

    message = str(caught.value)
    assert f"the proxy {scheme}://127.0.0.1:{port} failed" in message
    assert "NO_PROXY" in message.split("hint: ", 1)[1]
    assert "Pr0xyPassw0rd" not in message
    assert "proxyuser" not in message


# -- credentials ---------------------------------------------------------------------------------
def test_credentials_are_read_from_the_proxy_url_percent_decoded() -> None:
    proxy = proxies.parse_proxy("http://proxy%2Duser:p%40ss%3Aw%20rd@proxy.example.com:3128", "HTTPS_PROXY")

    assert (proxy.username, proxy.password) == ("proxy-user", "p@ss:w rd")
    expected = base64.b64encode(b"proxy-user:p@ss:w rd").decode()
    assert proxy.headers() == {"proxy-authorization": f"Basic {expected}"}
    assert proxy.url == "http://proxy.example.com:3128"


def test_a_proxy_url_without_credentials_sends_no_proxy_authorization() -> None:
    assert proxies.parse_proxy("http://proxy.example.com:3128", "HTTPS_PROXY").headers() == {}


def test_a_proxy_that_asks_for_credentials_gets_them_on_connect(
    proxied: SddcManagerEmulator, proxy: ForwardProxy
) -> None:
    with SddcManagerClient(settings_for(proxied, max_retries=0)) as client:
        client.create_token_pair({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD})

    assert proxied.count(*LOGIN) == 1
    assert proxy.requests() == [f"CONNECT 127.0.0.1:{proxied.port} with Proxy-Authorization"]


@pytest.mark.parametrize("credentials", ["wrong", "none"])
def test_a_407_says_the_proxy_wants_credentials_and_how_to_give_them(
    proxied: SddcManagerEmulator, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch, credentials: str
) -> None:
    url = (
        proxy.with_credentials(PROXY_USER, "not-" + PROXY_PASSWORD)
        if credentials == "wrong"
        else proxy.address
    )
    monkeypatch.setenv("HTTPS_PROXY", url)

    with (
        SddcManagerClient(settings_for(proxied, max_retries=0)) as client,
        pytest.raises(SddcManagerUnreachableError) as caught,
    ):
        client.refresh_access_token(proxied.issue_refresh_token())

    message = str(caught.value)
    reason, hint = message.split("\n  hint: ", 1)
    assert f"the proxy {proxy.address}" in reason
    assert "407 Proxy Authentication Required" in reason
    assert (
        "refused the user and password in HTTPS_PROXY" if credentials == "wrong" else "has none"
    ) in reason
    assert "HTTPS_PROXY=http://user:password@" in hint
    assert "percent-encoded" in hint
    assert leaked_forms("not-" + PROXY_PASSWORD, [message]) == []
    assert proxied.count() == 0, "the manager never saw the request"


def password_forms(password: str, user: str = PROXY_USER) -> dict[str, str]:
    """The password as it could leak: raw, URL-encoded, and base64 of user:password (the header)."""
    return {
        "raw": password,
        "url-encoded": quote(password, safe=""),
        "form-encoded": quote_plus(password),
        "base64 user:password": base64.b64encode(f"{user}:{password}".encode()).decode(),
        "base64 password": base64.b64encode(password.encode()).decode(),
    }


def leaked_forms(password: str, texts: list[str]) -> list[str]:
    return [name for name, form in password_forms(password).items() if any(form in text for text in texts)]


def exception_chain_text(error: BaseException) -> list[str]:
    """str, repr and the full traceback of `error` and of every exception it chains to, hidden or not."""
    texts: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(texts) < 60:
        texts += [str(seen), repr(seen), "".join(traceback.format_exception(seen, chain=False))]
        texts += [repr(arg) for arg in seen.args]
        seen = seen.__cause__ or seen.__context__
    return texts


def test_the_proxy_password_appears_in_no_error_log_or_repr(
    proxied: SddcManagerEmulator,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    # A call that works, one the proxy refuses (407), and one to a proxy that is down.
    with SddcManagerClient(settings_for(proxied, max_retries=0)) as client:
        client.refresh_access_token(proxied.issue_refresh_token())
        texts += [repr(transport._pools), repr(transport._managers), repr(proxies.proxy_for(proxied.url))]
        texts += [repr(pool.proxy) for pool in transport._pools.values()]
        texts.append(repr(client.settings))
    for url in (
        proxy.with_credentials(PROXY_USER, PROXY_PASSWORD + "x"),
        f"{proxy.address.split('://')[0]}://{quote(PROXY_USER)}:{quote(PROXY_PASSWORD)}@127.0.0.1:{dead_port()}",
    ):
        monkeypatch.setenv("HTTPS_PROXY", url)
        with (
            SddcManagerClient(settings_for(proxied, max_retries=1)) as client,
            pytest.raises(SddcManagerUnreachableError) as caught,
        ):
            client.refresh_access_token(proxied.issue_refresh_token())
        texts += exception_chain_text(caught.value)
        texts += [repr(transport._pools), repr(transport._managers)]
    texts += [record.getMessage() for record in caplog.records] + [caplog.text]

    assert any("Starting new HTTP" in text for text in texts), "the debug log was captured"
    assert leaked_forms(PROXY_PASSWORD, texts) == []
    assert leaked_forms(PROXY_PASSWORD + "x", texts) == []


# -- which proxy, and what cannot be one -----------------------------------------------------------
@pytest.mark.parametrize("proxy", ["http"], indirect=True)
def test_a_proxy_without_a_scheme_is_http(
    proxied: SddcManagerEmulator, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url.removeprefix("http://"))  # user:password@127.0.0.1:port

    with SddcManagerClient(settings_for(proxied, max_retries=0)) as client:
        client.refresh_access_token(proxied.issue_refresh_token())

    assert proxy.requests() == [f"CONNECT 127.0.0.1:{proxied.port} with Proxy-Authorization"]
    assert proxies.parse_proxy("127.0.0.1:3128", "HTTPS_PROXY").url == "http://127.0.0.1:3128"
    # requests reads this one as the scheme `localhost`.
    assert proxies.parse_proxy("localhost:3128", "HTTPS_PROXY").url == "http://localhost:3128"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "HTTPS_PROXY",
            f"ftp://{PROXY_USER}:{quote(PROXY_PASSWORD)}@127.0.0.1:21",
            "ftp:// is not a proxy scheme",
        ),
        ("ALL_PROXY", f"socks5://{PROXY_USER}:{quote(PROXY_PASSWORD)}@127.0.0.1:1080", "needs PySocks"),
        ("https_proxy", "http://", "is not a proxy URL"),
    ],
)
def test_a_proxy_that_cannot_work_is_one_clear_line(
    manager: SddcManagerEmulator,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    expected: str,
) -> None:
    clear_proxy_variables(monkeypatch)
    monkeypatch.setattr(proxies, "_socks_installed", lambda: False)
    monkeypatch.setenv(variable, value)
    manager.clear_log()

    with (
        SddcManagerClient(emulator_settings(manager)) as client,
        pytest.raises(SddcManagerUnreachableError) as caught,
    ):
        client.refresh_access_token(manager.issue_refresh_token())

    message = str(caught.value)
    assert "\n" not in message
    assert expected in message
    assert f"{variable} is" in message
    assert caught.value.__suppress_context__, "no urllib3 traceback under it"
    assert "urllib3" not in "".join(traceback.format_exception(caught.value))
    assert leaked_forms(PROXY_PASSWORD, exception_chain_text(caught.value)) == []
    assert manager.count() == 0


def test_the_variables_are_read_as_requests_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_variables(monkeypatch)
    url = "https://sddc-manager.example.com"
    assert proxies.proxy_for(url) is None

    monkeypatch.setenv("ALL_PROXY", "http://all.example.com:3128")
    assert proxies.proxy_for(url) == proxies.Proxy("http://all.example.com:3128", "ALL_PROXY")
    monkeypatch.setenv("HTTPS_PROXY", "http://upper.example.com:3128")
    assert proxies.proxy_for(url) == proxies.Proxy("http://upper.example.com:3128", "HTTPS_PROXY")
    monkeypatch.setenv("https_proxy", "http://lower.example.com")
    assert proxies.proxy_for(url) == proxies.Proxy("http://lower.example.com:80", "https_proxy")
    monkeypatch.setenv("NO_PROXY", "example.com")
    assert proxies.proxy_for(url) is None


# -- SOCKS -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def socks_proxy() -> Iterator[SocksProxy]:
    pytest.importorskip("socks", reason="SOCKS needs PySocks (a dev dependency)")
    with socks5_proxy(PROXY_USER, PROXY_PASSWORD) as running:
        yield running


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
def test_a_socks5_proxy_logs_in_with_the_decoded_credentials(
    socks_proxy: SocksProxy, manager: SddcManagerEmulator, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    clear_proxy_variables(monkeypatch)
    url = socks_proxy.with_credentials(PROXY_USER, PROXY_PASSWORD).replace("socks5://", f"{scheme}://")
    monkeypatch.setenv("ALL_PROXY", url)
    socks_proxy.logins.clear()

    with SddcManagerClient(emulator_settings(manager, max_retries=0)) as client:
        for _ in range(3):
            client.refresh_access_token(manager.issue_refresh_token())
    transport.close_pools()

    assert socks_proxy.logins == [f"{PROXY_USER} ok"], "one login, one connection reused"


@pytest.mark.parametrize("credentials", ["wrong", "none"])
def test_a_socks_proxy_that_refuses_the_login_says_so(
    socks_proxy: SocksProxy, manager: SddcManagerEmulator, monkeypatch: pytest.MonkeyPatch, credentials: str
) -> None:
    clear_proxy_variables(monkeypatch)
    wrong = "not-" + PROXY_PASSWORD
    url = socks_proxy.with_credentials(PROXY_USER, wrong) if credentials == "wrong" else socks_proxy.address
    monkeypatch.setenv("ALL_PROXY", url)

    with (
        SddcManagerClient(emulator_settings(manager)) as client,
        pytest.raises(SddcManagerUnreachableError) as caught,
    ):
        client.refresh_access_token(manager.issue_refresh_token())
    transport.close_pools()

    message = str(caught.value)
    assert f"the proxy {socks_proxy.address}" in message
    assert "the SOCKS login was refused" in message
    assert "after 1 attempt" in message, "another attempt cannot fix the credentials"
    assert "user:password@" in message.split("hint: ", 1)[1]
    assert leaked_forms(wrong, exception_chain_text(caught.value)) == []


@pytest.mark.parametrize(
    "value", ["http://us@r:p@ss/9@127.0.0.1:3128", "http://user:pa/ss@127.0.0.1:3128", "http://u:p#x@h:1"]
)
def test_a_proxy_password_with_unencoded_characters_is_refused_without_a_fragment_of_it(value: str) -> None:
    with pytest.raises(proxies.ProxySettingError) as refused:
        proxies.parse_proxy(value, "HTTPS_PROXY")

    message = str(refused.value)
    assert "percent-encoded (p@ss is written p%40ss)" in message
    for fragment in ("ss", "pa", "p#x", "us@r"):
        assert f"//{fragment}" not in message
        assert f" {fragment}:" not in message
