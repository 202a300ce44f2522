"""The dynamic provider behind AccessTokenPair: POST /v1/tokens on create, revoke on delete."""

from __future__ import annotations

import uuid
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, UpdateResult

from vcf_provider import inputs
from vcf_provider.inputs import REFRESH_TOKEN
from vcf_provider.provider import (
    ACCESS_TOKEN,
    CLOCK_SKEW_SECONDS,
    CREATED_AT,
    EXPIRES_AT,
    TokenProvider,
    stored_inputs,
    token_outputs,
)

USERNAME = "username"
PASSWORD = "password"  # noqa: S105 - a property name
API_KEY = "api_key"

#: A change to any of these means a new token pair from SDDC Manager (the old one is revoked).
REPLACING_INPUTS = (inputs.HOST, USERNAME, PASSWORD, API_KEY, inputs.TRIGGERS)
#: These only change how later calls (the revoke) are made.
UPDATABLE_INPUTS = (inputs.CA_BUNDLE, inputs.ALLOW_UNVERIFIED_TLS, inputs.TIMEOUT_SECONDS, inputs.MAX_RETRIES)
OUTPUTS = (REFRESH_TOKEN, ACCESS_TOKEN, EXPIRES_AT, CREATED_AT, CLOCK_SKEW_SECONDS)

CREDENTIALS_HINT = (
    "set username and password (stack config vcf:username and secret vcf:password, or VCF_USERNAME and "
    "VCF_PASSWORD), or api_key (secret vcf:apiKey or VCF_API_KEY)"
)


def _given(news: dict[str, Any], key: str) -> bool:
    value = news.get(key)
    return inputs.is_unknown(value) or (isinstance(value, str) and value != "")


def check_credentials(news: dict[str, Any]) -> list[CheckFailure]:
    """Exactly one way to log in: username and password, or an API key.

    No failure names `password` or `api_key`: the engine would print the property's value.
    """
    has_user, has_password, has_key = (_given(news, k) for k in (USERNAME, PASSWORD, API_KEY))
    if has_key and (has_user or has_password):
        return [
            CheckFailure("", f"give either api_key or username and password, not both: {CREDENTIALS_HINT}")
        ]
    if has_key:
        return []
    if not has_user and not has_password:
        return [CheckFailure("", f"no credentials: {CREDENTIALS_HINT}")]
    if not has_user:
        return [CheckFailure(USERNAME, f"username is missing: {CREDENTIALS_HINT}")]
    if not has_password:
        return [CheckFailure("", f"password is missing for this username: {CREDENTIALS_HINT}")]
    return []


class AccessTokenPairProvider(TokenProvider):
    """Creates a token pair from credentials and revokes its refresh token on delete.

    A replacement creates the new pair before the old one is revoked, so a failed create leaves
    the old pair working.
    """

    replacing_inputs = REPLACING_INPUTS
    updatable_inputs = UPDATABLE_INPUTS

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, inputs.check_connection(news) + check_credentials(news))

    def create(self, props: dict[str, Any]) -> CreateResult:
        from vcf_provider.client import SddcManagerClient  # the program process never needs it

        if _given(props, API_KEY):
            credentials = {"apiKey": str(props[API_KEY])}
        else:
            credentials = {"username": str(props[USERNAME]), "password": str(props[PASSWORD])}
        with SddcManagerClient(inputs.connection_settings(props), warn_unverified=False) as client:
            access_token, refresh_token = client.create_token_pair(credentials)
        outputs = {**token_outputs(props, access_token, CREATED_AT), REFRESH_TOKEN: refresh_token}
        return CreateResult(uuid.uuid4().hex, outputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Only connection settings changed: keep the pair, store the new settings for the revoke.
        return UpdateResult({**stored_inputs(news), **{key: olds.get(key) for key in OUTPUTS}})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from vcf_provider.client import SddcManagerClient

        refresh_token = props.get(REFRESH_TOKEN)
        if not isinstance(refresh_token, str) or not refresh_token:
            return
        with SddcManagerClient(inputs.connection_settings(props), warn_unverified=False) as client:
            # False means SDDC Manager no longer knows it (expired or revoked already): fine.
            client.revoke_refresh_token(refresh_token)
