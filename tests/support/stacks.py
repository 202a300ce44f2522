"""Stacks on the emulator: one helper for the config every engine test starts from, and programs."""

from __future__ import annotations

import json

from tests.support.engine import CommandResult, PulumiStack, StackFactory
from tests.support.routes import TYPE_TOKEN
from vcf_provider.policy import PACK_DIRECTORY
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator


def token_program(**arguments: object) -> str:
    """A program with one RefreshedAccessToken given `arguments`; `test:rotation` feeds its triggers."""
    rendered = "".join(f", {name}={value!r}" for name, value in arguments.items())
    return f"""
import pulumi
from vcf_provider import RefreshedAccessToken
config = pulumi.Config("test")
token = RefreshedAccessToken(
    "sddc-token", triggers={{"rotation": config.get("rotation") or "1"}}{rendered}
)
pulumi.export("expires_at", token.expires_at)
pulumi.export("refreshed_at", token.refreshed_at)
"""


def emulator_stack(
    new_stack: StackFactory,
    emulator: SddcManagerEmulator,
    source: str,
    *,
    login: bool = False,
    password: str = DEFAULT_PASSWORD,
    connection: bool = True,
) -> PulumiStack:
    """A new stack of `source`, configured for `emulator` by `configure`."""
    stack = new_stack(source)
    configure(stack, emulator, login=login, password=password, connection=connection)
    return stack


def configure(
    stack: PulumiStack,
    emulator: SddcManagerEmulator,
    *,
    login: bool = False,
    password: str = DEFAULT_PASSWORD,
    connection: bool = True,
) -> None:
    """Points a stack's `vcf:*` config at `emulator`.

    `vcf:host` and `vcf:caBundle` (unless `connection=False`, for programs that pass them as
    arguments), and either a fresh refresh token (`vcf:refreshToken`, secret) or, with
    `login=True`, its user and `password` (`vcf:username`, secret `vcf:password`).
    """
    if connection:
        stack.set_config("vcf:host", emulator.url)
        stack.set_config("vcf:caBundle", str(emulator.ca_path))
    if login:
        stack.set_config("vcf:username", DEFAULT_USERNAME)
        stack.set_config("vcf:password", password, secret=True)
    else:
        stack.set_config("vcf:refreshToken", emulator.issue_refresh_token(), secret=True)


def first_error_line(result: CommandResult, type_token: str = TYPE_TOKEN) -> str:
    """The first line of a resource's error under Diagnostics: what a user reads first."""
    diagnostics = result.stdout.split("Diagnostics:", 1)[1]
    section = diagnostics.split(f"  {type_token} (", 1)[1]
    return section.split("    error: ", 1)[1].splitlines()[0]


def token_stack(
    new_stack: StackFactory, emulator: SddcManagerEmulator, host: str | None = None, **arguments: object
) -> PulumiStack:
    """`emulator_stack` for a `token_program` that gets host (the emulator's unless given) and, unless
    given, the emulator's CA as arguments."""
    arguments.setdefault("ca_bundle", str(emulator.ca_path))
    source = token_program(host=host or emulator.url, **arguments)
    return emulator_stack(new_stack, emulator, source, connection=False)


#: A program with one AccessTokenPair; `test:rotation` feeds its triggers.
PAIR_PROGRAM = """
import pulumi
from vcf_provider import AccessTokenPair

config = pulumi.Config("test")
pair = AccessTokenPair("login", triggers={"rotation": config.get("rotation") or "1"})
pulumi.export("expires_at", pair.expires_at)
"""


def preview_with_pack(stack: PulumiStack, config: dict[str, object] | None = None) -> tuple[int, str]:
    """`pulumi preview` with the package's policy pack (and `config` for it); (exit code, output)."""
    args = ["preview", "--policy-pack", str(PACK_DIRECTORY)]
    if config is not None:
        path = stack.work_dir.parent / "policy-config.json"
        path.write_text(json.dumps(config))
        args += ["--policy-pack-config", str(path)]
    result = stack.run(*args, check=False)
    return result.returncode, result.stdout + result.stderr


def assert_unchanged_then_destroyed(
    stack: PulumiStack, emulator: SddcManagerEmulator, pair: str, token: str
) -> None:
    """The second half of a token stack's life, for any program: a second `up` sends nothing and
    changes nothing, and `destroy` revokes the one live refresh token; then the leak audit."""
    from tests.support.leaks import audit_stack
    from tests.support.routes import REVOKE

    (pair_state,) = stack.resources(pair)
    (token_state,) = stack.resources(token)
    assert pair_state["id"] != token_state["id"]

    sent = len(emulator.requests)
    again = stack.up()

    assert len(emulator.requests) == sent, "a no-change `up` sends no request"
    assert "3 unchanged" in again.stdout

    (live,) = emulator.live_refresh_tokens
    stack.destroy()

    assert emulator.count(*REVOKE) == 1
    assert emulator.revoked_refresh_tokens == [live]
    assert emulator.live_refresh_tokens == []
    audit_stack(stack, emulator, extra=[DEFAULT_PASSWORD])
