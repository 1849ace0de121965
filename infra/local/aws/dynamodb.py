"""DynamoDB as the event sources need it: stream records that wake their readers, TTL deletions,
and the Streams API host that current botocore uses.

moto 5.2.5 appends stream records in ``StreamShard.add`` and, when a table has Lambda event
source mappings, also tries to run the function itself (in Docker) and then *clears* the shard.
``install()`` replaces ``add`` with a version that only records (so GetRecords and our pollers
both see every record, with stable sequence numbers) and bumps ``stream_changes``. It also wraps
the event-source-mapping calls of moto's Lambda backend so that creating, updating or deleting a
mapping wakes the pollers, and LATEST remembers where the shard ended at creation. Creating one
refuses a role that cannot read the stream, by the check the local cloud hands over
(`check_stream_readers`: its guard's, so IAM's rules live in `infra.local.access` alone).

botocore (1.40+) sends DynamoDB Streams calls to ``https://{account}.streams-ddb.{region}...``,
which moto's in-process URL dispatch (``mock_aws``) does not know; ``install()`` teaches it.
moto's server app routes by ``X-Amz-Target`` and needs no help.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto import backend_index
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.dynamodb.models.table import StreamRecord, StreamShard
from moto.dynamodbstreams import urls as streams_urls

from . import dynamodb_states, mapping_states, states
from .backends import Backends
from .patching import replace, wrap

# The Streams API (GetRecords) spells it like this; Lambda events use "type"/"principalId".
TTL_USER_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
ACCOUNT_BASED_STREAMS_HOST = r"https?://(.+)\.streams-ddb\.(.+)\.amazonaws\.com"
FIVE_YEARS = 5 * 365 * 24 * 3600
NO_RECORDS = "No records processed"


def cannot_access_stream(stream_arn: str) -> str:
    """What Lambda says when a mapping's role cannot read its stream."""
    return (
        f"Cannot access stream {stream_arn}. Please ensure the role can perform the GetRecords, "
        "GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
    )


class ChangeSignal:
    """A generation counter that threads and event-loop tasks can wait on: waiters never miss
    a change that happened between reading state and starting to wait."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._generation = 0
        self._tasks: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def generation(self) -> int:
        return self._generation

    def bump(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()
            waiting = list(self._tasks)
        for loop, event in waiting:
            if _running_loop() is loop:
                event.set()
            elif not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(event.set)

    def wait_for_change(self, seen: int, timeout: float | None = None) -> int:
        """Block until the generation differs from ``seen`` (or timeout); return the current one."""
        with self._condition:
            self._condition.wait_for(lambda: self._generation != seen, timeout)
            return self._generation

    async def changed(self, seen: int, timeout: float | None = None) -> int:
        """`wait_for_change` for a task on an event loop."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._condition:
            if self._generation != seen:
                return self._generation
            self._tasks.add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._condition:
                self._tasks.discard(waiter)
        return self._generation


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


# One process-wide signal: bumped on every stream record and every mapping change.
stream_changes = ChangeSignal()

_state = threading.local()
_install_lock = threading.Lock()
_installed = False

# Whether a role may read a stream, (role ARN, stream ARN) -> bool: the local cloud's guard
# answers (`check_stream_readers`); with none (moto without a local cloud), no role is refused.
StreamReadable = Callable[[str, str], bool]
_stream_readable: StreamReadable | None = None


def check_stream_readers(readable: StreamReadable | None) -> StreamReadable | None:
    """Have CreateEventSourceMapping refuse, with Lambda's message, a role that `readable` says
    cannot read the mapping's stream (None: refuse none). Process-wide, as moto is: returns the
    check it replaces, for the local cloud to give back when it stops."""
    global _stream_readable
    before, _stream_readable = _stream_readable, readable
    return before


def stream_readers_check() -> StreamReadable | None:
    """The check CreateEventSourceMapping uses now (`check_stream_readers`)."""
    return _stream_readable


