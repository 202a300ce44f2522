"""A downstream resource that calls SDDC Manager in its create and, maybe a month later, its delete.

Creating a workload domain takes SDDC Manager one to two hours, longer than an access token lives:
`SddcManagerAuth` renews the token while `wait_for_task` polls. Deleting it calls SDDC Manager
again whenever someone runs `pulumi destroy`, maybe a month after the last `pulumi up`: by then
every refresh token in the state has expired (SDDC Manager keeps one for about 24 h), and nothing
renews a token before a delete. So this resource holds no token, in its inputs or its outputs, and
logs in with the stack's own credentials, read by the provider process when the call is made, each
time it calls SDDC Manager. That login's pair is revoked when the call is done.

Where `StackLogin` looks, in the order `AccessTokenPair` uses (the first place that gives any
credential decides; only a part that place lacks, the password for its username, comes from a
later one):

| way to log in                          | stack config                   | environment                    |
|----------------------------------------|--------------------------------|--------------------------------|
| username and password                  | `vcf:username`, `vcf:password` | `VCF_USERNAME`, `VCF_PASSWORD` |
| API key                                | `vcf:apiKey`                   | `VCF_API_KEY`                  |
| id token (VCF 9)                       | `vcf:idToken`                  | `VCF_ID_TOKEN`                 |
| only if none of those: a refresh token | `vcf:refreshToken`             | `VCF_REFRESH_TOKEN`            |

A refresh token is used as given and never revoked (it is yours); it is the last choice, since the
one in stack config has often expired by the time a destroy runs.

Which stack config the provider sees: `pulumi up` and `pulumi destroy --run-program` pass the
current one; a plain `pulumi destroy` passes the config of the last `pulumi up` (the engine keeps it
in the state, secrets encrypted). After changing the password in config, run `pulumi up` or
`pulumi destroy --run-program`, or set `VCF_USERNAME` and `VCF_PASSWORD` where no config gives any.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

if TYPE_CHECKING:
    from pulumi.dynamic import Config

    from vcf_provider import SddcManagerAuth

# -- how it logs in ----------------------------------------------------------------------------
#: Each credential's stack config key and environment variable (as `AccessTokenPair` reads them).
SOURCES: Mapping[str, tuple[str, str]] = {
    "username": ("vcf:username", "VCF_USERNAME"),
    "password": ("vcf:password", "VCF_PASSWORD"),
    "api_key": ("vcf:apiKey", "VCF_API_KEY"),
    "id_token": ("vcf:idToken", "VCF_ID_TOKEN"),
    "refresh_token": ("vcf:refreshToken", "VCF_REFRESH_TOKEN"),
}
LOGINS = ("username", "password", "api_key", "id_token")
#: Where the host and the CA come from when the resource's state has none that works here.
HOST = ("vcf:host", "VCF_HOST")
CA_BUNDLE = ("vcf:caBundle", "VCF_CA_BUNDLE")

MISSING = (
    "no credentials to log in to SDDC Manager with: {what} logs in with the stack's own credentials "
    "every time it calls SDDC Manager, its delete included (a `pulumi destroy` may run a month from "
    "now, when every token in the state has expired).\n"
    "  hint: `pulumi config set vcf:username <user>` and `pulumi config set --secret vcf:password`, "
    "or vcf:apiKey; or set VCF_USERNAME and VCF_PASSWORD, or VCF_API_KEY, for the command"
)


@dataclass(frozen=True)
class StackLogin:
    """One way to log in, found in the stack config or the environment of the provider process."""

    source: str
    """Where it was found: "stack config" or "the environment" (for messages)."""
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    """`username`+`password`, `api_key` or `id_token`: the arguments of `from_credentials`."""
    refresh_token: str | None = field(default=None, repr=False)
    """Used only when there are no credentials."""

    @classmethod
    def find(cls, config: Config | None, environ: Mapping[str, str] = os.environ) -> StackLogin | None:
        """The login that `config` (the stack config given to `configure`), else `environ`, gives."""
        places: list[tuple[str, Callable[[str, str], Any]]] = [
            ("stack config", lambda key, _var: config.get(key) if config is not None else None),
            ("the environment", lambda _key, var: environ.get(var)),
        ]
        found: dict[str, str] = {}
        source = ""
        for place, read in places:
            given = {name: read(*SOURCES[name]) for name in LOGINS}
            given = {name: value for name, value in given.items() if isinstance(value, str) and value}
            if not found and given:
                found, source = given, place
            elif found.get("username") and not found.get("password") and given.get("password"):
                found["password"] = given["password"]
        if found:
            return cls(source, found)
        for place, read in places:
            token = read(*SOURCES["refresh_token"])
            if isinstance(token, str) and token:
                return cls(place, refresh_token=token)
        return None

    def auth(self, host: str, ca_bundle: str | None) -> SddcManagerAuth:
        """An `SddcManagerAuth` for `host`; use it in `with`, so a login's pair is revoked after."""
        from vcf_provider import SddcManagerAuth

        if self.credentials:
            given = self.credentials
            return SddcManagerAuth.from_credentials(
                host,
                username=given.get("username"),
                password=given.get("password"),
                api_key=given.get("api_key"),
                id_token=given.get("id_token"),
                ca_bundle=ca_bundle,
            )
        assert self.refresh_token is not None
        return SddcManagerAuth(host, self.refresh_token, ca_bundle=ca_bundle)


