"""What SDDC Manager's task documents mean: final statuses, and the `errors` a failed task carries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcf_provider.api.payload import VcfError, parse_vcf_error

#: Statuses of a task (or sub-task) that ended well.
SUCCEEDED = frozenset({"SUCCESSFUL", "SUCCEEDED", "COMPLETED"})
#: Statuses of a task (or sub-task) that ended badly; both spellings of cancelled occur.
FAILED = frozenset({"FAILED", "CANCELLED", "CANCELED"})


def task_status(task: Mapping[str, Any]) -> str:
    """A task's status as compared: upper case, without surrounding blanks (`" Successful "`)."""
    return str(task.get("status", "") or "").strip().upper()


def task_errors(value: Any) -> tuple[VcfError, ...]:
    """Every error of a task's `errors`, however it is given: a list of VCF `Error`s, one `Error`
    object, or plain strings (each becomes an error with that message)."""
    items = value if isinstance(value, list) else [value] if value not in (None, "", {}) else []
    found: list[VcfError] = []
    for item in items:
        if isinstance(item, str):
            if item.strip():
                found.append(VcfError(message=item))
            continue
        parsed = parse_vcf_error(item)
        if parsed is not None:
            found.append(parsed)
        elif isinstance(item, Mapping) and item:
            found.append(VcfError(extra=dict(item)))
    return tuple(found)
