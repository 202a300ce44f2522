"""SDDC Manager's API rules answer plain requests with no socket: the server only carries them."""

from __future__ import annotations

import json

from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator
from vcf_provider.testing.rules import ApiRequest

LOGIN_BODY = json.dumps({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}).encode()


def test_a_login_refresh_and_revoke_are_answered_without_starting_a_server() -> None:
    emulator = SddcManagerEmulator()  # never started: nothing listens
    try:
        login = emulator.answer(ApiRequest("POST", "/v1/tokens", body=LOGIN_BODY))
        refresh_id = json.loads(login.body)["refreshToken"]["id"]
        refreshed = emulator.answer(
            ApiRequest("PATCH", "/v1/tokens/access-token/refresh", body=refresh_id.encode())
        )
        revoked = emulator.answer(ApiRequest("DELETE", "/v1/tokens/refresh-token", body=refresh_id.encode()))
        again = emulator.answer(ApiRequest("DELETE", "/v1/tokens/refresh-token", body=refresh_id.encode()))
    finally:
        emulator.stop()

    assert login.status == 201
    assert refreshed.status == 200
    assert json.loads(refreshed.body) == emulator.issued_access_tokens[-1]
    assert revoked.status == 204
    assert json.loads(again.body)["errorCode"] == "REFRESH_TOKEN_NOT_FOUND"
    assert emulator.requests == [], "the request log is the server's, not the rules'"


def test_the_bearer_routes_answer_401_then_the_resource(sddc_manager: SddcManagerEmulator) -> None:
    token = sddc_manager.mint_access_token()
    refused = sddc_manager.answer(ApiRequest("GET", "/v1/sddc-managers"))
    allowed = sddc_manager.answer(
        ApiRequest("GET", "/v1/sddc-managers", headers={"authorization": f"Bearer {token}"})
    )
    assert refused.status == 401
    assert json.loads(refused.body)["errorCode"] == "Unauthorized"
    assert allowed.status == 200
    assert json.loads(allowed.body)["elements"][0]["version"] == "9.0.2.0"


def test_a_workload_domain_is_a_task_with_its_location(sddc_manager: SddcManagerEmulator) -> None:
    bearer = {"Authorization": f"Bearer {sddc_manager.mint_access_token()}"}
    created = sddc_manager.answer(
        ApiRequest("POST", "/v1/domains", headers=bearer, body=b'{"domainName": "wld-01"}')
    )
    task = json.loads(created.body)
    assert created.status == 202
    assert created.headers["Location"] == f"/v1/tasks/{task['id']}"
    assert task["name"] == "Creating workload domain wld-01"
    assert sddc_manager.answer(ApiRequest("GET", f"/v1/tasks/{task['id']}", headers=bearer)).status == 200


def test_a_skewed_request_shifts_the_minted_tokens_times(sddc_manager: SddcManagerEmulator) -> None:
    from vcf_provider.api.jwt import read_claims

    refresh_id = sddc_manager.issue_refresh_token().encode()
    path = "/v1/tokens/access-token/refresh"
    plain = json.loads(sddc_manager.answer(ApiRequest("PATCH", path, body=refresh_id)).body)
    skewed = json.loads(
        sddc_manager.answer(ApiRequest("PATCH", path, body=refresh_id, clock_offset_seconds=-7200)).body
    )
    plain_iat, skewed_iat = read_claims(plain).issued_at, read_claims(skewed).issued_at
    assert plain_iat is not None
    assert skewed_iat is not None
    assert 7195 <= (plain_iat - skewed_iat).total_seconds() <= 7205
