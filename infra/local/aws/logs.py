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
