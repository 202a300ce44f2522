"""Quickstart: an SDDC Manager access token that Pulumi refreshes and renews for the rest of the stack."""

import pulumi

from vcf_provider import AccessTokenPair, RefreshedAccessToken

# Everything comes from stack config (`pulumi config set vcf:...`), so this program runs unchanged
# against the emulator (`make demo`) and against a real SDDC Manager:
#   vcf:host, vcf:caBundle, and either vcf:refreshToken (secret) or vcf:username + vcf:password (secret).
config = pulumi.Config("vcf")
refresh_token = config.get_secret("refreshToken")
if refresh_token is None:
    # Log in with credentials; the pair's refresh token is revoked when the stack is destroyed.
    refresh_token = AccessTokenPair("sddc-login").refresh_token

token = RefreshedAccessToken("sddc-token", refresh_token=refresh_token)

# access_token is always a secret: `pulumi stack output` shows [secret]. Other resources take it as
# an input (see examples/downstream); expires_at tells when the next `pulumi up` renews it.
pulumi.export("access_token", token.access_token)
pulumi.export("expires_at", token.expires_at)
pulumi.export("refreshed_at", token.refreshed_at)
