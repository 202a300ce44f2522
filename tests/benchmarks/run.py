"""`make bench`: what the provider costs users, measured against the engine's own floor.

Prints one table and writes it to tests/benchmarks/RESULTS.md. `--quick` runs a smaller matrix.
Numbers are measured here and reported, never asserted.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.benchmarks.latency_proxy import LatencyProxy  # noqa: E402
from tests.support.engine import PulumiStack, find_pulumi  # noqa: E402
from vcf_provider.testing import SddcManagerEmulator  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
TOKEN_TYPE = "pulumi-python:dynamic/vcf:RefreshedAccessToken"

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


def median(samples: list[float]) -> float:
    return statistics.median(samples)


class Bench:
    """Shared state for one benchmark run: the CLI, a scratch dir, the result rows."""

    def __init__(self, quick: bool, code: Path | None = None) -> None:
        self.code = code
        """Another checkout whose vcf_provider the stacks run (for a before/after comparison)."""
        pulumi = find_pulumi()
        if pulumi is None:
            raise SystemExit("no pulumi CLI: run `make setup` first")
        self.pulumi = pulumi
        self.quick = quick
        self.scratch = Path(tempfile.mkdtemp(prefix="vcf-bench-"))
        self.rows: list[tuple[str, str, str]] = []
        self.counter = 0

    def row(self, what: str, value: str, target: str = "") -> None:
        self.rows.append((what, value, target))
        print(f"  {what:<58} {value:>16}  {target}", flush=True)

    @contextmanager
    def stack(
        self, source: str, emulator: SddcManagerEmulator | None = None, host: str | None = None, **config: str
    ) -> Iterator[PulumiStack]:
        self.counter += 1
        base = self.scratch / f"stack-{self.counter}"
        stack = PulumiStack(self.pulumi, base / "project", base / "state", base / "home")
        if self.code is not None:
            stack.extra_env["PYTHONPATH"] = os.pathsep.join([str(self.code), str(REPO_ROOT)])
        for directory in (stack.work_dir, stack.state_dir, stack.home_dir):
            directory.mkdir(parents=True)
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


RTT_SECONDS = 0.020
# One refresh the way the provider makes it: a new client per operation. Runs with the code under
# test first on sys.path, so a checkout of an earlier release measures that release's client.
SERIAL_PROBE = """
import sys, time
from vcf_provider.api.client import ConnectionSettings, SddcManagerClient
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


def write_results(bench: Bench, started: float) -> None:
    versions = subprocess.run([bench.pulumi, "version"], capture_output=True, text=True).stdout.strip()
    from importlib.metadata import version

    import requests

    from vcf_provider import __version__

    command = "make bench QUICK=1" if bench.quick else "make bench"
    lines = [
        "# Benchmark results",
        "",
        f"`{command}` on {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Pulumi CLI {versions}, pulumi SDK {version('pulumi')}, requests {requests.__version__}, "
        f"vcf-provider {__version__}; took {time.monotonic() - started:.0f} s.",
        "",
        "| measure | value | target / floor |",
        "|---|---|---|",
        *[f"| {what.strip()} | {value} | {target} |" for what, value, target in bench.rows],
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print(f"\nwritten to {RESULTS.relative_to(REPO_ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="N = 1, 10 and one run each (under 3 minutes)")
    parser.add_argument(
        "--wan-only", action="store_true", help="only the 20 ms RTT table; prints, writes nothing"
    )
    parser.add_argument(
        "--code", type=Path, help="run the stacks with this checkout's vcf_provider (before/after)"
    )
    args = parser.parse_args()
    os.environ["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    bench = Bench(args.quick, args.code)
    started = time.monotonic()
    try:
        if not args.wan_only:
            provider_sizes(bench)
            request_counts(bench)
            import_overhead(bench)
            engine_times(bench)
            fleet_latency(bench)
        wan_latency(bench)
    finally:
        shutil.rmtree(bench.scratch, ignore_errors=True)
    if not args.wan_only:
        write_results(bench, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
