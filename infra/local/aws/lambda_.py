"""Lambda as the runtime and the gateway need it: runnable function specs and invoke permissions.

Both are read from moto's Lambda backend once per Lambda change, not on every invocation.
`install()` makes CreateFunction, UpdateFunctionConfiguration and UpdateFunctionCode follow
AWS's runtime table (`runtimes.py`: an unknown runtime, one past its block date, refused with
AWS's messages) and CreateFunction refuse runtimes this machine cannot run (only Python runs
here), in moto's own error style; CreateFunction and UpdateFunctionCode refuse code past
Lambda's size quotas as Lambda does: a direct upload over 50 MB zipped (the request's limit,
RequestEntityTooLargeException) and code over 250 MB unzipped, uploaded or in S3, read from the
zip's central directory before anything is unpacked (InvalidParameterValueException). AddPermission refuses
a StatementId outside `([a-zA-Z0-9-_]+)` (ValidationException) and one the function's policy
has already (ResourceConflictException), as Lambda does.

Functions take time, as on AWS (`states.current()`): CreateFunction leaves a function `Pending`
for `function_create` seconds, and each UpdateFunctionCode or UpdateFunctionConfiguration leaves
`LastUpdateStatus: InProgress` for `function_update` seconds. Meanwhile Invoke (while Pending),
the updates and PublishVersion get Lambda's ResourceConflictException, and invocations during an
update run the previous code and configuration. CreateFunction (or a configuration change of
role) with a role IAM has not propagated yet gets InvalidParameterValueException, as on AWS. A
function's settling is kept beside moto's object, never in it: a restored function is settled.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import io
import json
import logging
import re
import weakref
import zipfile
from dataclasses import dataclass
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException, ValidationException
from moto.awslambda.models import LambdaBackend, LambdaFunction, _validate_s3_bucket_and_key
from moto.core.exceptions import JsonRESTError
from moto.utilities.utils import get_partition

from ..vocabulary import FunctionSpec, ResourceConflictException
from . import iam, runtimes, states
from .backends import Backends, Cached
from .patching import wrap

log = logging.getLogger(__name__)
# Lambda's quotas on a deployment package, and how large a request carrying one may be: 50 MB
# zipped, base64-encoded (Lambda's own figure: "Request must be smaller than 69905067 bytes").
ZIPPED_REQUEST_LIMIT = 69905067
UNZIPPED_LIMIT = 262144000  # 250 MB
_installed = False


def note_deprecation(runtime: str | None) -> None:
    """One line in the cloud's log for a deprecated runtime Lambda still accepts (its API says
    nothing: AWS tells of deprecations in the console, by email and in AWS Health)."""
    notice = runtimes.deprecation_notice(runtime) if runtime else None
    if notice is not None:
        log.warning(notice)


def function_name_of(name_or_arn: str) -> str:
    """`my-fn` from `my-fn`, `arn:aws:lambda:...:function:my-fn` or `...:function:my-fn:$LATEST`."""
    return name_or_arn.split(":function:")[-1].split(":")[0]


def spec_of(fn: LambdaFunction) -> FunctionSpec:
    """The runnable description of moto's function as it is now."""
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


@dataclass
class Settling:
    """When a function's creation and its latest update are done (on `states.now()`)."""

    active_at: float | None = None  # `Pending` until then
    updated_at: float | None = None  # `LastUpdateStatus: InProgress` until then
    previous: FunctionSpec | None = None  # what invocations run until `updated_at`


# moto's function -> its settling. Beside the object, not on it: the state saver pickles moto's
# objects, and a restored function (a new object) is settled.
_settling: weakref.WeakKeyDictionary[LambdaFunction, Settling] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Found:
    """A function's spec and settling, as `Functions` caches them."""

    spec: FunctionSpec
    previous: FunctionSpec | None
    active_at: float | None
    updated_at: float | None

    def runnable(self) -> FunctionSpec:
        """The previous code and configuration while an update is in progress, else the spec."""
        if self.previous is not None and not states.settled(self.updated_at):
            return self.previous
        return self.spec


def pending_message() -> str:
    return (
        "The operation cannot be performed at this time. "
        "The function is currently in the following state: Pending"
    )


def update_in_progress_message(arn: str) -> str:
    return f"The operation cannot be performed at this time. An update is in progress for resource: {arn}"


CREATING_REASON = "The function is being created."


def begin_create(fn: LambdaFunction) -> None:
    """`fn` was just created: `Pending` for the timing's `function_create`."""
    _settling[fn] = Settling(active_at=states.settles_at(states.current().function_create))


def begin_update(fn: LambdaFunction, previous: FunctionSpec) -> None:
    """`fn` was just updated: `InProgress` for `function_update`, running `previous` meanwhile."""
    settling = _settling.setdefault(fn, Settling())
    settling.updated_at = states.settles_at(states.current().function_update)
    settling.previous = previous


def refuse_while_settling(fn: LambdaFunction) -> None:
    """Lambda's ResourceConflictException for an update or PublishVersion that comes too soon."""
    settling = _settling.get(fn)
    if settling is None:
        return
    if not states.settled(settling.active_at):
        raise FunctionConflict(pending_message())
    if not states.settled(settling.updated_at):
        raise FunctionConflict(update_in_progress_message(fn.function_arn))


def settled(fn: LambdaFunction) -> bool:
    """True once `fn` is `Active` and its latest update `Successful` (what CloudFormation waits for)."""
    settling = _settling.get(fn)
    return settling is None or (
        states.settled(settling.active_at) and states.settled(settling.updated_at)
    )


