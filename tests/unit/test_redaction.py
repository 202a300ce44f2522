"""Redaction: every secret of a call is gone from error text in every form a server can echo it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.leaks import assert_no_leaks
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.errors import SddcManagerApiError
from vcf_provider.api.payload import parse_vcf_error
from vcf_provider.api.redaction import REDACTED, redact, redact_document
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import Fault, SddcManagerEmulator, vcf_error
from vcf_provider.testing.signing import make_jwt

# Secrets the way people choose passwords: quotes, backslashes, percent signs, non-ASCII letters.
NASTY = st.text(
    alphabet=st.sampled_from(list("ab\"\\%/+=&<>'é€漢😀 Z9")) | st.characters(codec="utf-8"),
    min_size=4,
    max_size=40,
).filter(lambda s: s.strip() == s and len(s.strip()) >= 4)

ECHOES: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "json-escaped": lambda s: json.dumps(s)[1:-1],
    "json-escaped, unicode kept": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "a JSON body echoed inside JSON": lambda s: json.dumps(json.dumps({"password": s}))[1:-1],
    "url-encoded": lambda s: quote(s, safe=""),
    "form-encoded": lambda s: quote_plus(s),
    "base64 of the request body": lambda s: base64.b64encode(json.dumps({"password": s}).encode()).decode(),
    "base64url of the secret after 1 byte": lambda s: base64.urlsafe_b64encode(b"x" + s.encode()).decode(),
}


@settings(max_examples=200, deadline=None)
@given(
    secret=NASTY,
    echo=st.sampled_from(sorted(ECHOES)),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_no_echoed_form_of_a_secret_survives_redaction(
    secret: str, echo: str, before: str, after: str
) -> None:
    text = f"{before}rejected: {ECHOES[echo](secret)} {after}"

    assert_no_leaks({f"echo {echo}": redact(text, [secret])}, [secret])


@settings(max_examples=100, deadline=None)
@given(secret=NASTY, echo=st.sampled_from(sorted(ECHOES)))
def test_an_error_payload_that_echoes_the_password_renders_without_it(secret: str, echo: str) -> None:
    payload = vcf_error("BAD", f"Bad request body: {ECHOES[echo](secret)}", "Check it.", arguments=[secret])
    error = SddcManagerApiError(
        action="creating a token pair",
        method="POST",
        url="https://sddc.example.test/v1/tokens",
        status=400,
        reason="Bad Request",
        error=parse_vcf_error(redact_document(payload, [secret])),
        secrets=[secret],
    )

    assert_no_leaks({"message": str(error)}, [secret])


def test_redaction_keeps_ordinary_text_and_marks_what_it_removed() -> None:
    assert redact("HTTP 400 Bad Request", ['p@ss"word']) == "HTTP 400 Bad Request"
    assert redact('got "p@ss\\"word"', ['p@ss"word']) == f'got "{REDACTED}"'


def test_any_jwt_is_removed_even_when_not_named() -> None:
    assert make_jwt(sub="x") not in redact(f"token {make_jwt(sub='x')}")
    assert "eyJ" not in redact(f"token {make_jwt(sub='x')}")


@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_a_server_that_echoes_the_login_body_never_shows_the_password(
    sddc_manager: SddcManagerEmulator, echo: str
) -> None:
    password = 'Pa"ss\\wörd%41é€'
    sddc_manager.users["automation@vsphere.local"] = "something else"
    sddc_manager.script(
        "POST",
        "/v1/tokens",
        Fault.error(400, vcf_error("BAD", f"Rejected {ECHOES[echo](password)}", "Check.")),
    )
    settings_ = ConnectionSettings(sddc_manager.url, ca_bundle=str(sddc_manager.ca_path), max_retries=0)

    with pytest.raises(SddcManagerApiError) as raised:
        SddcManagerClient(settings_).create_token_pair(
            {"username": "automation@vsphere.local", "password": password}
        )

    assert "Rejected " in str(raised.value)
    assert "[redacted]" in str(raised.value)
    assert_no_leaks({"message": str(raised.value), "repr": repr(raised.value)}, [password])