def stack_setting(config: Config | None, names: tuple[str, str]) -> str | None:
    """A plain setting (`HOST`, `CA_BUNDLE`) from the stack config, else the environment."""
    key, variable = names
    value = config.get(key) if config is not None else None
    if isinstance(value, str) and value:
        return value
    return os.environ.get(variable) or None


def usable_ca_bundle(stored: str | None, config: Config | None) -> str | None:
    """The CA to trust: the one in state, unless it is a file path missing on this machine (state
    written elsewhere: a CI runner's destroy); then the stack's `vcf:caBundle` or `VCF_CA_BUNDLE`."""
    if stored and ("-----BEGIN" in stored or os.path.isfile(stored)):
        return stored
    return stack_setting(config, CA_BUNDLE) or stored


# -- the resource ------------------------------------------------------------------------------
#: A change here is a different domain: a new one is created, then the old one deleted.
REPLACES = ("domain_name",)
#: A change here only changes how later calls reach SDDC Manager or wait: updated in place, no call.
UPDATES = ("host", "ca_bundle", "poll_seconds")
#: What the state keeps (its outputs): the inputs above and what the create learned. No token, ever.
OUTPUTS = (*REPLACES, *UPDATES, "task_id")


def _run_task(auth: SddcManagerAuth, method: str, path: str, body: dict[str, Any] | None, **wait: Any) -> Any:
    """Sends the call that starts a task, then waits for the task, telling the user how it goes."""
    from vcf_provider import wait_for_task

    with auth.session() as session:
        answer = session.request(method, auth.base_url + path, json=body, timeout=60)
        answer.raise_for_status()
        task_id = answer.json()["id"]
    return wait_for_task(auth, task_id, **wait)


def _progress(label: str) -> Any:
    def progress(task: dict[str, Any]) -> None:
        # A dynamic provider has no engine connection: this reaches the `pulumi up` output through
        # the provider's stderr, shown with the stack rather than the resource.
        running = [s["name"] for s in task.get("subTasks", []) if s.get("status") == "IN_PROGRESS"]
        now = f", now: {running[0]}" if running else ""
        pulumi.log.info(f"{label}: task {task.get('status')}{now}")

    return progress


