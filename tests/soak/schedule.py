"""Soak schedules: seeded gaps between `pulumi up --refresh` runs, and the events among them."""

from __future__ import annotations

import random
from dataclasses import dataclass

MINUTE = 60
HOUR = 3600
DAY = 86_400
YEAR = 365 * DAY

#: The gaps every long schedule has at least once: around the 1 h access token, the 20 h rotation
#: and the 24 h refresh token, and the long silences of a stack nobody touches.
REQUIRED_GAPS = (
    1 * MINUTE,
    59 * MINUTE,
    61 * MINUTE,
    5 * HOUR,
    19 * HOUR,
    21 * HOUR,
    int(23.9 * HOUR),
    int(24.1 * HOUR),
    3 * DAY,
    30 * DAY,
    90 * DAY,
)

#: What can happen before a run, besides time passing.
REVOKE_ALL = "an administrator revokes every token"
MANAGER_DOWN = "SDDC Manager is down"
CLOCK_OFF = "SDDC Manager's clock is 2 h ahead"
SIGTERM = "the run is cancelled (SIGTERM) mid-refresh"

#: How far SDDC Manager's clock is off during a CLOCK_OFF stretch.
CLOCK_OFF_SECONDS = 2 * HOUR


@dataclass(frozen=True)
class Run:
    """One `pulumi up --yes --refresh`: how long after the previous one, and what happens first."""

    gap_seconds: int
    events: tuple[str, ...] = ()

    @property
    def expect_failure(self) -> bool:
        """The down run and the cancelled run end non-zero; every other run must succeed."""
        return MANAGER_DOWN in self.events or SIGTERM in self.events


def long_schedule(seed: int, min_runs: int = 60, min_span_seconds: int = 2 * YEAR) -> list[Run]:
    """At least `min_runs` runs over at least `min_span_seconds`, every REQUIRED_GAP among them, and
    each event: two revocations, one down run (the next run heals), a 5-run stretch of a 2 h clock
    offset and one cancelled run. The same seed gives the same schedule."""
    rng = random.Random(seed)
    gaps = list(REQUIRED_GAPS)
    while len(gaps) + 1 < min_runs or sum(gaps) < min_span_seconds:
        gaps.append(rng.choice(REQUIRED_GAPS))
    rng.shuffle(gaps)
    runs = [Run(0)] + [Run(gap) for gap in gaps]
    count = len(runs)
    # Events at seeded places, apart from each other and from the first and last runs.
    slots = sorted(rng.sample(range(3, count - 8, 4), 5))
    revoke_1, down, clock_start, revoke_2, cancelled = slots
    events: dict[int, list[str]] = {}
    events.setdefault(revoke_1, []).append(REVOKE_ALL)
    events.setdefault(revoke_2, []).append(REVOKE_ALL)
    events.setdefault(down, []).append(MANAGER_DOWN)
    events.setdefault(cancelled, []).append(SIGTERM)
    for index in range(clock_start, clock_start + 5):
        events.setdefault(index, []).append(CLOCK_OFF)
    return [Run(run.gap_seconds, tuple(events.get(i, ()))) for i, run in enumerate(runs)]


def short_schedule() -> list[Run]:
    """The slice `make test` runs: every kind of event and the gaps around each boundary, in 8 runs.

    Run 4 sets SDDC Manager's clock 2 h ahead a minute after a refresh: the token looks fresh here
    and is dead there, so only measuring the manager's clock again renews it.
    """
    return [
        Run(0),
        Run(59 * MINUTE),
        Run(21 * HOUR, (REVOKE_ALL,)),
        Run(1 * MINUTE, (CLOCK_OFF,)),
        Run(int(24.1 * HOUR), (CLOCK_OFF, MANAGER_DOWN)),
        Run(61 * MINUTE),
        Run(19 * HOUR, (SIGTERM,)),
        Run(30 * DAY),
    ]
