"""Lambda as the runtime and the gateway need it: runnable function specs and invoke permissions.

Both are read from moto's Lambda backend once per Lambda change, not on every invocation.
`install()` makes CreateFunction refuse runtimes the local cloud cannot run (only Python runs
here), in moto's own error style.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend

from ..runtime.spec import FunctionSpec
from . import iam
from .backends import Backends, Cached

SUPPORTED_RUNTIME_PREFIX = "python3."
_installed = False


def unsupported_runtime_message(runtime: str | None) -> str | None:
    """A clear error for runtimes the local cloud cannot run, or None when it can."""
    if runtime and runtime.startswith(SUPPORTED_RUNTIME_PREFIX):
        return None
    return (
        f"Runtime {runtime!r} is not supported by the local cloud: only Python runtimes "
        "(python3.x) run here. Use Runtime='python3.12', or deploy this function to real AWS."
    )


def function_name_of(name_or_arn: str) -> str:
    """`my-fn` from `my-fn`, `arn:aws:lambda:...:function:my-fn` or `...:function:my-fn:$LATEST`."""
    return name_or_arn.split(":function:")[-1].split(":")[0]


class Functions:
    """Function configurations and resource policies, cached per Lambda generation."""

    def __init__(self, backends: Backends) -> None:
        self._specs = Cached(backends, "lambda")
        self._grants = Cached(backends, "lambda")

    def spec(self, name_or_arn: str) -> FunctionSpec | None:
        """The runnable description of a function, or None when it does not exist."""
        name = function_name_of(name_or_arn)

        def read(services: Any) -> FunctionSpec | None:
            try:
                fn = services.lambda_.get_function(name)
            except Exception:  # moto raises its UnknownFunctionException
                return None
            return FunctionSpec(
                name=fn.function_name,
                arn=fn.function_arn,
                handler=fn.handler,
                code_zip=fn.code_bytes,
                code_sha256=fn.code_sha_256,
                environment=dict(fn.environment_vars or {}),
                timeout=float(fn.timeout or 3),
                memory_mb=int(fn.memory_size or 128),
                runtime=fn.run_time or "python3.12",
                role=fn.role or "",
                ephemeral_mb=int(fn.ephemeral_storage or 512),
            )

        return self._specs.get(name, read)  # type: ignore[no-any-return]

    def apigateway_may_invoke(self, function_arn: str, source_arn: str) -> bool:
        """True when the function's resource policy lets API Gateway invoke it for `source_arn`."""
        name = function_name_of(function_arn)

        def read(services: Any) -> list[dict[str, Any]]:
            try:
                policy = services.lambda_.get_function(name).policy
            except Exception:
                return []
            statements = policy.statements if policy is not None else []
            return json.loads(json.dumps(list(statements)))  # a private copy

        for statement in self._grants.get(name, read):
            principal = statement.get("Principal", {})
            service = principal.get("Service") if isinstance(principal, dict) else principal
            if service not in ("apigateway.amazonaws.com", "*"):
                continue
            if statement.get("Effect", "Allow") != "Allow":
                continue
            condition = statement.get("Condition", {}).get("ArnLike", {})
            pattern = condition.get("AWS:SourceArn") or condition.get("aws:SourceArn")
            if pattern is None or fnmatch.fnmatchcase(source_arn, pattern):
                return True
        return False


CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."


def _create_function_checked(original: Any) -> Any:
    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        message = unsupported_runtime_message(spec.get("Runtime"))
        if message is not None:
            raise InvalidParameterValueException(message)
        if iam.enforcing and not iam.lambda_may_assume(self.account_id, spec.get("Role") or ""):
            raise InvalidParameterValueException(CANNOT_ASSUME)
        return original(self, spec)

    create_function.__wrapped__ = original  # type: ignore[attr-defined]
    return create_function


def install() -> None:
    """Refuse non-Python runtimes at CreateFunction (idempotent)."""
    global _installed
    if _installed:
        return
    LambdaBackend.create_function = _create_function_checked(  # type: ignore[method-assign]
        LambdaBackend.create_function
    )
    _installed = True
