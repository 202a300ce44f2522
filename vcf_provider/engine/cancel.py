"""The engine's Cancel (the first Ctrl-C, or SIGTERM from a CI runner) ends in-flight requests at once.

On the first interrupt the Pulumi CLI asks for a graceful stop: the engine sends every provider
plugin a `Cancel` RPC and waits for the operations in flight. The Python SDK's dynamic provider
host answers `Cancel` and does nothing else, so a refresh stuck on a silent manager held the CLI
until the attempt's deadline (up to 2 min 4 s with the defaults). This hook makes `Cancel` set the
process's cancel signal (`vcf_provider.api.deadline`): every in-flight attempt, retry pause, task
poll and pause in this process ends within a quarter second with "... was cancelled: the provider
was stopped (the CLI was interrupted)". A login already sent is the exception: its answer is
awaited, and a pair it created is revoked before the cancel is reported. When a future SDK is laid out
differently the hook is not installed (a debug line says so) and the deadline still bounds the wait;
`tests/unit/test_upstream_canaries.py` notices first.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from vcf_provider.engine import plain_errors

logger = logging.getLogger(__name__)
_installed = False
_lock = threading.Lock()


def _cancel(self: Any, request: Any, context: Any) -> Any:  # pragma: no cover - runs as the host's code
    """The host's `Cancel`, with our stop added. Its code replaces the original function's own,
    so it runs with the host module's globals (`empty_pb2` is the host's import)."""
    import vcf_provider.api.deadline

    vcf_provider.api.deadline.cancel_everything()
    return empty_pb2.Empty()  # type: ignore[name-defined]  # noqa: F821


def install() -> bool:
    """Hooks `Cancel` of the dynamic provider host; True when it is (or already was) in place.

    gRPC registered the host's bound method when the server started, so replacing the class
    attribute would change nothing: the function's code is swapped instead, in place.
    """
    global _installed
    with _lock:
        if _installed:
            return True
        from vcf_provider.api import deadline

        deadline.watch_process_exit()
        host = plain_errors.provider_host()
        servicer = getattr(host, "DynamicResourceProviderServicer", None)
        original = getattr(servicer, "Cancel", None)
        code = getattr(original, "__code__", None)
        usable = (
            code is not None
            and code.co_freevars == ()
            and code.co_varnames[:3] == ("self", "request", "context")
            and "empty_pb2" in getattr(original, "__globals__", {})
        )
        if not usable:
            logger.debug("cancel: the dynamic provider host's Cancel is not as expected; not hooked")
            return False
        original.__code__ = _cancel.__code__  # type: ignore[union-attr]
        _installed = True
        return True
