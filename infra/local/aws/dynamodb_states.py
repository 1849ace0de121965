"""DynamoDB's tables and Time to Live take time, as on AWS (timings: `states.current()`).

- CreateTable answers `CREATING`; the table is `ACTIVE` after `table_create`. Until then its data
  calls (GetItem, PutItem, Query, Scan, the batches, the transactions, PartiQL) get
  `ResourceNotFoundException` ("Requested resource not found"), as AWS answers them.
- UpdateTable (a stream switched on, an index added, ...) makes it `UPDATING` for
  `table_update` (a new index is `CREATING` meanwhile); data calls go on as on AWS.
- DeleteTable answers `DELETING`; DescribeTable says so for `table_delete`, then the table is
  gone. The table leaves moto's `tables` at once, so nothing else (sweeps, streams, saves) sees it.
- DeleteTable or UpdateTable on a table that is `CREATING` or `UPDATING`, and CreateTable of a
  name being deleted, get `ResourceInUseException` with AWS's text.
- UpdateTimeToLive: `ENABLING`/`DISABLING` for `ttl_change`; another change meanwhile, or within
  `ttl_cooldown` of the last, gets AWS's `ValidationException`.

A state is a deadline kept on moto's table (`workshop_status`, `workshop_until`), compared with
the clock when read: no thread settles anything. A restored table (`settle_all`) is `ACTIVE`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.exceptions import (
    MockValidationException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import partiql

from . import states
from .patching import wrap

TTL_TOO_SOON = "Time to live has been modified multiple times within a fixed interval"
BEING = {"CREATING": "created", "UPDATING": "updated", "DELETING": "deleted"}

_control = threading.local()  # set while a control-plane call looks a table up
_installed = False


def in_use(name: str, status: str) -> ResourceInUseException:
    """AWS's refusal of a change to a table that is still settling."""
    return ResourceInUseException(
        f"Attempt to change a resource which is still in use: Table is being {BEING[status]}: {name}"
    )


def table_status(table: Table) -> str:
    """CREATING, UPDATING, DELETING or ACTIVE, now."""
    status = getattr(table, "workshop_status", None)
    if status is None:
        return "ACTIVE"
    if status != "DELETING" and states.settled(table.workshop_until):
        table.workshop_status = table.workshop_until = None  # the hot path skips it from now on
        table.workshop_new_indexes = ()
        return "ACTIVE"
    return str(status)


def _begin(table: Table, status: str, seconds: float) -> None:
    table.workshop_status = status
    table.workshop_until = states.settles_at(seconds)


@contextmanager
def _control_plane() -> Iterator[None]:
    """Let the lookups in this block see a table that is not ACTIVE (DescribeTable does)."""
    outer = getattr(_control, "on", False)
    _control.on = True
    try:
        yield
    finally:
        _control.on = outer


def _deleting(backend: DynamoDBBackend) -> dict[str, Table]:
    """The tables DeleteTable took away whose DELETING has not run out yet, by name."""
    found: dict[str, Table] = backend.__dict__.setdefault("workshop_deleting", {})
    for name, table in list(found.items()):
        if states.settled(table.workshop_until):
            del found[name]
    return found


# ---------------------------------------------------------------- tables


def _get_table(original: Any) -> Any:
    def get_table(self: DynamoDBBackend, table_name: str) -> Table:
        table = original(self, table_name)
        if (
            table.__dict__.get("workshop_status") is not None
            and not getattr(_control, "on", False)
            and table_status(table) == "CREATING"
        ):
            raise ResourceNotFoundException()  # AWS: the table is not ACTIVE yet
        return table

    return get_table


def _create_table(original: Any) -> Any:
    def create_table(self: DynamoDBBackend, name: str, *args: Any, **kwargs: Any) -> Table:
        if name in _deleting(self):
            raise in_use(name, "DELETING")
        table = original(self, name, *args, **kwargs)
        _begin(table, "CREATING", states.current().table_create)
        return table

    return create_table


def _describe_table(original: Any) -> Any:
    def describe_table(self: DynamoDBBackend, name: str) -> dict[str, Any]:
        try:
            with _control_plane():
                return original(self, name)
        except ResourceNotFoundException:
            gone = _deleting(self).get(name)
            if gone is None:
                raise
            return gone.describe(base_key="Table")

    return describe_table


def _delete_table(original: Any) -> Any:
    def delete_table(self: DynamoDBBackend, name: str) -> Table:
        with _control_plane():
            status = table_status(self.get_table(name))
            if status != "ACTIVE":
                raise in_use(name, status)
            table = original(self, name)
        _begin(table, "DELETING", states.current().table_delete)
        if not states.settled(table.workshop_until):
            _deleting(self)[table.name] = table
        return table

    return delete_table


