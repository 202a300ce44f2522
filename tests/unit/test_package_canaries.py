"""Canaries for the experimental Python provider API the package is built on (`pulumi.provider.experimental`).

It is undocumented and may change in any release. Each test names what changed upstream, so an
SDK upgrade breaks here in a second, not in a user's `pulumi up`.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental import server
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime import proto
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from vcf_provider.api.errors import VcfProviderError
from vcf_provider.package.server import PLAIN_CALLS, PlainErrorsServicer

#: Each response type and the keyword arguments `vcf_provider.package.provider` passes it.
RESPONSES: dict[type, tuple[str, ...]] = {
    rpc.CheckResponse: ("inputs", "failures"),
    rpc.DiffResponse: ("changes", "replaces", "delete_before_replace", "diffs", "detailed_diff"),
    rpc.PropertyDiff: ("kind", "input_diff"),
    rpc.CreateResponse: ("resource_id", "properties"),
    rpc.ReadResponse: ("resource_id", "properties", "inputs"),
    rpc.UpdateResponse: ("properties",),
    rpc.ConfigureResponse: ("accept_secrets", "supports_preview"),
    rpc.GetSchemaResponse: ("schema",),
    rpc.CheckFailure: ("property", "reason"),
}
#: Each request type and the attributes the provider reads.
REQUESTS: dict[type, tuple[str, ...]] = {
    rpc.CheckRequest: ("urn", "old_inputs", "new_inputs"),
    rpc.DiffRequest: ("urn", "resource_id", "old_state", "new_inputs"),
    rpc.CreateRequest: ("urn", "properties", "preview"),
    rpc.ReadRequest: ("urn", "resource_id", "properties", "inputs"),
    rpc.UpdateRequest: ("urn", "resource_id", "olds", "news", "preview"),
    rpc.DeleteRequest: ("urn", "resource_id", "properties"),
    rpc.ConfigureRequest: ("variables", "args"),
}


@pytest.mark.parametrize("response", list(RESPONSES), ids=lambda t: t.__name__)
def test_the_response_types_still_take_the_arguments_we_pass(response: type) -> None:
    taken = set(inspect.signature(response).parameters)
    missing = [name for name in RESPONSES[response] if name not in taken]
    assert missing == [], (
        f"pulumi.provider.experimental.provider.{response.__name__} no longer takes {missing}"
    )


@pytest.mark.parametrize("request_type", list(REQUESTS), ids=lambda t: t.__name__)
def test_the_request_types_still_carry_what_we_read(request_type: type) -> None:
    taken = set(inspect.signature(request_type).parameters)
    missing = [name for name in REQUESTS[request_type] if name not in taken]
    assert missing == [], f"pulumi.provider.experimental.provider.{request_type.__name__} lost {missing}"
    if "urn" in taken:
        assert isinstance(getattr(request_type, "type", None), property), (
            f"{request_type.__name__}.type (the resource type read from the URN) is gone"
        )


def test_the_diff_kinds_we_report_still_exist() -> None:
    names = {"ADD", "ADD_REPLACE", "DELETE", "DELETE_REPLACE", "UPDATE", "UPDATE_REPLACE"}
    assert names <= set(rpc.PropertyDiffKind.__members__), "PropertyDiffKind lost a member we report"


def test_the_provider_base_still_has_every_method_we_override_and_an_async_cancel() -> None:
    for name in ("get_schema", "check_config", "diff_config", "configure", "check", "diff", "create"):
        assert inspect.iscoroutinefunction(getattr(rpc.Provider, name)), (
            f"Provider.{name} is gone or not async"
        )
    for name in ("read", "update", "delete", "cancel"):
        assert inspect.iscoroutinefunction(getattr(rpc.Provider, name)), (
            f"Provider.{name} is gone or not async"
        )


def test_property_values_still_keep_secrets_through_the_wire_and_mark_unknowns() -> None:
    value = PropertyValue({"a": PropertyValue("s", is_secret=True)})
    back = PropertyValue.unmarshal(value.marshal())

    assert back.contains_secret(), "PropertyValue no longer round-trips a nested secret"
    assert PropertyValue("x").with_secret(True).is_secret, "PropertyValue.with_secret changed"
    assert isinstance(PropertyValue.computed().value, Computed), (
        "PropertyValue.computed() no longer holds Computed"
    )
    assert PropertyValue.unmarshal(PropertyValue(UNKNOWN).marshal()).value == UNKNOWN, (
        "the engine's unknown sentinel no longer arrives as its text: values.plain would miss unknowns"
    )


def test_the_servicer_still_takes_our_provider_and_serves_the_calls_we_wrap() -> None:
    params = list(inspect.signature(server.ProviderServicer).parameters)
    assert params[:3] == ["args", "version", "provider"], "ProviderServicer's arguments changed"
    assert "engine_address" in params, "ProviderServicer no longer takes engine_address"
    for name in (*PLAIN_CALLS, "Cancel", "GetSchema", "GetPluginInfo"):
        assert callable(getattr(server.ProviderServicer, name, None)), f"ProviderServicer.{name} is gone"
    assert callable(provider_pb2_grpc.add_ResourceProviderServicer_to_server)
    assert {"severity", "message", "urn"} <= set(engine_pb2.LogRequest.DESCRIPTOR.fields_by_name)
    assert engine_pb2.WARNING == 2
    assert hasattr(engine_pb2_grpc.EngineStub, "__init__")


class _Aborted(Exception):
    pass


class _Context:
    """The one part of a gRPC servicer context the plain-errors wrapper uses."""

    def __init__(self) -> None:
        self.aborted: tuple[Any, str] | None = None

    async def abort(self, code: Any, details: str) -> None:
        self.aborted = (code, details)
        raise _Aborted


class _Failing(rpc.Provider):
    async def create(self, request: rpc.CreateRequest) -> rpc.CreateResponse:
        raise VcfProviderError("creating failed: the first line\n  hint: the second")

    async def cancel(self) -> None:
        self.cancelled = True


def test_our_errors_still_reach_the_engine_as_their_message_alone_and_cancel_reaches_the_provider() -> None:
    provider = _Failing()
    servicer = PlainErrorsServicer([], "0.0.0", provider, engine_address="127.0.0.1:1")
    context = _Context()
    request = proto.CreateRequest(urn="urn:pulumi:s::p::vcf:index:AccessTokenPair::x")

    with pytest.raises(_Aborted):
        asyncio.run(servicer.Create(request, context))
    asyncio.run(servicer.Cancel(empty_pb2.Empty(), context))  # type: ignore[no-untyped-call]

    assert context.aborted is not None, "ProviderServicer.Create no longer raises what the provider raised"
    assert context.aborted[1] == "creating failed: the first line\n  hint: the second"
    assert getattr(provider, "cancelled", False), "ProviderServicer.Cancel no longer calls Provider.cancel"


def test_the_sdks_diff_config_still_cannot_send_a_detailed_diff() -> None:
    # When this fails upstream fixed DiffConfig (it read `PropertyDiff.inputDiff`, which does not
    # exist): `VcfProvider.diff_config` may then send a detailed diff of the provider's config.
    class Detailed(rpc.Provider):
        async def diff_config(self, request: rpc.DiffRequest) -> rpc.DiffResponse:
            detail = {"host": rpc.PropertyDiff(rpc.PropertyDiffKind.UPDATE, input_diff=True)}
            return rpc.DiffResponse(changes=True, detailed_diff=detail)

    servicer = server.ProviderServicer([], "0.0.0", Detailed(), engine_address="127.0.0.1:1")
    with pytest.raises(Exception, match="inputDiff"):
        asyncio.run(
            servicer.DiffConfig(proto.DiffRequest(urn="urn:pulumi:s::p::pulumi:providers:vcf::x"), None)
        )
