"""The resources the pack guards, read from the model: their types, their spellings, their values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from vcf_provider.api.jwt import JWT_PATTERN, NotAJwtError, read_claims
from vcf_provider.resources import model
from vcf_provider.resources.model import ResourceModel

STACK = "pulumi:pulumi:Stack"

MISSING: Any = object()
"""A value the policy cannot see: unknown during preview, or absent."""


@dataclass(frozen=True)
class Guarded:
    """One resource type the pack knows: a model, as a dynamic resource or as the package's resource."""

    model: ResourceModel
    """What the resource takes and gives."""

    package: bool
    """True for the package's `vcf:index:*` type (camelCase properties, secrets from the schema)."""

    def key(self, name: str) -> str:
        """The property as this type spells it: `allow_unverified_tls`, or `allowUnverifiedTls`."""
        if not self.package:
            return name
        for field in self.model.inputs:
            if field.prop.name == name:
                return field.prop.camel
        for output in self.model.outputs:
            if output.name == name:
                return output.camel
        raise KeyError(name)


GUARDED: dict[str, Guarded] = {
    **{resource.dynamic_type: Guarded(resource, package=False) for resource in model.RESOURCES},
    **{resource.token: Guarded(resource, package=True) for resource in model.RESOURCES},
}
"""Every type the pack checks, dynamic and package, by the type the engine reports."""


def known(props: Mapping[str, Any], key: str) -> Any:
    """The property's value; MISSING when it is absent or unknown during preview."""
    try:
        return props.get(key, MISSING)
    except UnknownValueError:
        return MISSING


def setting(guarded: Guarded, props: Mapping[str, Any], provider_props: Any, name: str) -> Any:
    """An input of a guarded resource; for the package's types, the provider's config when unset."""
    value = known(props, guarded.key(name))
    if value is not MISSING or not guarded.package or provider_props is None:
        return value
    # Provider config arrives as text when it comes from stack config (`vcf:allowUnverifiedTls: "true"`).
    return _typed(known(provider_props, guarded.key(name)))


def _typed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return value


def carries(value: Any, secret: str) -> bool | None:
    """True when `value` holds `secret` (equal, inside a string, or nested); None when part is unknown."""
    if isinstance(value, str):
        return secret in value
    children: Iterator[Any]
    if isinstance(value, Mapping):
        children = (_item(value, key) for key in list(value))
    elif isinstance(value, Sequence):
        children = (_item(value, index) for index in range(len(value)))
    else:
        return False if value is not MISSING else None
    undecided = False
    for child in children:
        found = carries(child, secret)
        if found:
            return True
        undecided = undecided or found is None
    return None if undecided else False


def _item(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return MISSING


def strings(value: Any) -> Iterator[str]:
    """Every known string in `value`, nested ones included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in list(value):
            yield from strings(_item(value, key))
    elif isinstance(value, Sequence):
        for index in range(len(value)):
            yield from strings(_item(value, index))


def holds_jwt(text: str) -> bool:
    """True when `text` holds a JWT: `api.jwt`'s shape whose header and payload decode."""
    position = 0
    while match := JWT_PATTERN.search(text, position):
        try:
            read_claims(match.group())
        except NotAJwtError:
            # A dotted name (`sddc.vcf.example`): look again from its second part, a token may follow.
            position = match.start() + match.group().index(".") + 1
            continue
        return True
    return False
