"""The plugin process: the SDK's experimental gRPC servicer around `VcfProvider`, plain errors, warnings.

The SDK's `ProviderServicer` reports any exception as its message plus a stack listing. Our own
errors (`VcfProviderError`) are deliberate and complete, so they leave as their message alone, the
way the dynamic providers' do (`vcf_provider.engine.plain_errors`); a bug keeps the SDK's form.
Warnings go to the engine's `Log` with the resource's URN, so they show under the resource.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc  # type: ignore[import-untyped]  # grpcio ships no type hints
import grpc.aio  # type: ignore[import-untyped]
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc

from vcf_provider._version import __version__
from vcf_provider.engine.plain_errors import with_urn

#: The gRPC calls whose errors leave as our message alone.
PLAIN_CALLS = (
    "CheckConfig",
    "DiffConfig",
    "Configure",
    "Check",
    "Diff",
    "Create",
    "Read",
    "Update",
    "Delete",
)
#: As the SDK allows: large schemas and states (ours are small, but a user's triggers may not be).
_MAX_MESSAGE_BYTES = 400 * 1024 * 1024
_ENGINE_ADDRESS = re.compile(r"^(\[[0-9a-fA-F:]+\]|[\w.-]+):\d+$")


def ours(error: BaseException) -> BaseException | None:
    """The `VcfProviderError` that `error` is or was raised while handling (the SDK re-raises ours
    as a new exception with the stack in its text), else None."""
    from vcf_provider.api.errors import VcfProviderError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, VcfProviderError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _plain(name: str) -> Callable[..., Awaitable[Any]]:
    async def call(self: ProviderServicer, request: Any, context: Any) -> Any:
        try:
            return await getattr(super(PlainErrorsServicer, self), name)(request, context)
        except Exception as error:
            original = ours(error)
            if original is None:
                raise
            await context.abort(grpc.StatusCode.UNKNOWN, with_urn(str(original), getattr(request, "urn", "")))

    call.__name__ = name
    return call


class PlainErrorsServicer(ProviderServicer):
    """`ProviderServicer`, except that our own errors reach the engine as their message alone."""


for _name in PLAIN_CALLS:
    setattr(PlainErrorsServicer, _name, _plain(_name))


class EngineLog:
    """Warnings to the engine, attached to a resource (`pulumi.log.warn(resource=...)` for a provider)."""

    def __init__(self, engine_address: str) -> None:
        self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(engine_address))

    def warn(self, urn: str, message: str) -> None:
        request = engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=urn)
        try:
            self._stub.Log(request, timeout=10)
        except grpc.RpcError:  # a warning that cannot be shown must not fail the operation
            return


def engine_address(args: list[str]) -> str:
    """The engine's `host:port` among the plugin's arguments (language hosts differ in what else
    they pass: the plugin's directory, `--logtostderr`, `-v=9`)."""
    found = [arg for arg in args if _ENGINE_ADDRESS.match(arg)]
    if not found:
        raise SystemExit(f"usage: vcf provider plugin ENGINE_ADDRESS (got {args!r})")
    return found[-1]


async def serve(args: list[str]) -> None:
    """Serves the provider until the engine ends the process; prints the port first, as plugins must."""
    from vcf_provider.package.provider import VcfProvider

    address = engine_address(args)
    provider = VcfProvider(EngineLog(address).warn)
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES)])
    servicer = PlainErrorsServicer(args, __version__, provider, engine_address=address)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await server.wait_for_termination()


def main(args: list[str] | None = None) -> None:
    """The plugin's entry point (`plugin/__main__.py`, `python -m vcf_provider.package`)."""
    import asyncio

    from vcf_provider.api import deadline

    deadline.watch_process_exit()
    with contextlib.suppress(KeyboardInterrupt):  # the engine stops plugins with SIGINT
        asyncio.run(serve(sys.argv[1:] if args is None else args))