# ---------------------------------------------------------------- stream records


@dataclass(frozen=True)
class MappingState:
    """One DynamoDB stream event source mapping and where its stream's shard ends now."""

    function_arn: str
    event_source_arn: str
    role: str | None  # the function's execution role, which reads the stream (None: no function)
    enabled: bool  # Enabled (or Updating) now: the poller delivers records
    batch_size: int
    batching_window: float
    max_retry_attempts: int | None
    starting_position: str
    latest_index: int | None  # for LATEST: the shard's length when the mapping was created
    shard_length: int | None  # None while the stream is gone or disabled
    position: int | None  # the next record to deliver, once a batch was handled (saved state)
    trimmed: int = 0  # records expired from the shard's front (indexes count them)
    settles_in: float | None = None  # seconds until its Creating, Enabling... runs out


def is_dynamodb_stream(arn: str) -> bool:
    return ":dynamodb:" in arn and "/stream/" in arn


def stream_mapping_ids(backends: Backends) -> list[str]:
    """The UUIDs of every event source mapping that reads a DynamoDB stream."""
    with backends.open() as services:
        mappings = services.lambda_._event_source_mappings
        return [uuid for uuid, m in mappings.items() if is_dynamodb_stream(m.event_source_arn)]


def mapping_state(backends: Backends, uuid: str) -> MappingState | None:
    """A mapping's settings and its shard's length, or None once the mapping is deleted."""
    with backends.open() as services:
        mapping = services.lambda_._event_source_mappings.get(uuid)
        if mapping is None:
            return None
        shard = _shard(services.dynamodb, mapping.event_source_arn)
        delivering = bool(mapping.enabled) and mapping_states.state(mapping) in (
            mapping_states.DELIVERING
        )
        if delivering and "workshop_enabled_at" in mapping.__dict__:
            _latest_once_enabled(mapping, shard)
        return MappingState(
            function_arn=mapping.function_arn,
            event_source_arn=mapping.event_source_arn,
            role=_role_of(services.lambda_, mapping.function_arn),
            enabled=delivering,
            batch_size=int(mapping.batch_size),
            batching_window=float(mapping.max_batch_window or 0),
            max_retry_attempts=mapping.max_retry_attempts,
            starting_position=mapping.starting_position,
            latest_index=getattr(mapping, "workshop_latest_index", None),
            shard_length=_length(shard) if shard is not None else None,
            position=getattr(mapping, "workshop_position", None),
            trimmed=_trimmed(shard) if shard is not None else 0,
            settles_in=mapping_states.settles_in(mapping),
        )


def _role_of(lambda_backend: LambdaBackend, function_arn: str) -> str | None:
    try:
        return str(lambda_backend.get_function(function_arn).role or "")
    except Exception:  # moto's UnknownFunctionException: deleted while its mapping lives on
        return None


def _latest_once_enabled(mapping: Any, shard: StreamShard | None) -> None:
    """LATEST starts after every record written before the mapping was Enabled (AWS delivers
    none of them), not only those before CreateEventSourceMapping."""
    enabled_at = mapping.__dict__.pop("workshop_enabled_at")
    latest = getattr(mapping, "workshop_latest_index", None)
    if latest is None or shard is None:
        return
    trimmed = _trimmed(shard)
    index = max(latest - trimmed, 0)
    while index < len(shard.items) and getattr(shard.items[index], "workshop_at", 0.0) < enabled_at:
        index += 1
    mapping.workshop_latest_index = index + trimmed


def _trimmed(shard: Any) -> int:
    return int(getattr(shard, "workshop_trimmed", 0))


def _length(shard: Any) -> int:
    """A shard's length counting its expired records: the kit's indexes never move."""
    return len(shard.items) + _trimmed(shard)


