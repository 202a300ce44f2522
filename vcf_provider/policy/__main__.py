"""Serves the policy pack to the Pulumi engine; with --path, prints the directory for --policy-pack."""

from __future__ import annotations

import argparse
import sys

USAGE = """\
The engine runs this pack itself: pass its directory to `pulumi preview` or `pulumi up`:

    pulumi preview --policy-pack "$(python -m vcf_provider.policy --path)"

Run by hand with no option, the pack serves the engine's analyzer protocol on a port it prints, until
the engine stops it; that is what the engine does, not something to do in a terminal.
"""


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line: `--path`, `--help`, or the engine's address (which the engine passes)."""
    parser = argparse.ArgumentParser(
        prog="python -m vcf_provider.policy",
        description="The vcf-provider policy pack (pulumi-policy).",
        epilog=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--path", action="store_true", help="print the pack's directory, to pass to --policy-pack, and exit"
    )
    parser.add_argument("engine", nargs="?", help="the engine's address (host:port); the engine passes it")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Prints the directory, or serves the pack until the engine stops it."""
    if parse(argv).path:
        from vcf_provider.policy import PACK_DIRECTORY

        print(PACK_DIRECTORY)
        return 0
    from pulumi_policy import EnforcementLevel, PolicyPack

    from vcf_provider.policy.policies import ALL_POLICIES

    PolicyPack(
        name="vcf-provider-policies",
        enforcement_level=EnforcementLevel.MANDATORY,
        policies=ALL_POLICIES,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
