"""The `vcf` provider plugin folder inside the installed package (`python -m vcf_provider.package --path`)."""

from pathlib import Path

PLUGIN_DIRECTORY = Path(__file__).resolve().parent
"""The folder with PulumiPlugin.yaml, for `packages: vcf:` or `pulumi package add`."""
