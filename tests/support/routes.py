"""The API routes and resource types the tests count and look up, named once."""

from __future__ import annotations

LOGIN = ("POST", "/v1/tokens")
REFRESH = ("PATCH", "/v1/tokens/access-token/refresh")
REVOKE = ("DELETE", "/v1/tokens/refresh-token")
MANAGERS = "/v1/sddc-managers"

TYPE_TOKEN = "pulumi-python:dynamic/vcf:RefreshedAccessToken"
TYPE_PAIR = "pulumi-python:dynamic/vcf:AccessTokenPair"
