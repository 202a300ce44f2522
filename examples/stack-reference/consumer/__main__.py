"""A stack that uses the producer's token without holding a refresh token of its own."""

import pulumi

config = pulumi.Config()
# For example organization/vcf-token-producer/dev on a file backend.
producer = pulumi.StackReference(config.require("producerStack"))

access_token = producer.require_output("access_token")  # a secret here too
pulumi.export("host", producer.require_output("host"))
pulumi.export("access_token", access_token)
pulumi.export("token_expires_at", producer.require_output("expires_at"))
