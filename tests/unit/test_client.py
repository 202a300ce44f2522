"""The HTTP client against the emulator over real TLS: request shape, retries, faults, and errors."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clients import emulator_settings
from tests.support.leaks import assert_no_leaks
from tests.support.routes import REFRESH
from vcf_provider.api.answers import refresh_token_rejected
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.errors import (
    InvalidTokenResponseError,
    SddcManagerApiError,
    SddcManagerRedirectError,
    SddcManagerTlsError,
    SddcManagerUnreachableError,
)
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.api.transport import MAX_BODY_BYTES, Answer
from vcf_provider.testing import Fault, SddcManagerEmulator, vcf_error
from vcf_provider.testing.signing import make_jwt


def client_for(emulator: SddcManagerEmulator, **overrides: object) -> SddcManagerClient:
    return SddcManagerClient(emulator_settings(emulator, **overrides))


@pytest.fixture
def refresh_token(sddc_manager: SddcManagerEmulator) -> str:
    return sddc_manager.issue_refresh_token()


def refresh(emulator: SddcManagerEmulator, refresh_token: str, **overrides: object) -> str:
    with client_for(emulator, **overrides) as client:
        return client.refresh_access_token(refresh_token)


def test_refresh_sends_the_raw_id_as_a_json_patch_without_authorization(
    sddc_manager: SddcManagerEmulator, refresh_token: str
) -> None:
    token = refresh(sddc_manager, refresh_token)

    assert token == sddc_manager.issued_access_tokens[-1]
    (request,) = sddc_manager.requests
    assert (request.method, request.path) == REFRESH
    assert request.body == refresh_token.encode()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("vcf-provider/")
    assert "Authorization" not in request.headers


@pytest.mark.parametrize("form", ["json", "raw"])
def test_the_refresh_answer_is_read_as_a_json_string_or_as_raw_token_text(tmp_path: Path, form: str) -> None:
    with SddcManagerEmulator(refresh_answer=form, state_dir=tmp_path) as emulator:
        token = refresh(emulator, emulator.issue_refresh_token())
        assert token == emulator.issued_access_tokens[-1]


def test_unknown_refresh_token_gets_404_with_the_remediation_hint_and_no_retry(
    sddc_manager: SddcManagerEmulator,
) -> None:
    unknown = "0f8a2c55-1d1e-4a6b-9c1f-7d7e9a0b1c2d"
    with pytest.raises(SddcManagerApiError) as raised:
        refresh(sddc_manager, unknown)

    message = str(raised.value)
    assert raised.value.status == 404
    assert "errorCode: REFRESH_TOKEN_NOT_FOUND" in message
    assert "hint: SDDC Manager no longer accepts this refresh token" in message
    assert "pulumi config set --secret vcf:refreshToken" in message
    assert sddc_manager.count(*REFRESH) == 1
    assert_no_leaks({"message": message}, [unknown])


def test_two_503s_then_success_takes_three_requests(
    sddc_manager: SddcManagerEmulator, refresh_token: str
) -> None:
    busy = Fault.error(503, vcf_error("BUSY", "Busy.", "Retry."))
    sddc_manager.script(*REFRESH, busy, busy)

    assert refresh(sddc_manager, refresh_token) == sddc_manager.issued_access_tokens[-1]
    assert sddc_manager.count(*REFRESH) == 3


def test_retry_after_is_honoured(sddc_manager: SddcManagerEmulator, refresh_token: str) -> None:
    sddc_manager.script(*REFRESH, Fault.error(503, None, **{"Retry-After": "1"}))
    started = time.monotonic()

    refresh(sddc_manager, refresh_token)

    assert time.monotonic() - started >= 1.0
    assert sddc_manager.count(*REFRESH) == 2


def test_429_is_retried(sddc_manager: SddcManagerEmulator, refresh_token: str) -> None:
    sddc_manager.script(*REFRESH, Fault.error(429, vcf_error("TOO_MANY", "Slow down.", "Wait.")))

    refresh(sddc_manager, refresh_token)

    assert sddc_manager.count(*REFRESH) == 2


def test_persistent_500_fails_after_max_retries_showing_the_payload_once(
    sddc_manager: SddcManagerEmulator, refresh_token: str
) -> None:
    sddc_manager.script(*REFRESH, *[Fault.error(500, vcf_error("BROKEN", "Broken.", "Fix it."))] * 3)

    with pytest.raises(SddcManagerApiError) as raised:
        refresh(sddc_manager, refresh_token, max_retries=2)

    assert sddc_manager.count(*REFRESH) == 3
    assert str(raised.value).count("errorCode: BROKEN") == 1


def test_400_is_not_retried(sddc_manager: SddcManagerEmulator, refresh_token: str) -> None:
    sddc_manager.script(*REFRESH, Fault.error(400, vcf_error("BAD", "Bad.", "Fix.")))

    with pytest.raises(SddcManagerApiError):
        refresh(sddc_manager, refresh_token)

    assert sddc_manager.count(*REFRESH) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_reported_as_unreachable(tmp_path: Path) -> None:
    settings = ConnectionSettings(
        base_url=f"https://127.0.0.1:{free_port()}", timeout_seconds=2, max_retries=1, backoff_seconds=0.01
    )
    with pytest.raises(SddcManagerUnreachableError) as raised, SddcManagerClient(settings) as client:
        client.refresh_access_token("5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11")
    message = str(raised.value)
    assert "failed: no answer from PATCH https://127.0.0.1:" in message
    assert "Connection refused" in message
    assert "after 2 attempts" in message


def test_a_connection_dropped_mid_response_is_retried(
    sddc_manager: SddcManagerEmulator, refresh_token: str
) -> None:
    sddc_manager.script(*REFRESH, Fault.dropped())

    refresh(sddc_manager, refresh_token)

    assert sddc_manager.count(*REFRESH) == 2


def test_a_server_that_never_answers_times_out_in_bounded_time(
    sddc_manager: SddcManagerEmulator, refresh_token: str
) -> None:
    sddc_manager.script(*REFRESH, Fault.hung(), Fault.hung())

    with pytest.raises(
        SddcManagerUnreachableError, match=r"after 2 attempts: no complete answer within 0.5 s"
    ):
        refresh(sddc_manager, refresh_token, timeout_seconds=0.5, max_retries=1)
    assert sddc_manager.count(*REFRESH) == 2


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[SddcManagerEmulator]:
    with SddcManagerEmulator(state_dir=tmp_path / "elsewhere") as other:
        yield other


def test_a_redirect_is_an_error_and_the_target_receives_nothing(
    sddc_manager: SddcManagerEmulator, refresh_token: str, elsewhere: SddcManagerEmulator
) -> None:
    sddc_manager.script(*REFRESH, Fault.redirect(elsewhere.url + "/v1/tokens/access-token/refresh"))

    with pytest.raises(SddcManagerRedirectError) as raised:
        refresh(sddc_manager, refresh_token)

    assert f"a redirect to 127.0.0.1:{elsewhere.port}" in str(raised.value)
    assert elsewhere.count() == 0
    assert sddc_manager.count(*REFRESH) == 1


def test_an_html_502_page_gives_status_type_and_a_snippet(
    sddc_manager: SddcManagerEmulator, refresh_token: str
) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 5000 + "</body></html>"
    sddc_manager.script(*REFRESH, *[Fault.raw(502, page, "text/html")] * 4)

    with pytest.raises(SddcManagerApiError) as raised:
        refresh(sddc_manager, refresh_token)

    message = str(raised.value)
    assert "HTTP 502" in message
    assert f"the body is not a VCF Error: {len(page)} bytes of text/html" in message
    assert "<html><body><h1>502 Bad Gateway</h1>" in message
    assert len(message) < 1500


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "an empty body"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
        (b"<html>login page</html>", "starting with '<html>login page</html>'"),
        (b'"' + b"s3cr3t-looking-value-0123456789" + b'"', "not shown: it may be a credential"),
    ],
)
def test_a_2xx_body_that_is_not_a_token_is_an_error_saying_what_came(
    sddc_manager: SddcManagerEmulator, refresh_token: str, body: bytes, expected: str
) -> None:
    sddc_manager.script(*REFRESH, Fault.raw(200, body))

    with pytest.raises(InvalidTokenResponseError, match=r"expected an access token|not UTF-8") as raised:
        refresh(sddc_manager, refresh_token)

    assert expected in str(raised.value)
    assert "s3cr3t-looking-value" not in str(raised.value)


def test_a_token_without_exp_is_accepted(sddc_manager: SddcManagerEmulator, refresh_token: str) -> None:
    token = make_jwt(sub="admin", iat=1)
    sddc_manager.script(*REFRESH, Fault.raw(200, token))

    assert refresh(sddc_manager, refresh_token) == token


def test_a_huge_error_body_is_not_read_whole(sddc_manager: SddcManagerEmulator, refresh_token: str) -> None:
    huge = json.dumps({"message": "x" * (5 * 1024 * 1024)})
    sddc_manager.script(*REFRESH, Fault.raw(400, huge))

    with pytest.raises(SddcManagerApiError) as raised:
        refresh(sddc_manager, refresh_token)

    assert f"over {MAX_BODY_BYTES} bytes" in str(raised.value)
    assert len(str(raised.value)) < 2000


def test_an_unknown_ca_points_at_ca_bundle(sddc_manager: SddcManagerEmulator, refresh_token: str) -> None:
    with pytest.raises(SddcManagerTlsError) as raised:
        refresh(sddc_manager, refresh_token, ca_bundle=None)

    assert "certificate verify failed" in str(raised.value)
    assert "Set ca_bundle" in str(raised.value)
    assert sddc_manager.count() == 0


def test_a_hostname_mismatch_says_to_use_the_certificate_name(tmp_path: Path) -> None:
    with SddcManagerEmulator(cert_hostnames=["sddc-manager.vcf.test"], state_dir=tmp_path) as emulator:
        with pytest.raises(SddcManagerTlsError) as raised:
            refresh(emulator, emulator.issue_refresh_token())
        assert "does not name the host you connect to" in str(raised.value)


def test_unverified_tls_works_against_an_unknown_ca_with_one_warning(
    sddc_manager: SddcManagerEmulator, refresh_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    refresh(sddc_manager, refresh_token, verify=False, ca_bundle=None)

    stderr = capsys.readouterr().err
    assert stderr.count("warning: TLS verification is off") == 1
    assert len(stderr.strip().splitlines()) == 1


def test_a_token_echoed_in_a_long_error_field_is_redacted_before_clipping(
    sddc_manager: SddcManagerEmulator, refresh_token: str
) -> None:
    echoed = sddc_manager.mint_access_token()
    sddc_manager.script(*REFRESH, Fault.error(400, vcf_error("BAD", "x" * 420 + echoed, "Fix.")))

    with pytest.raises(SddcManagerApiError) as raised:
        refresh(sddc_manager, refresh_token)

    assert echoed.split(".")[1][:24] not in str(raised.value)


def test_netrc_credentials_are_never_sent(
    sddc_manager: SddcManagerEmulator, refresh_token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-password-123\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    refresh(sddc_manager, refresh_token)

    assert "Authorization" not in sddc_manager.requests[-1].headers


def test_a_404_for_a_url_with_no_token_api_is_not_called_an_unknown_refresh_token(
    sddc_manager: SddcManagerEmulator,
) -> None:
    settings = ConnectionSettings(
        base_url=sddc_manager.url + "/wrong-prefix", ca_bundle=str(sddc_manager.ca_path)
    )

    with SddcManagerClient(settings) as client, pytest.raises(SddcManagerApiError) as raised:
        client.refresh_access_token(sddc_manager.issue_refresh_token())

    message = str(raised.value)
    assert "hint: there is no token API at this URL" in message
    assert "no longer accepts this refresh token" not in message


@pytest.mark.parametrize(
    ("status", "body", "rejected"),
    [
        (404, b'{"errorCode": "REFRESH_TOKEN_NOT_FOUND", "message": "Refresh token not found."}', True),
        (400, b'{"errorCode": "BAD_REQUEST", "message": "Invalid refresh token."}', True),
        (
            400,
            b'{"errorCode": "INVALID_REFRESH_TOKEN", "message": "Refresh token is invalid or expired"}',
            True,
        ),
        (400, b'{"errorCode": "TOKEN_REVOKED", "message": "Gone."}', True),
        (400, b'{"errorCode": "BAD_REQUEST", "message": "Request body is malformed"}', False),
        (400, b'{"errorCode": "BAD_REQUEST", "message": "Invalid request body."}', False),
        (400, b"<html>Bad Request</html>", False),
        (404, b'{"timestamp": "2026-01-01", "status": 404, "error": "Not Found", "path": "/x"}', False),
        (404, b"<html><body>404 Not Found</body></html>", False),
        (404, b'{"errorCode": "NOT_FOUND", "message": "No static resource x/v1/tokens."}', False),
        (500, b'{"errorCode": "INTERNAL", "message": "Boom."}', False),
    ],
)
def test_which_answers_mean_the_refresh_token_is_gone(status: int, body: bytes, rejected: bool) -> None:
    answer = Answer("PATCH", "https://m/v1/tokens/access-token/refresh", status, "", {}, body, False)

    assert refresh_token_rejected(answer) is rejected


def test_a_vcf_error_in_a_declared_charset_is_decoded_with_it(sddc_manager: SddcManagerEmulator) -> None:
    payload = {"errorCode": "TOKEN_INCONNU", "message": "Jeton inconnu : réessayez après connexion."}
    body = json.dumps(payload, ensure_ascii=False).encode("iso-8859-1")
    sddc_manager.script(
        "PATCH",
        "/v1/tokens/access-token/refresh",
        Fault.raw(404, body, content_type="application/json; charset=ISO-8859-1"),
    )
    settings = ConnectionSettings(base_url=sddc_manager.url, ca_bundle=str(sddc_manager.ca_path))

    with SddcManagerClient(settings) as client, pytest.raises(SddcManagerApiError) as raised:
        client.refresh_access_token(sddc_manager.issue_refresh_token())

    assert raised.value.error is not None
    assert raised.value.error.message == "Jeton inconnu : réessayez après connexion."
    assert "\ufffd" not in str(raised.value)


def test_a_login_answer_without_a_usable_access_token_leaves_no_refresh_token_live(
    sddc_manager: SddcManagerEmulator,
) -> None:
    from tests.support.routes import LOGIN, REVOKE
    from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME

    refresh_id = sddc_manager.issue_refresh_token()
    sddc_manager.script(
        *LOGIN, Fault.raw(200, json.dumps({"accessToken": "", "refreshToken": {"id": refresh_id}}))
    )

    with pytest.raises(InvalidTokenResponseError) as raised:
        SddcManagerClient(emulator_settings(sddc_manager)).create_token_pair(
            {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}
        )

    assert "note: its refresh token was revoked" in str(raised.value)
    assert sddc_manager.count(*REVOKE) == 1
    assert refresh_id not in sddc_manager.live_refresh_tokens
