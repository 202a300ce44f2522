"""The `vcf` package's other consumers: a Python program on the SDK that `pulumi package add` generates
(on the real engine, against the emulator), TypeScript and Go programs compiled against their generated
SDKs, and the policy pack on a YAML program.

Each SDK is generated once per session (a fixture), and each compile runs the example and a deliberately
wrong snippet in one go, so that a compile that passes for the wrong reason (nothing checked) fails here.
A missing tool skips its test with the `make setup` step to run; under CI=true it fails instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.engine import REPO_ROOT, VENV, CommandResult, PulumiStack
from tests.support.leaks import assert_no_leaks
from tests.support.routes import LOGIN, REFRESH
from tests.support.stacks import assert_unchanged_then_destroyed, configure
from vcf_provider.package.schema import package_schema
from vcf_provider.resources.model import ACCESS_TOKEN_PAIR, REFRESHED_ACCESS_TOKEN
from vcf_provider.testing import DEFAULT_PASSWORD, SddcManagerEmulator

pytestmark = pytest.mark.engine

PLUGIN = REPO_ROOT / "plugin"
EXAMPLES = REPO_ROOT / "examples"
PAIR = ACCESS_TOKEN_PAIR.token
TOKEN = REFRESHED_ACCESS_TOKEN.token
#: What `make setup` installs for these tests (tools/setup.sh).
SDKGEN = VENV / "bin" / "vcf-sdkgen"
NODE_MODULES = VENV / "node" / "node_modules"
GO_WARM = VENV / "go-sdk-warm"
#: The schema's Go import path: the SDK's module is its parent, its package the last element.
GO_IMPORT = package_schema()["language"]["go"]["importBasePath"]
GO_MODULE = GO_IMPORT.rsplit("/", 1)[0]
COMPILE_TIMEOUT = 240


def require(found: str | Path | None, what: str, step: str = "run `make setup`") -> str:
    """The tool's path; skips (fails under CI=true) when it is missing, naming what to run."""
    if found is not None and Path(found).exists():
        return str(found)
    reason = f"{what} is not installed: {step}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def compile_run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> CommandResult:
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=COMPILE_TIMEOUT,
        check=False,
    )
    return CommandResult(command, done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def schema_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's schema, as `python -m vcf_provider.package --schema` prints it."""
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    path.write_text(json.dumps(package_schema(), indent=2))
    return path


def generate_sdk(schema: Path, language: str, out: Path) -> None:
    """The SDK as `pulumi package add` generates it for that language (`--local`), into `out`."""
    tool = require(SDKGEN, "vcf-sdkgen")
    command = [tool, "--schema", str(schema), "--language", language, "--out", str(out), "--local"]
    generated = compile_run(command, out.parent)
    assert generated.returncode == 0, generated.output


# --- Python: `pulumi package add`, then up, a no-change up, destroy -----------------------------------


@dataclass
class PythonProject:
    """A copy of examples/python-package after `pulumi package add <repo>/plugin`, with its virtualenv."""

    stack: PulumiStack
    venv: Path
    added: CommandResult


def shared_virtualenv(where: Path) -> Path:
    """A virtualenv of its own (the SDK is installed into it) that sees .venv's packages through a .pth
    file: made in a second, and the shared .venv stays untouched. (`package add` pip-installs the SDK
    with build isolation, which takes setuptools from the index, or pip's cache after the first time.)"""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=60)
    shared = sysconfig.get_paths()["purelib"]
    (purelib,) = where.glob("lib/python*/site-packages")
    # addsitedir, not a bare path: .venv's own .pth files (the editable vcf-provider) count too.
    (purelib / "vcf-shared-venv.pth").write_text(f"import site; site.addsitedir({shared!r})\n")
    return where


