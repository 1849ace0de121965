"""Moved to `infra.local.vocabulary.messages`; these names stay importable from here for now."""

from __future__ import annotations

from ..vocabulary.messages import JSON_HEADERS, HttpReply, HttpRequest, json_reply

__all__ = ["JSON_HEADERS", "HttpReply", "HttpRequest", "json_reply"]
