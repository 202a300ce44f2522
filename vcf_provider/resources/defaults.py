"""Input defaults: the explicit argument, then stack config `vcf:*`, then `VCF_*` environment variables."""

from __future__ import annotations

import os
from typing import Any

import pulumi

from vcf_provider.resources import inputs

CONFIG_NAMESPACE = inputs.CONFIG_NAMESPACE


def _config() -> pulumi.Config:
    return pulumi.Config(CONFIG_NAMESPACE)


def value(explicit: Any, config_key: str, env_key: str) -> Any:
    """A plain input: `explicit`, else `vcf:<config_key>`, else `$<env_key>`, else None."""
    if explicit is not None:
        return explicit
    return _config().get(config_key) or os.environ.get(env_key) or None


def secret(explicit: Any, config_key: str, env_key: str) -> Any:
    """A secret input, looked up like `value`; the result is always wrapped as a secret."""
    if explicit is None:
        explicit = _config().get_secret(config_key)
    if explicit is None:
        explicit = os.environ.get(env_key) or None
    return None if explicit is None else pulumi.Output.secret(explicit)


def flag(explicit: Any, config_key: str, env_key: str) -> Any:
    """A boolean input, looked up like `value`, with one rule for stack config and environment:
    1/true/yes/on and 0/false/no/off (any case). Other text is passed on as it is, so the
    provider's check names the problem."""
    if explicit is not None:
        return explicit
    for raw in (_config().get(config_key), os.environ.get(env_key)):
        text = (raw or "").strip()
        if text:
            return parse_flag(text)
    return None


def parse_flag(text: str) -> bool | str:
    """True or False for a flag's usual spellings; anything else comes back unchanged."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    return text


def number(explicit: Any, default: float) -> Any:
    """A numeric input with a built-in default."""
    return default if explicit is None else explicit


def connection_inputs(
    *,
    host: Any,
    ca_bundle: Any,
    allow_unverified_tls: Any,
    timeout_seconds: Any,
    max_retries: Any,
) -> dict[str, Any]:
    """The inputs every token resource shares, each filled from config or env when unset."""
    return {
        inputs.HOST: value(host, "host", "VCF_HOST"),
        inputs.CA_BUNDLE: value(ca_bundle, "caBundle", "VCF_CA_BUNDLE"),
        inputs.ALLOW_UNVERIFIED_TLS: flag(
            allow_unverified_tls, "allowUnverifiedTls", "VCF_ALLOW_UNVERIFIED_TLS"
        ),
        inputs.TIMEOUT_SECONDS: number(timeout_seconds, inputs.DEFAULT_TIMEOUT_SECONDS),
        inputs.MAX_RETRIES: number(max_retries, inputs.DEFAULT_MAX_RETRIES),
    }
