"""The Lambda worker runtime: functions' real code in warm worker processes."""

from .pool import LambdaRuntime, PoolRetired
from .spec import FunctionSpec, InvokeResult

__all__ = ["FunctionSpec", "InvokeResult", "LambdaRuntime", "PoolRetired"]
