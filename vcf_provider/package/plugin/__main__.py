"""Starts the `vcf` provider plugin with the vcf-provider installed in the Python that runs this folder."""

from __future__ import annotations

import sys

from vcf_provider.package.__main__ import run

run(sys.argv[1:])
