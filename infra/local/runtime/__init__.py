"""The Lambda worker runtime: functions' real code in warm worker processes."""

from ..vocabulary import FunctionSpec, InvokeResult
from .pool import LambdaRuntime, PoolRetired

__all__ = ["FunctionSpec", "InvokeResult", "LambdaRuntime", "PoolRetired"]
