"""`make bench`: what the provider costs users, measured against the engine's own floor.

Prints one table and writes it to tests/benchmarks/RESULTS.md, with the plugin table (issue 28: N = 100
tokens from a YAML program against a same-shape no-op plugin, and the real `vcf` plugin from
`plugin/` once it exists) in its own section; hand-written sections there are kept. `--quick` runs a
smaller matrix. Numbers are measured here and reported, never asserted.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.benchmarks.latency_proxy import LatencyProxy  # noqa: E402
from tests.support.engine import PulumiStack, find_pulumi  # noqa: E402
from vcf_provider.testing import SddcManagerEmulator  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
TOKEN_TYPE = "pulumi-python:dynamic/vcf:RefreshedAccessToken"
#: The plugins' floor: a source-based Python plugin serving vcfnoop:index:RefreshedAccessToken.
NOOP_PLUGIN = Path(__file__).with_name("noop_plugin")
#: Where issue 28 puts the real `vcf` plugin; `--plugin PATH` points elsewhere.
VCF_PLUGIN = REPO_ROOT / "plugin"
#: The plugin section's heading in RESULTS.md (the section is rewritten whenever it runs).
PLUGIN_SECTION = "## Plugins against dynamic resources"
PLUGIN_COUNT = 100

OURS = """
import pulumi
from vcf_provider import RefreshedAccessToken
count = pulumi.Config("bench").require_int("count")
renew = pulumi.Config("bench").get_float("renew") or 300
for n in range(count):
    RefreshedAccessToken(f"token-{n:03d}", renew_before_seconds=renew)
"""

# The floor: the cheapest dynamic resource there is, from an importable module like ours.
FLOOR = """
import pulumi
from tests.benchmarks.noop import NoOp
count = pulumi.Config("bench").require_int("count")
for n in range(count):
    NoOp(f"noop-{n:03d}")
"""

# The same no-op, with RefreshedAccessToken's inputs and outputs (a secret among them): what the
# engine charges for the shape of the resource, whatever its provider does.
SHAPED_FLOOR = """
import pulumi
from tests.benchmarks.noop import Shaped
count = pulumi.Config("bench").require_int("count")
secret = pulumi.Output.secret("5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11")
for n in range(count):
    Shaped(f"shaped-{n:03d}", secret)
"""

# A typical hand-written provider: defined in __main__, so dill pickles it by value.
NAIVE = """
import pulumi
import requests
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

class NaiveTokenProvider(ResourceProvider):
    def create(self, props):
        session = requests.Session()
        return CreateResult("naive", {"access_token": "x", **props})

class NaiveToken(Resource):
    def __init__(self, name, props):
        super().__init__(NaiveTokenProvider(), name, props)

