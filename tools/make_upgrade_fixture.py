"""Makes the upgrade fixture of one release: its state, config and program, for tests/engine/test_upgrade.py.

Run it once per release, with that release's code checked out apart from this one:

    mkdir /tmp/v0.2.0 && git archive <release commit> | tar -x -C /tmp/v0.2.0
    .venv/bin/python tools/make_upgrade_fixture.py --code /tmp/v0.2.0 --version 0.2.0 \
        --venv /tmp/vcf-0.2.0-venv --commit <release commit>

With `--venv`, the release is installed (not editable) into a new virtualenv there, beside the
versions of pulumi, pulumi-policy, requests and their core dependencies that this checkout's
environment has, and the stack runs on that virtualenv alone: the state is the installed release's.
Without it (how 0.1.0's fixture was made), the stack runs on this checkout's .venv with the
release's `vcf_provider` first on PYTHONPATH.

Either way the stack runs tests/fixtures/upgrade/program.py against the emulator, on a local backend
with a known passphrase. The fixture keeps no secret in plain text: the tokens and the password stay
encrypted under FIXTURE_PASSPHRASE.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.engine import find_pulumi  # noqa: E402
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator  # noqa: E402

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "upgrade"
FIXTURE_PASSPHRASE = "vcf-provider upgrade fixture"  # noqa: S105 - protects test data only
STACK = "upgrade"
PROJECT = "vcf-upgrade"
#: Installed into a --venv at this environment's versions, so the release's code is the difference.
PINNED = ("pulumi", "pulumi-policy", "requests", "urllib3", "dill", "grpcio", "protobuf", "semver")


def build_venv(code: Path, venv: Path) -> dict[str, str]:
    """A new virtualenv at `venv` with the release at `code` installed, and PINNED at this
    environment's versions; returns the versions it holds."""
    if venv.exists():
        raise SystemExit(f"{venv} exists: give --venv a new directory")
    pins = []
    for name in PINNED:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = [*uv, "pip", "install", "--quiet", "--python", python, "--compile-bytecode", str(code), *pins]
    subprocess.run(install, check=True)
    probe = (
        "import json, importlib.metadata as m, vcf_provider; "
        "print(json.dumps({'vcf_provider': vcf_provider.__file__, "
        "**{n: m.version(n) for n in ('vcf-provider', 'pulumi', 'requests')}}))"
    )
    found: dict[str, str] = json.loads(
        subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True, cwd=venv).stdout
    )
    if not Path(found["vcf_provider"]).resolve().is_relative_to(venv.resolve()):
        raise SystemExit(f"the virtualenv imports vcf_provider from {found['vcf_provider']}, not from itself")
    return found


def pulumi_yaml(virtualenv: Path) -> str:
    return f"name: {PROJECT}\nruntime:\n  name: python\n  options:\n    virtualenv: {virtualenv}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, required=True, help="a checkout of the release")
    parser.add_argument("--version", required=True, help="the release's version, e.g. 0.1.0")
    parser.add_argument(
        "--venv", type=Path, help="install the release into a new virtualenv here and run the stack on it"
    )
    parser.add_argument("--commit", help="the release's commit, recorded in fixture.json")
    args = parser.parse_args()
    pulumi = find_pulumi()
    if pulumi is None:
        print("error: no pulumi CLI; run `make setup` first", file=sys.stderr)
        return 2
    installed = build_venv(args.code.resolve(), args.venv) if args.venv else None
    out = FIXTURES / args.version
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upgrade-fixture-") as temp, SddcManagerEmulator() as emulator:
        work = Path(temp) / "project"
        work.mkdir()
        virtualenv = args.venv.resolve() if args.venv else REPO_ROOT / ".venv"
        (work / "Pulumi.yaml").write_text(pulumi_yaml(virtualenv))
        shutil.copy(FIXTURES / "program.py", work / "__main__.py")
        env = {
            **os.environ,
            "PULUMI_BACKEND_URL": (Path(temp) / "state").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": FIXTURE_PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_HOME": str(Path(temp) / "home"),
            # The release's code ahead of this checkout's .venv; with --venv, the installed release alone.
            "PYTHONPATH": str(args.code.resolve()),
        }
        if installed:
            del env["PYTHONPATH"]
        (Path(temp) / "state").mkdir()

        def run(*command: str, stdin: str | None = None) -> str:
            done = subprocess.run(
                [pulumi, "--non-interactive", *command],
                cwd=work,
                env=env,
                input=stdin,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"pulumi {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
            return done.stdout

        run("stack", "init", STACK, "--secrets-provider", "passphrase")
        run("config", "set", "vcf:host", "--plaintext", stdin=emulator.url)
        run("config", "set", "vcf:caBundle", "--plaintext", stdin=str(emulator.ca_path))
        run("config", "set", "vcf:username", "--plaintext", stdin=DEFAULT_USERNAME)
        run("config", "set", "vcf:password", "--secret", stdin=DEFAULT_PASSWORD)
        run("up", "--yes", "--skip-preview")
        made_by = json.loads(run("stack", "output", "package_version", "--json"))
        if made_by != args.version:
            raise SystemExit(f"the stack ran vcf_provider {made_by}, not {args.version}: check --code")
        (out / "stack.json").write_text(run("stack", "export"))
        shutil.copy(work / f"Pulumi.{STACK}.yaml", out / f"Pulumi.{STACK}.yaml")
        meta: dict[str, object] = {
            "version": args.version,
            "stack": STACK,
            "project": PROJECT,
            "passphrase": FIXTURE_PASSPHRASE,
            "host": emulator.url,
            "ca_bundle": str(emulator.ca_path),
        }
        if args.commit:
            meta["commit"] = args.commit
        if installed:
            meta["installed"] = {name: v for name, v in installed.items() if name != "vcf_provider"}
        (out / "fixture.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
