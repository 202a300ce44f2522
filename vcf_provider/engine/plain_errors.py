"""Our errors reach the engine as their message alone; anything else keeps its traceback.

The Python SDK's dynamic provider host (`python -m pulumi.dynamic`, SDK 3.x) reports every
exception with `traceback.format_exc()`, so a deliberate, well-worded error arrived behind 17 lines
of traceback and the progress line read `Traceback (most recent call last):`. The least fragile
hook is that one name: the host module's global `traceback` is replaced by a stand-in whose
`format_exc` returns `str(error)` for a `VcfProviderError` and defers to the real function for
everything else (a bug keeps its traceback). When a future SDK is laid out differently the hook is
not installed and output stays as the SDK makes it; tests/engine pin the behaviour.

A message may hold `STATE_DELETE`, which says how to forget a resource without naming it; the
hook replaces it with the exact command for the resource whose operation failed, its URN read from
the host's gRPC request (the provider methods themselves are never given it). Without the hook the
message stays as written: readable, and never a literal placeholder.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import ModuleType
from typing import Any

#: How an error tells to forget the failing resource; the hook swaps in the command with its URN.
STATE_DELETE = "`pulumi state delete` with the pair's URN (`pulumi stack --show-urns` lists the URNs)"
logger = logging.getLogger(__name__)

_installed = False
_lock = threading.Lock()


class _TracebackWithPlainErrors:
    """The `traceback` module, except that our own errors format as their message."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        from vcf_provider.api.errors import VcfProviderError

        error = sys.exc_info()[1]
        if isinstance(error, VcfProviderError):
            return with_urn(str(error), _request_urn(error))
        return traceback.format_exc(limit, chain)


def with_urn(message: str, urn: str | None) -> str:
    """`message` with `STATE_DELETE` made the exact command for `urn` (unchanged without one)."""
    if urn and STATE_DELETE in message:
        return message.replace(STATE_DELETE, f"`pulumi state delete '{urn}'`")
    return message


def _request_urn(error: BaseException) -> str | None:
    """The `urn` of the gRPC request being served where `error` was raised, if any frame has one."""
    frame_tb = error.__traceback__
    while frame_tb is not None:
        request = frame_tb.tb_frame.f_locals.get("request")
        urn = getattr(request, "urn", None)
        if isinstance(urn, str) and urn.startswith("urn:pulumi:"):
            return urn
        frame_tb = frame_tb.tb_next
    return None


def provider_host() -> ModuleType | None:
    """The running dynamic provider host module (`python -m pulumi.dynamic`), when recognised."""
    for name in ("__main__", "pulumi.dynamic.__main__"):
        module = sys.modules.get(name)
        if module is None:
            continue
        looks_right = hasattr(module, "DynamicResourceProviderServicer") and hasattr(
            module, "_abort_with_traceback"
        )
        if looks_right:
            return module
    return None


def install() -> bool:
    """Installs the hook in the dynamic provider host; True when it is (or already was) in place."""
    global _installed
    with _lock:
        if _installed:
            return True
        host = provider_host()
        if host is None or getattr(host, "traceback", None) is not traceback:
            # A pulumi release laid out differently: errors keep the SDK's traceback, nothing breaks.
            logger.debug("plain_errors: the dynamic provider host was not recognised; not installed")
            return False
        host.traceback = _TracebackWithPlainErrors()  # type: ignore[attr-defined]
        _installed = True
        return True
