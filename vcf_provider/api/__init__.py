"""Talking to SDDC Manager: settings, transport, retries, token calls, errors, JWTs, redaction."""
