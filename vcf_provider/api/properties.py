"""Every input and output the package knows, as plain data: names, type, default, bounds, config, secrecy.

One home for each fact about a property. The input checks (`settings`), the defaults from stack
config and the environment (`resources.defaults`), the diff (`resources.model`), the hints that
name a config key, the policy pack, the package's schema and the README's tables' test read it;
nothing else spells a config key, an env var, a default or a bound. A leaf: no imports of the
package, no pulumi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

#: The stack config namespace of every `vcf:*` setting.
CONFIG_NAMESPACE = "vcf"

Kind = Literal["string", "number", "integer", "boolean", "object"]


@dataclass(frozen=True)
class Property:
    """One input: how programs, stack config, the environment and the schema spell it, and its rules."""

    name: str
    """The Python name (`refresh_token`), also the key in the dynamic providers' state."""

    camel: str
    """The camelCase name (`refreshToken`): the package's schema property."""

    kind: Kind
    """The schema type."""

    description: str
    """One or two sentences a user reads in an editor and in generated SDKs."""

    default: Any = None
    """The value when unset everywhere; None: no default."""

    minimum: float | None = None
    """The lowest allowed number (inclusive unless `above_minimum`)."""

    maximum: float | None = None
    """The highest allowed number (inclusive)."""

    above_minimum: bool = False
    """True when the number must be strictly above `minimum`."""

    advice: str = ""
    """How to write a good value, ending an error message (`use a number above 0, e.g. 30`)."""

    config_key: str | None = None
    """The stack config key within the `vcf` namespace (`refreshToken`), if stack config sets it."""

    env_var: str | None = None
    """The environment variable that sets it (`VCF_REFRESH_TOKEN`), if any."""

    secret: bool = False
    """Always a secret: wrapped as one in the program, secret in state and in the schema."""

    may_carry_secret: bool = False
    """Not secret, but a mistaken value may hold one (`host` with `user:password@`): errors never echo it."""

    @property
    def config(self) -> str | None:
        """The full stack config key (`vcf:refreshToken`), or None."""
        return f"{CONFIG_NAMESPACE}:{self.config_key}" if self.config_key else None

    def where_to_set(self) -> str:
        """`pass host=..., or set stack config vcf:host or the VCF_HOST environment variable`."""
        places = []
        if self.config:
            flag = "--secret " if self.secret else ""
            places.append(f"`pulumi config set {flag}{self.config} <value>`")
        if self.env_var:
            places.append(f"the {self.env_var} environment variable")
        return f"pass {self.name}=..." + (f", or set {' or '.join(places)}" if places else "")

    def sources(self) -> str:
        """`stack config vcf:caBundle or VCF_CA_BUNDLE`, for hints; empty without either."""
        places = [f"stack config {self.config}" if self.config else "", self.env_var or ""]
        return " or ".join(place for place in places if place)


@dataclass(frozen=True)
class OutputSpec:
    """One output a resource adds to its inputs in state."""

    name: str
    camel: str
    kind: Kind
    secret: bool
    description: str
    nullable: bool = False
    """May be None in state (a token without `exp`, no `Date` header): not a required output in the schema."""


# -- connection settings: every resource and SddcManagerAuth ---------------------------------------
HOST = Property(
    "host",
    "host",
    "string",
    "SDDC Manager's FQDN, `host:port`, or an `https://` base URL. A change means another manager.",
    advice="write sddc-manager.example.com[:port]",
    config_key="host",
    env_var="VCF_HOST",
    may_carry_secret=True,
)
CA_BUNDLE = Property(
    "ca_bundle",
    "caBundle",
    "string",
    "The CAs that signed SDDC Manager's certificate: a PEM file's path (`~` expands) or the PEM text. "
    "Default: the system's CAs.",
    config_key="caBundle",
    env_var="VCF_CA_BUNDLE",
)
ALLOW_UNVERIFIED_TLS = Property(
    "allow_unverified_tls",
    "allowUnverifiedTls",
    "boolean",
    "Skip TLS verification (prints a warning; for lab systems only).",
    default=False,
    config_key="allowUnverifiedTls",
    env_var="VCF_ALLOW_UNVERIFIED_TLS",
)
TIMEOUT_SECONDS = Property(
    "timeout_seconds",
    "timeoutSeconds",
    "number",
    "The deadline of each attempt of each request: connecting, the TLS handshake, sending and the "
    "whole answer.",
    default=30.0,
    minimum=0,
    maximum=3_600,
    above_minimum=True,
    advice="use a number above 0, e.g. 30",
    config_key="timeoutSeconds",
)
MAX_RETRIES = Property(
    "max_retries",
    "maxRetries",
    "integer",
    "Further attempts after connection errors and HTTP 429/500/502/503/504, with exponential "
    "backoff and jitter, honouring Retry-After.",
    default=3,
    minimum=0,
    maximum=100,
    advice="use a whole number from 0 to 100, e.g. 3",
    config_key="maxRetries",
)
RENEW_BEFORE_SECONDS = Property(
    "renew_before_seconds",
    "renewBeforeSeconds",
    "number",
    "Renew the access token when it expires within this many seconds.",
    default=300.0,
    minimum=0,
    maximum=86_400,
    advice="use a number of seconds from 0 to 86400, e.g. 300",
)