def stream_records(backends: Backends, stream_arn: str, start: int, count: int) -> list[Any]:
    """Records ``start`` to ``start + count`` of the stream's shard, shaped as Lambda sends them."""
    with backends.open() as services:
        shard = _shard(services.dynamodb, stream_arn)
        if shard is None:
            return []
        start = max(0, start - _trimmed(shard))
        return [lambda_record(r.to_json(), stream_arn) for r in shard.items[start : start + count]]


def record_progress(backends: Backends, uuid: str, result: str, position: int) -> None:
    """After a batch: what GetEventSourceMapping reports as LastProcessingResult, and the
    index of the next record to deliver, kept on the mapping so a restored cloud goes on there
    (neither delivering a handled record again nor skipping one)."""
    with backends.open() as services:
        mapping = services.lambda_._event_source_mappings.get(uuid)
        if mapping is not None:
            mapping.workshop_last_processing_result = result
            mapping.workshop_position = position
            backends.wrote()


def expire_stream_records(backends: Backends, before: float, keep: int | None = None) -> int:
    """Drop the stream records created before `before` (epoch seconds), as DynamoDB Streams does
    after 24 hours, and all but a shard's newest `keep`; returns how many. Sequence numbers and
    the kit's indexes stay as they were: the shard's first sequence number moves on, and it
    counts what it dropped."""
    dropped = 0
    with backends.open() as services:
        for table in list(services.dynamodb.tables.values()):
            shard = getattr(table, "stream_shard", None)
            if shard is None or not shard.items:
                continue
            expired = 0 if keep is None else max(0, len(shard.items) - keep)
            for record in shard.items[expired:]:
                if _created(record) >= before:
                    break
                expired += 1
            if expired:
                del shard.items[:expired]
                shard.starting_sequence_number += expired
                shard.workshop_trimmed = _trimmed(shard) + expired
                dropped += expired
        if dropped:
            backends.wrote()
    return dropped


def _created(record: Any) -> float:
    created = record.record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        if created.tzinfo is None:  # moto stores naive UTC
            created = created.replace(tzinfo=UTC)
        return created.timestamp()
    return float(created or 0)


