"""First imports of the HTTP stack, one thread at a time (the provider process serves many at once)."""

from __future__ import annotations

import importlib
import threading
from types import ModuleType

#: What a provider process needs to talk to SDDC Manager; `requests` is imported by SddcManagerAuth
#: and, for proxy settings, by the transport.
HTTP_STACK = ("requests", "requests.utils", "vcf_provider.api.client", "vcf_provider.api.errors")

_LOCK = threading.RLock()


def import_serially(name: str) -> ModuleType:
    """`importlib.import_module`, with every first import through here taken one thread at a time.

    Two threads importing modules that import each other (requests' `utils` and its package do)
    can each be handed the other's half-initialized module: `ImportError: cannot import name ...
    from partially initialized module`. The engine calls a provider from several threads at once,
    so a provider process imports the HTTP stack here before any thread needs it.
    """
    with _LOCK:
        return importlib.import_module(name)


def preload_http_stack() -> None:
    """Imports HTTP_STACK (once; later calls find everything loaded)."""
    for name in HTTP_STACK:
        import_serially(name)
