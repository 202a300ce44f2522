"""SDDC Manager (VMware Cloud Foundation) API access tokens as Pulumi resources."""

from vcf_provider._version import __version__

__all__ = ["__version__"]
