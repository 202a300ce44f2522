"""The package's shape: data flows one way, no module imports one above it, and the auth stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import vcf_provider

PACKAGE = Path(vcf_provider.__file__).resolve().parent  # the checkout's, or an installed wheel's


def module_names() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imports_of_the_package() -> dict[str, set[str]]:
    """Each module's imports of other vcf_provider modules, at any depth (lazy ones included);
    `from vcf_provider.api import settings` counts as an import of `vcf_provider.api.settings`."""
    modules = module_names()
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vcf_provider"):
                submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
                deps.update(submodules or {node.module})
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("vcf_provider."))
        found[name] = deps - {name}
    return found


#: The layers, lowest first: a module may import its own layer and those below, never one above.
#: Data flows one way: the resources call the client, the client calls the server.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("leaves", ("vcf_provider._version", "vcf_provider.imports")),
    ("api: talking to SDDC Manager", ("vcf_provider.api",)),
    ("engine: hooks into the Pulumi host process", ("vcf_provider.engine",)),
    ("downstream: auth and task waiting for users' code", ("vcf_provider.downstream",)),
    (
        "resources: the Pulumi side",
        ("vcf_provider.resources", "vcf_provider.provider", "vcf_provider.pair_provider"),
    ),
    ("package and policy", ("vcf_provider.package", "vcf_provider.policy")),
    ("the public API", ("vcf_provider",)),
)


def layer_of(module: str) -> int | None:
    """The index of `module`'s layer (the longest prefix wins); None for the emulator."""
    best: tuple[int, int] | None = None
    for index, (_title, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if module.startswith("vcf_provider.testing") else (best[1] if best else None)


def test_every_module_has_a_layer() -> None:
    assert [
        m for m in sorted(module_names()) if layer_of(m) is None and not m.startswith("vcf_provider.testing")
    ] == []


def test_no_module_imports_one_from_a_layer_above_it() -> None:
    upward = [
        f"{module} ({LAYERS[layer_of(module) or 0][0]}) imports {dep} ({LAYERS[layer_of(dep) or 0][0]})"
        for module, deps in imports_of_the_package().items()
        if layer_of(module) is not None
        for dep in sorted(deps)
        if dep != "vcf_provider" and (layer_of(dep) or 0) > (layer_of(module) or 0)
    ]
    assert upward == []


def test_the_layer_check_catches_an_upward_import() -> None:
    # The check itself: an api module importing a resource would be reported.
    assert (layer_of("vcf_provider.resources.model") or 0) > (layer_of("vcf_provider.api.client") or 0)
    assert layer_of("vcf_provider.provider") == layer_of("vcf_provider.resources.inputs")


def test_the_emulator_imports_nothing_of_the_package_outside_it() -> None:
    outside = {
        module: sorted(dep for dep in deps if not dep.startswith("vcf_provider.testing"))
        for module, deps in imports_of_the_package().items()
        if module.startswith("vcf_provider.testing")
    }
    assert {module: deps for module, deps in outside.items() if deps} == {}


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


def test_the_properties_are_a_leaf_and_settings_read_only_them() -> None:
    graph = imports_of_the_package()
    assert graph["vcf_provider.api.properties"] == set()
    assert graph["vcf_provider.api.settings"] == {"vcf_provider.api.properties"}


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("vcf_provider.provider", "RefreshedAccessTokenProvider"),
        ("vcf_provider.pair_provider", "AccessTokenPairProvider"),
    ],
)
def test_each_provider_is_defined_where_stacks_pickled_it(module: str, name: str) -> None:
    import importlib
    import pickle

    cls = getattr(importlib.import_module(module), name)
    # Every stack's state holds the provider pickled under this exact module and class name.
    assert (cls.__module__, cls.__qualname__) == (module, name)
    assert pickle.dumps(cls, protocol=0).startswith(f"c{module}\n{name}\n".encode())
    # As the SDK serializes a provider into state (dill, by reference to its module).
    import dill

    serialized = dill.dumps(cls(), protocol=pickle.DEFAULT_PROTOCOL, recurse=True)
    assert module.encode() in serialized
    assert name.encode() in serialized
    assert type(dill.loads(serialized)) is cls  # noqa: S301 - our own bytes


def test_the_auth_and_task_waiting_load_no_pulumi_and_no_grpc() -> None:
    probe = (
        "import sys, vcf_provider.downstream.auth, vcf_provider.downstream.tasks; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'grpc', 'pulumi_policy'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    assert loaded.stdout.strip() == "[]"