def _update_table(original: Any) -> Any:
    def update_table(self: DynamoDBBackend, name: str, *args: Any, **kwargs: Any) -> Table:
        with _control_plane():
            status = table_status(self.get_table(name))
            if status != "ACTIVE":
                raise in_use(name, status)
            before = {index.name for index in self.get_table(name).global_indexes}
            table = original(self, name, *args, **kwargs)
        _begin(table, "UPDATING", states.current().table_update)
        table.workshop_new_indexes = tuple(
            index.name for index in table.global_indexes if index.name not in before
        )
        return table

    return update_table


def _execute_statement(original: Any) -> Any:
    def execute_statement(
        self: DynamoDBBackend, statement: str, parameters: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        # moto's PartiQL reads every table without looking them up: look up the ones it names.
        for named in partiql.get_query_metadata(statement).get_table_names():
            name = named.replace('"', "")  # '"table"."index"' names an index
            table = name if name in self.tables else name.rsplit(".", 1)[0]  # "table.index"
            if table in self.tables:
                self.get_table(table)
        return original(self, statement, parameters)

    return execute_statement


def _describe(original: Any) -> Any:
    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        answer: dict[str, Any] = original(self, base_key)
        status = table_status(self)
        if status != "ACTIVE":
            answer[base_key]["TableStatus"] = status
            new = getattr(self, "workshop_new_indexes", ())
            for index in answer[base_key].get("GlobalSecondaryIndexes", []):
                if index.get("IndexName") in new:
                    index["IndexStatus"] = "CREATING"
        return answer

    return describe


# ---------------------------------------------------------------- Time to Live


def ttl_status(table: Table) -> str:
    """ENABLING, DISABLING, ENABLED or DISABLED, now (moto's `ttl` holds where it is going)."""
    final = str(table.ttl.get("TimeToLiveStatus", "DISABLED"))
    if states.settled(getattr(table, "workshop_ttl_until", None)):
        return final
    return "ENABLING" if final == "ENABLED" else "DISABLING"


def _update_time_to_live(original: Any) -> Any:
    def update_time_to_live(self: DynamoDBBackend, table_name: str, spec: dict[str, Any]) -> None:
        timing = states.current()
        with _control_plane():
            try:
                before = dict(self.get_table(table_name).ttl)
            except ResourceNotFoundException:
                before = None  # moto answers that one
            original(self, table_name, spec)  # moto's own checks first (no table, no spec)
            table = self.get_table(table_name)
        changed = getattr(table, "workshop_ttl_changed", None)
        if before is not None and (
            not states.settled(getattr(table, "workshop_ttl_until", None))
            or (changed is not None and states.now() < changed + timing.ttl_cooldown)
        ):
            table.ttl = before  # moto changed it already: a refused change leaves it as it was
            raise MockValidationException(TTL_TOO_SOON)
        table.workshop_ttl_changed = states.now()
        table.workshop_ttl_until = states.settles_at(timing.ttl_change)

    return update_time_to_live


def _describe_time_to_live(original: Any) -> Any:
    def describe_time_to_live(self: DynamoDBBackend, table_name: str) -> dict[str, Any]:
        with _control_plane():
            answer = dict(original(self, table_name))
            answer["TimeToLiveStatus"] = ttl_status(self.get_table(table_name))
        return answer

    return describe_time_to_live


# ---------------------------------------------------------------- restore, install


def settle_all(dynamodb: DynamoDBBackend) -> None:
    """Every table ACTIVE, every TTL settled and free to change: what a restored cloud holds
    (the deadlines were on the saved process's clock)."""
    dynamodb.__dict__.pop("workshop_deleting", None)
    for table in dynamodb.tables.values():
        for name in (
            "workshop_status",
            "workshop_until",
            "workshop_new_indexes",
            "workshop_ttl_until",
            "workshop_ttl_changed",
        ):
            table.__dict__.pop(name, None)


def install() -> None:
    """Patch moto's DynamoDB once per process (idempotent)."""
    global _installed
    if _installed:
        return
    backend = DynamoDBBackend
    wrap(backend, "get_table", _get_table)
    wrap(backend, "create_table", _create_table)
    wrap(backend, "describe_table", _describe_table)
    wrap(backend, "delete_table", _delete_table)
    wrap(backend, "update_table", _update_table)
    wrap(backend, "execute_statement", _execute_statement)
    wrap(backend, "update_time_to_live", _update_time_to_live)
    wrap(backend, "describe_time_to_live", _describe_time_to_live)
    wrap(Table, "describe", _describe)
    _installed = True
