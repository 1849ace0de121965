"""Hooks into moto so that stream pollers wake on events instead of polling.

moto 5.2.5 appends DynamoDB stream records in ``StreamShard.add`` and, when a table has Lambda
event source mappings, also tries to run the function itself (in Docker) and then *clears* the
shard. We replace ``add`` with a version that only records (so the API's GetRecords and our
pollers both see every record, with stable sequence numbers) and signals waiting pollers.
We also wrap the event-source-mapping calls of moto's Lambda backend so that creating, updating
or deleting a mapping wakes the pollers and LATEST remembers where the shard ended at creation.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.dynamodb.models.table import StreamRecord, StreamShard

# The Streams API (GetRecords) spells it like this; Lambda events use "type"/"principalId".
TTL_USER_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


class ChangeSignal:
    """A generation counter with a condition: waiters never miss a change that happened
    between reading state and starting to wait."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def bump(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait_for_change(self, seen: int, timeout: float | None = None) -> int:
        """Block until the generation differs from ``seen`` (or timeout); return the current one."""
        with self._condition:
            self._condition.wait_for(lambda: self._generation != seen, timeout)
            return self._generation


# One process-wide signal: bumped on every stream record and every mapping change.
stream_changes = ChangeSignal()

_state = threading.local()
_install_lock = threading.Lock()
_installed = False


@contextlib.contextmanager
def removals_by_ttl() -> Iterator[None]:
    """Mark REMOVE records written in this block as TTL deletions (AWS adds userIdentity)."""
    _state.ttl = True
    try:
        yield
    finally:
        _state.ttl = False


def _add_record(self: StreamShard, old: Any, new: Any) -> None:
    """StreamShard.add without moto's own Lambda dispatch, plus AWS's record details."""
    view_type = self.table.stream_specification["StreamViewType"]  # type: ignore[index]
    if old is None:
        event_name = "INSERT"
    elif new is None:
        event_name = "REMOVE"
    else:
        event_name = "MODIFY"
    sequence_number = len(self.items) + self.starting_sequence_number
    record = StreamRecord(self.table, view_type, event_name, old, new, sequence_number)
    record.record["eventVersion"] = "1.1"  # what DynamoDB Streams sends today
    record.record["awsRegion"] = self.table.region_name
    if event_name == "REMOVE" and getattr(_state, "ttl", False):
        record.record["userIdentity"] = dict(TTL_USER_IDENTITY)
    self.items.append(record)
    stream_changes.bump()


def _notify_after(method: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        finally:
            stream_changes.bump()

    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper


def _create_mapping(original: Any) -> Any:
    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        mapping = original(self, spec)
        shard = shard_for(mapping.event_source_arn, self.account_id, self.region_name)
        if shard is not None:
            # LATEST starts after the records that exist when the mapping is created.
            mapping.workshop_latest_index = len(shard.items)
        stream_changes.bump()
        return mapping

    create_event_source_mapping.__wrapped__ = original  # type: ignore[attr-defined]
    return create_event_source_mapping


def _configuration_with_result(original: Any) -> Any:
    def get_configuration(self: EventSourceMapping) -> dict[str, Any]:
        configuration = original(self)
        if self.event_source_arn.split(":")[2] == "dynamodb":
            configuration["LastProcessingResult"] = getattr(
                self, "workshop_last_processing_result", "No records processed"
            )
        return configuration

    get_configuration.__wrapped__ = original  # type: ignore[attr-defined]
    return get_configuration


def shard_for(stream_arn: str, account_id: str, region: str) -> StreamShard | None:
    """The live shard of the stream ``stream_arn``, or None if it is gone (caller holds the lock)."""
    from moto.dynamodb.models import dynamodb_backends

    if ":dynamodb:" not in stream_arn or "/stream/" not in stream_arn:
        return None
    table_part, _, label = stream_arn.split(":", 5)[5].partition("/stream/")
    table_name = table_part.removeprefix("table/")
    table = dynamodb_backends[account_id][region].tables.get(table_name)
    if table is None or table.latest_stream_label != label:
        return None
    return table.stream_shard


def install_stream_notifier() -> None:
    """Patch moto once per process (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        StreamShard.add = _add_record  # type: ignore[method-assign]
        LambdaBackend.create_event_source_mapping = _create_mapping(  # type: ignore[method-assign]
            LambdaBackend.create_event_source_mapping
        )
        LambdaBackend.update_event_source_mapping = _notify_after(  # type: ignore[method-assign]
            LambdaBackend.update_event_source_mapping
        )
        LambdaBackend.delete_event_source_mapping = _notify_after(  # type: ignore[method-assign]
            LambdaBackend.delete_event_source_mapping
        )
        EventSourceMapping.get_configuration = _configuration_with_result(  # type: ignore[method-assign]
            EventSourceMapping.get_configuration
        )
        _installed = True