def lambda_record(stream_record: dict[str, Any], event_source_arn: str) -> dict[str, Any]:
    """One moto stream record in the shape Lambda delivers it (epoch-seconds timestamp).

    Only the top level is copied: the images are shared with moto's record, and nobody
    changes them (the invoker turns the event into JSON at once).
    """
    dynamodb = dict(stream_record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        if created.tzinfo is None:  # moto stores naive UTC
            created = created.replace(tzinfo=UTC)
        # AWS rounds down to the second and sends a JSON number such as 1763775300.0.
        dynamodb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    record = {
        "eventID": stream_record["eventID"],
        "eventName": stream_record["eventName"],
        "eventVersion": stream_record["eventVersion"],
        "eventSource": stream_record["eventSource"],
        "awsRegion": stream_record["awsRegion"],
        "dynamodb": dynamodb,
        "eventSourceARN": event_source_arn,
    }
    identity = stream_record.get("userIdentity")
    if identity:  # a TTL deletion; Lambda events spell the keys in camelCase
        record["userIdentity"] = {"type": identity["Type"], "principalId": identity["PrincipalId"]}
    return record


def _shard(dynamodb: Any, stream_arn: str) -> StreamShard | None:
    """The live shard of the stream ``stream_arn``, or None if it is gone (lock held)."""
    if not is_dynamodb_stream(stream_arn):
        return None
    table_part, _, label = stream_arn.split(":", 5)[5].partition("/stream/")
    table_name = table_part.removeprefix("table/")
    table = dynamodb.tables.get(table_name)
    if table is None or table.latest_stream_label != label:
        return None
    return table.stream_shard


# ---------------------------------------------------------------- Time to Live


def _expiry(item: Any, attribute: str) -> float | None:
    value = item.attrs.get(attribute)
    if value is None or value.type != "N":
        return None
    try:
        return float(value.value)
    except ValueError:
        return None


def sweep_expired(backends: Backends, now: float, delay: float = 0.0) -> int:
    """Delete every item whose TTL attribute is more than `delay` seconds in the past (as
    DynamoDB does, "within a few days"; until then reads still return it).

    Like AWS, only Number attributes holding epoch seconds count, items whose expiry is more
    than five years in the past are left alone, and only tables whose TTL is ENABLED (not
    ENABLING) are swept. The REMOVE stream records carry ``userIdentity``. Returns how many
    items were deleted.
    """
    deleted = 0
    with backends.open() as services, _removals_by_ttl():
        for table in list(services.dynamodb.tables.values()):
            if dynamodb_states.ttl_status(table) != "ENABLED":
                continue
            attribute = table.ttl.get("AttributeName")
            if not attribute:
                continue
            for item in table.all_items():
                expires = _expiry(item, attribute)
                if expires is not None and now - FIVE_YEARS <= expires < now - delay:
                    table.delete_item(item.hash_key, item.range_key)
                    deleted += 1
        if deleted:
            backends.changed("dynamodb")
    return deleted


@contextlib.contextmanager
def _removals_by_ttl() -> Iterator[None]:
    """Mark REMOVE records written in this block as TTL deletions (AWS adds userIdentity)."""
    _state.ttl = True
    try:
        yield
    finally:
        _state.ttl = False


# ---------------------------------------------------------------- patches


def _add_record(self: StreamShard, old: Any, new: Any) -> None:
    """StreamShard.add without moto's own Lambda dispatch, plus AWS's record details."""
    view_type = self.table.stream_specification["StreamViewType"]
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
    record.workshop_at = states.now()  # a LATEST mapping not yet Enabled skips it
    self.items.append(record)
    stream_changes.bump()


def _notify_after(method: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        finally:
            stream_changes.bump()

    return wrapper


def _create_mapping(original: Any) -> Any:
    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        source = spec.get("EventSourceArn") or ""
        readable = _stream_readable
        if readable is not None and is_dynamodb_stream(source):
            function = self.get_function(spec.get("FunctionName") or "")
            if not readable(function.role or "", source):
                raise InvalidParameterValueException(cannot_access_stream(source))
        mapping = original(self, spec)
        from moto.dynamodb.models import dynamodb_backends

        dynamodb = dynamodb_backends[self.account_id][self.region_name]
        shard = _shard(dynamodb, mapping.event_source_arn)
        if shard is not None:
            # LATEST starts after the records that exist when the mapping is created.
            mapping.workshop_latest_index = _length(shard)
        stream_changes.bump()
        return mapping

    return create_event_source_mapping


def _configuration_with_result(original: Any) -> Any:
    def get_configuration(self: EventSourceMapping) -> dict[str, Any]:
        configuration = original(self)
        if self.event_source_arn.split(":")[2] == "dynamodb":
            configuration["LastProcessingResult"] = getattr(
                self, "workshop_last_processing_result", NO_RECORDS
            )
        return configuration

    return get_configuration


def install() -> None:
    """Patch moto once per process (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        replace(StreamShard, "add", _add_record)
        wrap(LambdaBackend, "create_event_source_mapping", _create_mapping)
        wrap(LambdaBackend, "update_event_source_mapping", _notify_after)
        wrap(LambdaBackend, "delete_event_source_mapping", _notify_after)
        wrap(EventSourceMapping, "get_configuration", _configuration_with_result)
        dynamodb_states.install()
        mapping_states.install()  # after the wrappers above: Creating is set on their mapping
        if ACCOUNT_BASED_STREAMS_HOST not in streams_urls.url_bases:
            streams_urls.url_bases.append(ACCOUNT_BASED_STREAMS_HOST)
            backend_index.backend_url_patterns.append(
                ("dynamodbstreams", re.compile(ACCOUNT_BASED_STREAMS_HOST))
            )
        _installed = True
