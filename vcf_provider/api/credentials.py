"""Ways to log in to SDDC Manager (POST /v1/tokens): which source decides, the one-method check, the body."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vcf_provider.api import properties as p

USERNAME = p.USERNAME.name
PASSWORD = p.PASSWORD.name
API_KEY = p.API_KEY.name
ID_TOKEN = p.ID_TOKEN.name


def _is_given(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _methods_in(source: Mapping[str, Any], is_given: Callable[[Any], bool]) -> list[tuple[p.Property, ...]]:
    return [method for method in p.LOGIN_METHODS if any(is_given(source.get(prop.name)) for prop in method)]


def choose(
    sources: Sequence[Mapping[str, Any]], is_given: Callable[[Any], bool] = _is_given
) -> dict[str, Any]:
    """The credentials to log in with, from `sources` in order of precedence (explicit inputs,
    then stack config, then the environment), by one rule:

    The first source that gives any credential decides the login method; a field of that method
    it lacks (the password for its username) comes from the later sources. So `api_key=...` in a
    program wins over `vcf:username` and `vcf:password` in stack config. A source that gives two
    methods is kept as it is, for `problems` to refuse.
    """
    for index, source in enumerate(sources):
        methods = _methods_in(source, is_given)
        if not methods:
            continue
        chosen = {
            prop.name: source.get(prop.name) for prop in p.CREDENTIALS if is_given(source.get(prop.name))
        }
        if len(methods) == 1:
            for prop in methods[0]:
                if prop.name not in chosen:
                    later = (s.get(prop.name) for s in sources[index + 1 :])
                    chosen[prop.name] = next((value for value in later if is_given(value)), None)
        return chosen
    return {}


def hint() -> str:
    """How to give one way to log in, naming each method's input, stack config and variable."""
    user, password = p.USERNAME, p.PASSWORD
    return (
        f"set one way to log in: username and password (stack config {user.config} and secret "
        f"{password.config}, or {user.env_var} and {password.env_var}), or api_key (secret "
        f"{p.API_KEY.config} or {p.API_KEY.env_var}), or id_token from VCF 9's identity broker "
        f"(secret {p.ID_TOKEN.config} or {p.ID_TOKEN.env_var})"
    )


def problems(
    values: Mapping[str, Any],
    is_given: Callable[[Any], bool] = _is_given,
    hint_text: str | None = None,
) -> list[tuple[str, str]]:
    """(property, reason) pairs unless exactly one way to log in is given: username and password,
    an API key, or an identity broker id token. The hint (`hint()` by default) ends every reason."""
    advice = hint_text if hint_text is not None else hint()
    methods = _methods_in(values, is_given)
    if len(methods) > 1:
        names = [" and ".join(prop.name for prop in method) for method in methods]
        return [("", f"give one way to log in, not {' and '.join(names)}: {advice}")]
    if not methods:
        return [("", f"no credentials: {advice}")]
    missing = [prop for prop in methods[0] if not is_given(values.get(prop.name))]
    if not missing:
        return []
    if missing[0] is p.USERNAME:
        return [(USERNAME, f"username is missing: {advice}")]
    return [(missing[0].name, f"{missing[0].name} is missing for this username: {advice}")]


def login_body(values: Mapping[str, Any]) -> dict[str, str]:
    """The TokenCreationSpec for the one login method that (checked) `values` give."""
    if _is_given(values.get(API_KEY)):
        return {"apiKey": str(values[API_KEY])}
    if _is_given(values.get(ID_TOKEN)):
        return {"idToken": str(values[ID_TOKEN])}
    return {"username": str(values[USERNAME]), "password": str(values[PASSWORD])}
