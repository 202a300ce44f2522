"""Builds and serves the policy pack; with --path, prints the directory to pass to --policy-pack."""

import sys

if "--path" in sys.argv[1:]:
    from vcf_provider.policy import PACK_DIRECTORY

    print(PACK_DIRECTORY)
else:
    from pulumi_policy import EnforcementLevel, PolicyPack

    from vcf_provider.policy.policies import ALL_POLICIES

    PolicyPack(
        name="vcf-provider-policies",
        enforcement_level=EnforcementLevel.MANDATORY,
        policies=ALL_POLICIES,
    )
