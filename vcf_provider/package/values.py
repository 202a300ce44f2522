"""The engine's camelCase `PropertyValue`s as the dynamic providers' snake_case plain values, and back.

The dynamic providers take plain dicts keyed by Python names (`refresh_token`); the package's
properties are the model's camelCase names (`refreshToken`). Only names the model declares cross
in either direction, and every value the model calls secret leaves here as a secret, whatever it
arrived as.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from vcf_provider.api.properties import Property
from vcf_provider.resources.model import ResourceModel


def names(model: ResourceModel) -> dict[str, str]:
    """Python name -> camelCase name of every input and output of `model`."""
    found = {field.prop.name: field.prop.camel for field in model.inputs}
    found.update({out.name: out.camel for out in model.outputs})
    return found


def plain(value: PropertyValue) -> Any:
    """The Python value inside `value`, secrets unwrapped; a value not known yet (preview) is the
    SDK's unknown sentinel, which `resources.inputs.is_unknown` recognises."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {key: plain(item) for key, item in inner.items()}
    if isinstance(inner, tuple):
        return [plain(item) for item in inner]
    return inner


def wrap(value: Any, secret: bool = False) -> PropertyValue:
    """`value` (None, bool, number, text, list, dict) as a PropertyValue; numbers travel as floats."""
    if isinstance(value, PropertyValue):
        return value.with_secret(True) if secret else value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return PropertyValue(value, is_secret=secret)
    if isinstance(value, (int, float)):
        return PropertyValue(float(value), is_secret=secret)
    if isinstance(value, Mapping):
        return PropertyValue({str(key): wrap(item) for key, item in value.items()}, is_secret=secret)
    if isinstance(value, (list, tuple)):
        return PropertyValue([wrap(item) for item in value], is_secret=secret)
    raise TypeError(f"a {type(value).__name__} cannot be a property value")


def to_snake(model: ResourceModel, props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """The properties `model` declares, by Python name, as plain values; others are dropped."""
    by_camel = {camel: name for name, camel in names(model).items()}
    return {by_camel[key]: plain(value) for key, value in props.items() if key in by_camel}


def secret_names(model: ResourceModel, props: Mapping[str, PropertyValue]) -> set[str]:
    """Python names of the properties that arrived holding a secret (a user's `fn::secret` host)."""
    by_camel = {camel: name for name, camel in names(model).items()}
    return {by_camel[key] for key, value in props.items() if key in by_camel and value.contains_secret()}


def to_camel(
    model: ResourceModel, values: Mapping[str, Any], also_secret: Iterable[str] = ()
) -> dict[str, PropertyValue]:
    """Plain values by Python name as `model`'s camelCase properties; None (unset) is left out.
    Secret: what the model calls secret, and `also_secret` (names that arrived secret)."""
    camel = names(model)
    secret = set(model.secret_names) | set(also_secret)
    return {
        camel[name]: wrap(value, secret=name in secret)
        for name, value in values.items()
        if name in camel and value is not None
    }


def config_values(props: Mapping[str, PropertyValue], config: Iterable[Property]) -> dict[str, Any]:
    """Provider config by Python name, from properties keyed by config key (`caBundle`); text from
    stack config is read as the property's kind (`"true"`, `"30"`), as the dynamic resources read it."""
    from vcf_provider.resources import defaults

    found: dict[str, Any] = {}
    for prop in config:
        given = props.get(prop.config_key or prop.camel)
        if given is None:
            continue
        value = plain(given)
        if isinstance(value, str) and value != UNKNOWN and prop.kind != "string":
            value = defaults.parse_text(prop, value)
        if value is not None and value != "":
            found[prop.name] = value
    return found


def config_properties(values: Mapping[str, Any], config: Iterable[Property]) -> dict[str, PropertyValue]:
    """Provider config by config key, secrets marked (state keeps the provider's inputs)."""
    return {
        prop.config_key or prop.camel: wrap(values[prop.name], secret=prop.secret)
        for prop in config
        if values.get(prop.name) is not None
    }


def camel_text(model: ResourceModel, text: str) -> str:
    """`text` (a reason written for the dynamic resources) with each snake_case input name of
    `model` spelled as the package's property (`ca_bundle` -> `caBundle`)."""
    snake = {name: camel for name, camel in names(model).items() if "_" in name}
    if not snake:
        return text
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(snake, key=len, reverse=True))) + r")\b")
    return pattern.sub(lambda match: snake[match.group(1)], text)
