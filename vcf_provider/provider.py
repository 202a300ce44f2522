"""The dynamic provider behind RefreshedAccessToken: check, diff, create, update, read, delete."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from vcf_provider import inputs
from vcf_provider.jwt import parse_rfc3339, read_claims, rfc3339

ACCESS_TOKEN = "access_token"  # noqa: S105 - a property name
EXPIRES_AT = "expires_at"
REFRESHED_AT = "refreshed_at"

#: Inputs whose change means a new refresh; `host` also means a new resource (another manager).
UPDATABLE_INPUTS = (
    inputs.REFRESH_TOKEN,
    inputs.CA_BUNDLE,
    inputs.ALLOW_UNVERIFIED_TLS,
    inputs.TIMEOUT_SECONDS,
    inputs.MAX_RETRIES,
    inputs.RENEW_BEFORE_SECONDS,
    inputs.TRIGGERS,
)
REPLACING_INPUTS = (inputs.HOST,)

#: Our clock and SDDC Manager's may disagree by this much; renew this much earlier.
CLOCK_SKEW = timedelta(seconds=30)


def renewal_due(outputs: dict[str, Any], renew_before_seconds: float, now: datetime | None = None) -> bool:
    """True when the stored token expires within the renewal window (or already has)."""
    expires_at = outputs.get(EXPIRES_AT)
    expiry = parse_rfc3339(expires_at) if isinstance(expires_at, str) else None
    if expiry is None:
        return False
    now = now or datetime.now(timezone.utc)
    return now + timedelta(seconds=renew_before_seconds) + CLOCK_SKEW >= expiry


class RefreshedAccessTokenProvider(ResourceProvider):
    """Refreshes an SDDC Manager access token on create and update; holds no state of its own.

    The engine calls one instance from several threads at once, so every call builds what it
    needs (including its HTTP session) from its arguments.
    """

    # Nothing secret is captured in the provider, so its serialized form need not be encrypted.
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, inputs.check(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACING_INPUTS if olds.get(key) != news.get(key)]
        changed = [key for key in UPDATABLE_INPUTS if olds.get(key) != news.get(key)]
        window = inputs.number(news, inputs.RENEW_BEFORE_SECONDS)
        due = not replaces and not changed and renewal_due(olds, window)
        if due:
            print(
                f"access token expires at {olds.get(EXPIRES_AT)}, within renew_before_seconds={window:g}: "
                "refreshing it",
                file=sys.stderr,
                flush=True,
            )
        return DiffResult(
            changes=bool(replaces or changed or due),
            replaces=replaces or None,
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        # A random id: the resource's id is printed and stored in plain text, so no secret may shape it.
        return CreateResult(uuid.uuid4().hex, self._refresh(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._refresh(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # An access token has no server-side object to read back: keep what is stored.
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # SDDC Manager cannot revoke a single access token; it expires on its own at `exp`.
        return None

    def _refresh(self, props: dict[str, Any]) -> dict[str, Any]:
        from vcf_provider.client import SddcManagerClient  # the program process never needs it

        settings = inputs.connection_settings(props)
        with SddcManagerClient(settings) as client:
            token = client.refresh_access_token(str(props[inputs.REFRESH_TOKEN]))
        claims = read_claims(token)
        outputs = {key: value for key, value in props.items() if key != "__provider"}
        outputs[ACCESS_TOKEN] = token
        outputs[EXPIRES_AT] = rfc3339(claims.expires_at) if claims.expires_at else None
        outputs[REFRESHED_AT] = rfc3339(datetime.now(timezone.utc))
        return outputs
