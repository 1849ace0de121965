"""API Gateway's WebSocket quotas, and the limits that shape how the gateway schedules frames."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GatewayLimits:
    """API Gateway's WebSocket quotas; the timeouts are configurable so tests can be quick.

    The rest shape how frames are scheduled (`scheduler.py`). A connection's frames start in
    the order they came. A frame may run beside an earlier one of its connection (as on AWS)
    once that one has run for `overtake_after` seconds: a slow handler does not hold its
    connection up, while a burst of quick frames keeps its order even when a loaded laptop
    stalls one of them for tens of milliseconds (or a person's pointer would jump back). Once
    `busy_at` message integrations run in all, each connection gets one at a time: everyone
    keeps their turn and nobody's moves overtake each other. Frames wait in memory, so
    connections keep answering pings while the cloud catches up; only a connection with more
    than `max_queued_per_connection` frames waiting (minutes of a fast sender) is not read
    until it catches up, so TCP slows it down instead of the cloud dropping anything.

    What goes out to a client never waits for it to read: a @connections POST answers at once.
    A client that stops reading (a closed laptop lid) has at most `max_outbox_bytes` or
    `max_outbox_frames` waiting for it beyond what the OS's socket buffers hold; past that the
    gateway closes it (`OUTBOX_FULL`), its $disconnect runs, and later POSTs get 410. AWS does
    not document this limit: docs/local-cloud.md says what the kit chose.
    """

    max_message_bytes: int = 128 * 1024
    max_frame_bytes: int = 32 * 1024
    idle_timeout: float = 600.0
    max_connection_age: float = 7200.0
    overtake_after: float = 0.25
    busy_at: int = 4
    max_concurrent_per_connection: int = 10
    max_queued_per_connection: int = 10_000
    max_outbox_bytes: int = 1 << 20
    max_outbox_frames: int = 10_000


# The close code and $disconnect reason of a client whose outbound buffer overflowed (it stopped
# reading): 1008, policy violation, as API Gateway uses it for its other quotas.
OUTBOX_FULL = (1008, "Client not reading: outbound buffer full")
