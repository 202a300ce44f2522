"""The VCF Error payload: tolerant parsing, complete rendering, and redaction of secrets."""

from __future__ import annotations

from vcf_provider.api.errors import SddcManagerApiError
from vcf_provider.api.payload import MAX_DEPTH, parse_vcf_error
from vcf_provider.api.redaction import redact, redact_document
from vcf_provider.testing.signing import make_jwt


def api_error(payload: object, **kwargs: object) -> SddcManagerApiError:
    return SddcManagerApiError(
        action="refreshing the access token",
        method="PATCH",
        url="https://sddc.example.test/v1/tokens/access-token/refresh",
        status=500,
        reason="Internal Server Error",
        error=parse_vcf_error(payload),
        **kwargs,  # type: ignore[arg-type]
    )


def test_first_line_says_what_failed_with_status_method_and_url() -> None:
    message = str(api_error({"errorCode": "X"}))
    assert message.splitlines()[0] == (
        "refreshing the access token failed: HTTP 500 Internal Server Error from "
        "PATCH https://sddc.example.test/v1/tokens/access-token/refresh"
    )


def test_every_field_of_a_9_1_error_is_rendered() -> None:
    payload = {
        "errorCode": "CODE",
        "errorType": "ERROR",
        "message": "What failed.",
        "remediationMessage": "What to do.",
        "referenceToken": "REF123",
        "arguments": ["one", "two"],
        "causes": [{"type": "java.io.IOException", "message": "disk"}],
        "context": {"component": "auth"},
        "label": "Label",
        "remediationUrl": "https://kb.example.test/1",
        "notifications": [
            {
                "severity": "WARNING",
                "message": "Heads up.",
                "impactMessage": "Tokens fail.",
                "remediations": [{"message": "Do this.", "link": "https://kb.example.test/2"}],
            }
        ],
        "newFieldFrom2027": {"kept": True},
    }
    message = str(api_error(payload))
    for expected in (
        "errorCode: CODE",
        "errorType: ERROR",
        "message: What failed.",
        "remediationMessage: What to do.",
        "referenceToken: REF123 (quote it to VMware support",
        "arguments: one, two",
        "- java.io.IOException: disk",
        "context: component=auth",
        "label: Label",
        "remediationUrl: https://kb.example.test/1",
        "notification (WARNING): Heads up.",
        "impact: Tokens fail.",
        "remediation: Do this. (https://kb.example.test/2)",
        'newFieldFrom2027: {"kept": true}',
    ):
        assert expected in message


def test_nested_errors_are_indented_under_their_parent() -> None:
    payload = {"errorCode": "OUTER", "nestedErrors": [{"errorCode": "INNER", "message": "inner failed"}]}
    lines = str(api_error(payload)).splitlines()
    inner = next(line for line in lines if "INNER" in line)
    assert inner.startswith("    - errorCode: INNER")
    assert any(line.startswith("      message: inner failed") for line in lines)


def test_deep_nesting_is_cut() -> None:
    payload: dict[str, object] = {"errorCode": "LEVEL0"}
    current = payload
    for level in range(1, 50):
        child: dict[str, object] = {"errorCode": f"LEVEL{level}"}
        current["nestedErrors"] = [child]
        current = child
    message = str(api_error(payload))
    assert f"LEVEL{MAX_DEPTH}" in message
    assert f"LEVEL{MAX_DEPTH + 1}" not in message


def test_wrong_types_are_rendered_not_crashed_on() -> None:
    payload = {"errorCode": 42, "arguments": "not a list", "causes": ["plain"], "context": ["x"]}
    message = str(api_error(payload))
    assert "errorCode: 42" in message
    assert "- plain" in message


def test_a_body_that_is_not_a_vcf_error_shows_type_length_and_snippet() -> None:
    error = SddcManagerApiError(
        action="refreshing the access token",
        method="PATCH",
        url="https://h/x",
        status=502,
        reason="Bad Gateway",
        content_type="text/html",
        body_snippet="<html><body>Bad gateway</body></html>",
        body_length=39,
    )
    assert "the body is not a VCF Error: 39 bytes of text/html" in str(error)
    assert "<html><body>Bad gateway" in str(error)


def test_tokens_and_given_secrets_are_redacted_everywhere() -> None:
    jwt = make_jwt(exp=1)
    refresh = "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11"
    payload = {"message": f"token {jwt} for {refresh}", "arguments": [refresh], "context": {"t": jwt}}
    message = str(api_error(payload, secrets=[refresh]))
    assert jwt not in message
    assert refresh not in message
    assert message.count("[redacted]") == 4


def test_redact_leaves_ordinary_text_alone() -> None:
    assert redact("HTTP 404 Not Found", ["abcd-secret"]) == "HTTP 404 Not Found"


def test_a_token_cut_in_two_by_clipping_is_still_redacted() -> None:
    jwt = make_jwt(exp=1, sub="someone")
    payload_start = jwt.split(".")[1][:24]
    document = {"message": "x" * 420 + jwt, "arguments": ["y" * 480 + jwt]}

    message = str(api_error(redact_document(document)))

    assert payload_start not in message
    assert "[redacted]" in message


def test_cause_is_read_like_causes_whether_a_list_or_one_object() -> None:
    as_list = str(api_error({"errorCode": "E", "cause": [{"type": "IOException", "message": "disk full"}]}))
    as_object = str(api_error({"errorCode": "E", "cause": {"type": "Timeout", "message": "slow"}}))

    assert "causes:\n    - IOException: disk full" in as_list
    assert "causes:\n    - Timeout: slow" in as_object
    assert '"cause"' not in as_list, "not shown as raw extra JSON"


def test_notifications_show_severity_message_impact_and_remediations() -> None:
    payload = {
        "errorCode": "E",
        "notifications": [
            {
                "severity": "WARNING",
                "message": "Certificate expires soon.",
                "impactMessage": "Logins fail after expiry.",
                "remediations": [{"message": "Renew it.", "link": "https://kb.example.test/1"}],
            }
        ],
    }

    lines = str(api_error(payload)).splitlines()

    assert "  notification (WARNING): Certificate expires soon." in lines
    assert "    impact: Logins fail after expiry." in lines
    assert "    remediation: Renew it. (https://kb.example.test/1)" in lines
