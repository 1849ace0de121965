"""Lambda as the runtime and the gateway need it: runnable function specs and invoke permissions.

Both are read from moto's Lambda backend once per Lambda change, not on every invocation.
`install()` makes CreateFunction refuse runtimes the local cloud cannot run (only Python runs
here), in moto's own error style, and CreateFunction and UpdateFunctionCode refuse code past
Lambda's size quotas as Lambda does: a direct upload over 50 MB zipped (the request's limit,
RequestEntityTooLargeException) and code over 250 MB unzipped, uploaded or in S3, read from the
zip's central directory before anything is unpacked (InvalidParameterValueException). AddPermission refuses
a StatementId outside `([a-zA-Z0-9-_]+)` (ValidationException) and one the function's policy
has already (ResourceConflictException), as Lambda does.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import io
import json
import re
import zipfile
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException, ValidationException
from moto.awslambda.models import LambdaBackend, _validate_s3_bucket_and_key
from moto.core.exceptions import JsonRESTError
from moto.utilities.utils import get_partition

from ..runtime.spec import FunctionSpec
from . import iam
from .backends import Backends, Cached

SUPPORTED_RUNTIME_PREFIX = "python3."
# Lambda's quotas on a deployment package, and how large a request carrying one may be: 50 MB
# zipped, base64-encoded (Lambda's own figure: "Request must be smaller than 69905067 bytes").
ZIPPED_REQUEST_LIMIT = 69905067
UNZIPPED_LIMIT = 262144000  # 250 MB
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


class RequestEntityTooLargeException(JsonRESTError):
    code = 413

    def __init__(self, message: str) -> None:
        super().__init__("RequestEntityTooLargeException", message)


def check_code_size(backend: LambdaBackend, code: dict[str, Any] | None, operation: str) -> None:
    """Refuse code past Lambda's quotas, as Lambda words it (nothing is unpacked).

    A direct upload (`ZipFile`) is checked for both quotas; code in S3 (`S3Bucket`/`S3Key`, as
    CloudFormation and `workshop deploy` give it) for its unzipped size only.
    """
    code = code or {}
    encoded = code.get("ZipFile")
    if isinstance(encoded, str | bytes):
        if len(encoded) > ZIPPED_REQUEST_LIMIT:
            raise RequestEntityTooLargeException(
                f"Request must be smaller than {ZIPPED_REQUEST_LIMIT} bytes "
                f"for the {operation} operation"
            )
        try:
            archive_bytes = base64.b64decode(encoded)
        except (binascii.Error, ValueError):
            return  # not base64: moto's own answer
    elif code.get("S3Bucket") and code.get("S3Key"):
        try:
            partition = get_partition(backend.region_name)
            key = _validate_s3_bucket_and_key(backend.account_id, partition, code)
            archive_bytes = key.value if key is not None else b""
        except Exception:
            return  # no such bucket or key: moto's own answer
    else:
        return
    try:
        with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
            unzipped = sum(entry.file_size for entry in archive.infolist())
    except (ValueError, zipfile.BadZipFile):
        return  # not a zip: moto's own answer
    if unzipped > UNZIPPED_LIMIT:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes"
        )


def _create_function_checked(original: Any) -> Any:
    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        message = unsupported_runtime_message(spec.get("Runtime"))
        if message is not None:
            raise InvalidParameterValueException(message)
        if iam.enforcing and not iam.lambda_may_assume(self.account_id, spec.get("Role") or ""):
            raise InvalidParameterValueException(CANNOT_ASSUME)
        check_code_size(self, spec.get("Code"), "CreateFunction")
        return original(self, spec)

    create_function.__wrapped__ = original  # type: ignore[attr-defined]
    return create_function


def _update_function_code_checked(original: Any) -> Any:
    def update_function_code(
        self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        check_code_size(self, body, "UpdateFunctionCode")
        return original(self, function_name, qualifier, body)

    update_function_code.__wrapped__ = original  # type: ignore[attr-defined]
    return update_function_code


STATEMENT_ID = re.compile(r"([a-zA-Z0-9-_]+)")  # AddPermission's StatementId, 1 to 100 long


class StatementIdConflict(JsonRESTError):
    code = 409

    def __init__(self, statement_id: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({statement_id}) provided already exists. Please provide a new"
            " statement id, or remove the existing statement.",
        )


def _add_permission_checked(original: Any) -> Any:
    """AddPermission refuses a StatementId outside Lambda's pattern or length, and one the
    policy has already, as Lambda words it (moto added a second statement with that id)."""

    def add_permission(self: LambdaBackend, function_name: str, qualifier: str, raw: str) -> Any:
        sid = json.loads(raw or "{}").get("StatementId")
        if isinstance(sid, str):
            if not STATEMENT_ID.fullmatch(sid):
                pattern = f"Member must satisfy regular expression pattern: {STATEMENT_ID.pattern}"
                raise ValidationException(sid, "statementId", pattern)
            if len(sid) > 100:
                raise ValidationException(
                    sid, "statementId", "Member must have length less than or equal to 100"
                )
            policy = self.get_function(function_name, qualifier).policy
            if any(statement.get("Sid") == sid for statement in policy.statements):
                raise StatementIdConflict(sid)
        return original(self, function_name, qualifier, raw)

    add_permission.__wrapped__ = original  # type: ignore[attr-defined]
    return add_permission


def install() -> None:
    """Refuse non-Python runtimes and oversized code (idempotent)."""
    global _installed
    if _installed:
        return
    LambdaBackend.create_function = _create_function_checked(  # type: ignore[method-assign]
        LambdaBackend.create_function
    )
    LambdaBackend.update_function_code = _update_function_code_checked(  # type: ignore[method-assign]
        LambdaBackend.update_function_code
    )
    LambdaBackend.add_permission = _add_permission_checked(LambdaBackend.add_permission)  # type: ignore[method-assign]
    _installed = True