class WorkloadDomainProvider(ResourceProvider):
    """Creates a workload domain and waits for it; deletes it the same way. See `WorkloadDomain`."""

    # Nothing secret is captured in the provider: credentials are read in the provider process.
    serialize_as_secret_always = False

    #: The stack config the engine passed to `configure` (None before, or on an SDK without it).
    stack_config: Config | None = None

    def configure(self, req: ConfigureRequest) -> None:
        self.stack_config = req.config
        _plain_errors()

    def _login(self) -> StackLogin:
        login = StackLogin.find(self.stack_config)
        if login is None:
            from vcf_provider import VcfProviderError

            raise VcfProviderError(MISSING.format(what="WorkloadDomain"))
        return login

    def _call(self, props: dict[str, Any], method: str, path: str, body: dict[str, Any] | None) -> Any:
        """Logs in, runs one task to its end, and revokes the login's pair (also after an error)."""
        host = props.get("host") or stack_setting(self.stack_config, HOST)
        if not host:
            from vcf_provider import VcfProviderError

            # State that an older version of this example emptied: the id is known, the host is not.
            raise VcfProviderError(
                "no SDDC Manager host in this domain's state.\n  hint: `pulumi config set vcf:host <fqdn>`"
            )
        ca_bundle = usable_ca_bundle(props.get("ca_bundle"), self.stack_config)
        label = props.get("domain_name") or path
        poll = float(props.get("poll_seconds") or 10)
        with self._login().auth(host, ca_bundle) as auth:
            return _run_task(auth, method, path, body, poll_seconds=poll, on_progress=_progress(label))

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        # At preview, not a month from now: without credentials in the stack the delete would fail.
        if StackLogin.find(self.stack_config) is None:
            return CheckResult(news, [CheckFailure("host", MISSING.format(what="WorkloadDomain"))])
        return CheckResult(news, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        task = self._call(props, "POST", "/v1/domains", {"domainName": props["domain_name"]})
        domain_id = next(
            (r.get("resourceId") for r in task.get("resources", []) if r.get("resourceId")), None
        )
        return CreateResult(domain_id or task["id"], {**_kept(props), "task_id": task["id"]})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # `olds` are the outputs in state. A key missing there (state an older version emptied) is
        # repaired by an update, never a replacement: that would create a second domain.
        replaces = [key for key in REPLACES if key in olds and olds[key] != news.get(key)]
        changed = [key for key in (*REPLACES, *UPDATES) if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # The outputs are replaced by what this returns: carry every one over, or it is lost.
        return UpdateResult({**_kept(news), "task_id": olds.get("task_id")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # A real SDDC Manager wants `PATCH /v1/domains/{id}` with {"markForDeletion": true} first.
        self._call(props, "DELETE", f"/v1/domains/{id_}", None)


def _kept(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in OUTPUTS if key != "task_id"}


def _plain_errors() -> None:
    """Errors from vcf_provider reach the user as their message, without a Python traceback.

    The library installs this hook for its own providers but has no public name for it yet.
    """
    try:
        from vcf_provider.engine import plain_errors
    except ImportError:
        return
    plain_errors.install()


class WorkloadDomain(Resource, module="vcf-example", name="WorkloadDomain"):
    """A workload domain: `POST /v1/domains`, then waiting for its task (hours on a real manager).

    - create: logs in with the stack's credentials, starts the task, waits, revokes the login.
    - update (`host`, `ca_bundle`, `poll_seconds`): in place, no call; every output is kept.
    - a new `domain_name`: a new domain (create, then delete the old one).
    - delete: logs in the same way, `DELETE /v1/domains/{id}`, waits, revokes the login. It works a
      month after the last `pulumi up`: it needs no token from the state.
    - A token rotation (`AccessTokenPair`) does not touch this resource: it holds no token.

    Credentials: `vcf:username` and secret `vcf:password` (or `vcf:apiKey`, ...) in stack config, or
    `VCF_USERNAME`/`VCF_PASSWORD` in the environment; see `stack_login.py`. A preview without them
    fails on this resource.
    """

    task_id: pulumi.Output[str]
    """The id of the task that created the domain."""
    host: pulumi.Output[str]
    domain_name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        host: pulumi.Input[str],
        domain_name: pulumi.Input[str],
        ca_bundle: pulumi.Input[str] | None = None,
        poll_seconds: pulumi.Input[float] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`host`: SDDC Manager's FQDN or URL (e.g. `pair.host`); `ca_bundle`: a PEM path or PEM text;
        `poll_seconds`: between task polls (default 10)."""
        props = {
            "host": host,
            "ca_bundle": ca_bundle,
            "domain_name": domain_name,
            "poll_seconds": poll_seconds,
            "task_id": None,
        }
        super().__init__(WorkloadDomainProvider(), resource_name, props, opts)
