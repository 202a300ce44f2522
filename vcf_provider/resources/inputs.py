"""The resources' input properties as the engine sees them: unknown values, and CheckFailures at preview.

The rules themselves live in `vcf_provider.api.settings` and `vcf_provider.api.credentials` (no
pulumi there); this module adds what only the engine needs: values not known yet, and the
`CheckFailure`s `pulumi preview` shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from vcf_provider.api import settings


def is_unknown(value: Any) -> bool:
    """True for a value the engine will only know after an earlier resource is created.

    The SDK hands these over as its sentinel string, or (inside secrets) as `Unknown` objects.
    """
    return (isinstance(value, str) and value == UNKNOWN) or isinstance(value, Unknown)


def failures(problems: Iterable[tuple[str, str]]) -> list[CheckFailure]:
    """CheckFailures for (property, reason) pairs; an input that is or may carry a secret is named
    only in the reason, since the engine prints a named property's value."""
    return [CheckFailure(settings.reported_property(name), reason) for name, reason in problems]


def check_connection(news: Mapping[str, Any]) -> list[CheckFailure]:
    """Problems with the inputs every token resource shares: host, TLS, timeout, retries, triggers."""
    return failures(settings.connection_problems(news, is_unknown))


def check(news: Mapping[str, Any]) -> list[CheckFailure]:
    """Every problem with RefreshedAccessToken's inputs, each naming the property and the fix.

    Unknown values (known only after an earlier resource is created) pass.
    """
    return failures(
        settings.connection_problems(news, is_unknown) + settings.refresh_token_problems(news, is_unknown)
    )
