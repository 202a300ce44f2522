"""A login pair feeding both kinds of consumer: a token read once now, and a resource that calls later."""

import pulumi
from sddc_info import SddcManagers
from workload_domain import WorkloadDomain

from vcf_provider import AccessTokenPair, RefreshedAccessToken

config = pulumi.Config("vcf")
# vcf:host, vcf:username, secret vcf:password, vcf:caBundle. Rotates every 20 h by default.
pair = AccessTokenPair("login")

# Read once, now (exported, or handed to a resource that only uses it during this `pulumi up`).
token = RefreshedAccessToken("sddc-token", host=pair.host, refresh_token=pair.refresh_token)
pulumi.export("expires_at", token.expires_at)

# Calls SDDC Manager again in later updates and in its delete: give it the refresh token.
managers = SddcManagers(
    "sddc-managers",
    host=pair.host,
    refresh_token=pair.refresh_token,  # secret in, secret in this resource's state too
    ca_bundle=config.get("caBundle"),
)
pulumi.export("managers", managers.managers)

# Runs for a long time in its create (one to two hours on a real manager): the token renews itself.
domain = WorkloadDomain(
    "wld-01",
    host=pair.host,
    refresh_token=pair.refresh_token,
    ca_bundle=config.get("caBundle"),
    domain_name="wld-01",
    poll_seconds=pulumi.Config().get_float("pollSeconds"),
)
pulumi.export("domain_task", domain.task_id)
