"""The leak audit: proves that no secret value appears in any artifact, in any common encoding."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from tests.support.engine import PulumiStack
    from vcf_provider.testing import SddcManagerEmulator


def encodings(secret: str) -> dict[str, str]:
    """The forms a secret could take in logs or state: plain, base64 (any alignment), URL, JSON."""
    forms = {
        "plain": secret,
        "url-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret),
        "json-escaped": json.dumps(secret)[1:-1],
        "json-escaped (unicode kept)": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json-escaped twice": json.dumps(json.dumps(secret))[3:-3],
        "html-escaped": html.escape(secret),
    }
    spellings = {"": secret, " of json-escaped": forms["json-escaped"]}
    for label, spelling in spellings.items():
        data = spelling.encode()
        for shift in range(3):
            # base64 of a secret embedded at any offset contains this core, whatever surrounds it.
            chunk = base64.b64encode(b"\0" * shift + data).decode()
            core = chunk[4 if shift else 0 : -4]
            if len(core) >= 8:
                forms[f"base64{label} (offset {shift})"] = core
                forms[f"base64url{label} (offset {shift})"] = core.replace("+", "-").replace("/", "_")
    return forms


def find_leaks(artifacts: dict[str, str], secrets: Iterable[str]) -> list[str]:
    """Where each secret shows up, as 'artifact: encoding' lines (the secret itself never printed)."""
    found = []
    for index, secret in enumerate(s for s in secrets if s):
        for encoding, form in encodings(secret).items():
            for name, text in artifacts.items():
                if form in text:
                    found.append(f"secret #{index} appears {encoding} in {name}")
    return found


def assert_no_leaks(artifacts: dict[str, str], secrets: Iterable[str]) -> None:
    """Fails (without echoing any secret) when a secret appears in any artifact."""
    __tracebackhide__ = True  # pytest would show this frame's arguments: the secrets themselves
    secrets = [s for s in secrets if s]
    assert secrets, "the leak audit needs at least one secret to look for"
    leaks = find_leaks(artifacts, secrets)
    assert not leaks, "secrets leaked:\n" + "\n".join(sorted(set(leaks)))


def emulator_secrets(*emulators: SddcManagerEmulator) -> list[str]:
    """Every refresh token and access token the emulators issued: live, expired or revoked."""
    found: list[str] = []
    for emulator in emulators:
        found += [*emulator.issued_refresh_tokens, *emulator.issued_access_tokens]
    return found


def audit_stack(stack: PulumiStack, *emulators: SddcManagerEmulator, extra: Iterable[str] = ()) -> None:
    """The leak audit over everything `stack` left, for every token the emulators know and `extra`."""
    assert_no_leaks(stack.artifacts(), [*extra, *emulator_secrets(*emulators)])