@pytest.fixture(scope="session")
def python_project(pulumi_cli: str, tmp_path_factory: pytest.TempPathFactory) -> PythonProject:
    """examples/python-package copied, its `virtualenv` option pointed at `shared_virtualenv`, and
    `pulumi package add <repo>/plugin` run in it, once per session."""
    base = tmp_path_factory.mktemp("python-package")
    venv = shared_virtualenv(base / "venv")
    stack = PulumiStack(pulumi_cli, base / "project", base / "state", base / "home")
    stack.work_dir.mkdir()
    for directory in (stack.state_dir, stack.home_dir):
        directory.mkdir()
    example = EXAMPLES / "python-package"
    for name in ("__main__.py", "requirements.txt"):
        shutil.copy(example / name, stack.work_dir / name)
    manifest = (example / "Pulumi.yaml").read_text()
    assert "    virtualenv: venv\n" in manifest
    (stack.work_dir / "Pulumi.yaml").write_text(manifest.replace("virtualenv: venv", f"virtualenv: {venv}"))

    added = stack.run("package", "add", str(PLUGIN))

    return PythonProject(stack, venv, added)


def test_the_python_example_on_the_generated_sdk_logs_in_changes_nothing_unchanged_and_revokes(
    python_project: PythonProject, sddc_manager: SddcManagerEmulator
) -> None:
    stack, added = python_project.stack, python_project.added
    manifest = (stack.work_dir / "Pulumi.yaml").read_text()
    assert f"packages:\n  vcf: {PLUGIN}" in manifest, added.output
    assert "import pulumi_vcf" in added.output
    assert "./sdks/vcf" in (stack.work_dir / "requirements.txt").read_text().splitlines()
    installed = subprocess.run(
        [str(python_project.venv / "bin" / "python"), "-c", "import pulumi_vcf; print(pulumi_vcf.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert installed.stdout.startswith(str(python_project.venv)), "the SDK is in the project's virtualenv"
    stack.init()
    configure(stack, sddc_manager, login=True)

    stack.up()

    assert (sddc_manager.count(*LOGIN), sddc_manager.count(*REFRESH)) == (1, 1)
    assert stack.outputs()["expiresAt"].endswith("Z")
    assert_unchanged_then_destroyed(stack, sddc_manager, PAIR, TOKEN)


# --- TypeScript: tsc --noEmit against the generated SDK ----------------------------------------------

#: A deliberate type error: renewBeforeSeconds is a number.
TS_BAD = """\
import * as vcf from "@vcf-provider/pulumi-vcf";

new vcf.RefreshedAccessToken("bad", { renewBeforeSeconds: "300" });
"""


@pytest.fixture(scope="session")
def typescript_project(schema_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/typescript with its SDK in sdks/vcf and a node_modules that links .venv/node's
    packages and the SDK, as `npm install` of package.json's `file:sdks/vcf` would (npm: 20 s cold)."""
    require(NODE_MODULES / "typescript" / "bin" / "tsc", "The TypeScript toolchain (.venv/node)")
    project = tmp_path_factory.mktemp("typescript") / "project"
    shutil.copytree(
        EXAMPLES / "typescript", project, ignore=shutil.ignore_patterns("node_modules", "sdks", "bin")
    )
    (project / "sdks").mkdir()
    generate_sdk(schema_file, "nodejs", project / "sdks" / "vcf")
    dependency = json.loads((project / "package.json").read_text())["dependencies"]
    name = package_schema()["language"]["nodejs"]["packageName"]
    assert dependency[name] == "file:sdks/vcf", "package.json names the SDK as `pulumi package add` does"
    modules = project / "node_modules"
    modules.mkdir()
    for entry in NODE_MODULES.iterdir():
        (modules / entry.name).symlink_to(entry)
    scope, _, package = name.partition("/")
    (modules / scope).mkdir()
    (modules / scope / package).symlink_to(project / "sdks" / "vcf")
    (project / "bad.ts").write_text(TS_BAD)
    # The example's own settings, with the bad snippet beside it: one compile checks both.
    (project / "tsconfig.check.json").write_text(
        json.dumps({"extends": "./tsconfig.json", "files": ["index.ts", "bad.ts"]})
    )
    return project


def test_the_typescript_example_compiles_against_its_generated_sdk_and_a_type_error_does_not(
    typescript_project: Path,
) -> None:
    node = require(shutil.which("node"), "Node.js", "install Node.js 20+, then run `make setup`")
    tsc = str(NODE_MODULES / "typescript" / "bin" / "tsc")

    compiled = compile_run(
        [node, tsc, "--noEmit", "--pretty", "false", "-p", "tsconfig.check.json"], typescript_project
    )

    errors = [line for line in compiled.stdout.splitlines() if ": error TS" in line]
    assert compiled.returncode != 0
    assert [line.split("(", 1)[0] for line in errors] == ["bad.ts"], compiled.output
    assert "Type 'string' is not assignable to type 'Input<number | undefined>'" in errors[0]


# --- Go: go build against the generated SDK, offline --------------------------------------------------

#: A deliberate type error: RenewBeforeSeconds is a number.
GO_BAD = f"""\
// Package bad holds a deliberate type error.
package bad

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"{GO_IMPORT}"
)

// Bad passes a string where the schema has a number.
func Bad(ctx *pulumi.Context) error {{
	_, err := vcf.NewRefreshedAccessToken(ctx, "bad", &vcf.RefreshedAccessTokenArgs{{
		RenewBeforeSeconds: pulumi.String("300"),
	}})
	return err
}}
"""
#: Offline and as pinned: only what .venv/go-sdk-warm's go.sum holds, from Go's module cache.
GO_ENV = {"GOPROXY": "off", "GOFLAGS": "-mod=readonly", "GOWORK": "off", "GOTOOLCHAIN": "local"}


def go_mod(example: str, warm: str) -> str:
    """The example's go.mod as `go mod tidy` would leave it here: the warm module's requirements
    (whose go.sum is complete), with the example's module name and its SDK's require and replace."""
    module = re.search(r"^module (\S+)$", example, re.MULTILINE)
    replace = re.search(rf"^replace {re.escape(GO_MODULE)} => (\S+)$", example, re.MULTILINE)
    sdk = re.search(rf"^\s*(?:require )?{re.escape(GO_MODULE)} (v\S+)$", example, re.MULTILINE)
    pinned = re.search(r"^\s*(?:require )?github\.com/pulumi/pulumi/sdk/v3 (v\S+)$", example, re.MULTILINE)
    assert module, "examples/go/go.mod names its module"
    assert replace, "examples/go/go.mod replaces the SDK by its generated folder"
    assert sdk, "examples/go/go.mod requires the SDK"
    assert pinned, "examples/go/go.mod requires sdk/v3"
    assert f"github.com/pulumi/pulumi/sdk/v3 {pinned[1]}\n" in warm, "the example pins the warmed sdk/v3"
    body = re.sub(r"^module \S+$", f"module {module[1]}", warm, count=1, flags=re.MULTILINE)
    return body + f"\nrequire {GO_MODULE} {sdk[1]}\n\nreplace {GO_MODULE} => {replace[1]}\n"


@pytest.fixture(scope="session")
def go_project(schema_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/go with its SDK in sdks/vcf, its go.mod completed from .venv/go-sdk-warm."""
    require(GO_WARM / "go.sum", "The warmed Go module (.venv/go-sdk-warm)")
    project = tmp_path_factory.mktemp("go") / "project"
    shutil.copytree(EXAMPLES / "go", project, ignore=shutil.ignore_patterns("sdks", "vcf-go"))
    example = (project / "go.mod").read_text()
    (project / "go.mod").write_text(go_mod(example, (GO_WARM / "go.mod").read_text()))
    shutil.copy(GO_WARM / "go.sum", project / "go.sum")
    replaced = re.search(rf"^replace {re.escape(GO_MODULE)} => \./(\S+)$", example, re.MULTILINE)
    assert replaced, "the SDK is replaced by a folder of the project"
    (project / replaced[1]).parent.mkdir(parents=True, exist_ok=True)
    generate_sdk(schema_file, "go", project / replaced[1])
    assert (project / replaced[1] / GO_IMPORT.rsplit("/", 1)[1] / "refreshedAccessToken.go").is_file()
    (project / "bad").mkdir()
    (project / "bad" / "bad.go").write_text(GO_BAD)
    return project


def test_the_go_example_builds_against_its_generated_sdk_offline_and_a_type_error_does_not(
    go_project: Path,
) -> None:
    go = require(shutil.which("go"), "Go", "install Go 1.24+, then run `make setup`")

    built = compile_run([go, "build", "-o", "vcf-go", "."], go_project, GO_ENV)
    refused = compile_run([go, "build", "./bad"], go_project, GO_ENV)

    assert built.returncode == 0, built.output
    assert (go_project / "vcf-go").is_file()
    assert refused.returncode != 0
    errors = [line for line in refused.stderr.splitlines() if re.match(r"^\S+\.go:\d+:\d+: ", line)]
    assert [line.split(":", 1)[0] for line in errors] == ["bad/bad.go"], refused.output
    assert 'cannot use pulumi.String("300")' in errors[0]
    assert "pulumi.Float64PtrInput" in errors[0]


# --- The plugin folder inside the package (what the wheel check runs from the installed wheel) -------


def test_the_packages_own_plugin_folder_names_no_virtualenv_and_serves_the_schema() -> None:
    python = str(VENV / "bin" / "python")
    printed = subprocess.run(
        [python, "-m", "vcf_provider.package", "--path"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    folder = Path(printed.stdout.strip())

    assert folder == REPO_ROOT / "vcf_provider" / "package" / "plugin"
    settings = [
        line.strip()
        for line in (folder / "PulumiPlugin.yaml").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # No virtualenv: the language host runs it with $PULUMI_PYTHON_CMD, else python3 on PATH.
    assert settings == ["runtime: python"]
    # As the language host runs a Python plugin: `python -u <folder> ARGS`.
    schema = subprocess.run(
        [python, "-u", str(folder), "--schema"], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(schema.stdout) == package_schema()


# --- The policy pack on the package's types, from a YAML program --------------------------------------


def test_the_policy_pack_fails_a_yaml_preview_of_a_package_token_without_tls_verification(
    pulumi_cli: str, tmp_path: Path, sddc_manager: SddcManagerEmulator
) -> None:
    require(
        shutil.which("pulumi-language-yaml") or Path(pulumi_cli).parent / "pulumi-language-yaml",
        "pulumi-language-yaml",
    )
    stack = PulumiStack(pulumi_cli, tmp_path / "project", tmp_path / "state", tmp_path / "home")
    for directory in (stack.work_dir, stack.state_dir, stack.home_dir):
        directory.mkdir(parents=True)
    # The YAML example, with TLS verification off on its token.
    program = (EXAMPLES / "yaml" / "Pulumi.yaml").read_text()
    unsafe = "      refreshToken: ${login.refreshToken}\n"
    assert unsafe in program
    program = program.replace("vcf: ../../plugin", f"vcf: {PLUGIN}")
    (stack.work_dir / "Pulumi.yaml").write_text(
        program.replace(unsafe, unsafe + "      allowUnverifiedTls: true\n")
    )
    stack.init()
    configure(stack, sddc_manager, login=True)
    pack = subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "vcf_provider.policy", "--path"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()

    result = stack.run("preview", "--policy-pack", pack, check=False)

    assert result.returncode != 0
    assert "[mandatory]  vcf-tls-verification-required" in result.stdout, result.output
    assert "token sets allowUnverifiedTls=true for 127.0.0.1" in result.stdout
    assert sddc_manager.requests == [], "a preview sends nothing"
    assert_no_leaks(stack.artifacts(), [DEFAULT_PASSWORD])
