"""moto's backends as a snapshot and back: what `workshop cloud --state DIR` saves and restores.

The snapshot is one pickle of every backend of the services below, in every account and region
that holds state, so references between them (a table's event source mappings are also the
Lambda backend's, a function points at its Logs backend) survive as they were, and with them
every id: API, deployment and mapping ids, ARNs, stream labels. What moto cannot pickle as it
is (a `WeakValueDictionary`, a `defaultdict` of a lambda) is reduced to its plain equivalent.

Two kinds of state only ever grow, and pickling them whole every second would cost seconds
after an hour of a busy room: a table's stream records and a log stream's events. Their lists
are left out of the pickle as *persistent references* (`("journal", name, count)`); only the
records added since the last save are pickled, outside the lock, and appended to a journal
(`journal_frame`). Strings and byte strings of 4 KiB and more (function code, twice: bytes and
base64) are blobs, written once under their SHA-256 and referenced by it.

A backend of some other service that the graph points at is referenced, not copied, and
resolves to that service's live backend on restore.

The format is tied to moto's version (moto's classes are in the pickle) and to FORMAT, which
changes whenever this module or the kit's classes kept on moto objects (`Deployment`,
`ApiSnapshot`) change shape. A class that only moves keeps the format: a restore finds it under
its old path through `infra/local/state/renames.py`, and refuses a class it finds nowhere.
"""

from __future__ import annotations

import collections
import copyreg
import functools
import hashlib
import importlib
import io
import pickle
import sys
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import moto
from moto.core.base_backend import BackendDict

from ..state.errors import UnreadableState
from ..state.renames import current_name
from . import dynamodb
from .backends import ALL_SERVICES, Backends

FORMAT = 1
MOTO_VERSION = moto.__version__
BLOB_MIN = 4096  # characters or bytes from which a string is stored once, as a blob
PROTOCOL = 5

# The services whose state the kit (and AWS's own examples) create: module, BackendDict name.
SERVICES = (
    ("moto.dynamodb.models", "dynamodb_backends"),
    ("moto.awslambda.models", "lambda_backends"),
    ("moto.apigatewayv2.models", "apigatewayv2_backends"),
    ("moto.iam.models", "iam_backends"),
    ("moto.logs.models", "logs_backends"),
    ("moto.events.models", "events_backends"),
    ("moto.scheduler.models", "scheduler_backends"),
    ("moto.cloudformation.models", "cloudformation_backends"),
    ("moto.s3.models", "s3_backends"),
    ("moto.ssm.models", "ssm_backends"),  # parameters templates read (the CDK's bootstrap version)
)

RootKey = tuple[str, str, str, str]  # module, BackendDict name, account, region


# ---------------------------------------------------------------- what moto cannot pickle


def _weak_values(values: dict[Any, Any]) -> weakref.WeakValueDictionary[Any, Any]:
    return weakref.WeakValueDictionary(values)


def _reduce_weak_values(mapping: weakref.WeakValueDictionary[Any, Any]) -> Any:
    return _weak_values, (dict(mapping),)


def _reduce_defaultdict(mapping: collections.defaultdict[Any, Any]) -> Any:
    """A defaultdict whose factory is a lambda (moto: `defaultdict(lambda: {})`) by its type."""
    factory = mapping.default_factory
    if getattr(factory, "__name__", "") == "<lambda>":
        assert factory is not None
        empty = factory()
        if type(empty) is collections.defaultdict and not empty:  # SSM's tags: of defaultdicts
            factory = _defaultdict_of(_reduce_defaultdict(empty)[1][0])
            return collections.defaultdict, (factory,), None, None, iter(mapping.items())
        if type(empty) not in (dict, list, set, int) or empty != type(empty)():
            raise pickle.PicklingError(f"cannot save a defaultdict of {factory!r}")
        factory = type(empty)
    return collections.defaultdict, (factory,), None, None, iter(mapping.items())


def _defaultdict_of(factory: Any) -> Any:
    return functools.partial(collections.defaultdict, factory)


def _parameter_dict(
    account_id: str, region: str, items: dict[str, Any], attributes: dict[str, Any]
) -> Any:
    from moto.ssm.models import ParameterDict

    restored = ParameterDict(account_id, region)
    restored.update(items)
    vars(restored).update(attributes)
    return restored


def _reduce_parameter_dict(mapping: Any) -> Any:
    """SSM's parameters (a defaultdict whose constructor takes the account and region)."""
    return _parameter_dict, (mapping.account_id, mapping.region_name, dict(mapping), vars(mapping))


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[weakref.WeakValueDictionary] = _reduce_weak_values
_DISPATCH[collections.defaultdict] = _reduce_defaultdict


