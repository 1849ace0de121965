"""The clock moto's patches settle resources' states by (a table `CREATING`, a TTL `ENABLING`).

moto's state is process-wide, so the timing its patches read is too: a `LocalCloud` hands its
`settings.timing` over with `use()` when it is made, as it sets IAM's `enforcing`. moto used
without a local cloud (the event sources' unit tests) settles everything at once, as moto does.

A state is never settled by a thread: a resource keeps the moment it settles (`settles_at`) and
whoever reads it compares that with `now()`.
"""

from __future__ import annotations

import time

from ..timing import INSTANT, Timing

_timing = INSTANT


def use(timing: Timing) -> None:
    """Settle the states of everything made from now on by `timing`."""
    global _timing
    _timing = timing


def current() -> Timing:
    """The timing the patches use now."""
    return _timing


def now() -> float:
    """The clock every deadline is on (monotonic: a changed wall clock moves nothing)."""
    return time.monotonic()


def settles_at(seconds: float) -> float:
    """The moment something that takes `seconds` from now is done."""
    return now() + seconds


def settled(deadline: float | None) -> bool:
    """True when `deadline` (from `settles_at`) has passed, or there is none."""
    return deadline is None or now() >= deadline
