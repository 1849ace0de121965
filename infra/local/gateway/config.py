"""Moved to `infra.local.vocabulary.apis`; these names stay importable from here for now (and
`.workshop-state/` folders saved before the move name them here: `infra.local.state.renames`)."""

from __future__ import annotations

from ..vocabulary.apis import ApiSnapshot, RouteSnapshot

__all__ = ["ApiSnapshot", "RouteSnapshot"]
