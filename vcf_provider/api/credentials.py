"""Ways to log in to SDDC Manager (POST /v1/tokens): the one-method rule and the TokenCreationSpec."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

USERNAME = "username"
PASSWORD = "password"  # noqa: S105 - a property name
API_KEY = "api_key"
ID_TOKEN = "id_token"  # noqa: S105 - a property name


def _is_given(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def problems(
    values: Mapping[str, Any], hint: str, is_given: Callable[[Any], bool] = _is_given
) -> list[tuple[str, str]]:
    """(property, reason) pairs unless exactly one way to log in is given: username and password,
    an API key, or an identity broker id token. `hint` ends every reason.

    The property is empty where naming it would make the engine print its (secret) value.
    """
    has_user, has_password = is_given(values.get(USERNAME)), is_given(values.get(PASSWORD))
    methods = [
        name
        for name, given in (
            ("username and password", has_user or has_password),
            (API_KEY, is_given(values.get(API_KEY))),
            (ID_TOKEN, is_given(values.get(ID_TOKEN))),
        )
        if given
    ]
    if len(methods) > 1:
        return [("", f"give one way to log in, not {' and '.join(methods)}: {hint}")]
    if not methods:
        return [("", f"no credentials: {hint}")]
    if methods[0] != "username and password":
        return []
    if not has_user:
        return [(USERNAME, f"username is missing: {hint}")]
    if not has_password:
        return [("", f"password is missing for this username: {hint}")]
    return []


def login_body(values: Mapping[str, Any]) -> dict[str, str]:
    """The TokenCreationSpec for the one login method that (checked) `values` give."""
    if _is_given(values.get(API_KEY)):
        return {"apiKey": str(values[API_KEY])}
    if _is_given(values.get(ID_TOKEN)):
        return {"idToken": str(values[ID_TOKEN])}
    return {"username": str(values[USERNAME]), "password": str(values[PASSWORD])}
