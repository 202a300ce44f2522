"""One declarative model per resource: its inputs (and which replace it), its outputs, its type token.

Plain data over `vcf_provider.api.properties`: the dynamic resources' defaults and checks, the
providers' diff, the policy pack and the package's schema all read these, so a new input is one
`Field` here plus its behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcf_provider.api import properties as p
from vcf_provider.api.properties import OutputSpec, Property


@dataclass(frozen=True)
class Field:
    """A property as one resource takes it."""

    prop: Property
    replaces: bool = False
    """A change replaces the resource (another manager, another login); otherwise it updates."""

    required: bool = False
    """The resource cannot work without it (it may still come from stack config or the environment)."""


@dataclass(frozen=True)
class ResourceModel:
    """Everything about one resource's properties that is not behaviour."""

    name: str
    """The class name, `RefreshedAccessToken`."""

    token: str
    """The package's type token, `vcf:index:RefreshedAccessToken`."""

    dynamic_type: str
    """The type the engine and policies see for the dynamic resource."""

    description: str
    inputs: tuple[Field, ...]
    outputs: tuple[OutputSpec, ...]

    @property
    def replacing(self) -> tuple[str, ...]:
        """Inputs whose change replaces the resource."""
        return tuple(field.prop.name for field in self.inputs if field.replaces)

    @property
    def updatable(self) -> tuple[str, ...]:
        """Inputs whose change updates it in place."""
        return tuple(field.prop.name for field in self.inputs if not field.replaces)

    @property
    def secret_names(self) -> tuple[str, ...]:
        """Every input and output that is always secret."""
        names = [field.prop.name for field in self.inputs if field.prop.secret]
        names += [out.name for out in self.outputs if out.secret and out.name not in names]
        return tuple(names)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(out.name for out in self.outputs)

    def field(self, name: str) -> Field:
        """The input called `name` (KeyError when the resource has none)."""
        for field in self.inputs:
            if field.prop.name == name:
                return field
        raise KeyError(name)


#: How later calls are made; a change updates in place on every resource.
_CALL_SETTINGS = (
    Field(p.CA_BUNDLE),
    Field(p.ALLOW_UNVERIFIED_TLS),
    Field(p.TIMEOUT_SECONDS),
    Field(p.MAX_RETRIES),
)

REFRESHED_ACCESS_TOKEN = ResourceModel(
    name="RefreshedAccessToken",
    token="vcf:index:RefreshedAccessToken",  # noqa: S106 - a type token, not a credential
    dynamic_type="pulumi-python:dynamic/vcf:RefreshedAccessToken",
    description=(
        "An SDDC Manager API access token, refreshed from a refresh token "
        "(`PATCH /v1/tokens/access-token/refresh`) and renewed before it expires."
    ),
    inputs=(
        Field(p.HOST, replaces=True, required=True),
        Field(p.REFRESH_TOKEN, required=True),
        *_CALL_SETTINGS,
        Field(p.RENEW_BEFORE_SECONDS),
        Field(p.TRIGGERS),
    ),
    outputs=(p.ACCESS_TOKEN, p.EXPIRES_AT, p.REFRESHED_AT, p.CLOCK_SKEW_SECONDS),
)

ACCESS_TOKEN_PAIR = ResourceModel(
    name="AccessTokenPair",
    token="vcf:index:AccessTokenPair",  # noqa: S106 - a type token, not a credential
    dynamic_type="pulumi-python:dynamic/vcf:AccessTokenPair",
    description=(
        "A refresh token and a first access token from `POST /v1/tokens`, rotated by age and revoked "
        "on delete."
    ),
    inputs=(
        Field(p.HOST, replaces=True, required=True),
        Field(p.USERNAME, replaces=True),
        Field(p.PASSWORD, replaces=True),
        Field(p.API_KEY, replaces=True),
        Field(p.ID_TOKEN, replaces=True),
        *_CALL_SETTINGS,
        Field(p.TRIGGERS, replaces=True),
        Field(p.ROTATE_AFTER_SECONDS),
    ),
    outputs=(p.PAIR_REFRESH_TOKEN, p.ACCESS_TOKEN, p.EXPIRES_AT, p.CREATED_AT, p.CLOCK_SKEW_SECONDS),
)

RESOURCES = (REFRESHED_ACCESS_TOKEN, ACCESS_TOKEN_PAIR)

#: The package provider's config (explicit providers; the default one reads stack config `vcf:*`).
PROVIDER_CONFIG: tuple[Property, ...] = (
    *p.CONNECTION,
    p.REFRESH_TOKEN,
    *p.CREDENTIALS,
)
