"""How long the states the timing tests make last: the defaults, or longer than the tests'.

`states.use()` is process-wide, as moto is: whatever begins inside the block settles by the
timing given, and the module cloud's timing is back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace

from infra.local.aws import states
from infra.local.timing import DEFAULT, Timing


@contextlib.contextmanager
def timing(chosen: Timing) -> Iterator[None]:
    """States begun in the block settle by `chosen`."""
    before = states.current()
    states.use(chosen)
    try:
        yield
    finally:
        states.use(before)


def at_defaults() -> contextlib.AbstractContextManager[None]:
    """States begun in the block last as long as in `workshop cloud` (the default timing)."""
    return timing(DEFAULT)


def lasting(**seconds: float) -> contextlib.AbstractContextManager[None]:
    """States begun in the block last `seconds` (say function_update=3.0): long enough that a
    careless call made right after lands inside them, even on a busy machine."""
    return timing(replace(states.current(), **seconds))


@contextlib.contextmanager
def clock_held() -> Iterator[None]:
    """The states' clock stands still in the block: what begins in it keeps its first state
    (a table CREATING, an index CREATING) until the block ends, however slow the machine.
    The clock runs on afterwards, so waiters outside the block see it settle."""
    real_now = states.now
    held_at = real_now()
    states.now = lambda: held_at
    try:
        yield
    finally:
        states.now = real_now
