"""The Pulumi side: the resources, their model, input checks and defaults, notices, token timing."""
