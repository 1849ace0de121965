"""How long the local cloud's resources take to settle, as AWS's do.

On AWS nothing is instant: a table is `CREATING`, a function `Pending`, a new role not yet
assumable by Lambda. Code that skips a waiter passes on an instant cloud and fails on a learner's
first day on AWS, so the local cloud takes time too. Each figure is how long one state lasts:

- ``default``: a second or two each, long enough that a missing waiter fails as on AWS, short
  enough that a lesson does not drag;
- ``aws``: AWS's typical durations (`workshop cloud --timing aws`);
- ``short``: a fifth of the defaults, for the kit's own tests (never zero, so a missing waiter
  still fails there);
- ``instant``: everything settles at once (`--timing instant`), as the kit used to.

The one-hour rules (TTL changes) are AWS's own limits, not durations, and hold in every mode but
``instant``. `workshop up` hands its mode to every cloud it starts through ``WORKSHOP_TIMING``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

ENVIRONMENT = "WORKSHOP_TIMING"  # the mode a cloud started without `--timing` uses


@dataclass(frozen=True)
class Timing:
    """Seconds each transitional state lasts (see the module)."""

    table_create: float = 1.5  # CreateTable: CREATING, then ACTIVE
    table_update: float = 1.0  # UpdateTable (a stream, an index): UPDATING, then ACTIVE
    table_delete: float = 1.0  # DeleteTable: DELETING, then gone
    ttl_change: float = 2.0  # UpdateTimeToLive: ENABLING/DISABLING, then ENABLED/DISABLED
    ttl_cooldown: float = 3600.0  # AWS refuses another TTL change this soon (an hour)
    ttl_delete_delay: float = 5.0  # an expired item is deleted this long after it expires
    function_create: float = 1.0  # CreateFunction: Pending, then Active
    function_update: float = 1.0  # each update: LastUpdateStatus InProgress, then Successful
    role_propagation: float = 2.0  # a new role cannot be assumed by Lambda this long
    mapping_change: float = 1.5  # event source mapping: Creating/Updating/Disabling/Deleting

    def scaled(self, factor: float) -> Timing:
        """Every duration times `factor`; the one-hour rule stays AWS's."""
        return replace(
            self,
            **{
                f.name: getattr(self, f.name) * factor
                for f in fields(self)
                if f.name != "ttl_cooldown"
            },
        )


DEFAULT = Timing()
AWS = Timing(
    table_create=10.0,
    table_update=10.0,
    table_delete=10.0,
    ttl_change=60.0,
    ttl_delete_delay=600.0,
    function_create=5.0,
    function_update=5.0,
    role_propagation=10.0,
    mapping_change=30.0,
)
SHORT = DEFAULT.scaled(0.2)
INSTANT = replace(DEFAULT.scaled(0.0), ttl_cooldown=0.0)

MODES = {"default": DEFAULT, "aws": AWS, "short": SHORT, "instant": INSTANT}


class UnknownTiming(ValueError):
    """A mode name that is not one of `MODES`."""


def timing_named(name: str | None = None) -> Timing:
    """The mode `name`, else ``WORKSHOP_TIMING``'s, else the default."""
    chosen = (name or os.environ.get(ENVIRONMENT) or "default").strip().lower()
    if chosen not in MODES:
        raise UnknownTiming(f"unknown timing {chosen!r}: use one of {', '.join(MODES)}")
    return MODES[chosen]
