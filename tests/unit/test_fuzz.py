"""Hypothesis fuzzing of everything that reads what a server sent: never an unexpected exception,
output bounded, and no planted secret in any message."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vcf_provider.api.answers import parse_access_token
from vcf_provider.api.errors import InvalidTokenResponseError, SddcManagerApiError
from vcf_provider.api.jwt import NotAJwtError, read_claims
from vcf_provider.api.payload import MAX_DETAIL_CHARS, parse_vcf_error
from vcf_provider.api.redaction import redact, redact_document
from vcf_provider.testing.signing import make_jwt

REFRESH_SECRET = "0c9e7a4e-5b1f-4f0e-9d43-secretrefresh"
JWT_SECRET = make_jwt(exp=2_000_000_000, sub="fuzz")
PAYLOAD_PART = JWT_SECRET.split(".")[1][:24]
PLANTED = st.one_of(
    st.sampled_from([REFRESH_SECRET, JWT_SECRET, f"Bearer {JWT_SECRET}", f"id={REFRESH_SECRET};"]),
    # Long values are clipped for display: a secret across the cut must not survive in part.
    st.integers(min_value=400, max_value=520).map(lambda n: "x" * n + JWT_SECRET),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(), PLANTED)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=30) | st.dictionaries(st.text(max_size=20), children, max_size=30)
    ),
    max_leaves=200,
)
ERROR_KEYS = st.sampled_from(
    [
        "errorCode",
        "errorType",
        "message",
        "remediationMessage",
        "referenceToken",
        "arguments",
        "causes",
        "nestedErrors",
        "context",
        "label",
        "remediationUrl",
        "notifications",
        "somethingNew",
    ]
)
VCF_ERROR_LIKE = st.recursive(
    st.dictionaries(ERROR_KEYS, SCALARS, max_size=13),
    lambda children: st.dictionaries(
        ERROR_KEYS, st.one_of(SCALARS, st.lists(children, max_size=25), children)
    ),
    max_leaves=300,
)
#: 200 examples per property on the default Python; the runs on the other Pythons and on the
#: installed wheel check that the properties hold there too, with fewer (VCF_FUZZ_EXAMPLES).
FUZZ = settings(
    max_examples=int(os.environ.get("VCF_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MAX_MESSAGE = MAX_DETAIL_CHARS + 1000


def render(document: Any) -> str:
    return str(
        SddcManagerApiError(
            action="refreshing the access token",
            method="PATCH",
            url="https://sddc.example.test/v1/tokens/access-token/refresh",
            status=500,
            reason="Internal Server Error",
            error=parse_vcf_error(redact_document(document, (REFRESH_SECRET,))),
            content_type="application/json",
            body_snippet=redact(json.dumps(document, default=str), (REFRESH_SECRET,))[:200],
            body_length=123,
            secrets=(REFRESH_SECRET,),
        )
    )


def assert_clean(message: str, source: Any = None) -> None:
    assert len(message) <= MAX_MESSAGE
    assert REFRESH_SECRET not in message
    assert JWT_SECRET not in message
    # No part of the planted token survives a cut either (unless the input had that text on its own).
    without_token = json.dumps(source, default=str).replace(JWT_SECRET, "")
    assert PAYLOAD_PART not in message or PAYLOAD_PART in without_token


@FUZZ
@given(JSON)
def test_any_json_renders_bounded_and_without_secrets(document: Any) -> None:
    assert_clean(render(document), document)


@FUZZ
@given(VCF_ERROR_LIKE)
def test_error_shaped_json_renders_bounded_and_without_secrets(document: Any) -> None:
    assert_clean(render(document), document)


@FUZZ
@given(st.binary(max_size=4096) | st.text(max_size=4096).map(str.encode) | PLANTED.map(str.encode))
def test_any_refresh_body_gives_a_token_or_a_clean_error(body: bytes) -> None:
    try:
        token = parse_access_token(body, "application/json", secrets=(REFRESH_SECRET,))
    except InvalidTokenResponseError as error:
        message = str(error)
    else:
        read_claims(token)  # whatever was accepted decodes as a JWT
        return
    assert_clean(message, body.decode("utf-8", errors="replace"))


@FUZZ
@given(st.text(max_size=2048))
def test_reading_claims_raises_only_not_a_jwt(text: str) -> None:
    try:
        read_claims(text)
    except NotAJwtError as error:
        message = str(error)
    else:
        return
    assert len(text) < 4 or text not in message
