"""What the runtime is given (a function to run) and what it gives back (one invoke's outcome)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FunctionSpec:
    """One function's code and configuration, as create_function / update_function_code left it."""

    name: str
    arn: str
    handler: str
    code_zip: bytes
    code_sha256: str
    environment: Mapping[str, str]
    timeout: float
    memory_mb: int
    runtime: str = "python3.12"
    role: str = ""  # the execution role's ARN: its temporary credentials are the worker's
    ephemeral_mb: int = 512  # EphemeralStorage: the size of the function's /tmp

    @functools.cached_property
    def _pool_key(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.arn,
            self.handler,
            self.code_sha256,
            tuple(sorted(self.environment.items())),
            self.timeout,
            self.memory_mb,
            self.runtime,
            self.role,
            self.ephemeral_mb,
        )

    def pool_key(self) -> tuple[Any, ...]:
        """Everything that makes a warm worker reusable: a change in any of it needs new workers."""
        return self._pool_key


@dataclass
class InvokeResult:
    """The outcome of one invoke, shaped like Lambda's Invoke response plus its log lines."""

    request_id: str
    payload: bytes
    function_error: str | None
    logs: list[str]
    duration_ms: float
    init_duration_ms: float | None
    worker_id: str | None = None  # which execution environment ran it (its log stream)

    @property
    def ok(self) -> bool:
        """True when the handler returned normally (no X-Amz-Function-Error)."""
        return self.function_error is None

    def json(self) -> Any:
        """The payload parsed as JSON."""
        return json.loads(self.payload)
