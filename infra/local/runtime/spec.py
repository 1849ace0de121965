"""Moved to `infra.local.vocabulary.functions`; these names stay importable from here for now."""

from __future__ import annotations

from ..vocabulary.functions import FunctionSpec, InvokeResult

__all__ = ["FunctionSpec", "InvokeResult"]
