"""The resources' input properties as the engine sees them: unknown values, and CheckFailures at preview.

The rules themselves live in `vcf_provider.api.settings` (no pulumi there); this module adds what only
the engine needs: values not known yet, and the `CheckFailure`s `pulumi preview` shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from vcf_provider.api import settings
from vcf_provider.api.settings import (
    ALLOW_UNVERIFIED_TLS,
    CA_BUNDLE,
    CONFIG_NAMESPACE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RENEW_BEFORE_SECONDS,
    DEFAULT_ROTATE_AFTER_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    HOST,
    MAX_RETRIES,
    REFRESH_TOKEN,
    RENEW_BEFORE_SECONDS,
    ROTATE_AFTER_SECONDS,
    TIMEOUT_SECONDS,
    TRIGGERS,
    base_url,
    connection_settings,
    missing_ca_file,
    number,
    same_host,
)

# Names the resources and providers have always taken from here.
__all__ = [
    "ALLOW_UNVERIFIED_TLS",
    "CA_BUNDLE",
    "CONFIG_NAMESPACE",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RENEW_BEFORE_SECONDS",
    "DEFAULT_ROTATE_AFTER_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "HOST",
    "MAX_RETRIES",
    "REFRESH_TOKEN",
    "RENEW_BEFORE_SECONDS",
    "ROTATE_AFTER_SECONDS",
    "TIMEOUT_SECONDS",
    "TRIGGERS",
    "base_url",
    "check",
    "check_connection",
    "connection_settings",
    "is_unknown",
    "missing_ca_file",
    "number",
    "same_host",
]


def is_unknown(value: Any) -> bool:
    """True for a value the engine will only know after an earlier resource is created.

    The SDK hands these over as its sentinel string, or (inside secrets) as `Unknown` objects.
    """
    return (isinstance(value, str) and value == UNKNOWN) or isinstance(value, Unknown)


def check_connection(news: Mapping[str, Any]) -> list[CheckFailure]:
    """Problems with the inputs every token resource shares: host, TLS, timeout, retries, triggers."""
    return [CheckFailure(name, reason) for name, reason in settings.connection_problems(news, is_unknown)]


def check(news: Mapping[str, Any]) -> list[CheckFailure]:
    """Every problem with RefreshedAccessToken's inputs, each naming the property and the fix.

    Unknown values (known only after an earlier resource is created) pass.
    """
    problems = settings.connection_problems(news, is_unknown) + settings.refresh_token_problems(
        news, is_unknown
    )
    return [CheckFailure(name, reason) for name, reason in problems]
