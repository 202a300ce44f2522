"""The package's shape: data flows one way, no module imports one above it, and the auth stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import vcf_provider

PACKAGE = Path(vcf_provider.__file__).resolve().parent  # the checkout's, or an installed wheel's


def imports_of_the_package() -> dict[str, set[str]]:
    """Each module's imports of other vcf_provider modules, at any depth (lazy ones included)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vcf_provider"):
                if node.module == "vcf_provider":
                    deps.update(f"vcf_provider.{alias.name}" for alias in node.names)
                else:
                    deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("vcf_provider."))
        found[name] = deps - {name}
    return found


def test_no_module_of_the_package_is_part_of_an_import_circle() -> None:
    graph = imports_of_the_package()
    circles = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in graph.get(node, ()):
            if nxt == start:
                circles.append(" -> ".join([*path, nxt]))
            elif nxt not in path and nxt in graph:
                walk(start, nxt, [*path, nxt])

    for module in graph:
        walk(module, module, [module])
    assert circles == []


def test_settings_is_a_leaf() -> None:
    assert imports_of_the_package()["vcf_provider.api.settings"] == set()


def test_the_auth_and_task_waiting_load_no_pulumi_and_no_grpc() -> None:
    probe = (
        "import sys, vcf_provider.downstream.auth, vcf_provider.downstream.tasks; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'grpc', 'pulumi_policy'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    assert loaded.stdout.strip() == "[]"