NaiveToken("naive", {"host": "sddc.example.test"})
"""

#: What SHAPED_FLOOR passes, in the package's camelCase: the no-op plugin's resources get the same.
SHAPED_PROPERTIES: dict[str, object] = {
    "host": "https://127.0.0.1:1",
    "refreshToken": {"fn::secret": "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11"},
    "caBundle": "ca.pem",
    "timeoutSeconds": 30,
    "maxRetries": 3,
    "renewBeforeSeconds": 300,
}
#: What OURS passes: connection and refresh token come from stack config (the default provider's).
VCF_PROPERTIES: dict[str, object] = {"renewBeforeSeconds": 300}


def yaml_program(package: str, plugin: Path, count: int, properties: dict[str, object]) -> str:
    """A YAML project declaring `count` RefreshedAccessTokens of `package`, served from `plugin`."""
    resources = {
        f"token-{n:03d}": {"type": f"{package}:index:RefreshedAccessToken", "properties": properties}
        for n in range(count)
    }
    project = {
        "name": "vcf-bench-yaml",
        "runtime": "yaml",
        "packages": {package: str(plugin.resolve())},
        "resources": resources,
        "outputs": {"count": count},
    }
    return json.dumps(project, indent=2) + "\n"  # JSON is YAML


def check_noop_plugin_shape() -> None:
    """The no-op plugin's schema has vcf:index:RefreshedAccessToken's inputs, outputs and secrets."""
    from vcf_provider.resources.model import REFRESHED_ACCESS_TOKEN as model

    schema = json.loads((NOOP_PLUGIN / "schema.json").read_text())
    resource = schema["resources"]["vcfnoop:index:RefreshedAccessToken"]
    inputs = {field.prop.camel for field in model.inputs}
    outputs = inputs | {out.camel for out in model.outputs}
    secrets = {field.prop.camel for field in model.inputs if field.prop.secret}
    secrets |= {out.camel for out in model.outputs if out.secret}
    found_secrets = {name for name, spec in resource["properties"].items() if spec.get("secret")}
    if set(resource["inputProperties"]) != inputs or set(resource["properties"]) != outputs:
        raise SystemExit(
            f"{NOOP_PLUGIN}/schema.json no longer has RefreshedAccessToken's shape: inputs "
            f"{sorted(inputs)}, outputs {sorted(outputs)}; update it (and __main__.py's INPUTS)"
        )
    if found_secrets != secrets:
        raise SystemExit(
            f"{NOOP_PLUGIN}/schema.json: secret {sorted(found_secrets)}, the model's {sorted(secrets)}"
        )


def median(samples: list[float]) -> float:
    return statistics.median(samples)


class Bench:
    """Shared state for one benchmark run: the CLI, a scratch dir, the result rows."""

    def __init__(self, quick: bool, code: Path | None = None, plugin: Path = VCF_PLUGIN) -> None:
        self.code = code
        """Another checkout whose vcf_provider the stacks run (for a before/after comparison)."""
        self.plugin = plugin
        """The `vcf` plugin (a folder with PulumiPlugin.yaml) the plugin section measures, if there."""
        pulumi = find_pulumi()
        if pulumi is None:
            raise SystemExit("no pulumi CLI: run `make setup` first")
        self.pulumi = pulumi
        self.quick = quick
        self.scratch = Path(tempfile.mkdtemp(prefix="vcf-bench-"))
        self.rows: list[tuple[str, str, str]] = []
        self.plugin_rows: list[tuple[str, str, str]] = []
        """The plugin section's table, written under PLUGIN_SECTION."""
        self.plugin_context = ""
        self.counter = 0

    def row(self, what: str, value: str, target: str = "", plugin: bool = False) -> None:
        (self.plugin_rows if plugin else self.rows).append((what, value, target))
        print(f"  {what:<58} {value:>16}  {target}", flush=True)

    def stack(
        self, source: str, emulator: SddcManagerEmulator | None = None, host: str | None = None, **config: str
    ) -> AbstractContextManager[PulumiStack]:
        """A new stack running the Python program `source`, destroyed on leaving."""
        return self._stack(source, False, emulator, host, config)

    def yaml_stack(
        self, project: str, emulator: SddcManagerEmulator | None = None
    ) -> AbstractContextManager[PulumiStack]:
        """A new stack of the YAML project `project` (the whole Pulumi.yaml), destroyed on leaving."""
        return self._stack(project, True, emulator, None, {})

    @contextmanager
    def _stack(
        self,
        source: str,
        yaml: bool,
        emulator: SddcManagerEmulator | None,
        host: str | None,
        config: dict[str, str],
    ) -> Iterator[PulumiStack]:
        self.counter += 1
        base = self.scratch / f"stack-{self.counter}"
        stack = PulumiStack(self.pulumi, base / "project", base / "state", base / "home")
        if self.code is not None:
            stack.extra_env["PYTHONPATH"] = os.pathsep.join([str(self.code), str(REPO_ROOT)])
        for directory in (stack.work_dir, stack.state_dir, stack.home_dir):
            directory.mkdir(parents=True)
        if yaml:
            (stack.work_dir / "Pulumi.yaml").write_text(source)
        else:
            stack.write_program(source)
        stack.init()
        if emulator is not None:
            stack.set_config("vcf:host", host or emulator.url)
            stack.set_config("vcf:caBundle", str(emulator.ca_path))
            stack.set_config("vcf:refreshToken", emulator.issue_refresh_token(), secret=True)
        for key, value in config.items():
            stack.set_config(key, value)
        try:
            yield stack
        finally:
            stack.run("destroy", "--yes", "--skip-preview", check=False)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def provider_sizes(bench: Bench) -> None:
    print("serialized __provider", flush=True)
    with SddcManagerEmulator() as emulator, bench.stack(OURS, emulator, **{"bench:count": "1"}) as stack:
        stack.up()
        (resource,) = stack.resources(TOKEN_TYPE)
        ours = resource["outputs"]["__provider"]
        bench.row("__provider of RefreshedAccessToken (bytes)", str(len(ours)), "target <= 100")
    with bench.stack(NAIVE) as stack:
        stack.up()
        deployment = stack.export(show_secrets=True)["deployment"]
        (resource,) = [r for r in deployment["resources"] if r["urn"].endswith("::naive")]
        naive = resource["outputs"]["__provider"]
        # Pulumi stores a secret as {"plaintext": "<JSON of the value>"} in a --show-secrets export.
        naive = json.loads(naive["plaintext"]) if isinstance(naive, dict) else naive
        bench.row("__provider of a naive provider in __main__ (bytes)", str(len(naive)))
    reference = b"vcf_provider.provider" in base64.b64decode(ours)
    bench.row("  ours is a reference to vcf_provider.provider, holding no data", str(reference))


