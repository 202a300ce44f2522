"""Makes the upgrade fixture of one release: its state, config and program, for tests/engine/test_upgrade.py.

Run it once per release, with that release's code checked out in a separate worktree:

    git worktree add /tmp/v0.1.0 <release commit>
    .venv/bin/python tools/make_upgrade_fixture.py --code /tmp/v0.1.0 --version 0.1.0

The stack runs tests/fixtures/upgrade/program.py with the release's `vcf_provider` first on
PYTHONPATH, against the emulator, on a local backend with a known passphrase. The fixture keeps no
secret in plain text: the refresh token and password stay encrypted under FIXTURE_PASSPHRASE.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.engine import find_pulumi  # noqa: E402
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator  # noqa: E402

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "upgrade"
FIXTURE_PASSPHRASE = "vcf-provider upgrade fixture"  # noqa: S105 - protects test data only
STACK = "upgrade"
PROJECT = "vcf-upgrade"


def pulumi_yaml(virtualenv: Path) -> str:
    return f"name: {PROJECT}\nruntime:\n  name: python\n  options:\n    virtualenv: {virtualenv}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, required=True, help="a checkout of the release")
    parser.add_argument("--version", required=True, help="the release's version, e.g. 0.1.0")
    args = parser.parse_args()
    pulumi = find_pulumi()
    if pulumi is None:
        print("error: no pulumi CLI; run `make setup` first", file=sys.stderr)
        return 2
    out = FIXTURES / args.version
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upgrade-fixture-") as temp, SddcManagerEmulator() as emulator:
        work = Path(temp) / "project"
        work.mkdir()
        (work / "Pulumi.yaml").write_text(pulumi_yaml(REPO_ROOT / ".venv"))
        shutil.copy(FIXTURES / "program.py", work / "__main__.py")
        env = {
            **os.environ,
            "PULUMI_BACKEND_URL": (Path(temp) / "state").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": FIXTURE_PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_HOME": str(Path(temp) / "home"),
            "PYTHONPATH": str(args.code.resolve()),
        }
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
        meta = {
            "version": args.version,
            "stack": STACK,
            "project": PROJECT,
            "passphrase": FIXTURE_PASSPHRASE,
            "host": emulator.url,
            "ca_bundle": str(emulator.ca_path),
        }
        (out / "fixture.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
