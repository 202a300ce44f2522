"""Quickstart: an SDDC Manager access token that Pulumi refreshes and renews for the rest of the stack."""

import pulumi

from vcf_provider import RefreshedAccessToken

# host, refreshToken (secret) and caBundle come from stack config (`pulumi config set vcf:...`),
# so this program runs unchanged against the emulator and against a real SDDC Manager.
token = RefreshedAccessToken("sddc-token")

# access_token is always a secret: `pulumi stack output` shows [secret]. Other resources take it as
# an input (see examples/downstream); expires_at tells when the next `pulumi up` renews it.
pulumi.export("access_token", token.access_token)
pulumi.export("expires_at", token.expires_at)
pulumi.export("refreshed_at", token.refreshed_at)