def with_states(
    fn: LambdaFunction, config: dict[str, Any], on_create: bool = False
) -> dict[str, Any]:
    """`config` (moto's GetFunctionConfiguration) with the function's State and LastUpdateStatus."""
    settling = _settling.get(fn)
    if settling is None:
        return config
    if not states.settled(settling.active_at):
        config.update(State="Pending", StateReason=CREATING_REASON, StateReasonCode="Creating")
        updating = not on_create  # function_updated_v2 waits for the creation too
    else:
        updating = not states.settled(settling.updated_at)
    if updating:
        config.update(
            LastUpdateStatus="InProgress",
            LastUpdateStatusReason=CREATING_REASON,
            LastUpdateStatusReasonCode="Creating",
        )
    return config


class Functions:
    """Function configurations and resource policies, cached per Lambda generation."""

    def __init__(self, backends: Backends) -> None:
        self._specs = Cached(backends, "lambda")
        self._grants = Cached(backends, "lambda")

    def spec(self, name_or_arn: str) -> FunctionSpec | None:
        """What an invocation runs now (the previous code and configuration while an update is
        in progress), or None when the function does not exist."""
        found = self.found(name_or_arn)
        return None if found is None else found.runnable()

    def invocable(self, name_or_arn: str) -> FunctionSpec | None:
        """`spec`, or Lambda's ResourceConflictException while the function is `Pending`."""
        found = self.found(name_or_arn)
        if found is None:
            return None
        if not states.settled(found.active_at):
            raise ResourceConflictException(pending_message())
        return found.runnable()

    def found(self, name_or_arn: str) -> Found | None:
        """A function's spec and settling, read from moto once per Lambda change."""
        name = function_name_of(name_or_arn)

        def read(services: Any) -> Found | None:
            try:
                fn = services.lambda_.get_function(name)
            except Exception:  # moto raises its UnknownFunctionException
                return None
            settling = _settling.get(fn) or Settling()
            return Found(spec_of(fn), settling.previous, settling.active_at, settling.updated_at)

        return self._specs.get(name, read)

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
        message = runtimes.create_refusal(spec.get("Runtime"), package_type=spec.get("PackageType"))
        if message is not None:
            raise InvalidParameterValueException(message)
        note_deprecation(spec.get("Runtime"))
        role = spec.get("Role") or ""
        if iam.enforcing and not iam.lambda_may_assume(self.account_id, role):
            raise InvalidParameterValueException(CANNOT_ASSUME)
        if iam.propagating(self.account_id, role):  # IAM is eventually consistent
            raise InvalidParameterValueException(CANNOT_ASSUME)
        check_code_size(self, spec.get("Code"), "CreateFunction")
        fn = original(self, spec)
        stored = self.get_function(fn.function_name)
        begin_create(stored)
        if fn is not stored:  # Publish=True answers with a copy
            _settling[fn] = _settling[stored]
        return fn

    return create_function


def _update_function_code_checked(original: Any) -> Any:
    def update_function_code(
        self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        check_code_size(self, body, "UpdateFunctionCode")
        fn = self.get_function(function_name, qualifier)
        refuse_while_settling(fn)
        refused = runtimes.code_update_refusal(fn.run_time)
        if refused is not None:
            raise InvalidParameterValueException(refused)
        if body.get("DryRun"):
            return original(self, function_name, qualifier, body)
        previous = spec_of(fn)
        config = original(self, function_name, qualifier, body)
        begin_update(fn, previous)
        return with_states(fn, config) if isinstance(config, dict) else config

    return update_function_code


def _update_function_configuration_checked(original: Any) -> Any:
    def update_function_configuration(
        self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        fn = self.get_function(function_name, qualifier)
        refuse_while_settling(fn)
        requested = body.get("Runtime")
        refused = runtimes.update_refusal(fn.run_time, requested)
        if refused is not None:
            raise InvalidParameterValueException(refused)
        role = body.get("Role")
        if role and role != fn.role:
            if iam.enforcing and not iam.lambda_may_assume(self.account_id, role):
                raise InvalidParameterValueException(CANNOT_ASSUME)
            if iam.propagating(self.account_id, role):
                raise InvalidParameterValueException(CANNOT_ASSUME)
        previous = spec_of(fn)
        config = original(self, function_name, qualifier, body)
        begin_update(fn, previous)
        if requested != previous.runtime:
            note_deprecation(requested)
        return with_states(fn, config) if isinstance(config, dict) else config

    return update_function_configuration


def _publish_version_checked(original: Any) -> Any:
    def publish_version(self: LambdaBackend, function_name: str, description: str = "") -> Any:
        refuse_while_settling(self.get_function(function_name))
        return original(self, function_name, description)

    return publish_version


def _get_configuration_with_states(original: Any) -> Any:
    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        return with_states(self, original(self, on_create), on_create)

    return get_configuration


class FunctionConflict(JsonRESTError):
    """Lambda's ResourceConflictException (409), as moto's handlers raise errors."""

    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ResourceConflictException", message)


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

    return add_permission


def install() -> None:
    """Refuse runtimes AWS or this machine refuses, and oversized code; functions settle in time
    (idempotent)."""
    global _installed
    if _installed:
        return
    wrap(LambdaBackend, "create_function", _create_function_checked)
    wrap(LambdaBackend, "update_function_code", _update_function_code_checked)
    wrap(LambdaBackend, "add_permission", _add_permission_checked)
    wrap(LambdaBackend, "update_function_configuration", _update_function_configuration_checked)
    wrap(LambdaBackend, "publish_version", _publish_version_checked)
    wrap(LambdaFunction, "get_configuration", _get_configuration_with_states)
    _installed = True
