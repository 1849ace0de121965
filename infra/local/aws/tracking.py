"""moto's instance tracking, turned off: a cloud that runs all day must let go of what it drops.

moto's `BaseModel.__new__` appends every model object it ever makes (each log event, each stream
record, each item a Scan copies) to a class-level `instances_tracked` list, for its dashboard
(`/moto-api/data.json`), and nothing but a full reset empties those lists. Under a room's soak
that held every object alive: the retention caps dropped log events and stream records from
their backends, and the cloud still grew by 170 MB a minute. The local cloud has no use for the
dashboard, so models are made untracked, and the lists start empty.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import BaseModel
from moto.core.model_instances import reset_model_data

from .patching import replace

MOTO_NEW = BaseModel.__dict__["__new__"]  # moto's own, kept for the test that proves the point


def _untracked(cls: type, *args: Any, **kwargs: Any) -> Any:
    """`BaseModel.__new__` without the append (the arguments go to `__init__`, as before)."""
    return object.__new__(cls)


def install() -> None:
    """Stop tracking (idempotent), and drop what was tracked before."""
    replace(BaseModel, "__new__", staticmethod(_untracked))
    reset_model_data()
