"""The benchmark's floor for plugins: a provider plugin that serves a resource and does no work.

`vcfnoop:index:RefreshedAccessToken` has `vcf:index:RefreshedAccessToken`'s inputs and outputs
(schema.json; tests/benchmarks/run.py checks them against `vcf_provider.resources.model` before it
measures), with `refreshToken` and `accessToken` secret. Create echoes the inputs and adds fixed
outputs, diff compares inputs (a `host` change replaces, as it does on the real resource), read
and delete do nothing. No network, no import of `vcf_provider`: what a source-based Python plugin
on `pulumi.provider.experimental` costs before it does anything.

Run by the Python language host (PulumiPlugin.yaml, `runtime: python`) as `python <this dir>`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.server import main

VERSION = "0.0.1"
SCHEMA = (Path(__file__).resolve().parent / "schema.json").read_text()
#: Inputs whose change replaces the resource, as on vcf:index:RefreshedAccessToken.
REPLACES = frozenset({"host"})
INPUTS = (
    "host",
    "refreshToken",
    "caBundle",
    "allowUnverifiedTls",
    "timeoutSeconds",
    "maxRetries",
    "renewBeforeSeconds",
    "triggers",
)


class NoOpTokenProvider(p.Provider):
    """Answers every call from what it was sent."""

    async def get_schema(self, request: p.GetSchemaRequest) -> p.GetSchemaResponse:
        return p.GetSchemaResponse(schema=SCHEMA)

    async def check(self, request: p.CheckRequest) -> p.CheckResponse:
        return p.CheckResponse(inputs=request.new_inputs)

    async def diff(self, request: p.DiffRequest) -> p.DiffResponse:
        changed = [name for name in INPUTS if request.old_state.get(name) != request.new_inputs.get(name)]
        return p.DiffResponse(
            changes=bool(changed),
            replaces=[name for name in changed if name in REPLACES],
            diffs=changed,
            detailed_diff={
                name: p.PropertyDiff(
                    p.PropertyDiffKind.UPDATE_REPLACE if name in REPLACES else p.PropertyDiffKind.UPDATE,
                    input_diff=True,
                )
                for name in changed
            },
        )

    async def create(self, request: p.CreateRequest) -> p.CreateResponse:
        return p.CreateResponse(resource_id="noop", properties=self._outputs(request.properties))

    async def update(self, request: p.UpdateRequest) -> p.UpdateResponse:
        return p.UpdateResponse(properties=self._outputs(request.news))

    async def delete(self, request: p.DeleteRequest) -> None:
        return None

    @staticmethod
    def _outputs(inputs: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
        return {
            **inputs,
            "accessToken": PropertyValue("noop.access.token", is_secret=True),
            "expiresAt": PropertyValue("2099-01-01T00:00:00Z"),
            "refreshedAt": PropertyValue("2026-01-01T00:00:00Z"),
            "clockSkewSeconds": PropertyValue(0.0),
        }


if __name__ == "__main__":
    main(sys.argv[1:], VERSION, NoOpTokenProvider())
