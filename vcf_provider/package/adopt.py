"""`pulumi import vcf:index:AccessTokenPair NAME <refresh-token-id>`: adopting a refresh token."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from pulumi.dynamic import ReadResult

from vcf_provider.api import properties as p
from vcf_provider.api import settings
from vcf_provider.api.errors import SddcManagerApiError, VcfProviderError
from vcf_provider.pair_provider import pair_outputs
from vcf_provider.provider import TokenProvider, stored_inputs
from vcf_provider.resources.defaults import first_given, from_env
from vcf_provider.resources.model import ACCESS_TOKEN_PAIR, ResourceModel

#: Fills a resource's unset inputs from the provider's config, the environment and the defaults.
Fill = Callable[[ResourceModel, Mapping[str, Any]], dict[str, Any]]

NOT_IMPORTABLE = (
    "a RefreshedAccessToken cannot be imported: there is nothing on SDDC Manager to adopt (an access "
    "token cannot be listed, looked up or revoked), and creating one costs the same single refresh "
    "an import would.\n"
    "  hint: declare the RefreshedAccessToken in the program and run `pulumi up`. To adopt a refresh "
    "token made elsewhere, import it as an AccessTokenPair: `pulumi config set --secret "
    "vcf:refreshToken <id>`, then `pulumi import vcf:index:AccessTokenPair NAME vcf:refreshToken`, and "
    "feed the pair's refreshToken to the RefreshedAccessToken."
)
IMPORT_ID_NOTE = (
    "the import id must be a refresh token id that this SDDC Manager still accepts (`refreshToken.id` "
    "from POST /v1/tokens); it may have expired or been revoked"
)


#: The import id that names no token: the provider's own `refreshToken` (stack config
#: `vcf:refreshToken`, else `VCF_REFRESH_TOKEN`). The engine writes an import id in plain text into
#: the checkpoint it saves while importing (`pending_operations`), so a token given as the id
#: lands there, and on the command line.
FROM_CONFIG = p.REFRESH_TOKEN.config or ""


def from_env_token() -> Any:
    """`VCF_REFRESH_TOKEN`, for the import id `FROM_CONFIG`."""
    return from_env(p.REFRESH_TOKEN)


def adopt(
    model: ResourceModel,
    delegate: TokenProvider,
    import_id: str,
    fill: Fill,
    config: Mapping[str, Any],
) -> ReadResult:
    """The state of an AccessTokenPair for the refresh token `import_id` (or, for `FROM_CONFIG`,
    the provider's configured one), checked with one refresh.

    The refresh token becomes the secret output `refreshToken`, never the id (a random one, as
    create gives) nor an input (the code `pulumi import` prints shows the inputs), so the state
    looks as if the pair had been created here: the destroy revokes it, and rotation counts from
    now. The connection and credentials are the provider's, as the program's own check fills them,
    so adding the printed code to the program plans no change.
    """
    if model is not ACCESS_TOKEN_PAIR:
        raise VcfProviderError(NOT_IMPORTABLE)
    refresh_token = import_id
    if import_id == FROM_CONFIG:
        refresh_token = first_given(
            p.REFRESH_TOKEN, (partial(config.get, p.REFRESH_TOKEN.name), from_env_token)
        )
        if not isinstance(refresh_token, str) or not refresh_token:
            raise VcfProviderError(
                f"the import id {FROM_CONFIG} takes the refresh token from the provider's config, and it "
                f"has none: `pulumi config set --secret {FROM_CONFIG} <refresh-token-id>` (or set "
                f"{p.REFRESH_TOKEN.env_var}), run the import, then `pulumi config rm {FROM_CONFIG}`"
            )
    if not refresh_token.strip() or refresh_token != refresh_token.strip():
        raise VcfProviderError(
            "the import id is empty or has white space around it: give the refresh token id alone"
        )
    props = fill(model, {})
    problems = settings.connection_problems(props)
    if problems:
        raise VcfProviderError(
            f"importing the pair needs the provider's connection: {problems[0][1]}\n"
            "  hint: set stack config vcf:host and vcf:caBundle (or pass `--provider` for an explicit one)"
        )
    from vcf_provider.api.client import SddcManagerClient

    with SddcManagerClient(delegate.settings(props), warn_unverified=False) as client:
        try:
            access_token = client.refresh_access_token(refresh_token)
        except SddcManagerApiError as error:
            if error.refresh_token_unknown:
                raise SddcManagerApiError.with_note(error, IMPORT_ID_NOTE) from None
            raise
    return ReadResult(uuid.uuid4().hex, pair_outputs(stored_inputs(props), access_token, refresh_token))
