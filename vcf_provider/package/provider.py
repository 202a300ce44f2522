"""The package's provider: each gRPC call mapped onto the dynamic providers, which keep every rule.

`RefreshedAccessTokenProvider` and `AccessTokenPairProvider` decide checks, diffs, creates, reads,
updates and deletes; this class only turns the engine's camelCase `PropertyValue`s into their
snake_case dicts and back, fills unset inputs from the provider's config, and reports what the
dynamic resources report from the program (warnings) through the engine instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from vcf_provider import imports
from vcf_provider.api import deadline, settings
from vcf_provider.api import properties as p
from vcf_provider.package import adopt, values
from vcf_provider.package.schema import package_schema
from vcf_provider.pair_provider import AccessTokenPairProvider
from vcf_provider.provider import RefreshedAccessTokenProvider as RefreshProvider
from vcf_provider.provider import TokenProvider, changed_inputs
from vcf_provider.resources import defaults, notices
from vcf_provider.resources.inputs import is_unknown
from vcf_provider.resources.model import ACCESS_TOKEN_PAIR, PROVIDER_CONFIG, RESOURCES, ResourceModel

#: Sends a warning to the engine about the resource with this URN: (urn, message).
Warn = Callable[[str, str], None]

_KIND = rpc.PropertyDiffKind


def _no_warnings(_urn: str, _message: str) -> None:
    return None


class VcfProvider(rpc.Provider):
    """Serves `vcf:index:RefreshedAccessToken` and `vcf:index:AccessTokenPair` for one provider config."""

    def __init__(self, warn: Warn = _no_warnings) -> None:
        self._warn = warn
        self._config: dict[str, Any] = {}
        self._secret_config: set[str] = set()
        self._delegates: dict[str, TokenProvider] = {
            model.token: provider
            for model, provider in zip(RESOURCES, (RefreshProvider(), AccessTokenPairProvider()), strict=True)
        }

    def _model(self, type_token: str) -> tuple[ResourceModel, TokenProvider]:
        for model in RESOURCES:
            if model.token == type_token:
                return model, self._delegates[model.token]
        raise ValueError(f"the vcf package has no resource type {type_token!r}")

    # -- the provider itself -------------------------------------------------------------------------
    async def get_schema(self, request: rpc.GetSchemaRequest) -> rpc.GetSchemaResponse:
        return rpc.GetSchemaResponse(schema=json.dumps(package_schema()))

    async def check_config(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        """Reads stack config text as each setting's kind, marks the secrets, and refuses a setting
        the resources would refuse (each named by its config key, a secret's value never echoed)."""
        config = values.config_values(request.new_inputs, PROVIDER_CONFIG)
        problems = [
            (name, reason)
            for name, reason in settings.connection_problems(config, is_unknown)
            if name in config
        ]
        failures = [
            rpc.CheckFailure(_config_key(settings.reported_property(name)), _config_text(reason))
            for name, reason in problems
        ]
        return rpc.CheckResponse(inputs=values.config_properties(config, PROVIDER_CONFIG), failures=failures)

    async def diff_config(self, request: rpc.DiffRequest) -> rpc.DiffResponse:
        # Never a replacement: each resource's own diff sees a changed setting in its inputs.
        olds = values.config_values(request.old_state, PROVIDER_CONFIG)
        news = values.config_values(request.new_inputs, PROVIDER_CONFIG)
        changed = [
            _config_key(prop.name) for prop in PROVIDER_CONFIG if olds.get(prop.name) != news.get(prop.name)
        ]
        # No detailed diff: the SDK's DiffConfig (3.272) reads `PropertyDiff.inputDiff`, which does
        # not exist, and fails on any entry (tests/unit/test_package_canaries.py watches it).
        return rpc.DiffResponse(changes=bool(changed), diffs=changed)

    async def configure(self, request: rpc.ConfigureRequest) -> rpc.ConfigureResponse:
        args = request.args or {
            key.split(":", 1)[1]: PropertyValue(value)
            for key, value in request.variables.items()
            if key.startswith(f"{p.CONFIG_NAMESPACE}:")
        }
        self._config = values.config_values(args, PROVIDER_CONFIG)
        # Settings the user made secret (`pulumi config set --secret vcf:host`) stay secret in
        # every resource input they fill.
        self._secret_config = {
            prop.name for prop in PROVIDER_CONFIG if prop.camel in args and args[prop.camel].contains_secret()
        }
        ca_bundle = self._config.get(p.CA_BUNDLE.name)
        for delegate in self._delegates.values():
            # The stored-CA fallback of the dynamic providers: this provider's `caBundle`.
            delegate.stack_ca_bundle = (
                ca_bundle if isinstance(ca_bundle, str) and ca_bundle != UNKNOWN else None
            )
        # Calls that follow run on many threads at once; a first import there can fail half-way.
        imports.preload_http_stack()
        return rpc.ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def cancel(self) -> None:
        deadline.cancel_everything()

    # -- resources -----------------------------------------------------------------------------------
    def _filled(self, model: ResourceModel, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every input of `model`: given, else this provider's config, else the environment, else
        its default; credentials by the dynamic resources' rule (the first source with any wins)."""
        environment = {field.prop.name: defaults.from_env(field.prop) for field in model.inputs}
        sources = (given, self._config, environment)
        filled = defaults.choose_credentials(model, sources)
        for field in model.inputs:
            if field.prop.name not in filled:
                filled[field.prop.name] = defaults.first_given(field.prop, _lookups(sources, field.prop.name))
        return filled

    async def check(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        model, delegate = self._model(request.type)
        given = values.to_snake(model, request.new_inputs)
        news = self._filled(model, given)
        olds = values.to_snake(model, request.old_inputs)
        checked = delegate.check(olds, news)
        failures = [
            rpc.CheckFailure(
                values.names(model).get(f.property, f.property), values.camel_text(model, f.reason)
            )
            for f in checked.failures or []
        ]
        if not failures:
            for message in notices.input_warnings(news):
                self._warn(request.urn, values.camel_text(model, message))
        secret = values.secret_names(model, request.new_inputs) | (self._secret_config - set(given))
        return rpc.CheckResponse(inputs=values.to_camel(model, news, secret), failures=failures)

    async def diff(self, request: rpc.DiffRequest) -> rpc.DiffResponse:
        model, delegate = self._model(request.type)
        olds = values.to_snake(model, request.old_state)
        news = values.to_snake(model, request.new_inputs)
        planned = delegate.diff(request.resource_id, olds, news)
        replaces, changed = changed_inputs(model, olds, news)
        camel = values.names(model)
        detail: dict[str, rpc.PropertyDiff] = {}
        for name in changed:
            detail[camel[name]] = rpc.PropertyDiff(
                _change_kind(olds.get(name), news.get(name)), input_diff=True
            )
        for name in planned.replaces or []:
            # An input that replaces, or `createdAt`: a pair replaced because of its age.
            is_input = name in replaces
            kind = (
                _change_kind(olds.get(name), news.get(name), replace=True)
                if is_input
                else _KIND.UPDATE_REPLACE
            )
            detail[camel.get(name, name)] = rpc.PropertyDiff(kind, input_diff=is_input)
        if planned.changes and not detail:
            # No input changed: the access token is due for renewal.
            detail[p.EXPIRES_AT.camel] = rpc.PropertyDiff(_KIND.UPDATE, input_diff=False)
        return rpc.DiffResponse(
            changes=bool(planned.changes),
            replaces=[camel.get(name, name) for name in planned.replaces or []],
            delete_before_replace=bool(planned.delete_before_replace),
            diffs=list(detail),
            detailed_diff=detail,
        )

    async def create(self, request: rpc.CreateRequest) -> rpc.CreateResponse:
        model, delegate = self._model(request.type)
        props = values.to_snake(model, request.properties)
        secret = values.secret_names(model, request.properties)
        if request.preview:
            return rpc.CreateResponse("", values.to_camel(model, _unknown_outputs(model, props), secret))
        created = await asyncio.to_thread(delegate.create, props)
        self._warn_about_clock(request.urn, created.outs or {})
        return rpc.CreateResponse(created.id, values.to_camel(model, created.outs or {}, secret))

    async def update(self, request: rpc.UpdateRequest) -> rpc.UpdateResponse:
        model, delegate = self._model(request.type)
        olds = values.to_snake(model, request.olds)
        news = values.to_snake(model, request.news)
        secret = values.secret_names(model, request.news)
        if request.preview and model is not ACCESS_TOKEN_PAIR:
            return rpc.UpdateResponse(values.to_camel(model, _unknown_outputs(model, news), secret))
        # A pair's update sends no request (it keeps the pair), so it runs at preview too.
        updated = await asyncio.to_thread(delegate.update, request.resource_id, olds, news)
        if not request.preview:
            self._warn_about_clock(request.urn, updated.outs or {})
        return rpc.UpdateResponse(values.to_camel(model, updated.outs or {}, secret))

    async def read(self, request: rpc.ReadRequest) -> rpc.ReadResponse:
        model, delegate = self._model(request.type)
        if not request.properties:
            # `pulumi import`: nothing is stored yet, and the id is what the user gave.
            adopted = await asyncio.to_thread(
                adopt.adopt, model, delegate, request.resource_id, self._filled, self._config
            )
            return rpc.ReadResponse(adopted.id, values.to_camel(model, adopted.outs or {}), {})
        props = values.to_snake(model, request.properties)
        secret = values.secret_names(model, request.properties)
        found = await asyncio.to_thread(delegate.read, request.resource_id, props)
        if not found.id:
            return rpc.ReadResponse("", {}, {})
        return rpc.ReadResponse(found.id, values.to_camel(model, found.outs or {}, secret), request.inputs)

    async def delete(self, request: rpc.DeleteRequest) -> None:
        model, delegate = self._model(request.type)
        await asyncio.to_thread(
            delegate.delete, request.resource_id, values.to_snake(model, request.properties)
        )

    def _warn_about_clock(self, urn: str, outs: Mapping[str, Any]) -> None:
        received = outs.get(p.REFRESHED_AT.name) or outs.get(p.CREATED_AT.name)
        message = notices.clock_warning(
            outs.get(p.CLOCK_SKEW_SECONDS.name), outs.get(p.EXPIRES_AT.name), received
        )
        if message:
            self._warn(urn, message)


def _lookups(sources: Iterable[Mapping[str, Any]], name: str) -> list[Callable[[], Any]]:
    return [partial(source.get, name) for source in sources]


def _change_kind(old: Any, new: Any, replace: bool = False) -> rpc.PropertyDiffKind:
    if old is None:
        return _KIND.ADD_REPLACE if replace else _KIND.ADD
    if new is None:
        return _KIND.DELETE_REPLACE if replace else _KIND.DELETE
    return _KIND.UPDATE_REPLACE if replace else _KIND.UPDATE


def _unknown_outputs(model: ResourceModel, props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs, and every output not known until the call is made (what a preview shows)."""
    return {**props, **dict.fromkeys(model.output_names, UNKNOWN)}


def _config_key(name: str) -> str:
    prop = p.BY_NAME.get(name)
    return (prop.config_key or prop.camel) if prop is not None else name


def _config_text(reason: str) -> str:
    for prop in PROVIDER_CONFIG:
        if "_" in prop.name:
            reason = reason.replace(prop.name, prop.config_key or prop.camel)
    return reason
