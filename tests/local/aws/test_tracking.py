"""moto's instance tracking is off: what the backends drop is freed."""

from __future__ import annotations

import gc
import weakref

from moto.core.common_models import BaseModel
from moto.logs.models import LogEvent

from infra.local import aws
from infra.local.aws import tracking
from infra.local.aws.tracking import MOTO_NEW


def test_a_dropped_model_is_freed() -> None:
    """A log event nothing refers to any more is freed (moto's dashboard list kept it alive)."""
    aws.install()
    event = LogEvent(1, {"timestamp": 1, "message": "hello"})
    assert event.message == "hello"  # still made as moto makes it
    alive = weakref.ref(event)
    del event
    gc.collect()
    assert alive() is None


def test_without_the_patch_moto_keeps_it() -> None:
    """The test above is not blind: with moto's own `__new__`, a dropped log event stays alive."""
    aws.install()
    BaseModel.__new__ = MOTO_NEW
    try:
        alive = weakref.ref(LogEvent(1, {"timestamp": 1, "message": "kept"}))
        gc.collect()
        assert alive() is not None
    finally:
        tracking.install()
    assert LogEvent.instances_tracked == []