# ---------------------------------------------------------------- the backends


def _roots() -> dict[RootKey, Any]:
    """Every backend of SERVICES that exists now (a service never imported has no state)."""
    roots: dict[RootKey, Any] = {}
    ssm = sys.modules.get("moto.ssm.models")  # imported only when used: it takes seconds
    if ssm is not None:
        _DISPATCH[ssm.ParameterDict] = _reduce_parameter_dict
    for module_name, attr in SERVICES:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        backend_dict: BackendDict[Any] = getattr(module, attr)
        for account, regions in list(backend_dict.items()):
            for region, backend in list(regions.items()):
                roots[(module_name, attr, account, region)] = backend
    return roots


def _external(roots: dict[RootKey, Any]) -> dict[int, tuple[str, ...]]:
    """References, by object id, to the live backends of services outside SERVICES."""
    inside = {id(backend) for backend in roots.values()}
    refs: dict[int, tuple[str, ...]] = {}
    for backend_dict in list(BackendDict._instances):
        name = _name_of(backend_dict)
        if name is None:
            continue
        for account, regions in list(backend_dict.items()):
            for region, backend in list(regions.items()):
                if id(backend) not in inside:
                    refs[id(backend)] = ("backend", *name, account, region)
    return refs


@functools.cache
def _name_of(backend_dict: BackendDict[Any]) -> tuple[str, str] | None:
    """The module and the name under which moto keeps a BackendDict."""
    module = sys.modules.get(backend_dict.backend.__module__)
    if module is None:
        return None
    for attr, value in vars(module).items():
        if value is backend_dict:
            return module.__name__, attr
    return None


def _growing_lists(roots: dict[RootKey, Any]) -> Iterator[list[Any]]:
    """The append-only lists kept in journals: stream records and log events."""
    for (module_name, *_), backend in roots.items():
        if module_name == "moto.dynamodb.models":
            for table in list(backend.tables.values()):
                shard = getattr(table, "stream_shard", None)
                if shard is not None:
                    yield shard.items
        elif module_name == "moto.logs.models":
            for group in list(backend.groups.values()):
                for stream in list(group.streams.values()):
                    yield stream.events


def _summary(roots: dict[RootKey, Any]) -> dict[str, int]:
    """What a person recognises: tables, functions, APIs, rules, log groups."""
    counts = {"tables": 0, "functions": 0, "apis": 0, "rules": 0, "log groups": 0}
    for (module_name, *_), backend in roots.items():
        if module_name == "moto.dynamodb.models":
            counts["tables"] += len(backend.tables)
        elif module_name == "moto.awslambda.models":
            counts["functions"] += len(backend._lambdas._functions)
        elif module_name == "moto.apigatewayv2.models":
            counts["apis"] += len(backend.apis)
        elif module_name == "moto.events.models":
            counts["rules"] += sum(len(bus.rules) for bus in backend.event_buses.values())
        elif module_name == "moto.logs.models":
            counts["log groups"] += len(backend.groups)
    return counts


# ---------------------------------------------------------------- saving


@dataclass
class _Journal:
    """One growing list and how much of it the journal holds."""

    items: list[Any]
    name: str
    saved: int = 0  # records already in the journal
    last: Any = None  # items[saved - 1] then: if it changed, the list was replaced

    def intact(self) -> bool:
        if len(self.items) < self.saved:
            return False
        return self.saved == 0 or self.items[self.saved - 1] is self.last


@dataclass
class Capture:
    """One consistent moment of moto's state, taken under the lock."""

    revision: int  # `Backends.revision` at that moment
    graph: bytes  # the pickle, with persistent references to journals and blobs
    appends: dict[str, list[Any]]  # records new since the last save, by journal
    blobs: dict[str, bytes]  # blobs not written before, by SHA-256
    blob_refs: set[str]  # every blob the graph refers to
    summary: dict[str, int]
    whole: bool = False  # `appends` holds every live record (a journal written anew)
    lock_ms: float = 0.0  # how long the lock was held
    _marks: list[tuple[_Journal, int, Any]] = field(default_factory=list)

    def journal_frame(self) -> bytes:
        """The new records, pickled (outside the lock: records never change once added)."""
        if not self.appends:
            return b""
        return pickle.dumps(self.appends, protocol=PROTOCOL)


