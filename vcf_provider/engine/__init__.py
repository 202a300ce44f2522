"""Hooks into the Pulumi Python provider host: a Cancel that stops waits, errors without tracebacks."""
