"""`make demo`: the quickstart stack against a local SDDC Manager emulator, from token pair to destroy.

Everything it creates lives under .demo/ (git-ignored): the emulator's CA, the stack's file backend
and PULUMI_HOME. It prints no token: Pulumi masks secrets, and the demo itself never prints one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.settings import ConnectionSettings
from vcf_provider.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO_ROOT / ".demo"
STACK = "demo"


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


class Pulumi:
    """Runs the CLI on the root project with the demo's own backend and home."""

    def __init__(self) -> None:
        pulumi = shutil.which("pulumi") or str(Path.home() / ".pulumi" / "bin" / "pulumi")
        self.command = [pulumi, "--non-interactive"]
        self.env = {
            **os.environ,
            "PULUMI_BACKEND_URL": (DEMO_DIR / "state").as_uri(),
            "PULUMI_HOME": str(DEMO_DIR / "pulumi-home"),
            "PULUMI_CONFIG_PASSPHRASE": "vcf-provider demo passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_STACK": STACK,
            "NO_COLOR": "1",
        }

    def run(self, *args: str, stdin: str | None = None, show: bool = True) -> str:
        completed = subprocess.run(
            [*self.command, *args],
            cwd=REPO_ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if show:
            print(completed.stdout.rstrip(), flush=True)
        if completed.returncode != 0:
            print(completed.stderr.rstrip(), file=sys.stderr)
            raise SystemExit(f"`pulumi {' '.join(args)}` failed with exit code {completed.returncode}")
        return completed.stdout


def main() -> int:
    started = time.monotonic()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    for directory in (DEMO_DIR / "state", DEMO_DIR / "pulumi-home"):
        directory.mkdir(parents=True)
    pulumi = Pulumi()
    stack_created = False

    step("Starting the SDDC Manager emulator (HTTPS on 127.0.0.1, with its own CA)")
    with SddcManagerEmulator(state_dir=DEMO_DIR / "emulator") as emulator:
        print(f"    {emulator.url}  (CA: {emulator.ca_path.relative_to(REPO_ROOT)})")
        settings = ConnectionSettings(base_url=emulator.url, ca_bundle=str(emulator.ca_path))
        try:
            step(f"Getting a token pair with POST /v1/tokens as {DEFAULT_USERNAME}")
            with SddcManagerClient(settings) as client:
                _access, refresh_token = client.create_token_pair(
                    {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}
                )
            print("    got a refresh token (kept secret: it goes to stack config encrypted)")

            step(f"Creating stack '{STACK}' on a local file backend (.demo/state) and setting its config")
            pulumi.run("stack", "init", STACK, "--secrets-provider", "passphrase", show=False)
            stack_created = True
            pulumi.run("config", "set", "vcf:host", emulator.url, show=False)
            pulumi.run("config", "set", "vcf:caBundle", str(emulator.ca_path), show=False)
            pulumi.run("config", "set", "--secret", "vcf:refreshToken", stdin=refresh_token, show=False)
            print(pulumi.run("config", show=False).rstrip())

            step("pulumi up: PATCH /v1/tokens/access-token/refresh, the token becomes a secret output")
            before = emulator.count()
            pulumi.run("up", "--yes", "--skip-preview")
            print(f"    requests to SDDC Manager during this up: {emulator.count() - before}")

            step("pulumi stack output (the access token is masked)")
            pulumi.run("stack", "output")

            step("Using the token downstream: GET /v1/sddc-managers with it as the bearer token")
            outputs = json.loads(pulumi.run("stack", "output", "--json", "--show-secrets", show=False))
            answer = requests.get(
                f"{emulator.url}/v1/sddc-managers",
                headers={"Authorization": f"Bearer {outputs['access_token']}"},
                verify=str(emulator.ca_path),
                timeout=30,
            )
            answer.raise_for_status()
            page = answer.json()
            for manager in page.get("elements", []):
                print(f"    SDDC Manager {manager['fqdn']} version {manager['version']}: the token works")

            step("pulumi up again: the token is fresh, so nothing changes and no request is made")
            before = emulator.count()
            pulumi.run("up", "--yes", "--skip-preview")
            print(f"    requests to SDDC Manager during this up: {emulator.count() - before}")

            step("pulumi destroy --remove (an access token cannot be revoked on its own; it expires)")
            pulumi.run("destroy", "--yes", "--skip-preview", "--remove")
            stack_created = False
        finally:
            if stack_created:
                pulumi.run("stack", "rm", STACK, "--yes", "--force", show=False)
            step("Stopping the emulator")

    print(f"\nDone in {time.monotonic() - started:.1f} s. Against a real SDDC Manager, see README.md.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: the emulator is stopped and the demo's stack removed", file=sys.stderr)
        sys.exit(130)
