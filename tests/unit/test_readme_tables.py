"""The README's input tables say what the resource models say: names, config, env, default, secrecy, diff."""

from __future__ import annotations

import re

import pytest

from tests.support.checkout import CHECKOUT, needs_checkout
from vcf_provider.api.properties import Property
from vcf_provider.resources.model import RESOURCES, ResourceModel

README = CHECKOUT / "README.md"
pytestmark = needs_checkout


def _default(prop: Property) -> str:
    if prop.default is None or prop.default is False:
        return ""
    return f"{prop.default:g}" if isinstance(prop.default, float) else str(prop.default)


def expected_table(model: ResourceModel) -> str:
    """The table as the model gives it; regenerate README's with `python -m tests.unit.test_readme_tables`."""
    rows = [
        f"<!-- inputs of {model.name}: generated from vcf_provider/resources/model.py -->",
        "| input | stack config | environment | default | secret | a change |",
        "|---|---|---|---|---|---|",
    ]
    for field in model.inputs:
        prop = field.prop
        rows.append(
            f"| `{prop.name}` | {f'`{prop.config}`' if prop.config else ''} "
            f"| {f'`{prop.env_var}`' if prop.env_var else ''} | {_default(prop)} "
            f"| {'yes' if prop.secret else ''} | {'replaces' if field.replaces else 'updates'} |"
        )
    return "\n".join(rows)


def readme_table(model: ResourceModel) -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- inputs of {model.name}: .*?-->\n(?:\|.*\|\n)+", text)
    assert found, f"README.md has no inputs table for {model.name}: paste expected_table's output"
    return found.group(0).rstrip("\n")


@pytest.mark.parametrize("model", RESOURCES, ids=lambda model: model.name)
def test_the_readme_inputs_table_matches_the_model(model: ResourceModel) -> None:
    assert readme_table(model) == expected_table(model)


if __name__ == "__main__":
    for resource in RESOURCES:
        print(expected_table(resource), end="\n\n")
