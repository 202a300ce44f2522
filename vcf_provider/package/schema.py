"""The Pulumi package schema of `vcf`, derived from the model: nothing here spells a property by hand."""

from __future__ import annotations

from typing import Any

from vcf_provider._version import __version__
from vcf_provider.api import properties as p
from vcf_provider.api.properties import Kind, OutputSpec, Property
from vcf_provider.resources.model import PROVIDER_CONFIG, RESOURCES, Field, ResourceModel

PACKAGE = p.CONFIG_NAMESPACE
#: Where each language's generated SDK says it lives; the SDKs' own names, chosen once here.
PYTHON_PACKAGE = "pulumi_vcf"
NODEJS_PACKAGE = "@vcf-provider/pulumi-vcf"
GO_IMPORT_BASE_PATH = "github.com/vcf-provider/vcf-provider/sdk/go/vcf"
CSHARP_NAMESPACE = "VcfProvider"

_ANY = {"$ref": "pulumi.json#/Any"}


def _type(kind: Kind) -> dict[str, Any]:
    if kind == "object":
        # `triggers`: a map of anything (the dynamic resources also take a list or a text).
        return {"type": "object", "additionalProperties": _ANY}
    return {"type": kind}


def _default_text(prop: Property) -> str:
    if prop.default is None or prop.kind not in ("number", "integer"):
        # Flags and text stay unset in state when not given (see resources.defaults.first_given).
        return ""
    return f"{prop.default:g}"


def input_description(field: Field) -> str:
    """What a user reads for one resource input: the model's text, where an unset value comes
    from, and whether a change replaces the resource."""
    prop = field.prop
    unset = []
    if prop.config_key:
        unset.append(f"the provider's `{prop.config_key}` (stack config `{prop.config}`)")
    if prop.env_var:
        unset.append(f"`{prop.env_var}`")
    default = _default_text(prop)
    if default:
        unset.append(default)
    text = prop.description
    if unset:
        text += " Unset: " + ", then ".join(unset) + "."
    if field.replaces:
        text += " A change replaces the resource."
    return text


def config_description(prop: Property) -> str:
    """What a user reads for one provider setting."""
    text = f"{prop.description} Fills this input of every resource of the provider that leaves it unset."
    if prop.env_var:
        text += f" Unset: `{prop.env_var}`."
    return text


def _property(prop: Property | OutputSpec, description: str) -> dict[str, Any]:
    spec: dict[str, Any] = {**_type(prop.kind), "description": description}
    if prop.secret:
        spec["secret"] = True
    return spec


def resource_schema(model: ResourceModel) -> dict[str, Any]:
    """One resource: its inputs (none required in the schema: each may come from the provider's
    config or the environment, and check says which is missing), and its state."""
    inputs = {field.prop.camel: _property(field.prop, input_description(field)) for field in model.inputs}
    for field in model.inputs:
        if field.replaces:
            inputs[field.prop.camel]["replaceOnChanges"] = True
    state = {**inputs, **{out.camel: _property(out, out.description) for out in model.outputs}}
    required = [p.HOST.camel] + [out.camel for out in model.outputs if not out.nullable]
    spec: dict[str, Any] = {"description": model.description, "inputProperties": inputs}
    needed = [
        field.prop.camel
        for field in model.inputs
        if field.required and not field.prop.config_key and not field.prop.env_var
    ]
    if needed:  # the CLI drops an empty list, so the schema served and this one stay equal
        spec["requiredInputs"] = needed
    return {**spec, "properties": state, "required": required}


def package_schema() -> dict[str, Any]:
    """The schema of the package `vcf`, as `GetSchema` serves it and `pulumi package gen-sdk` reads it."""
    config = {
        prop.config_key or prop.camel: _property(prop, config_description(prop)) for prop in PROVIDER_CONFIG
    }
    return {
        "name": PACKAGE,
        "displayName": "VMware SDDC Manager tokens",
        "version": __version__,
        "description": "SDDC Manager (VMware Cloud Foundation) API access tokens: a token pair from a "
        "login, revoked on delete, and an access token renewed before it expires.",
        "keywords": ["pulumi", "vcf", "vmware", "sddc-manager", "category/infrastructure"],
        "license": "Apache-2.0",
        "config": {"variables": config},
        "provider": {
            "description": "One SDDC Manager: the connection and credentials its resources use when "
            "they leave them unset. The default provider reads stack config `vcf:*`.",
            "inputProperties": config,
        },
        "resources": {model.token: resource_schema(model) for model in RESOURCES},
        "language": {
            "python": {
                "packageName": PYTHON_PACKAGE,
                "respectSchemaVersion": True,
                "pyproject": {"enabled": True},
            },
            "nodejs": {"packageName": NODEJS_PACKAGE, "respectSchemaVersion": True},
            "go": {"importBasePath": GO_IMPORT_BASE_PATH, "respectSchemaVersion": True},
            "csharp": {"rootNamespace": CSHARP_NAMESPACE, "respectSchemaVersion": True},
        },
    }