class _Pickler(pickle.Pickler):
    dispatch_table = _DISPATCH

    def __init__(
        self, file: io.BytesIO, refs: dict[int, tuple[Any, ...]], blob: Callable[[Any], str]
    ):
        super().__init__(file, protocol=PROTOCOL)
        self._refs = refs
        self._blob = blob

    def persistent_id(self, obj: Any) -> Any:
        ref = self._refs.get(id(obj))
        if ref is not None:
            return ref
        kind = type(obj)
        if (kind is bytes or kind is str) and len(obj) >= BLOB_MIN:
            return ("blob", self._blob(obj), kind is str)
        return None


class Snapshots:
    """Takes snapshots of moto's backends, remembering journals and blobs from save to save."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self._journals: dict[int, _Journal] = {}  # by id of the list (kept alive here)
        # Records in the journal file, and how many of them no live list holds any more
        # (lists that retention trimmed are journaled anew): when to write the journal whole.
        self.journal_records = 0
        self.garbage_records = 0
        self._blobs_written: set[str] = set()
        self._digests: dict[int, tuple[Any, str]] = {}  # id(str|bytes) -> (it, its SHA-256)

    def capture(self, whole_when: Callable[[Snapshots], bool] | None = None) -> Capture:
        """Pickle every backend, under the lock; only the journals' new records are left out.

        When `whole_when(self)` is true (asked once the records no live list holds are
        counted), the records to journal are every live one instead: a journal written anew
        (see `infra.local.state.store`)."""
        with self.backends.lock:
            started = time.perf_counter()
            roots = _roots()
            refs: dict[int, tuple[Any, ...]] = _external(roots)
            journals = {id(items): self._journal_for(items) for items in _growing_lists(roots)}
            for key, old in self._journals.items():
                if journals.get(key) is not old:  # trimmed, replaced or gone
                    self.garbage_records += old.saved
            whole = whole_when is not None and whole_when(self)
            appends: dict[str, list[Any]] = {}
            marks: list[tuple[_Journal, int, Any]] = []
            for journal in journals.values():
                items = journal.items
                count = len(items)
                refs[id(items)] = ("journal", journal.name, count)
                start = 0 if whole else journal.saved
                if count > start:
                    appends[journal.name] = items[start:count]
                marks.append((journal, count, items[count - 1] if count else None))
            blobs: dict[str, bytes] = {}
            seen: dict[int, tuple[Any, str]] = {}

            def blob(value: Any) -> str:
                hit = self._digests.get(id(value)) or seen.get(id(value))
                if hit is None or hit[0] is not value:
                    hit = (value, hashlib.sha256(_bytes_of(value)).hexdigest())
                seen[id(value)] = hit
                sha = hit[1]
                if sha not in self._blobs_written and sha not in blobs:
                    blobs[sha] = _bytes_of(value)  # new, or its save failed: write it (again)
                return sha

            buffer = io.BytesIO()
            _Pickler(buffer, refs, blob).dump(roots)
            capture = Capture(
                revision=self.backends.revision,
                graph=buffer.getvalue(),
                appends=appends,
                blobs=blobs,
                blob_refs={sha for _, sha in seen.values()},
                summary=_summary(roots),
                whole=whole,
                lock_ms=(time.perf_counter() - started) * 1000,
                _marks=marks,
            )
            self._journals = journals
            self._digests = seen
        return capture

    def saved(self, capture: Capture) -> None:
        """The capture is on disk: later captures append only what came after it."""
        for journal, count, last in capture._marks:
            journal.saved, journal.last = count, last
        self._blobs_written = set(capture.blob_refs)
        appended = sum(len(items) for items in capture.appends.values())
        if capture.whole:
            self.journal_records, self.garbage_records = appended, 0
        else:
            self.journal_records += appended

    def mostly_garbage(self) -> bool:
        """Whether half the journal's records or more are held by no live list any more."""
        return self.garbage_records * 2 >= max(1, self.journal_records)

    def _journal_for(self, items: list[Any]) -> _Journal:
        journal = self._journals.get(id(items))
        if journal is None or journal.items is not items or not journal.intact():
            journal = _Journal(items, _new_journal_name())
        return journal

    # ------------------------------------------------------------ restoring

    def restore(
        self,
        graph: bytes,
        frames: Iterable[bytes],
        blob: Callable[[str], bytes],
    ) -> dict[str, int]:
        """Replace moto's backends with the saved ones; returns what was restored, counted.

        `frames` are the journal's saved frames, in order; `blob(sha)` gives a blob's bytes.
        Everything is read before anything is replaced: a damaged snapshot changes nothing.
        """
        restored: dict[int, _Journal] = {}
        saved = journal_index(frames)
        blobs_read: set[str] = set()

        def load_blob(sha: str) -> bytes:
            blobs_read.add(sha)
            return blob(sha)

        def load_journal(name: str, count: int) -> list[Any]:
            items = saved.get(name, [])
            if id(items) in restored:
                return items  # the same list, referred to twice, stays one list
            if len(items) != count:
                raise UnreadableState(
                    f"journal {name} holds {len(items)} records, the snapshot expects {count}"
                )
            journal = _Journal(items, name, count, items[-1] if items else None)
            restored[id(items)] = journal
            return items

        try:
            roots = _Unpickler(io.BytesIO(graph), load_journal, load_blob).load()
        except UnreadableState:
            raise
        except Exception as error:  # unpickling can fail in many ways; all mean the same
            raise UnreadableState(f"{type(error).__name__}: {error}") from error
        with self.backends.lock:
            for (module_name, attr, account, region), backend in roots.items():
                backend_dict = getattr(importlib.import_module(module_name), attr)
                dict.__setitem__(backend_dict[account], region, backend)
            _continue_log_event_ids(roots)
            _settle_states(roots)
            self._journals = restored
            self._blobs_written = blobs_read
            self.journal_records = sum(len(items) for items in saved.values())
            self.garbage_records = self.journal_records - sum(j.saved for j in restored.values())
            self.backends.changed(ALL_SERVICES)
        dynamodb.stream_changes.bump()  # the stream pollers look for the restored mappings
        return _summary(roots)


