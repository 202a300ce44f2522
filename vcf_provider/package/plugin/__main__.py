"""Starts the `vcf` provider plugin with the vcf-provider installed in the Python that runs this folder."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from vcf_provider.package.__main__ import run
except ImportError as error:
    # This folder sits inside an installed vcf-provider, but the language host started another Python.
    sys.exit(
        f"the vcf plugin at {Path(__file__).resolve().parent} needs vcf-provider in the Python that runs "
        f"it, and {sys.executable} cannot import it ({error}). The plugin names no virtualenv: put the "
        "python of the environment vcf-provider is installed in first on PATH as python3 (activate "
        "that virtualenv), or set PULUMI_PYTHON_CMD to it."
    )

run(sys.argv[1:])
