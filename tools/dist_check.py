"""`make dist`: build the sdist and wheel, check them, and run them installed the way a user has them.

1. `python -m build` into dist/, then `twine check`.
2. The wheel holds py.typed, the policy pack's PulumiPolicy.yaml, the `vcf` plugin folder (whose
   PulumiPlugin.yaml names no virtualenv) and the emulator, and no tests.
3. A fresh virtualenv outside the checkout gets the wheel (with its `testing` extra) from pip.
4. From a project directory outside the checkout, whose Pulumi.yaml names that virtualenv with
   `toolchain: pip`, the quickstart program runs against the installed emulator (`pulumi up`,
   `preview` with the installed policy pack, `destroy`), with no PYTHONPATH pointing back here.
   Then a YAML program whose Pulumi.yaml has `packages: vcf: $(python -m vcf_provider.package --path)`
   runs the installed plugin (with the virtualenv's python3, first on PATH) through `up` and `destroy`.
5. The same wheel goes into a second fresh virtualenv with `uv pip install`, where a copy of the unit
   and policy tests (not the checkout's package) runs against it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DIST = REPO_ROOT / "dist"
WHEEL_MUST_HOLD = (
    "vcf_provider/__init__.py",
    "vcf_provider/py.typed",
    "vcf_provider/policy/PulumiPolicy.yaml",
    "vcf_provider/policy/__main__.py",
    "vcf_provider/package/plugin/PulumiPlugin.yaml",
    "vcf_provider/package/plugin/__main__.py",
    "vcf_provider/testing/emulator.py",
)


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def run(
    command: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        raise SystemExit(f"error: `{' '.join(command)}` exited {done.returncode}\n{output}")
    return done


def build() -> tuple[Path, Path]:
    step("Building the sdist and wheel (python -m build)")
    shutil.rmtree(DIST, ignore_errors=True)
    run([sys.executable, "-m", "build", "--outdir", str(DIST), str(REPO_ROOT)])
    (wheel,) = DIST.glob("*.whl")
    (sdist,) = DIST.glob("*.tar.gz")
    step("twine check")
    run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)])
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in WHEEL_MUST_HOLD if name not in names]
    if missing:
        raise SystemExit(f"error: the wheel lacks {', '.join(missing)}")
    strays = sorted(name for name in names if name.startswith(("tests/", "examples/", "tools/")))
    if strays:
        raise SystemExit(f"error: the wheel holds files that are not the package: {strays[:5]}")
    version = wheel.name.split("-")[1]
    pack = zipfile.ZipFile(wheel).read("vcf_provider/policy/PulumiPolicy.yaml").decode()
    if f"version: {version}" not in pack.splitlines():
        raise SystemExit(f"error: PulumiPolicy.yaml's version is not the package's {version}")
    plugin = zipfile.ZipFile(wheel).read("vcf_provider/package/plugin/PulumiPlugin.yaml").decode()
    settings = [line.strip() for line in plugin.splitlines() if line.strip() and not line.startswith("#")]
    if settings != ["runtime: python"]:
        # A virtualenv option would point into a checkout; the installed plugin runs on the user's Python.
        raise SystemExit(
            f"error: the wheel's PulumiPlugin.yaml should say only `runtime: python`: {settings}"
        )
    print(f"    {wheel.name}: {len(names)} files, {wheel.stat().st_size // 1024} KiB; {sdist.name}")
    return wheel, sdist


def pulumi_cli() -> str:
    home = Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi"))
    found = shutil.which("pulumi") or str(home / "bin" / "pulumi")
    if not Path(found).is_file():
        raise SystemExit("error: no pulumi CLI; run `make setup`")
    return found


def install(wheel: Path, where: Path) -> Path:
    step(f"Installing {wheel.name}[testing] into a fresh virtualenv outside the checkout")
    venv = where / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", f"{wheel}[testing]"], cwd=where)
    located = run([str(python), "-c", "import vcf_provider; print(vcf_provider.__file__)"], cwd=where)
    if str(REPO_ROOT) in located.stdout:
        raise SystemExit(f"error: the fresh virtualenv imports the checkout: {located.stdout.strip()}")
    return python


def init_stack(cli: Callable[..., str], name: str, started: dict[str, str]) -> None:
    """A new stack configured for the emulator `started` printed: host, CA, secret refresh token."""
    cli("stack", "init", name, "--secrets-provider", "passphrase")
    cli("config", "set", "vcf:host", started["url"])
    cli("config", "set", "vcf:caBundle", started["ca_path"])
    cli("config", "set", "vcf:refreshToken", "--secret", stdin=started["refresh_token"])


def run_quickstart(python: Path, where: Path) -> None:
    project = where / "quickstart"
    project.mkdir()
    shutil.copy(REPO_ROOT / "__main__.py", project / "__main__.py")
    (project / "Pulumi.yaml").write_text(
        "name: vcf-quickstart-installed\nruntime:\n  name: python\n  options:\n"
        f"    toolchain: pip\n    virtualenv: {python.parent.parent}\n"
    )
    (where / "state").mkdir()
    pulumi = pulumi_cli()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["VCF_FUZZ_EXAMPLES"] = "50"  # the full fuzz runs on the checkout; here, that it runs at all
    env.update(
        {
            "PATH": os.pathsep.join([str(python.parent), str(Path(pulumi).parent), env.get("PATH", "")]),
            "PULUMI_BACKEND_URL": (where / "state").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": "dist check",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_HOME": str(where / "pulumi-home"),
        }
    )
    step("Starting the installed emulator (python -m vcf_provider.testing)")
    emulator = subprocess.Popen(
        [str(python), "-m", "vcf_provider.testing", "--json", "--state-dir", str(where / "emulator")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=where,
    )
    try:
        assert emulator.stdout is not None
        started = json.loads(emulator.stdout.readline())

        def cli(*args: str, stdin: str | None = None) -> str:
            return run([pulumi, "--non-interactive", *args], cwd=project, env=env, stdin=stdin).stdout

        init_stack(cli, "dist", started)
        step("pulumi up with the installed package")
        cli("up", "--yes", "--skip-preview")
        outputs = json.loads(cli("stack", "output", "--json"))
        if outputs.get("access_token") != "[secret]" or not outputs.get("expires_at"):
            raise SystemExit(f"error: unexpected quickstart outputs {sorted(outputs)}")
        step("pulumi preview with the installed policy pack")
        pack = run([str(python), "-m", "vcf_provider.policy", "--path"], env=env, cwd=where).stdout.strip()
        if str(REPO_ROOT) in pack:
            raise SystemExit(f"error: the policy pack path points into the checkout: {pack}")
        previewed = cli("preview", "--policy-pack", pack)
        if "vcf-provider-policies" not in previewed:
            raise SystemExit("error: the policy pack did not run")
        step("pulumi destroy")
        cli("destroy", "--yes", "--skip-preview", "--remove")
        leaked = [word for word in ("eyJ", started["refresh_token"]) if word in previewed]
        if leaked:
            raise SystemExit("error: a token appeared in the preview output")
        run_package_program(python, where, env, started)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


#: The YAML program of the installed plugin: one token from stack config, and an output.
PACKAGE_PROGRAM = """\
name: vcf-package-installed
runtime: yaml
packages:
  vcf: {plugin}