def request_counts(bench: Bench) -> None:
    print("HTTP requests to SDDC Manager", flush=True)
    tokens = 10
    with (
        SddcManagerEmulator() as emulator,
        bench.stack(OURS, emulator, **{"bench:count": str(tokens)}) as stack,
    ):
        stack.up()
        created = emulator.count()
        emulator.clear_log()
        stack.preview()
        bench.row(f"preview, {tokens} fresh tokens", str(emulator.count()), "floor 0")
        emulator.clear_log()
        stack.up()
        bench.row(f"up, {tokens} fresh tokens", str(emulator.count()), "floor 0")
        bench.row(f"up creating {tokens} tokens", str(created), f"floor {tokens}")
    with (
        SddcManagerEmulator(token_lifetime_seconds=120) as emulator,
        bench.stack(OURS, emulator, **{"bench:count": str(tokens), "bench:renew": "300"}) as stack,
    ):
        stack.up()
        emulator.clear_log()
        stack.up()
        bench.row(f"up after expiry, {tokens} tokens", str(emulator.count()), f"floor {tokens} (1 per token)")
    with SddcManagerEmulator() as emulator, bench.stack(OURS, emulator, **{"bench:count": "1"}) as stack:
        stack.up()
        bench.row("one refresh (create)", str(emulator.count()), "floor 1")


