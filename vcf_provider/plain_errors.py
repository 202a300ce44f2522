"""Our errors reach the engine as their message alone; anything else keeps its traceback.

The Python SDK's dynamic provider host (`python -m pulumi.dynamic`, SDK 3.x) reports every
exception with `traceback.format_exc()`, so a deliberate, well-worded error arrived behind 17 lines
of traceback and the progress line read `Traceback (most recent call last):`. The least fragile
hook is that one name: the host module's global `traceback` is replaced by a stand-in whose
`format_exc` returns `str(error)` for a `VcfProviderError` and defers to the real function for
everything else (a bug keeps its traceback). When a future SDK is laid out differently the hook is
not installed and output stays as the SDK makes it; tests/engine pin the behaviour.
"""

from __future__ import annotations

import sys
import threading
import traceback
from types import ModuleType
from typing import Any

_installed = False
_lock = threading.Lock()


class _TracebackWithPlainErrors:
    """The `traceback` module, except that our own errors format as their message."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        from vcf_provider.errors import VcfProviderError

        error = sys.exc_info()[1]
        if isinstance(error, VcfProviderError):
            return str(error)
        return traceback.format_exc(limit, chain)


def _provider_host() -> ModuleType | None:
    for name in ("__main__", "pulumi.dynamic.__main__"):
        module = sys.modules.get(name)
        if module is None:
            continue
        looks_right = hasattr(module, "DynamicResourceProviderServicer") and hasattr(
            module, "_abort_with_traceback"
        )
        if looks_right and getattr(module, "traceback", None) is traceback:
            return module
    return None


def install() -> bool:
    """Installs the hook in the dynamic provider host; True when it is (or already was) in place."""
    global _installed
    with _lock:
        if _installed:
            return True
        host = _provider_host()
        if host is None:
            return False
        host.traceback = _TracebackWithPlainErrors()  # type: ignore[attr-defined]
        _installed = True
        return True
