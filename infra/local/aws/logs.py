"""CloudWatch Logs as Lambda writes them: log lines appended to moto's log groups and streams."""

from __future__ import annotations

from collections.abc import Iterable

from .backends import Backends

LogBatch = tuple[str, str, list[dict[str, object]]]  # (group, stream, [{"timestamp", "message"}])


def put_log_events(backends: Backends, batches: Iterable[LogBatch]) -> None:
    """Append each batch of events to its group and stream, creating them as Lambda does."""
    with backends.open() as services:
        logs = services.logs
        wrote = False
        for group, stream, events in batches:
            logs.ensure_log_group(group)
            logs.ensure_log_stream(group, stream)
            logs.put_log_events(group, stream, events)
            wrote = True
        if wrote:
            backends.wrote()


def expire_log_events(backends: Backends, now_ms: int, keep_ms: int, max_group_bytes: int) -> int:
    """Drop the events past their group's retention (`keep_ms` for a group that has none) and
    the oldest beyond `max_group_bytes` a group; returns how many were dropped.

    The lists shrink in place: the state's snapshots notice and rewrite them.
    """
    dropped = 0
    with backends.open() as services:
        for group in list(services.logs.groups.values()):
            days = group.retention_in_days
            cutoff = now_ms - (int(days) * 86_400_000 if days else keep_ms)
            streams = list(group.streams.values())
            oldest = min((s.events[0].timestamp for s in streams if s.events), default=now_ms)
            if oldest >= cutoff and sum(s.stored_bytes for s in streams) <= max_group_bytes:
                continue  # the usual case, seen without looking at every event
            kept_bytes = 0
            newest_first = sorted(
                ((event.timestamp, stream, event) for stream in streams for event in stream.events),
                key=lambda entry: entry[0],
                reverse=True,
            )
            keep: set[int] = set()
            for timestamp, _, event in newest_first:
                kept_bytes += len(event.message)
                if timestamp < cutoff or kept_bytes > max_group_bytes:
                    break
                keep.add(id(event))
            if len(keep) == len(newest_first):
                continue
            for stream in streams:
                kept = [event for event in stream.events if id(event) in keep]
                dropped += len(stream.events) - len(kept)
                stream.events[:] = kept
                stream.stored_bytes = sum(len(event.message) for event in kept)
        if dropped:
            backends.wrote()
    return dropped
