"""The dynamic providers' shared base, and the provider behind RefreshedAccessToken."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from vcf_provider import imports
from vcf_provider.api import properties as p
from vcf_provider.api import settings
from vcf_provider.api.jwt import parse_rfc3339, rfc3339
from vcf_provider.engine import cancel, plain_errors
from vcf_provider.resources import inputs
from vcf_provider.resources import timing as clock
from vcf_provider.resources.model import REFRESHED_ACCESS_TOKEN, ResourceModel

if TYPE_CHECKING:
    from vcf_provider.api.settings import ConnectionSettings

ACCESS_TOKEN = p.ACCESS_TOKEN.name
EXPIRES_AT = p.EXPIRES_AT.name
REFRESHED_AT = p.REFRESHED_AT.name
CREATED_AT = p.CREATED_AT.name
CLOCK_SKEW_SECONDS = p.CLOCK_SKEW_SECONDS.name

#: A change in the clocks' difference that `read` records (the Date header counts whole seconds,
#: and the renewal margin covers less than this).
SKEW_CHANGE_SECONDS = 30


def stored_inputs(props: dict[str, Any]) -> dict[str, Any]:
    """The inputs to keep as outputs (so diff sees them as `olds`); the SDK adds `__provider` back."""
    return {key: value for key, value in props.items() if key != "__provider"}


def token_outputs(props: dict[str, Any], access_token: str, received_key: str) -> dict[str, Any]:
    """The stored inputs plus the new access token, its expiry, when it arrived (under
    `received_key`) and how far this machine's clock is from SDDC Manager's."""
    received_at = datetime.now(timezone.utc)
    timing = clock.timing(access_token, received_at)
    return {
        **stored_inputs(props),
        ACCESS_TOKEN: access_token,
        EXPIRES_AT: rfc3339(timing.expires_at) if timing.expires_at else None,
        received_key: rfc3339(received_at),
        CLOCK_SKEW_SECONDS: round(timing.skew_seconds) if timing.skew_seconds is not None else None,
    }


def renewal_due(outputs: dict[str, Any], renew_before_seconds: float, now: datetime | None = None) -> bool:
    """True when the stored token expires within the renewal window (or already has).

    Expiry is measured on this machine's clock: the token's receipt time plus its lifetime (so a
    clock that is hours off SDDC Manager's neither renews on every run nor lets the token lapse),
    or earlier, its `exp` plus the difference between the clocks that `read` measured last (a
    manager whose clock was set since the token arrived). A measurement only ever brings renewal
    forward: a `Date` header that is wrong cannot keep a token past its lifetime.
    """
    now = now or datetime.now(timezone.utc)
    window = timedelta(seconds=renew_before_seconds)
    token = outputs.get(ACCESS_TOKEN)
    received = next(
        (
            parse_rfc3339(v)
            for v in (outputs.get(REFRESHED_AT), outputs.get(CREATED_AT))
            if isinstance(v, str)
        ),
        None,
    )
    if isinstance(token, str) and received is not None:
        timing = clock.timing(token, received)
        expiries = [timing.local_expires_at]
        skew = outputs.get(CLOCK_SKEW_SECONDS)
        if timing.expires_at is not None and isinstance(skew, (int, float)) and not isinstance(skew, bool):
            expiries.append(timing.expires_at + timedelta(seconds=skew))
        known = [expiry for expiry in expiries if expiry is not None]
        return clock.within(min(known), now, window + clock.RENEWAL_MARGIN) if known else False
    stored = outputs.get(EXPIRES_AT)
    expiry = parse_rfc3339(stored) if isinstance(stored, str) else None
    return clock.within(expiry, now, window + clock.RENEWAL_MARGIN)


def _same_input(key: str, olds: dict[str, Any], news: dict[str, Any]) -> bool:
    if key == p.HOST.name:
        return settings.same_host(olds.get(key), news.get(key))
    return bool(olds.get(key) == news.get(key))


def changed_inputs(
    model: ResourceModel, olds: dict[str, Any], news: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """(inputs whose change replaces, inputs whose change updates) that differ between stored
    `olds` and `news`; the dynamic diff and the package's detailed diff both read it."""
    replaces = [key for key in model.replacing if not _same_input(key, olds, news)]
    changed = [key for key in model.updatable if not _same_input(key, olds, news)]
    return replaces, changed


class TokenProvider(ResourceProvider):
    """What both token providers share: no state, a diff driven by two lists of inputs, and a
    read that keeps the stored state (SDDC Manager has no token object to read back).

    The engine calls one instance from several threads at once, so every call builds what it
    needs (including its HTTP session) from its arguments.
    """

    # Nothing secret is captured in a provider, so its serialized form need not be encrypted.
    serialize_as_secret_always = False

    #: The resource's inputs (which replace, which update) and outputs.
    model: ClassVar[ResourceModel]

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces, changed = changed_inputs(self.model, olds, news)
        changes = bool(replaces or changed) or self.update_due(olds, news)
        # delete_before_replace=False: the replacement exists before the old resource goes.
        return DiffResult(changes=changes, replaces=replaces or None, delete_before_replace=False)

    def update_due(self, _olds: dict[str, Any], _news: dict[str, Any]) -> bool:
        """An update for a reason other than changed inputs."""
        return False

    #: The stack's `vcf:caBundle` as the engine passed it to `configure`.
    stack_ca_bundle: str | None = None

    def configure(self, req: ConfigureRequest) -> None:
        """Called once per provider in the provider process, before any other call.

        Keeps the stack's `vcf:caBundle` (SDK 3.139 and later pass the stack config here) for a
        stored CA path that does not exist on this machine: see `settings`.
        """
        plain_errors.install()
        cancel.install()
        # The engine calls configure one provider at a time, under the SDK's lock; the calls that
        # follow run on many threads at once, and a first import there can fail half-way.
        imports.preload_http_stack()
        configured = req.config.get(p.CA_BUNDLE.config or "")
        self.stack_ca_bundle = configured if isinstance(configured, str) and configured else None

    def settings(self, props: dict[str, Any]) -> ConnectionSettings:
        """How to reach SDDC Manager for these inputs (new ones, or stored ones for delete and read).

        State written on one machine is used on others (a CI runner's `pulumi destroy`), where a
        stored CA path may not exist. Then the stack's `vcf:caBundle` is used, else `VCF_CA_BUNDLE`.
        The engine passes the config of the last `pulumi up` to a plain `pulumi destroy`; with
        `--run-program` it passes the current one.
        """
        stored = props.get(p.CA_BUNDLE.name)
        if not isinstance(stored, str) or not stored or not settings.missing_ca_file(stored):
            return settings.connection_settings(props)
        ca = p.CA_BUNDLE
        candidates = {ca.config: self.stack_ca_bundle, ca.env_var: os.environ.get(ca.env_var or "")}
        for candidate in candidates.values():
            if candidate and not settings.missing_ca_file(candidate):
                return settings.connection_settings(props, ca_bundle=candidate)
        from vcf_provider.api.errors import SddcManagerTlsError

        tried = "".join(f", nor {name} ({value!r})" for name, value in candidates.items() if value)
        raise SddcManagerTlsError(
            f"no CA bundle on this machine: the ca_bundle path stored by an earlier run ({stored!r}) "
            f"does not exist here{tried}.\n"
            f"  hint: point {ca.config} at the CA's PEM file on this machine (or give the PEM text), "
            f"`pulumi config set {ca.config} <path>`, then run `pulumi up`, or `pulumi destroy "
            "--run-program` (a plain destroy uses the config of the last `pulumi up`). Or set "
            f"{ca.env_var}=<path> for this one command."
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)


class RefreshedAccessTokenProvider(TokenProvider):
    """Refreshes an SDDC Manager access token on create and update, and when it nears expiry."""

    model = REFRESHED_ACCESS_TOKEN

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, inputs.check(news))

    def update_due(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        # Silent: diff also runs at preview, where nothing is refreshed. The plan shows the update.
        return renewal_due(olds, settings.number(news, p.RENEW_BEFORE_SECONDS))

    def create(self, props: dict[str, Any]) -> CreateResult:
        # A random id: the resource's id is printed and stored in plain text, so no secret may shape it.
        return CreateResult(uuid.uuid4().hex, self._refresh(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._refresh(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # SDDC Manager cannot revoke a single access token; it expires on its own at `exp`.
        return None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Measures SDDC Manager's clock again (`pulumi refresh`, `up --refresh`): one `HEAD /`.

        SDDC Manager judges a token by its own clock. When that clock was set since the token
        arrived (NTP fixed, a manual change), the token may be dead or nearly so on the manager
        while it looks fresh here; the new difference between the clocks makes the next diff
        renew it. No credential is sent, and when the manager does not answer the state is kept.
        """
        from vcf_provider.api.client import SddcManagerClient
        from vcf_provider.api.errors import VcfProviderError

        stored = props.get(CLOCK_SKEW_SECONDS)
        if not isinstance(props.get(ACCESS_TOKEN), str) or not isinstance(stored, (int, float)):
            return ReadResult(id_, props)
        try:
            connection = self.settings(props)
        except VcfProviderError:  # no CA here: the update, if one is due, says what to do
            return ReadResult(id_, props)
        with SddcManagerClient(connection, warn_unverified=False) as client:
            server_now = client.server_time()
        if server_now is None:
            return ReadResult(id_, props)
        skew = (datetime.now(timezone.utc) - server_now).total_seconds()
        if abs(skew - stored) < SKEW_CHANGE_SECONDS:
            return ReadResult(id_, props)
        return ReadResult(id_, {**props, CLOCK_SKEW_SECONDS: round(skew)})

    def _refresh(self, props: dict[str, Any]) -> dict[str, Any]:
        from vcf_provider.api.client import SddcManagerClient  # the program process never needs it

        with SddcManagerClient(self.settings(props), warn_unverified=False) as client:
            token = client.refresh_access_token(str(props[p.REFRESH_TOKEN.name]))
        return token_outputs(props, token, REFRESHED_AT)