resources:
  token:
    type: vcf:index:RefreshedAccessToken
outputs:
  expiresAt: ${{token.expiresAt}}
"""


def run_package_program(python: Path, where: Path, env: dict[str, str], started: dict[str, str]) -> None:
    """The `vcf` plugin from the installed wheel, as `packages: vcf:` of a YAML program: up and destroy."""
    plugin = run([str(python), "-m", "vcf_provider.package", "--path"], env=env, cwd=where).stdout.strip()
    if str(REPO_ROOT) in plugin or not (Path(plugin) / "PulumiPlugin.yaml").is_file():
        raise SystemExit(f"error: the plugin folder is not the installed package's: {plugin}")
    project = where / "yaml-package"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(PACKAGE_PROGRAM.format(plugin=plugin))
    # The plugin names no virtualenv: the language host starts the python3 first on PATH (the fresh
    # virtualenv's), as for a user who activated theirs; PULUMI_PYTHON_CMD would take precedence.
    env = {key: value for key, value in env.items() if key != "PULUMI_PYTHON_CMD"}
    pulumi = pulumi_cli()

    def cli(*args: str, stdin: str | None = None) -> str:
        return run([pulumi, "--non-interactive", *args], cwd=project, env=env, stdin=stdin).stdout

    init_stack(cli, "package", started)
    step("pulumi up of a YAML program on the installed `vcf` plugin")
    upped = cli("up", "--yes", "--skip-preview")
    outputs = json.loads(cli("stack", "output", "--json"))
    if not str(outputs.get("expiresAt", "")).endswith("Z"):
        raise SystemExit(f"error: unexpected outputs of the package program: {outputs}")
    step("pulumi destroy of the YAML program")
    destroyed = cli("destroy", "--yes", "--skip-preview", "--remove")
    if any(word in text for text in (upped, destroyed) for word in ("eyJ", started["refresh_token"])):
        raise SystemExit("error: a token appeared in the package program's output")


def check_with_uv(wheel: Path, where: Path) -> None:
    """The wheel installed by uv, and the unit and policy tests run against it from a copy of tests/."""
    step(f"Installing {wheel.name}[testing] with uv into another fresh virtualenv")
    uv = str(REPO_ROOT / ".venv" / "bin" / "uv")
    venv = where / "uv-venv"
    python = venv / "bin" / "python"
    run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    run(
        [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python), f"{wheel}[testing]"],
        cwd=where,
    )
    tools = ["pytest>=8", "hypothesis>=6.100", "pytest-xdist>=3.5", "proxy.py>=2.4"]
    run([uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python), *tools], cwd=where)
    copy = where / "uv-tests"
    shutil.copytree(
        REPO_ROOT / "tests",
        copy / "tests",
        ignore=shutil.ignore_patterns("engine", "soak", "interop", "benchmarks", "fixtures", "__pycache__"),
    )
    step("Unit and policy tests against the uv-installed wheel")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["VCF_FUZZ_EXAMPLES"] = "50"  # the full fuzz runs on the checkout; here, that it runs at all
    done = run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            # One process: it runs beside the engine tests, and half of it is waiting anyway.
            "-p",
            "no:xdist",
            "tests/unit",
            "tests/policy",
        ],
        cwd=copy,
        env=env,
    )
    print("    " + done.stdout.strip().splitlines()[-1])
    located = run([str(python), "-c", "import vcf_provider; print(vcf_provider.__file__)"], cwd=copy, env=env)
    if str(REPO_ROOT) in located.stdout:
        raise SystemExit(f"error: the uv virtualenv imports the checkout: {located.stdout.strip()}")


def main() -> int:
    began = time.monotonic()
    wheel, _ = build()
    with tempfile.TemporaryDirectory(prefix="vcf-dist-check-") as temp:
        where = Path(temp)
        python = install(wheel, where)
        run_quickstart(python, where)
        check_with_uv(wheel, where)
    print(f"==> dist check passed in {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
