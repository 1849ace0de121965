"""Moved to `infra.local.vocabulary.errors`; these names stay importable from here for now."""

from __future__ import annotations

from .vocabulary.errors import (
    AwsError,
    ForbiddenException,
    GoneException,
    InternalFailure,
    InvalidRequestContentException,
    MethodNotAllowed,
    MissingAuthenticationToken,
    PayloadTooLargeException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
)

__all__ = [
    "AwsError",
    "ForbiddenException",
    "GoneException",
    "InternalFailure",
    "InvalidRequestContentException",
    "MethodNotAllowed",
    "MissingAuthenticationToken",
    "PayloadTooLargeException",
    "RequestEntityTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
]
