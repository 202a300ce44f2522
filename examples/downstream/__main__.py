"""A refreshed access token feeding a resource that calls GET /v1/sddc-managers with it."""

import pulumi
from sddc_info import SddcManagers

from vcf_provider import RefreshedAccessToken

config = pulumi.Config("vcf")
token = RefreshedAccessToken("sddc-token")  # vcf:host, vcf:refreshToken, vcf:caBundle
managers = SddcManagers(
    "sddc-managers",
    host=token.host,
    access_token=token.access_token,  # secret in, secret in this resource's state too
    ca_bundle=config.get("caBundle"),
)
pulumi.export("managers", managers.managers)
