"""Temporary Pulumi projects and stacks on a local file backend, driven through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV = REPO_ROOT / ".venv"
PASSPHRASE = "correct horse battery staple"


def find_pulumi() -> str | None:
    """The pulumi CLI the tests use: on PATH, else where `make setup` puts it."""
    on_path = shutil.which("pulumi")
    if on_path:
        return on_path
    home = Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi"))
    candidate = home / "bin" / "pulumi"
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


@dataclass
class CommandResult:
    """What one CLI invocation printed and how it ended."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def check(self) -> CommandResult:
        if self.returncode != 0:
            raise AssertionError(
                f"`pulumi {' '.join(self.args)}` exited {self.returncode}\n"
                f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
            )
        return self


@dataclass
class PulumiStack:
    """One project directory with one stack, isolated under a temporary directory.

    Every command's output is kept in `transcript`, so tests can search all of it for secrets.
    """

    pulumi: str
    work_dir: Path
    state_dir: Path
    home_dir: Path
    name: str = "test"
    extra_env: dict[str, str] = field(default_factory=dict)
    #: False for a stack of an existing project (an example): its files are not this stack's output.
    owns_work_dir: bool = True
    transcript: list[CommandResult] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "PULUMI_BACKEND_URL": self.state_dir.as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_HOME": str(self.home_dir),
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_SKIP_CONFIRMATIONS": "true",
                "NO_COLOR": "1",
                # The program and the provider process both import test helpers from `tests.`.
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
                # The virtualenv first: policy packs run with the `python3` found on PATH.
                "PATH": os.pathsep.join(
                    [str(VENV / "bin"), str(Path(self.pulumi).parent), env.get("PATH", "")]
                ),
            }
        )
        env.update(self.extra_env)
        return env

    def run(
        self, *args: str, check: bool = True, timeout: float = 300, stdin: str | None = None
    ) -> CommandResult:
        completed = subprocess.run(
            [self.pulumi, "--non-interactive", *args],
            cwd=self.work_dir,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = CommandResult(list(args), completed.returncode, completed.stdout, completed.stderr)
        self.transcript.append(result)
        return result.check() if check else result

    def write_program(self, source: str, project: str = "vcf-test") -> None:
        """Writes `__main__.py` and a Pulumi.yaml that runs it with the repository's virtualenv."""
        (self.work_dir / "Pulumi.yaml").write_text(
            textwrap.dedent(
                f"""\
                name: {project}
                runtime:
                  name: python
                  options:
                    virtualenv: {VENV}
                """
            )
        )
        (self.work_dir / "__main__.py").write_text(textwrap.dedent(source))

    def init(self) -> None:
        self.run("stack", "init", self.name, "--secrets-provider", "passphrase")

    def set_config(self, key: str, value: str, secret: bool = False) -> None:
        """Sets stack config; the value goes through stdin so it never shows in a command line."""
        self.run("config", "set", key, "--secret" if secret else "--plaintext", stdin=value)

    def up(self, *extra: str, check: bool = True) -> CommandResult:
        return self.run("up", "--yes", "--skip-preview", *extra, check=check)

    def preview(self, *extra: str, check: bool = True) -> CommandResult:
        return self.run("preview", *extra, check=check)

    def destroy(self, check: bool = True) -> CommandResult:
        return self.run("destroy", "--yes", "--skip-preview", check=check)

    def revealing(self, *args: str) -> str:
        """Runs a command that prints secrets on purpose; its output stays out of the leak audit."""
        stdout = self.run(*args).stdout
        self.transcript.pop()
        return stdout

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        if show_secrets:
            revealed: dict[str, Any] = json.loads(
                self.revealing("stack", "output", "--json", "--show-secrets")
            )
            return revealed
        value: dict[str, Any] = json.loads(self.run("stack", "output", "--json").stdout)
        return value

    def export(self, show_secrets: bool = False) -> dict[str, Any]:
        if show_secrets:
            revealed: dict[str, Any] = json.loads(self.revealing("stack", "export", "--show-secrets"))
            return revealed
        value: dict[str, Any] = json.loads(self.run("stack", "export").stdout)
        return value

    def resources(self, type_token: str | None = None, show_secrets: bool = False) -> list[dict[str, Any]]:
        deployment = self.export(show_secrets)["deployment"]
        resources: list[dict[str, Any]] = deployment.get("resources") or []
        return [r for r in resources if type_token is None or r["type"] == type_token]

    def state_files(self) -> Iterable[Path]:
        return (p for p in self.state_dir.rglob("*") if p.is_file())

    def artifacts(self) -> dict[str, str]:
        """Everything this stack wrote or printed, by name: state files, `pulumi stack export`,
        every command's stdout and stderr, and the program directory's files."""
        found = {"pulumi stack export": self.run("stack", "export").stdout}
        for number, result in enumerate(self.transcript):
            command = " ".join(result.args)
            found[f"#{number} `pulumi {command}` stdout"] = result.stdout
            found[f"#{number} `pulumi {command}` stderr"] = result.stderr
        written = (
            self.work_dir.rglob("*") if self.owns_work_dir else self.work_dir.glob(f"Pulumi.{self.name}.yaml")
        )
        for path in [*self.state_files(), *written]:
            if path.is_file():
                found[str(path)] = path.read_text(errors="replace")
        for log in (self.home_dir / "logs").glob("*") if (self.home_dir / "logs").is_dir() else []:
            found[str(log)] = log.read_text(errors="replace")
        return found


def create_stack(
    pulumi: str, base: Path, source: str, name: str = "test", project: str = "vcf-test"
) -> PulumiStack:
    """A new project under `base` (program, file:// backend, PULUMI_HOME) with one initialized stack."""
    stack = PulumiStack(
        pulumi=pulumi, work_dir=base / "project", state_dir=base / "state", home_dir=base / "home", name=name
    )
    for directory in (stack.work_dir, stack.state_dir, stack.home_dir):
        directory.mkdir(parents=True)
    stack.write_program(source, project=project)
    stack.init()
    return stack


#: The `new_stack` fixture: `new_stack(program_source, name="test", project="vcf-test")`.
StackFactory = Callable[..., PulumiStack]


def fleet_cli_env(tmp_path: Path, pulumi_cli: str) -> dict[str, str]:
    """The environment `examples/fleet/fleet.py` runs in for a test: this repo's .venv and `pulumi_cli`
    first on PATH, a file backend and PULUMI_HOME under `tmp_path` (its `state` folder is made)."""
    (tmp_path / "state").mkdir(exist_ok=True)
    return {
        **os.environ,
        "PATH": os.pathsep.join(
            [str(REPO_ROOT / ".venv" / "bin"), str(Path(pulumi_cli).parent), os.environ["PATH"]]
        ),
        "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
        "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_CONFIG_PASSPHRASE": "fleet test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