# -- credentials -----------------------------------------------------------------------------------
REFRESH_TOKEN = Property(
    "refresh_token",
    "refreshToken",
    "string",
    "The refresh token id (`refreshToken.id` from `POST /v1/tokens`, or an AccessTokenPair's "
    "`refresh_token`). Always secret.",
    config_key="refreshToken",
    env_var="VCF_REFRESH_TOKEN",
    secret=True,
)
USERNAME = Property(
    "username",
    "username",
    "string",
    "An SDDC Manager user to log in as (with `password`).",
    config_key="username",
    env_var="VCF_USERNAME",
)
PASSWORD = Property(
    "password",
    "password",
    "string",
    "The user's password. Always secret.",
    config_key="password",
    env_var="VCF_PASSWORD",
    secret=True,
)
API_KEY = Property(
    "api_key",
    "apiKey",
    "string",
    "An API key to log in with, instead of username and password. Always secret.",
    config_key="apiKey",
    env_var="VCF_API_KEY",
    secret=True,
)
ID_TOKEN = Property(
    "id_token",
    "idToken",
    "string",
    "An id token from VCF 9's identity broker to log in with, instead of either. Always secret.",
    config_key="idToken",
    env_var="VCF_ID_TOKEN",
    secret=True,
)

# -- per resource ----------------------------------------------------------------------------------
TRIGGERS = Property(
    "triggers",
    "triggers",
    "object",
    "Any values; a change forces a refresh (or, on a pair, a new pair): a rotation date, say.",
)
ROTATE_AFTER_SECONDS = Property(
    "rotate_after_seconds",
    "rotateAfterSeconds",
    "number",
    "Replace the pair once it is this old: 72000 (20 h, under the 24 h a refresh token is reported "
    "to live); 0 never rotates.",
    default=72_000.0,
    minimum=0,
    maximum=math.inf,
    advice="use a number of seconds, e.g. 72000 (20 h), or 0 to never rotate",
)

CONNECTION = (HOST, CA_BUNDLE, ALLOW_UNVERIFIED_TLS, TIMEOUT_SECONDS, MAX_RETRIES)
#: The ways to log in, by the property that names each (username and password count as one).
LOGIN_METHODS: tuple[tuple[Property, ...], ...] = ((USERNAME, PASSWORD), (API_KEY,), (ID_TOKEN,))
CREDENTIALS = (USERNAME, PASSWORD, API_KEY, ID_TOKEN)
ALL = (*CONNECTION, RENEW_BEFORE_SECONDS, REFRESH_TOKEN, *CREDENTIALS, TRIGGERS, ROTATE_AFTER_SECONDS)
BY_NAME = {prop.name: prop for prop in ALL}

# -- outputs ---------------------------------------------------------------------------------------
ACCESS_TOKEN = OutputSpec(
    "access_token", "accessToken", "string", True, "The access token (a JWT). Always secret."
)
EXPIRES_AT = OutputSpec(
    "expires_at",
    "expiresAt",
    "string",
    False,
    "RFC 3339 UTC time from the token's `exp` claim.",
    nullable=True,
)
REFRESHED_AT = OutputSpec(
    "refreshed_at", "refreshedAt", "string", False, "RFC 3339 UTC time of the last refresh (this machine)."
)
CREATED_AT = OutputSpec(
    "created_at", "createdAt", "string", False, "RFC 3339 UTC time the pair was created (this machine)."
)
CLOCK_SKEW_SECONDS = OutputSpec(
    "clock_skew_seconds",
    "clockSkewSeconds",
    "integer",
    False,
    "This machine's clock minus SDDC Manager's, measured when the token arrived.",
    nullable=True,
)
PAIR_REFRESH_TOKEN = OutputSpec(
    "refresh_token",
    "refreshToken",
    "string",
    True,
    "The refresh token id; pass it to a RefreshedAccessToken. Always secret.",
)
