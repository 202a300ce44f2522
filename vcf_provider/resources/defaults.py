"""Input defaults: the explicit argument, then stack config `vcf:*`, then `VCF_*` environment variables.

Which input has which config key, variable, default and secrecy is read from the resource's model
(`vcf_provider.resources.model`); credentials follow the one rule of `vcf_provider.api.credentials`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pulumi

from vcf_provider.api import credentials
from vcf_provider.api import properties as p
from vcf_provider.api.properties import Property
from vcf_provider.resources.model import ResourceModel


def _config() -> pulumi.Config:
    return pulumi.Config(p.CONFIG_NAMESPACE)


def from_config(prop: Property) -> Any:
    """`vcf:<key>` for `prop` (an Output for a secret), or None when unset or empty."""
    if not prop.config_key:
        return None
    if prop.secret:
        return _config().get_secret(prop.config_key)
    return parse_text(prop, _config().get(prop.config_key))


def from_env(prop: Property) -> Any:
    """`$VCF_...` for `prop`, or None when unset or empty."""
    return parse_text(prop, os.environ.get(prop.env_var)) if prop.env_var else None


def parse_text(prop: Property, raw: str | None) -> Any:
    """Text from config or the environment as the input's kind; text that is not one is passed
    on as it is, so the provider's check names the problem."""
    text = (raw or "").strip()
    if not text:
        return None
    if prop.kind == "boolean":
        return parse_flag(text)
    if prop.kind in ("number", "integer"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if prop.kind == "integer" and number.is_integer() else number
    return raw


def parse_flag(text: str) -> bool | str:
    """True or False for a flag's usual spellings (1/true/yes/on, 0/false/no/off, any case);
    anything else comes back unchanged."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    return text


def one(prop: Property, explicit: Any) -> Any:
    """An input: `explicit`, else stack config, else the environment, else its default; a secret
    input is always wrapped as a secret."""
    value = first_given(prop, (lambda: explicit, lambda: from_config(prop), lambda: from_env(prop)))
    return pulumi.Output.secret(value) if prop.secret and value is not None else value


def first_given(prop: Property, sources: Iterable[Callable[[], Any]]) -> Any:
    """The first value that is not None from `sources` (in order of precedence, each asked only
    when reached), else the default of a number; the package's provider shares the rule."""
    for source in sources:
        value = source()
        if value is not None:
            return value
    # Only numbers are stored with their default: a flag or text left unset stays None in
    # state, as every earlier release stored it, so an upgrade plans no update.
    return prop.default if prop.kind in ("number", "integer") else None


def resource_inputs(model: ResourceModel, explicit: Mapping[str, Any]) -> dict[str, Any]:
    """Every input of `model` by its Python name, from `explicit` (None: unset), stack config and
    the environment; the credentials by the rule that the first source giving any decides the
    login method."""
    logins = [field.prop for field in model.inputs if field.prop in p.CREDENTIALS]
    sources = [
        {prop.name: explicit.get(prop.name) for prop in logins},
        {prop.name: from_config(prop) for prop in logins},
        {prop.name: from_env(prop) for prop in logins},
    ]
    props = choose_credentials(model, sources)
    for prop in logins:
        value = props[prop.name]
        props[prop.name] = pulumi.Output.secret(value) if prop.secret and value is not None else value
    for field in model.inputs:
        if field.prop not in logins:
            props[field.prop.name] = one(field.prop, explicit.get(field.prop.name))
    return props


def choose_credentials(model: ResourceModel, sources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The credentials `model` takes, from `sources` in order of precedence (None: unset there), by
    the one rule of `credentials.choose`; the dynamic resources and the package's provider share it."""
    logins = [field.prop.name for field in model.inputs if field.prop in p.CREDENTIALS]
    if not logins:
        return {}
    chosen = credentials.choose(
        [{name: source.get(name) for name in logins} for source in sources],
        is_given=lambda value: value is not None,
    )
    return {name: chosen.get(name) for name in logins}
