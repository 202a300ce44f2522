"""`python -m vcf_provider.package ENGINE_ADDRESS` serves the plugin; `--schema` prints the schema;
`--path` prints the plugin folder inside the installed package (for `packages: vcf:` in Pulumi.yaml)."""

from __future__ import annotations

import json
import sys


def run(args: list[str]) -> None:
    """Prints the schema for `--schema`, the plugin folder for `--path`, else serves the provider to
    the engine at `args`."""
    if args[:1] == ["--path"]:
        from vcf_provider.package.plugin import PLUGIN_DIRECTORY

        print(PLUGIN_DIRECTORY)
        return
    if args[:1] == ["--schema"]:
        from vcf_provider.package.schema import package_schema

        print(json.dumps(package_schema(), indent=2))
        return
    from vcf_provider.package.server import main

    main(args)


if __name__ == "__main__":
    run(sys.argv[1:])
