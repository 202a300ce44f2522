"""Starts the `vcf` provider plugin: the checkout's own `vcf_provider` first, else an installed one."""

from __future__ import annotations

import sys
from pathlib import Path

# A clone's plugin serves the code beside it, even from a virtualenv that has only the
# dependencies (requirements.txt) or another release of vcf-provider installed.
_CHECKOUT = Path(__file__).resolve().parent.parent
if (_CHECKOUT / "vcf_provider" / "__init__.py").is_file():
    sys.path.insert(0, str(_CHECKOUT))

from vcf_provider.package.__main__ import run  # noqa: E402 - after the path is set

run(sys.argv[1:])
