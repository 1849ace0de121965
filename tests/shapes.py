"""Compare an event we build with a canonical captured-shape fixture (tests/events/*.json)."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).parent / "events"


def load_event(name: str) -> dict[str, Any]:
    """A fixture from tests/events by file name, e.g. "websocket_connect.json"."""
    return json.loads((EVENTS_DIR / name).read_text())


def assert_same_shape(
    actual: Any,
    fixture: Any,
    *,
    free: Collection[str] = (),
    optional: Collection[str] = (),
    path: str = "",
) -> None:
    """Assert `actual` has the fixture's keys at every level and the same value types.

    `free` lists dotted paths (e.g. "headers") whose key sets may differ; only the types of their
    values are compared, against the type of the fixture's first value. `optional` lists dotted
    paths (e.g. "requestContext.authorizer") that may be missing on either side.
    """
    where = path or "<root>"
    assert type(actual) is type(fixture), (
        f"{where}: {type(actual).__name__} != {type(fixture).__name__}"
    )
    if isinstance(fixture, dict):
        if path in free:
            _assert_free_values(actual, fixture, where)
            return
        actual_keys = {k for k in actual if _join(path, k) not in optional}
        fixture_keys = {k for k in fixture if _join(path, k) not in optional}
        assert actual_keys == fixture_keys, (
            f"{where}: extra {sorted(actual_keys - fixture_keys)}, "
            f"missing {sorted(fixture_keys - actual_keys)}"
        )
        for key in actual.keys() & fixture.keys():
            assert_same_shape(
                actual[key], fixture[key], free=free, optional=optional, path=_join(path, key)
            )
    elif isinstance(fixture, list) and fixture and actual:
        for index, item in enumerate(actual):
            assert_same_shape(
                item, fixture[0], free=free, optional=optional, path=f"{path}[{index}]"
            )


def _assert_free_values(actual: dict[str, Any], fixture: dict[str, Any], where: str) -> None:
    """Every value of a free-keyed mapping has the type of the fixture's values."""
    if not fixture:
        return
    sample = next(iter(fixture.values()))
    for key, value in actual.items():
        assert type(value) is type(sample), f"{where}.{key}: {type(value).__name__}"
        if isinstance(sample, list) and sample:
            assert all(type(item) is type(sample[0]) for item in value), f"{where}.{key}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