def import_overhead(bench: Bench) -> None:
    print("import time", flush=True)
    probe = (
        "import time, pulumi; t = time.perf_counter(); from vcf_provider import RefreshedAccessToken; "
        "print(time.perf_counter() - t)"
    )
    runs = 11 if bench.quick else 25
    samples = [
        float(
            subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(runs)
    ]
    bench.row(
        f"from vcf_provider import RefreshedAccessToken, after pulumi (median of {runs}, ms)",
        f"{median(samples) * 1000:.1f}",
        "target <= 30",
    )


def engine_times(bench: Bench) -> None:
    sizes = (1, 10) if bench.quick else (1, 10, 100)
    repeats = 1 if bench.quick else 3
    print(f"wall time, median of {repeats} run(s) (seconds)", flush=True)
    for count in sizes:
        results: dict[str, dict[str, list[float]]] = {"ours": {}, "floor": {}, "shaped": {}}
        for _ in range(repeats):
            for kind, source in (("ours", OURS), ("floor", FLOOR), ("shaped", SHAPED_FLOOR)):
                with (
                    SddcManagerEmulator() as emulator,
                    bench.stack(
                        source, emulator if kind == "ours" else None, **{"bench:count": str(count)}
                    ) as stack,
                ):
                    phases = results[kind]
                    phases.setdefault("preview", []).append(timed(stack.preview))
                    phases.setdefault("up (create)", []).append(timed(stack.up))
                    phases.setdefault("up (no change)", []).append(timed(stack.up))
                    phases.setdefault("destroy", []).append(timed(stack.destroy))
        for phase in ("preview", "up (create)", "up (no change)", "destroy"):
            ours, floor = median(results["ours"][phase]), median(results["floor"][phase])
            shaped = median(results["shaped"][phase])
            target = ""
            if count == 100 and phase == "preview":
                target = "target ratio <= 1.10"
            if count == 100 and phase == "up (create)":
                target = "target ratio <= 1.25"
            bench.row(
                f"N={count:<3} {phase:<15} ours / no-op floor",
                f"{ours:.2f} / {floor:.2f} = {ours / floor:.2f}",
                target,
            )
            bench.row(
                f"N={count:<3} {phase:<15} ours / same-shape no-op",
                f"{ours:.2f} / {shaped:.2f} = {ours / shaped:.2f}",
            )


def fleet_latency(bench: Bench) -> None:
    count = 20
    print(f"up creating {count} tokens with 100 ms emulator latency", flush=True)
    with (
        SddcManagerEmulator(latency_seconds=0.1) as emulator,
        bench.stack(OURS, emulator, **{"bench:count": str(count)}) as stack,
    ):
        wall = timed(stack.up)
        bench.row(
            f"N={count}, 100 ms per request: wall time (s)",
            f"{wall:.2f}",
            f"serial floor {count * 0.1:.1f} s",
        )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def plugin_times(bench: Bench) -> None:
    """Issue 28's floor for plugins: N tokens from a YAML program against a no-op plugin of the same
    shape, beside the dynamic resource and its same-shape no-op, all in one run, interleaved; and
    the real `vcf` plugin (bench.plugin) against the emulator once it exists."""
    count = PLUGIN_COUNT
    repeats = 1 if bench.quick else 3
    check_noop_plugin_shape()
    has_vcf_plugin = (bench.plugin / "PulumiPlugin.yaml").is_file()
    kinds: dict[str, tuple[str, bool, bool]] = {  # source, yaml, against the emulator
        "ours": (OURS, False, True),
        "shaped": (SHAPED_FLOOR, False, False),
        "noop plugin": (yaml_program("vcfnoop", NOOP_PLUGIN, count, SHAPED_PROPERTIES), True, False),
    }
    if has_vcf_plugin:
        kinds["vcf plugin"] = (yaml_program("vcf", bench.plugin, count, VCF_PROPERTIES), True, True)
    print(f"plugins: N={count}, wall time, median of {repeats} run(s) (seconds)", flush=True)
    load_before = load_average()
    started = time.monotonic()
    phases = ("preview", "up (create)", "up (no change)", "destroy")
    results: dict[str, dict[str, list[float]]] = {kind: {} for kind in kinds}
    requests: list[int] = []
    failed: dict[str, str] = {}
    for _ in range(repeats):
        for kind, (source, yaml, against_emulator) in kinds.items():
            if kind in failed:
                continue
            with SddcManagerEmulator() as emulator:
                sddc_manager = emulator if against_emulator else None
                scope = (
                    bench.yaml_stack(source, sddc_manager)
                    if yaml
                    else bench.stack(source, sddc_manager, **{"bench:count": str(count)})
                )
                with scope as stack:
                    try:
                        samples = results[kind]
                        samples.setdefault("preview", []).append(timed(stack.preview))
                        samples.setdefault("up (create)", []).append(timed(stack.up))
                        if kind == "vcf plugin":
                            requests.append(emulator.count())
                        samples.setdefault("up (no change)", []).append(timed(stack.up))
                        samples.setdefault("destroy", []).append(timed(stack.destroy))
                    except AssertionError as error:  # the plugin is being built: report, keep the floor
                        if kind != "vcf plugin":
                            raise
                        failed[kind] = first_error(str(error))
    bench.plugin_context = (
        f"{count} RefreshedAccessTokens per stack, median of {repeats} run(s), the kinds interleaved in each "
        f"run; {time.monotonic() - started:.0f} s, load average (1/5/15 min) {load_before} before and "
        f"{load_average()} after, on {os.cpu_count()} cores ({cpu_model()})."
    )

    def seconds(kind: str, phase: str) -> float:
        return median(results[kind][phase])

    def compare(phase: str, kind: str, label: str, other: str, other_label: str) -> None:
        mine, theirs = seconds(kind, phase), seconds(other, phase)
        runs = " / ".join(", ".join(f"{sample:.2f}" for sample in results[k][phase]) for k in (kind, other))
        bench.row(
            f"N={count} {phase:<15} {label} / {other_label}",
            f"{mine:.2f} / {theirs:.2f} = {mine / theirs:.2f}",
            runs,
            plugin=True,
        )

    for phase in phases:
        compare(phase, "noop plugin", "no-op plugin (YAML)", "shaped", "same-shape dynamic no-op")
        compare(phase, "ours", "ours (dynamic)", "noop plugin", "no-op plugin (YAML)")
    if not has_vcf_plugin:
        bench.row(
            "vcf plugin (YAML) against the emulator",
            "skipped",
            f"no {bench.plugin.name}/PulumiPlugin.yaml yet",
            plugin=True,
        )
        return
    if "vcf plugin" in failed:
        bench.row("vcf plugin (YAML) against the emulator", "failed", failed["vcf plugin"], plugin=True)
        return
    for phase in phases:
        compare(phase, "vcf plugin", "vcf plugin (YAML)", "noop plugin", "no-op plugin (YAML)")
        compare(phase, "vcf plugin", "vcf plugin (YAML)", "ours", "ours (dynamic)")
    bench.row(
        f"HTTP requests, vcf plugin up creating {count} tokens",
        str(max(requests)),
        f"floor {count}",
        plugin=True,
    )


def first_error(output: str) -> str:
    """The first `error:` line of a failed command's output (else its first line), for a table cell."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line.lower()]
    return (errors or lines or ["failed"])[0].replace("|", "/")[:200]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


RTT_SECONDS = 0.020
# One refresh the way the provider makes it: a new client per operation. Runs with the code under
# test first on sys.path, so a checkout of an earlier release measures that release's client.
SERIAL_PROBE = """
import sys, time
from vcf_provider.api.client import SddcManagerClient
from vcf_provider.api.settings import ConnectionSettings
url, ca, refresh_token, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
try:
    settings = ConnectionSettings(base_url=url, ca_bundle=ca)
except TypeError:  # 0.1.0: verify= took the CA path
    settings = ConnectionSettings(base_url=url, verify=ca)
with SddcManagerClient(settings) as client:
    client.refresh_access_token(refresh_token)  # the first connection is not part of the measure
started = time.perf_counter()
for _ in range(count):
    with SddcManagerClient(settings) as client:
        client.refresh_access_token(refresh_token)
print((time.perf_counter() - started) / count)
"""


def wan_latency(bench: Bench) -> None:
    """Issue 14's table: the emulator behind a 20 ms RTT link."""
    rtt_ms = RTT_SECONDS * 1000
    count = 20 if bench.quick else 100
    print(f"through a {rtt_ms:.0f} ms RTT link (latency proxy)", flush=True)
    env = dict(os.environ)
    if bench.code is not None:
        env["PYTHONPATH"] = str(bench.code)
    with SddcManagerEmulator() as emulator, LatencyProxy("127.0.0.1", emulator.port, RTT_SECONDS) as proxy:
        probe = [sys.executable, "-c", SERIAL_PROBE, proxy.url, str(emulator.ca_path)]
        serial = float(
            subprocess.run(
                [*probe, emulator.issue_refresh_token(), "50"],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=bench.scratch,  # not the checkout: `python -c` puts the working directory first
            ).stdout
        )
        bench.row(
            f"serial refresh at {rtt_ms:.0f} ms RTT (ms, mean of 50)",
            f"{serial * 1000:.1f}",
            f"target <= {1.2 * rtt_ms + 2:.0f} (1.2 RTT + 2 ms)",
        )
    phases = ("preview", "up (create)", "up (no change)")
    results: dict[str, dict[str, float]] = {}
    connections = 0
    for kind, source in (("ours", OURS), ("shaped", SHAPED_FLOOR)):
        with (
            SddcManagerEmulator() as emulator,
            LatencyProxy("127.0.0.1", emulator.port, RTT_SECONDS) as proxy,
            bench.stack(source, emulator, host=proxy.url, **{"bench:count": str(count)}) as stack,
        ):
            results[kind] = {
                phase: timed(action)
                for phase, action in zip(phases, (stack.preview, stack.up, stack.up), strict=True)
            }
            if kind == "ours":
                connections = emulator.connections_accepted
    bench.row(f"connections (TLS handshakes) for {count} creates in one up", str(connections), "target <= 4")
    ours, shaped = results["ours"], results["shaped"]
    network_floor = -(-count // 4) * RTT_SECONDS
    floor = shaped["up (create)"] + network_floor
    bench.row(
        f"N={count} up (create) / (same-shape no-op + {-(-count // 4)} x RTT)",
        f"{ours['up (create)']:.2f} / {floor:.2f} = {ours['up (create)'] / floor:.2f}",
        "target <= 1.15",
    )
    for phase in ("preview", "up (no change)"):
        bench.row(
            f"N={count} {phase} / same-shape no-op",
            f"{ours[phase]:.2f} / {shaped[phase]:.2f} = {ours[phase] / shaped[phase]:.2f}",
            "target <= 1.10",
        )


def sections(text: str) -> tuple[str, dict[str, str]]:
    """RESULTS.md as its head (the generated table) and its `## ` sections by heading, in order."""
    head, *rest = text.split("\n## ")
    found: dict[str, str] = {}
    for section in rest:
        heading = "## " + section.split("\n", 1)[0]
        found[heading] = "## " + section.rstrip("\n") + "\n"
    return head.rstrip("\n") + "\n", found


def table(rows: list[tuple[str, str, str]], third: str = "target / floor") -> list[str]:
    return [
        f"| measure | value | {third} |",
        "|---|---|---|",
        *[f"| {what.strip()} | {value} | {target} |" for what, value, target in rows],
    ]


def write_results(bench: Bench, started: float, main_table: bool) -> None:
    """Rewrites the main table (when it ran) and the plugin section (when it ran); keeps the rest."""
    versions = subprocess.run([bench.pulumi, "version"], capture_output=True, text=True).stdout.strip()
    from importlib.metadata import version

    import requests

    from vcf_provider import __version__

    head, kept = sections(RESULTS.read_text()) if RESULTS.is_file() else ("# Benchmark results\n", {})
    command = "make bench QUICK=1" if bench.quick else "make bench"
    context = (
        f"on {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Pulumi CLI {versions}, pulumi SDK {version('pulumi')}, requests {requests.__version__}, "
        f"vcf-provider {__version__} ({code_description(bench)})"
    )
    if main_table:
        lines = [
            "# Benchmark results",
            "",
            f"`{command}` {context}; took {time.monotonic() - started:.0f} s.",
            "",
            *table(bench.rows),
        ]
        head = "\n".join(lines) + "\n"
    if bench.plugin_rows:
        plugin_command = (
            command
            if main_table
            else "tests/benchmarks/run.py --plugins-only" + (" --quick" if bench.quick else "")
        )
        lines = [
            PLUGIN_SECTION,
            "",
            f"`{plugin_command}` {context}, pulumi-language-yaml {yaml_host_version(bench)}. "
            f"{bench.plugin_context}",
            "",
            "The no-op plugin is `tests/benchmarks/noop_plugin` (a source-based Python plugin on "
            "`pulumi.provider.experimental`, run by our Python language host, serving "
            "RefreshedAccessToken's inputs and outputs with no network work), declared from a YAML "
            "program's `packages:`; the same-shape dynamic no-op is `Shaped` in `tests/benchmarks/noop.py`. "
            "The `vcf` plugin rows appear once `plugin/PulumiPlugin.yaml` exists (or with `--plugin PATH`).",
            "",
            *table(bench.plugin_rows, "each run (s): the first / the second, or a note"),
        ]
        kept[PLUGIN_SECTION] = "\n".join(lines) + "\n"  # in its place, else last
    RESULTS.write_text("\n".join([head, *kept.values()]))
    print(f"\nwritten to {RESULTS.relative_to(REPO_ROOT)}")


def code_description(bench: Bench) -> str:
    """Which vcf_provider the stacks ran: the --code checkout, or this one's commit (dirty or not)."""
    if bench.code is not None:
        return f"the code at {bench.code}"
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    return f"this checkout at {done.stdout.strip() or 'an unknown commit'}"


def yaml_host_version(bench: Bench) -> str:
    """The YAML language host's pulumi-yaml version, from the module line Go builds into the binary."""
    found = shutil.which("pulumi-language-yaml")
    host = Path(found) if found else Path(bench.pulumi).parent / "pulumi-language-yaml"
    try:
        match = re.search(rb"mod\tgithub\.com/pulumi/pulumi-yaml\t(v[^\t\n]+)", host.read_bytes())
    except OSError:
        return "not found"
    return match.group(1).decode() if match else "of unknown version"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="N = 1, 10 and one run each; the plugin table's N = 100 once (about 3 minutes)",
    )
    parser.add_argument(
        "--wan-only", action="store_true", help="only the 20 ms RTT table; prints, writes nothing"
    )
    parser.add_argument(
        "--plugins-only",
        action="store_true",
        help=f"only the N={PLUGIN_COUNT} plugin table; rewrites its section of RESULTS.md, keeps the rest",
    )
    parser.add_argument(
        "--code", type=Path, help="run the stacks with this checkout's vcf_provider (before/after)"
    )
    parser.add_argument(
        "--plugin",
        type=Path,
        default=VCF_PLUGIN,
        help="the vcf plugin folder (PulumiPlugin.yaml) to measure against the emulator (default: plugin/)",
    )
    args = parser.parse_args()
    os.environ["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    bench = Bench(args.quick, args.code, args.plugin.resolve())
    started = time.monotonic()
    main_table = not args.wan_only and not args.plugins_only
    try:
        if main_table:
            provider_sizes(bench)
            request_counts(bench)
            import_overhead(bench)
            engine_times(bench)
            fleet_latency(bench)
        if not args.wan_only:
            plugin_times(bench)
        if not args.plugins_only:
            wan_latency(bench)
    finally:
        shutil.rmtree(bench.scratch, ignore_errors=True)
    if not args.wan_only:
        write_results(bench, started, main_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
