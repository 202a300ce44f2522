"""The dynamic provider behind AccessTokenPair: POST /v1/tokens on create, revoke on delete."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from vcf_provider.api import credentials, settings
from vcf_provider.api import properties as p
from vcf_provider.api.jwt import NotAJwtError, parse_rfc3339, read_claims, rfc3339
from vcf_provider.engine.plain_errors import STATE_DELETE
from vcf_provider.provider import (
    ACCESS_TOKEN,
    CREATED_AT,
    TokenProvider,
    stored_inputs,
    token_outputs,
)
from vcf_provider.resources import inputs
from vcf_provider.resources import timing as clock
from vcf_provider.resources.model import ACCESS_TOKEN_PAIR

REFRESH_TOKEN = p.PAIR_REFRESH_TOKEN.name

GONE_FOR_GOOD = (
    "if this SDDC Manager is gone for good, its refresh tokens went with it: remove the pair from "
    f"state with {STATE_DELETE}, then run the command again."
)
REVOKE_KEEPS_FAILING = (
    "the revoke kept failing on SDDC Manager's side: run the command again later. "
    f"{GONE_FOR_GOOD[0].upper()}{GONE_FOR_GOOD[1:]}"
)


def _given(value: Any) -> bool:
    return inputs.is_unknown(value) or (isinstance(value, str) and value != "")


def check_credentials(news: dict[str, Any]) -> list[CheckFailure]:
    """Exactly one way to log in (see `vcf_provider.api.credentials`).

    No failure names `password`, `api_key` or `id_token`: the engine would print the property's value.
    """
    return inputs.failures(credentials.problems(news, _given))


def login_body(props: dict[str, Any]) -> dict[str, str]:
    """The TokenCreationSpec for the one login method the (checked) inputs give."""
    return credentials.login_body(props)


def rotation_due(olds: dict[str, Any], news: dict[str, Any], now: datetime | None = None) -> bool:
    """True when the stored pair is older than `rotate_after_seconds` (0: never).

    Age is measured on this machine's clock from `created_at`, which this machine's clock also
    wrote, so a clock that is off from SDDC Manager's does not matter.
    """
    rotate_after = settings.number(news, p.ROTATE_AFTER_SECONDS)
    created = olds.get(CREATED_AT)
    if rotate_after <= 0 or not isinstance(created, str):
        return False
    created_at = parse_rfc3339(created)
    if created_at is None:
        return False
    now = now or datetime.now(timezone.utc)
    return clock.within(created_at + timedelta(seconds=rotate_after), now, timedelta(0))


def pair_outputs(props: dict[str, Any], access_token: str, refresh_token: str) -> dict[str, Any]:
    """A pair's state: its inputs, the access token's outputs, `created_at` now and the refresh
    token (a login's, or one the package's `pulumi import` adopted)."""
    return {**token_outputs(props, access_token, CREATED_AT), REFRESH_TOKEN: refresh_token}


def created_at_of_legacy_pair(olds: dict[str, Any]) -> str:
    """A creation time for a pair stored by 0.1.0, which kept none: its first access token's `iat`,
    else now. Rotation then counts from there (see `update`)."""
    token = olds.get(ACCESS_TOKEN)
    if isinstance(token, str):
        try:
            issued = read_claims(token).issued_at
        except NotAJwtError:
            issued = None
        if issued is not None:
            return rfc3339(issued)
    return rfc3339(datetime.now(timezone.utc))


class AccessTokenPairProvider(TokenProvider):
    """Creates a token pair from credentials and revokes its refresh token on delete.

    A replacement (changed credentials, or rotation by age) creates the new pair before the old
    one is revoked, so a failed create leaves the old pair working.
    """

    model = ACCESS_TOKEN_PAIR

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, inputs.check_connection(news) + check_credentials(news))

    def create(self, props: dict[str, Any]) -> CreateResult:
        from vcf_provider.api.client import SddcManagerClient  # the program process never needs it

        with SddcManagerClient(self.settings(props), warn_unverified=False) as client:
            access_token, refresh_token = client.create_token_pair(login_body(props))
        return CreateResult(uuid.uuid4().hex, pair_outputs(props, access_token, refresh_token))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        planned = super().diff(id_, olds, news)
        if not rotation_due(olds, news):
            return planned
        # Shown as `created_at` in the plan: the pair is replaced because of its age.
        return DiffResult(
            changes=True, replaces=[*(planned.replaces or []), CREATED_AT], delete_before_replace=False
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Only connection settings or rotate_after_seconds changed: keep the pair, and store the new
        # settings for the revoke. No request.
        outputs = {key: olds.get(key) for key in self.model.output_names}
        if not outputs.get(CREATED_AT):
            outputs[CREATED_AT] = created_at_of_legacy_pair(olds)
        return UpdateResult({**stored_inputs(news), **outputs})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Asks SDDC Manager whether the refresh token still works: one refresh request.

        Refresh is the only call that tells, since SDDC Manager has no endpoint to look a refresh
        token up. When it no longer knows the token (expired, or revoked by an administrator), the
        pair is reported gone, so `pulumi up --refresh` logs in again and resources fed by the pair
        get the new refresh token in the same run. The access token that refresh returns is not kept.
        """
        from vcf_provider.api.client import SddcManagerClient

        refresh_token = props.get(REFRESH_TOKEN)
        if not isinstance(refresh_token, str) or not refresh_token:
            return ReadResult(id_, props)
        with SddcManagerClient(self.settings(props), warn_unverified=False) as client:
            works = client.refresh_token_works(refresh_token)
        return ReadResult(id_, props) if works else ReadResult("", {})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from vcf_provider.api.client import SddcManagerClient

        refresh_token = props.get(REFRESH_TOKEN)
        if not isinstance(refresh_token, str) or not refresh_token:
            return
        from vcf_provider.api.errors import (
            SddcManagerApiError,
            SddcManagerTlsError,
            SddcManagerUnreachableError,
        )

        with SddcManagerClient(self.settings(props), warn_unverified=False) as client:
            try:
                # False means SDDC Manager no longer knows it (expired or revoked already): fine.
                client.revoke_refresh_token(refresh_token)
            except SddcManagerUnreachableError as error:
                if isinstance(error, SddcManagerTlsError):
                    raise
                raise SddcManagerUnreachableError(f"{error}\n  note: {GONE_FOR_GOOD}") from None
            except SddcManagerApiError as error:
                if error.status < 500:
                    raise
                # The retries are spent: a manager that keeps failing may be broken for good.
                raise SddcManagerApiError.with_note(error, REVOKE_KEEPS_FAILING) from None