class _Renaming(pickle.Unpickler):
    """Finds a class the pickle names where it lives now (`infra/local/state/renames.py`)."""

    def find_class(self, module: str, name: str) -> Any:
        module, name = current_name(module, name)
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError) as error:
            raise UnreadableState(
                f"it holds {module}.{name}, which this version of the kit does not have"
            ) from error


class _Unpickler(_Renaming):
    def __init__(
        self,
        file: io.BytesIO,
        journal: Callable[[str, int], list[Any]],
        blob: Callable[[str], bytes],
    ):
        super().__init__(file)
        self._journal = journal
        self._blob = blob

    def persistent_load(self, pid: Any) -> Any:
        kind = pid[0]
        if kind == "journal":
            return self._journal(pid[1], pid[2])
        if kind == "blob":
            data = self._blob(pid[1])
            return data.decode("utf-8", "surrogatepass") if pid[2] else data
        if kind == "backend":
            _, module_name, attr, account, region = pid
            return getattr(importlib.import_module(module_name), attr)[account][region]
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def journal_index(frames: Iterable[bytes]) -> dict[str, list[Any]]:
    """Every journal's records at once (one pass over the frames)."""
    records: dict[str, list[Any]] = {}
    for frame in frames:
        try:
            appends = _Renaming(io.BytesIO(frame)).load()
        except Exception as error:
            raise UnreadableState(f"a journal frame cannot be read: {error}") from error
        for name, items in appends.items():
            records.setdefault(name, []).extend(items)
    return records


def _settle_states(roots: dict[RootKey, Any]) -> None:
    """A restored table is ACTIVE, its TTL settled, a mapping Enabled or Disabled: their
    deadlines were on the saved process's clock. A stack's operation that was running has
    ended failed: the thread that ran it did not come back."""
    from . import dynamodb_states, mapping_states
    from .cloudformation import engine as stacks_engine

    for (module_name, *_), backend in roots.items():
        if module_name == "moto.dynamodb.models":
            dynamodb_states.settle_all(backend)
        elif module_name == "moto.awslambda.models":
            mapping_states.settle_all(backend)
        elif module_name == "moto.cloudformation.models":
            stacks_engine.settle_all(backend)


def _continue_log_event_ids(roots: dict[RootKey, Any]) -> None:
    """moto numbers log events with a class counter: go on after the restored ones."""
    from moto.logs.models import LogEvent

    highest = -1
    for (module_name, *_), backend in roots.items():
        if module_name == "moto.logs.models":
            for group in backend.groups.values():
                for stream in group.streams.values():
                    if stream.events:
                        highest = max(highest, max(event.event_id for event in stream.events))
    LogEvent._event_id = max(LogEvent._event_id, highest + 1)


def _bytes_of(value: str | bytes) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def _new_journal_name() -> str:
    return uuid.uuid4().hex[:16]
