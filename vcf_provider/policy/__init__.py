"""The vcf-provider policy pack: `pulumi preview --policy-pack "$(python -m vcf_provider.policy --path)"`."""

from pathlib import Path

PACK_DIRECTORY = Path(__file__).resolve().parent
"""The directory to pass to `--policy-pack`."""
