"""The plugin folder `pulumi package add` points at, and the YAML example that uses it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.support.checkout import CHECKOUT as REPO
from tests.support.checkout import needs_checkout
from vcf_provider.package.schema import package_schema

pytestmark = needs_checkout
PLUGIN = REPO / "plugin"


def test_the_plugin_is_a_python_plugin_on_the_checkouts_virtualenv() -> None:
    manifest = yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text())

    assert manifest["runtime"]["name"] == "python"
    assert manifest["runtime"]["options"]["virtualenv"] == "../.venv"
    assert (PLUGIN / "__main__.py").is_file()


def test_the_plugins_requirements_are_the_packages_dependencies() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the other Pythons check the rest
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (PLUGIN / "requirements.txt").read_text().splitlines()

    assert [line for line in lines if line and not line.startswith("#")] == declared


def test_the_plugins_entry_point_prints_the_schema_from_the_checkout() -> None:
    printed = subprocess.run(
        [sys.executable, str(PLUGIN), "--schema"], capture_output=True, text=True, check=True, timeout=60
    )

    assert yaml.safe_load(printed.stdout) == package_schema()


def test_the_yaml_example_uses_the_plugin_and_only_types_it_serves() -> None:
    program = yaml.safe_load((REPO / "examples" / "yaml" / "Pulumi.yaml").read_text())

    assert program["runtime"] == "yaml"
    assert (REPO / "examples" / "yaml" / program["packages"]["vcf"]).resolve() == PLUGIN
    types = {resource["type"] for resource in program["resources"].values()}
    assert types == set(package_schema()["resources"])
