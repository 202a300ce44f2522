"""The `vcf` package from YAML programs on the real engine: the example, explicit providers, import."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.support.engine import REPO_ROOT, PulumiStack
from tests.support.leaks import audit_stack
from tests.support.routes import LOGIN, REFRESH
from tests.support.stacks import assert_unchanged_then_destroyed, configure
from vcf_provider.package.schema import package_schema
from vcf_provider.resources.model import ACCESS_TOKEN_PAIR, REFRESHED_ACCESS_TOKEN
from vcf_provider.testing import DEFAULT_PASSWORD, SddcManagerEmulator

pytestmark = pytest.mark.engine

PLUGIN = REPO_ROOT / "plugin"
EXAMPLE = REPO_ROOT / "examples" / "yaml"
PAIR = ACCESS_TOKEN_PAIR.token
TOKEN = REFRESHED_ACCESS_TOKEN.token


def yaml_stack(pulumi_cli: str, base: Path, body: str, *, packages: bool = True) -> PulumiStack:
    """A new YAML project under `base` (its own file:// backend and PULUMI_HOME) with one stack;
    `packages` adds this checkout's plugin as `vcf`, as `pulumi package add` would."""
    stack = PulumiStack(pulumi_cli, base / "project", base / "state", base / "home")
    for directory in (stack.work_dir, stack.state_dir, stack.home_dir):
        directory.mkdir(parents=True)
    header = "name: vcf-yaml-test\nruntime: yaml\n" + (f"packages:\n  vcf: {PLUGIN}\n" if packages else "")
    (stack.work_dir / "Pulumi.yaml").write_text(header + textwrap.dedent(body))
    stack.init()
    return stack


def secret_in_state(resource: dict[str, object], key: str) -> bool:
    outputs = resource["outputs"]
    assert isinstance(outputs, dict)
    return isinstance(outputs.get(key), dict) and "ciphertext" in outputs[key]


def test_the_yaml_example_logs_in_renews_nothing_unchanged_and_revokes_on_destroy(
    project_stack: object, sddc_manager: SddcManagerEmulator
) -> None:
    stack: PulumiStack = project_stack(EXAMPLE)  # type: ignore[operator]
    configure(stack, sddc_manager, login=True)

    stack.up()

    assert (sddc_manager.count(*LOGIN), sddc_manager.count(*REFRESH)) == (1, 1)
    assert stack.outputs()["expiresAt"].endswith("Z")
    (pair,) = stack.resources(PAIR)
    (token,) = stack.resources(TOKEN)
    for resource, keys in (
        (pair, ("refreshToken", "accessToken", "password")),
        (token, ("refreshToken", "accessToken")),
    ):
        assert [key for key in keys if not secret_in_state(resource, key)] == []
    assert_unchanged_then_destroyed(stack, sddc_manager, PAIR, TOKEN)


#: One SDDC Manager's stack config, and its provider with a token that uses it.
MANAGER_CONFIG = """\
  {name}Host: {{type: string}}
  {name}Ca: {{type: string}}
  {name}Token: {{type: string, secret: true}}
"""
MANAGER_RESOURCES = """\
  {name}:
    type: pulumi:providers:vcf
    properties:
      host: ${{{name}Host}}
      caBundle: ${{{name}Ca}}
      refreshToken: ${{{name}Token}}
  {name}-token:
    type: {type}
    options:
      provider: ${{{name}}}
"""


def test_explicit_providers_reach_one_manager_each(
    pulumi_cli: str, tmp_path: Path, sddc_manager: SddcManagerEmulator
) -> None:
    with SddcManagerEmulator() as other:
        managers = {"first": sddc_manager, "second": other}
        body = "config:\n" + "".join(MANAGER_CONFIG.format(name=name) for name in managers)
        body += "resources:\n" + "".join(MANAGER_RESOURCES.format(name=name, type=TOKEN) for name in managers)
        body += "outputs:\n" + "".join(f"  {name}: ${{{name}-token.host}}\n" for name in managers)
        stack = yaml_stack(pulumi_cli, tmp_path, body)
        for name, manager in managers.items():
            stack.set_config(f"{name}Host", manager.url)
            stack.set_config(f"{name}Ca", str(manager.ca_path))
            stack.set_config(f"{name}Token", manager.issue_refresh_token(), secret=True)

        stack.up()

        assert [manager.count(*REFRESH) for manager in managers.values()] == [1, 1]
        assert stack.outputs() == {name: manager.url for name, manager in managers.items()}
        audit_stack(stack, sddc_manager, other)


def import_stack(pulumi_cli: str, base: Path, emulator: SddcManagerEmulator) -> PulumiStack:
    """An empty YAML project that `pulumi package add` gave the plugin, configured for `emulator`'s user."""
    stack = yaml_stack(pulumi_cli, base, "", packages=False)
    added = stack.run("package", "add", str(PLUGIN))
    assert "packages:\n  vcf: " in (stack.work_dir / "Pulumi.yaml").read_text(), added.output
    # What `package add` wrote from the schema the plugin served.
    assert (stack.work_dir / "sdks" / "vcf" / f"vcf-{package_schema()['version']}.yaml").is_file()
    configure(stack, emulator, login=True)
    return stack


def test_import_adopts_a_refresh_token_from_config_as_a_secret_and_revokes_it_on_destroy(
    pulumi_cli: str, tmp_path: Path, sddc_manager: SddcManagerEmulator
) -> None:
    stack = import_stack(pulumi_cli, tmp_path, sddc_manager)
    adopted = sddc_manager.issue_refresh_token()
    stack.set_config("vcf:refreshToken", adopted, secret=True)

    result = stack.run(
        "import", PAIR, "adopted", "vcf:refreshToken", "--yes", "--skip-preview", "--protect=false"
    )
    stack.run("config", "rm", "vcf:refreshToken")

    assert [(r.method, r.path) for r in sddc_manager.requests] == [REFRESH], "checked with one refresh"
    (pair,) = stack.resources(PAIR)
    assert pair["id"] not in (adopted, "vcf:refreshToken")
    assert secret_in_state(pair, "refreshToken")
    assert secret_in_state(pair, "accessToken")
    code = result.stdout.split("Please copy the following code", 1)[1]
    assert "type: vcf:AccessTokenPair" in code
    # The printed code, added to the program, plans no change: the import is the pair's whole state.
    program = stack.work_dir / "Pulumi.yaml"
    program.write_text(program.read_text() + "\nresources:\n  adopted:\n    type: " + PAIR + "\n")
    stack.preview("--expect-no-changes")

    stack.destroy()

    assert sddc_manager.revoked_refresh_tokens == [adopted]
    assert sddc_manager.live_refresh_tokens == []
    assert sddc_manager.count(*LOGIN) == 0
    audit_stack(stack, sddc_manager, extra=[DEFAULT_PASSWORD])


def test_import_by_the_token_itself_works_and_the_engine_keeps_the_id_only_in_its_pending_operation(
    pulumi_cli: str, tmp_path: Path, sddc_manager: SddcManagerEmulator
) -> None:
    stack = import_stack(pulumi_cli, tmp_path, sddc_manager)
    adopted = sddc_manager.issue_refresh_token()

    stack.run("import", PAIR, "adopted", adopted, "--yes", "--protect=false")

    assert sddc_manager.count(*REFRESH) == 2, "one refresh at the import's preview, one at the import"
    (pair,) = stack.resources(PAIR)
    assert pair["id"] != adopted
    found = {name for name, text in stack.artifacts().items() if adopted in text}
    # The engine's own checkpoint of the import in flight names the id (a pending `importing`
    # operation); the backup of it is what is left. Everything we write keeps it secret.
    assert {Path(name).name for name in found} <= {"test.json.bak"}
    for name in found:
        pending = json.loads(Path(name).read_text())["checkpoint"]["latest"]["pending_operations"]
        assert [op["resource"]["importID"] for op in pending] == [adopted]


BAD_INPUTS = f"""
config:
  padded: {{type: string, secret: true}}
resources:
  token:
    type: {TOKEN}
    properties:
      refreshToken: ${{padded}}
      timeoutSeconds: 0
"""
LAB_INPUTS = f"""
resources:
  token:
    type: {TOKEN}
    properties:
      allowUnverifiedTls: true
"""


def test_preview_names_the_bad_property_never_the_secret_and_warns_on_the_resource(
    pulumi_cli: str, tmp_path: Path, sddc_manager: SddcManagerEmulator
) -> None:
    padded = " not-a-token-but-secret-all-the-same "
    stack = yaml_stack(pulumi_cli, tmp_path, BAD_INPUTS)
    configure(stack, sddc_manager, login=False)
    stack.set_config("padded", padded, secret=True)

    failed = stack.preview(check=False)

    assert failed.returncode != 0
    assert "timeoutSeconds must be above 0" in failed.output
    assert "refreshToken has leading or trailing white space" in failed.output
    assert "Traceback" not in failed.output

    (stack.work_dir / "Pulumi.yaml").write_text(
        (stack.work_dir / "Pulumi.yaml").read_text().split("config:", 1)[0] + textwrap.dedent(LAB_INPUTS)
    )
    warned = stack.preview()

    warning = warned.stdout.split("Diagnostics:", 1)[1]
    assert f"{TOKEN} (token):" in warning
    assert "warning: TLS verification is off for" in warning
    assert sddc_manager.requests == []
    audit_stack(stack, sddc_manager, extra=[padded, padded.strip()])


def test_errors_are_the_vcf_error_first_line_first_and_a_token_cannot_be_imported(
    pulumi_cli: str, tmp_path: Path, sddc_manager: SddcManagerEmulator
) -> None:
    stack = yaml_stack(pulumi_cli, tmp_path, f"resources:\n  token:\n    type: {TOKEN}\n")
    configure(stack, sddc_manager)
    sddc_manager.revoke_all()

    failed = stack.up(check=False)
    refused = stack.run("import", TOKEN, "other", "vcf:refreshToken", "--yes", "--skip-preview", check=False)

    assert failed.returncode != 0
    error = failed.stdout.split("Diagnostics:", 1)[1].split(f"{TOKEN} (token):", 1)[1]
    first = error.split("error: ", 1)[1].splitlines()[0]
    assert first.startswith("refreshing the access token failed: HTTP 404 Not Found from PATCH https://"), (
        first
    )
    assert "  hint: SDDC Manager no longer accepts this refresh token" in error
    assert refused.returncode != 0
    assert "a RefreshedAccessToken cannot be imported: there is nothing on SDDC Manager" in refused.output
    for result in (failed, refused):
        assert "Traceback" not in result.output
        assert "server.py" not in result.output
    assert sddc_manager.count(*REFRESH) == 1, "the import sent nothing"
    audit_stack(stack, sddc_manager)
