"""The package's schema comes from the model: every property, its camelCase name, kind, secrecy and config."""

from __future__ import annotations

import pytest

from vcf_provider._version import __version__
from vcf_provider.api import properties as p
from vcf_provider.package.schema import package_schema
from vcf_provider.resources.model import PROVIDER_CONFIG, RESOURCES, ResourceModel

SCHEMA = package_schema()


def test_the_package_is_vcf_at_this_version_with_a_name_for_every_language() -> None:
    assert (SCHEMA["name"], SCHEMA["version"]) == ("vcf", __version__)
    assert SCHEMA["language"]["python"]["packageName"] == "pulumi_vcf"
    assert SCHEMA["language"]["nodejs"]["packageName"]
    assert SCHEMA["language"]["go"]["importBasePath"].endswith("/vcf")


def test_the_provider_config_is_every_connection_setting_and_credential_by_its_stack_config_key() -> None:
    expected = ["host", "caBundle", "allowUnverifiedTls", "timeoutSeconds", "maxRetries", "refreshToken"]
    expected += ["username", "password", "apiKey", "idToken"]
    assert list(SCHEMA["config"]["variables"]) == expected
    assert SCHEMA["provider"]["inputProperties"] == SCHEMA["config"]["variables"]
    secret = {key for key, spec in SCHEMA["config"]["variables"].items() if spec.get("secret")}
    assert secret == {"refreshToken", "password", "apiKey", "idToken"}
    assert [prop.config_key for prop in PROVIDER_CONFIG] == expected


@pytest.mark.parametrize("model", RESOURCES, ids=lambda m: m.name)
def test_each_resource_has_the_models_inputs_and_outputs_in_camel_case(model: ResourceModel) -> None:
    spec = SCHEMA["resources"][model.token]

    assert list(spec["inputProperties"]) == [field.prop.camel for field in model.inputs]
    assert set(spec["properties"]) == {f.prop.camel for f in model.inputs} | {o.camel for o in model.outputs}
    for field in model.inputs:
        assert spec["inputProperties"][field.prop.camel]["type"] == field.prop.kind
    for out in model.outputs:
        assert spec["properties"][out.camel]["type"] == out.kind


@pytest.mark.parametrize("model", RESOURCES, ids=lambda m: m.name)
def test_secrets_and_replacements_are_the_models(model: ResourceModel) -> None:
    spec = SCHEMA["resources"][model.token]
    camel = {field.prop.name: field.prop.camel for field in model.inputs} | {
        o.name: o.camel for o in model.outputs
    }

    secret = {key for key, prop in spec["properties"].items() if prop.get("secret")}
    assert secret == {camel[name] for name in model.secret_names}
    replacing = {key for key, prop in spec["inputProperties"].items() if prop.get("replaceOnChanges")}
    assert replacing == {camel[name] for name in model.replacing}


@pytest.mark.parametrize("model", RESOURCES, ids=lambda m: m.name)
def test_no_input_is_required_or_defaulted_in_the_schema_so_the_provider_config_can_fill_it(
    model: ResourceModel,
) -> None:
    # An SDK fills a schema default (or refuses a missing required input) before the provider sees
    # the resource, which would hide the provider's own config.
    spec = SCHEMA["resources"][model.token]

    assert "requiredInputs" not in spec
    assert [
        key for key, prop in spec["inputProperties"].items() if "default" in prop or "defaultInfo" in prop
    ] == []
    assert "host" in spec["required"]
    assert p.ACCESS_TOKEN.camel in spec["required"]
    assert p.EXPIRES_AT.camel not in spec["required"]


def test_descriptions_say_where_an_unset_input_comes_from_and_what_a_change_does() -> None:
    pair = SCHEMA["resources"]["vcf:index:AccessTokenPair"]["inputProperties"]
    token = SCHEMA["resources"]["vcf:index:RefreshedAccessToken"]["inputProperties"]

    assert (
        "the provider's `caBundle` (stack config `vcf:caBundle`), then `VCF_CA_BUNDLE`"
        in token["caBundle"]["description"]
    )
    assert token["timeoutSeconds"]["description"].endswith("then 30.")
    assert "A change replaces the resource." in pair["password"]["description"]
    assert "replaces" not in token["caBundle"]["description"]
