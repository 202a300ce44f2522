"""A local SDDC Manager emulator for tests and demos (install the `testing` extra for it)."""

from vcf_provider.testing.clock import EmulatorClock, ManualClock
from vcf_provider.testing.emulator import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator
from vcf_provider.testing.faults import Fault, RecordedRequest, vcf_error
from vcf_provider.testing.statedir import StateDirError, StateDirInUseError

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "EmulatorClock",
    "Fault",
    "ManualClock",
    "RecordedRequest",
    "SddcManagerEmulator",
    "StateDirError",
    "StateDirInUseError",
    "vcf_error",
]
