"""The one rule for credentials: the first source that gives any decides the login method."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from vcf_provider.api import credentials
from vcf_provider.resources import defaults
from vcf_provider.resources.model import ACCESS_TOKEN_PAIR


@pytest.fixture
def stack_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name in ("VCF_USERNAME", "VCF_PASSWORD", "VCF_API_KEY", "VCF_ID_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config: dict[str, str] = {}
    yield config
    pulumi.runtime.set_all_config({})


def given(props: dict[str, Any]) -> set[str]:
    return {name for name in ("username", "password", "api_key", "id_token") if props[name] is not None}


def test_an_explicit_api_key_wins_over_a_username_and_password_in_stack_config(
    stack_config: dict[str, str],
) -> None:
    pulumi.runtime.set_all_config({"vcf:username": "admin@local", "vcf:password": "pw-in-config"})

    props = defaults.resource_inputs(ACCESS_TOKEN_PAIR, {"api_key": "key-in-program"})

    assert given(props) == {"api_key"}
    assert credentials.problems({"api_key": "key-in-program"}) == []


def test_stack_config_decides_over_the_environment(
    stack_config: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VCF_API_KEY", "key-in-env")
    pulumi.runtime.set_all_config({"vcf:username": "admin@local", "vcf:password": "pw-in-config"})

    assert given(defaults.resource_inputs(ACCESS_TOKEN_PAIR, {})) == {"username", "password"}


def test_an_explicit_username_takes_its_password_from_a_later_source(
    stack_config: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VCF_PASSWORD", "pw-in-env")
    pulumi.runtime.set_all_config({"vcf:apiKey": "key-in-config"})

    props = defaults.resource_inputs(ACCESS_TOKEN_PAIR, {"username": "admin@local"})

    assert given(props) == {"username", "password"}


def test_two_methods_in_one_source_are_still_refused() -> None:
    chosen = credentials.choose([{"username": "u", "password": "p", "api_key": "k"}, {}, {}])

    (failure,) = credentials.problems(chosen)
    assert failure[0] == ""
    assert failure[1].startswith("give one way to log in, not username and password and api_key")


def test_a_missing_password_is_named_only_in_the_reason() -> None:
    (failure,) = credentials.problems({"username": "u"})

    assert failure[0] == "password"  # inputs.failures drops the name of a secret input
    assert "password is missing for this username" in failure[1]
    assert "vcf:password" in failure[1]
