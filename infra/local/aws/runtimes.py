"""Lambda's runtimes as AWS's deprecation table has them, and which of them run on this machine.

`runtimes.json` (beside this file) is AWS's table: each runtime identifier with the date it is
deprecated and the dates from which Lambda blocks creating, then updating, functions that use it,
with the page it was read from and when. To follow AWS when it moves a date, edit that file.

CreateFunction and UpdateFunctionConfiguration (`lambda_.py`) ask `create_refusal` and
`update_refusal`, UpdateFunctionCode asks `code_update_refusal`, on `today()`:
- a runtime AWS does not know: AWS's InvalidParameterValueException, "Value X at 'runtime'
  failed to satisfy constraint: Member must satisfy enum value set: [...] or be a valid ARN",
  listing the runtimes one can still create functions with (AWS's list is a set in no order:
  here it is the table's order);
- a runtime past its block date: AWS's "The runtime parameter of X is no longer supported for
  creating or updating AWS Lambda functions. We recommend you use a supported runtime while
  creating or updating functions." (AWS's wording since 2024; it named a successor before).
  Creating is blocked from the block-create date; updating a function's code or configuration
  from the block-update date, except to move it to another runtime, which is checked as for a
  new function (the kit's reading: AWS says only that you can still move to a supported one);
- no runtime: AWS's "Runtime and Handler are mandatory parameters for functions created with
  deployment packages."; a container image (PackageType Image): the kit's line, it runs none;
- a runtime this machine cannot run (`runnable`): the kit's own one line saying why.

A deprecated runtime that is not blocked yet is accepted with nothing said, as Lambda's API does
(AWS tells of deprecations by email, in the console and in AWS Health, not in its answers); the
cloud's log gets one line (`deprecation_notice`), as the console would show one.

`today()` is the cloud's calendar (UTC); tests set it with `monkeypatch.setattr(runtimes,
"today", ...)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from ..runtime import node

TABLE = Path(__file__).with_name("runtimes.json")
MANDATORY = (
    "Runtime and Handler are mandatory parameters for functions created with deployment packages."
)
PYTHON = "python3."
NODE = "nodejs"
CUSTOM = "provided"


@dataclass(frozen=True)
class Lifecycle:
    """One row of AWS's table."""

    runtime: str
    deprecated: date
    block_create: date
    block_update: date


@dataclass(frozen=True)
class Table:
    """AWS's table as read from `runtimes.json`: its rows in order, its source and when read."""

    rows: dict[str, Lifecycle]
    source: str
    read: date


@cache
def table() -> Table:
    """The table in `runtimes.json` (read once)."""
    data: dict[str, Any] = json.loads(TABLE.read_text())
    rows = {
        runtime: Lifecycle(
            runtime,
            date.fromisoformat(row["deprecated"]),
            date.fromisoformat(row["block_create"]),
            date.fromisoformat(row["block_update"]),
        )
        for runtime, row in data["runtimes"].items()
    }
    return Table(rows, data["source"], date.fromisoformat(data["read"]))


def today() -> date:
    """The cloud's calendar: today's date in UTC."""
    return datetime.now(UTC).date()


def lifecycle(runtime: str | None) -> Lifecycle | None:
    """The runtime's row of AWS's table, or None when AWS does not know it."""
    return table().rows.get(runtime or "")


def known(runtime: str | None) -> bool:
    """Whether AWS's table has this runtime identifier (deprecated ones included)."""
    return lifecycle(runtime) is not None


def deprecated(runtime: str, on: date | None = None) -> bool:
    """Whether `runtime` is deprecated on `on` (today)."""
    row = lifecycle(runtime)
    return row is not None and (on or today()) >= row.deprecated


def blocks_create(runtime: str, on: date | None = None) -> bool:
    """Whether Lambda refuses new functions of `runtime` on `on` (today)."""
    row = lifecycle(runtime)
    return row is not None and (on or today()) >= row.block_create


def blocks_update(runtime: str, on: date | None = None) -> bool:
    """Whether Lambda refuses updates of `runtime`'s functions on `on` (today)."""
    row = lifecycle(runtime)
    return row is not None and (on or today()) >= row.block_update


def creatable(on: date | None = None) -> list[str]:
    """The runtimes one can create functions with on `on` (today), in the table's order."""
    return [runtime for runtime in table().rows if not blocks_create(runtime, on)]


def unknown_message(runtime: str, on: date | None = None) -> str:
    """AWS's answer to a runtime identifier it does not know."""
    return (
        f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum"
        f" value set: [{', '.join(creatable(on))}] or be a valid ARN"
    )


def blocked_message(runtime: str) -> str:
    """AWS's answer to a runtime past its block date."""
    return (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating"
        " AWS Lambda functions. We recommend you use a supported runtime while creating or"
        " updating functions."
    )


def deprecation_notice(runtime: str, on: date | None = None) -> str | None:
    """One line for the cloud's log about a deprecated runtime that is still allowed, else None."""
    row = lifecycle(runtime)
    if row is None or not deprecated(runtime, on) or blocks_create(runtime, on):
        return None
    return (
        f"Runtime {runtime} was deprecated on {row.deprecated.isoformat()}: Lambda refuses new"
        f" functions of it from {row.block_create.isoformat()} and updates from"
        f" {row.block_update.isoformat()} (AWS's table, {table().source})"
    )


def runnable(runtime: str) -> str | None:
    """None when this machine runs `runtime`'s functions, else the one line saying why not.

    Python runs in the kit's workers. Node.js needs a Node 20 or later (`node.for_runtime`):
    the kit's runtime client runs on it behind the Lambda Runtime API, as custom runtimes
    (`provided*`) run the zip's `bootstrap` (`runtime/custom_worker.py`).
    """
    if runtime.startswith(PYTHON):
        return None
    if runtime.startswith(NODE):
        return node.missing_message(runtime) if node.for_runtime(runtime) is None else None
    if runtime.startswith(CUSTOM):
        return None
    return (
        f"Runtime {runtime!r} is not supported by the local cloud: only Python (python3.x),"
        " Node.js (nodejs*.x) and custom (provided.*) runtimes run here. Use"
        " Runtime='python3.12', or deploy this function to real AWS."
    )


def create_refusal(
    runtime: str | None, on: date | None = None, package_type: str | None = None
) -> str | None:
    """Why CreateFunction refuses `runtime` on `on` (today), or None when it may go ahead."""
    if package_type == "Image":
        return (
            "PackageType Image: the local cloud does not run container images; use a .zip"
            " package with a Python runtime (python3.12), or deploy this function to real AWS"
        )
    if not runtime:
        return MANDATORY
    if not known(runtime):
        return unknown_message(runtime, on)
    if blocks_create(runtime, on):
        return blocked_message(runtime)
    return runnable(runtime)


def update_refusal(
    current: str | None, requested: str | None, on: date | None = None
) -> str | None:
    """Why UpdateFunctionConfiguration refuses a function of `current` whose request asks for
    `requested` (None: no change of runtime), or None when it may go ahead."""
    if requested and requested != current:
        return create_refusal(requested, on)
    return code_update_refusal(current, on)


def code_update_refusal(current: str | None, on: date | None = None) -> str | None:
    """Why an update of a function of `current` is refused on `on` (today), or None."""
    if current and blocks_update(current, on):
        return blocked_message(current)
    return None
