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

# Calls SDDC Manager in its create and updates, during a `pulumi up`: give it the refresh token.
managers = SddcManagers(
    "sddc-managers",
    host=pair.host,
    refresh_token=pair.refresh_token,  # secret; a new one (rotation) changes nothing here
    ca_bundle=config.get("caBundle"),
)
pulumi.export("managers", managers.managers)

# Calls SDDC Manager in its create (one to two hours on a real manager) and in its delete, which may
# run a month from now, when every token in the state has expired: it takes no token, and logs in
# with the stack's credentials (vcf:username, vcf:password) each time, revoking that login after.
domain = WorkloadDomain(
    "wld-01",
    host=pair.host,
    ca_bundle=config.get("caBundle"),
    domain_name="wld-01",
    poll_seconds=pulumi.Config().get_float("pollSeconds"),
)
pulumi.export("domain_id", domain.id)
pulumi.export("domain_task", domain.task_id)
