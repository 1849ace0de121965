"""A stack's resources created and deleted as CloudFormation does, with their events.

Resources are created in dependency order, each with CREATE_IN_PROGRESS and CREATE_COMPLETE
(or CREATE_FAILED and the reason) events; a failure rolls the stack back (ROLLBACK_COMPLETE),
or leaves it CREATE_FAILED with OnFailure=DO_NOTHING. Deletion goes in reverse order; a
resource that is already gone counts as deleted, one that cannot go leaves DELETE_FAILED.
A stack's tags reach every taggable resource, with the `aws:cloudformation:*` system tags
where AWS adds them. moto's parsing (parameters, conditions, intrinsic functions) is reused.

Stacks take as long as their resources, as on AWS: a table is CREATE_COMPLETE once it is
`ACTIVE`, a function once it is `Active` (UPDATE_COMPLETE once its update is `Successful`), a
mapping once it is `Enabled`, and a function waits out its new role's propagation first (AWS's
CloudFormation retries it). So a cloud whose timing is not instant runs each stack operation in
the background (`StackJobs`): the call answers `*_IN_PROGRESS` at once, and the operation holds
moto's lock only between its waits. With instant timing, or moto without a cloud, it all happens
before the call answers, as it used to.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.core.common_models import CloudFormationModel

from .. import apigatewayv2, dynamodb_states, iam, lambda_, mapping_states, states
from ..backends import ALL_SERVICES, Backends
from . import waiting
from .resources import tag_resource, tags_of
from .templates import dependency_order, resource_class, system_tags_apply
from .waiting import wait_until

log = logging.getLogger(__name__)

STACK_TYPE = "AWS::CloudFormation::Stack"
POLL = 0.05  # seconds between two looks at a resource that is settling
PATIENCE = 900.0  # seconds a resource may take to settle before its stack gives up on it


COMPLETE_STATES = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
}


class ResourceFailed(Exception):
    """A resource could not be created, updated or deleted; the stack operation stops."""

    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason


@dataclass
class Tracked:
    """What the engine knows about one created resource."""

    logical_id: str
    resource_type: str
    instance: Any
    properties: dict[str, Any]  # the resolved Properties it was created or last updated with
    status: str = "CREATE_COMPLETE"


@dataclass
class StackState:
    """The engine's view of a stack: its resources in creation order, and its options."""

    resources: dict[str, Tracked] = field(default_factory=dict)
    original_template: str | dict[str, Any] = ""
    capabilities: tuple[str, ...] = ()


def state_of(stack: Stack) -> StackState:
    if not hasattr(stack, "workshop_state"):
        stack.workshop_state = StackState()
    return stack.workshop_state


def add_event(
    stack: Stack,
    logical_id: str,
    physical_id: str,
    resource_type: str,
    status: str,
    reason: str | None = None,
) -> None:
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


# ---------------------------------------------------------------- time


class StackJobs:
    """Stack operations run in the background, one at a time per stack, as CloudFormation runs
    them: each holds moto's lock while it works and lets go of it while a resource settles."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self._stack_locks: dict[str, threading.Lock] = {}
        self._running: dict[str, int] = {}

    def start(self, stack: Stack, work: Callable[[], None]) -> None:
        """Run `work` (which expects moto's lock held) after the stack's earlier operations."""
        stack_lock = self._stack_locks.setdefault(stack.stack_id, threading.Lock())
        self._running[stack.stack_id] = self._running.get(stack.stack_id, 0) + 1
        base = apigatewayv2.public_base()  # the ApiEndpoint's host, as the caller reached us
        thread = threading.Thread(
            target=self._run, args=(stack.stack_id, stack_lock, work, base), daemon=True
        )
        thread.name = f"stack {stack.name}"
        thread.start()

    def busy(self, stack: Stack) -> bool:
        """True while an operation of `stack` is queued or running."""
        return self._running.get(stack.stack_id, 0) > 0

    def _run(
        self,
        stack_id: str,
        stack_lock: threading.Lock,
        work: Callable[[], None],
        base: str | None,
    ) -> None:
        apigatewayv2.set_public_base(base)
        with stack_lock, self.backends.lock:
            waiting.running(self)
            try:
                work()
            except Exception:  # a bug of ours: the stack stays as it was left, the cloud goes on
                log.exception("a stack operation failed")
            finally:
                waiting.running(None)
                self._running[stack_id] -= 1
                self.backends.changed(ALL_SERVICES)

    def wait_until(self, done: Callable[[], bool], what: str) -> None:
        """Let go of moto's lock until `done()` (read under the lock) is true."""
        deadline = time.monotonic() + PATIENCE
        lock: Any = self.backends.lock
        while not done():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{what} did not stabilize within {PATIENCE:.0f} seconds")
            self.backends.changed(ALL_SERVICES)  # what the stack made so far is visible
            saved = lock._release_save()  # all the way, as threading.Condition does
            try:
                time.sleep(POLL)
            finally:
                lock._acquire_restore(saved)


_jobs: StackJobs | None = None


def use(backends: Backends | None) -> None:
    """Run stack operations in the background against `backends` (None: synchronously)."""
    global _jobs
    _jobs = None if backends is None else StackJobs(backends)


def _instant() -> bool:
    timing = states.current()
    return not any(
        (
            timing.table_create,
            timing.table_update,
            timing.table_delete,
            timing.function_create,
            timing.function_update,
            timing.role_propagation,
            timing.mapping_change,
        )
    )


def run_stack_operation(stack: Stack, work: Callable[[], None]) -> None:
    """Run `work` in the background when resources take time, else at once."""
    if _jobs is None or _instant() or not _jobs.backends.lock._is_owned():  # type: ignore[attr-defined]  # RLock._is_owned: CPython's, not in typeshed
        work()  # moto without the cloud's bridge (in-process tests), or nothing takes time
        return
    if stack.status == "CREATE_IN_PROGRESS":  # no outputs until created (reading them creates)
        stack.output_map = parsing.OutputMap(stack.resource_map, {}, stack.stack_id)
    _jobs.start(stack, work)


def stack_busy(stack: Stack) -> bool:
    """True while an operation of `stack` waits to run or runs in the background."""
    return _jobs is not None and _jobs.busy(stack)


def stable(instance: Any, resource_type: str) -> bool:
    """Whether a created or updated resource is done as CloudFormation counts it."""
    if resource_type == "AWS::DynamoDB::Table":
        return dynamodb_states.table_status(instance) == "ACTIVE"
    if resource_type == "AWS::Lambda::Function":
        return lambda_.settled(instance)
    if resource_type == "AWS::Lambda::EventSourceMapping":
        return mapping_states.state(instance) in ("Enabled", "Disabled")
    return True


def settle(instance: Any, resource_type: str, logical_id: str) -> None:
    """Wait until a resource just created or updated is stable."""
    wait_until(lambda: stable(instance, resource_type), f"Resource {logical_id}")


def _gone(instance: Any, resource_type: str) -> bool:
    """Whether a deleted resource is gone as CloudFormation counts it (a table's DELETING)."""
    if resource_type == "AWS::DynamoDB::Table":
        return states.settled(getattr(instance, "workshop_until", None))
    return True


# A stack saved mid-operation and restored: the thread that ran the operation died with the
# saved process, so the operation ends as it would have failed, and says what to do.
INTERRUPTED = {
    "CREATE_IN_PROGRESS": "CREATE_FAILED",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
    "DELETE_IN_PROGRESS": "DELETE_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_FAILED",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_ROLLBACK_COMPLETE",
}
INTERRUPTED_REASON = (
    "The local cloud stopped during this operation: delete the stack and deploy it again."
)


def settle_all(backend: CloudFormationBackend) -> None:
    """End every restored stack's interrupted operation (see `INTERRUPTED`)."""
    for stack in backend.stacks.values():
        ended = INTERRUPTED.get(stack.status)
        if ended is not None:
            stack_event(stack, ended, INTERRUPTED_REASON)


def stack_event(stack: Stack, status: str, reason: str | None = None) -> None:
    """The stack's own event and status (StackStatusReason shows the reason)."""
    stack.status = status
    stack.status_reason = reason
    add_event(stack, stack.name, stack.stack_id, STACK_TYPE, status, reason)


def _physical_id(instance: Any) -> str:
    return str(getattr(instance, "physical_resource_id", "") or "")


def _reason(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    if isinstance(error, ValueError) and len(error.args) == 2:  # moto's ("Code", "message")
        message = f"{error.args[1]} (Service: {error.args[0]})"
    return str(message)


def _resolve(resource_map: parsing.ResourceMap, resource_json: dict[str, Any]) -> dict[str, Any]:
    cleaned = parsing.clean_json(copy.deepcopy(resource_json), resource_map)
    cleaned.setdefault("Properties", {})
    return cleaned


def _physical_name(
    model: type[CloudFormationModel],
    logical_id: str,
    resource_type: str,
    resolved: dict[str, Any],
    stack_name: str,
) -> str:
    name_property = (
        model.cloudformation_name_type() if hasattr(model, "cloudformation_name_type") else ""
    )
    if name_property and name_property in resolved["Properties"]:
        return str(resolved["Properties"][name_property])
    return parsing.generate_resource_name(resource_type, stack_name, logical_id)


def _stack_of(resource_map: parsing.ResourceMap) -> Stack | None:
    return getattr(resource_map, "workshop_stack", None)


def create_resource(
    logical_id: str,
    resource_json: dict[str, Any],
    resource_map: parsing.ResourceMap,
    account_id: str,
    region_name: str,
) -> Any:
    """Create one resource, with its events and tags (replaces moto's parse_and_create_resource)."""
    condition = resource_json.get("Condition")
    if condition and not resource_map.lazy_condition_map[condition]:
        return None
    stack = _stack_of(resource_map)
    resource_type = resource_json["Type"]
    if stack is not None:
        add_event(stack, logical_id, "", resource_type, "CREATE_IN_PROGRESS")
    try:
        model = resource_class(resource_type)
        resolved = _resolve(resource_map, resource_json)
        name = _physical_name(
            model, logical_id, resource_type, resolved, resource_map["AWS::StackName"]
        )
        if resource_type == "AWS::Lambda::Function":  # CloudFormation retries a new role
            role = str(resolved["Properties"].get("Role") or "")
            wait_until(lambda: not iam.propagating(account_id, role), f"Role {role}")
        instance = model.create_from_cloudformation_json(
            name,
            copy.deepcopy(resolved),  # models may rewrite it (a role's JSON policy documents)
            account_id,
            region_name,
            LogicalId=logical_id,
            StackId=resource_map.stack_id,
            ResourceType=resource_type,
        )
        instance.cf_resource_type = resource_type
        instance.logical_resource_id = logical_id
        _tag(resource_map, instance, resource_type, logical_id, resolved, account_id, region_name)
        settle(instance, resource_type, logical_id)
    except ResourceFailed:
        raise
    except Exception as error:
        if stack is None:
            raise
        add_event(stack, logical_id, "", resource_type, "CREATE_FAILED", _reason(error))
        raise ResourceFailed(logical_id, _reason(error)) from error
    if stack is not None:
        state_of(stack).resources[logical_id] = Tracked(
            logical_id, resource_type, instance, resolved["Properties"]
        )
        add_event(stack, logical_id, _physical_id(instance), resource_type, "CREATE_COMPLETE")
    return instance


def _tag(
    resource_map: parsing.ResourceMap,
    instance: Any,
    resource_type: str,
    logical_id: str,
    resolved: dict[str, Any],
    account_id: str,
    region_name: str,
) -> None:
    taggable, system = system_tags_apply(resource_type)
    if not taggable:
        return
    stack_tags = {k: v for k, v in resource_map.tags.items() if not k.startswith("aws:")}
    tags = {**stack_tags, **tags_of(resolved["Properties"])}
    if system:
        tags.update(
            {
                "aws:cloudformation:stack-name": resource_map["AWS::StackName"],
                "aws:cloudformation:stack-id": resource_map.stack_id,
                "aws:cloudformation:logical-id": logical_id,
            }
        )
    tag_resource(instance, resource_type, tags, account_id, region_name)


def delete_resource(tracked: Tracked, account_id: str, region_name: str) -> None:
    """Delete one resource; one that is already gone counts as deleted."""
    model = resource_class(tracked.resource_type)
    instance = tracked.instance
    try:
        if "delete_resource" in model.__dict__:
            model.delete_resource(instance, account_id, region_name)
        elif hasattr(instance, "delete"):
            instance.delete(account_id, region_name)
        else:
            model.delete_from_cloudformation_json(
                _physical_id(instance),
                {"Type": tracked.resource_type, "Properties": copy.deepcopy(tracked.properties)},
                account_id,
                region_name,
            )
    except Exception as error:
        if not _is_gone(error):
            raise
        return
    wait_until(lambda: _gone(instance, tracked.resource_type), f"Resource {tracked.logical_id}")


def _is_gone(error: BaseException) -> bool:
    text = f"{type(error).__name__} {getattr(error, 'code', '')} {error}"
    return any(word in text for word in ("NotFound", "NoSuchEntity", "does not exist", "not found"))


def run_create(stack: Stack, on_failure: str = "ROLLBACK") -> None:
    """Create every resource of a new stack, then settle its status as AWS would."""
    resource_map = stack.resource_map
    resource_map.workshop_stack = stack
    resource_map.tags.update(
        {"aws:cloudformation:stack-name": stack.name, "aws:cloudformation:stack-id": stack.stack_id}
    )
    stack.status = "CREATE_IN_PROGRESS"
    try:
        for logical_id in dependency_order(stack.template_dict.get("Resources") or {}):
            resource_map[logical_id]
        _evaluate_outputs(stack)
    except ResourceFailed as failed:
        _fail_create(stack, failed, on_failure)
        return
    stack_event(stack, "CREATE_COMPLETE")


def _evaluate_outputs(stack: Stack) -> None:
    """Outputs are worked out when the stack is created or updated (and kept), as on AWS."""
    stack.output_map = stack._create_output_map()
    try:
        for key in stack.output_map:
            stack.output_map[key]
    except Exception as error:
        raise ResourceFailed(stack.name, f"Template error: Outputs: {_reason(error)}") from error


def _fail_create(stack: Stack, failed: ResourceFailed, on_failure: str) -> None:
    failed_list = f"The following resource(s) failed to create: [{failed.logical_id}]."
    if on_failure == "DO_NOTHING":
        stack_event(stack, "CREATE_FAILED", failed_list)
        return
    stack_event(stack, "ROLLBACK_IN_PROGRESS", f"{failed_list} Rollback requested by user.")
    problems = _delete_all(stack, "DELETE")
    if problems:
        stack_event(
            stack,
            "ROLLBACK_FAILED",
            f"The following resource(s) failed to delete: [{', '.join(problems)}].",
        )
        return
    if on_failure == "DELETE":
        stack_event(stack, "DELETE_COMPLETE")
        _forget(stack)
        return
    stack_event(stack, "ROLLBACK_COMPLETE", f"{failed_list} Rollback requested by user.")


def _forget(stack: Stack) -> None:
    """Move a deleted stack where DescribeStacks-by-id still finds it (and by name does not)."""
    backend = cfn_models.cloudformation_backends[stack.account_id][stack.region_name]
    backend.stacks.pop(stack.stack_id, None)
    backend.deleted_stacks[stack.stack_id] = stack
    for export in stack.exports:
        backend.exports.pop(export.name, None)


def _delete_all(stack: Stack, verb: str = "DELETE") -> list[str]:
    """Delete the stack's resources in reverse creation order; return the ones that failed."""
    state = state_of(stack)
    template = stack.template_dict.get("Resources") or {}
    order = [name for name in dependency_order(template) if name in state.resources]
    order += [name for name in state.resources if name not in order]
    problems = []
    for logical_id in reversed(order):
        tracked = state.resources[logical_id]
        if (template.get(logical_id) or {}).get("DeletionPolicy") == "Retain":
            add_event(
                stack,
                logical_id,
                _physical_id(tracked.instance),
                tracked.resource_type,
                "DELETE_SKIPPED",
            )
            del state.resources[logical_id]
            continue
        if not _delete_tracked(stack, tracked, verb):
            problems.append(logical_id)
            continue
        del state.resources[logical_id]
        stack.resource_map._parsed_resources.pop(logical_id, None)
    return problems


def _delete_tracked(stack: Stack, tracked: Tracked, verb: str = "DELETE") -> bool:
    physical = _physical_id(tracked.instance)
    add_event(stack, tracked.logical_id, physical, tracked.resource_type, f"{verb}_IN_PROGRESS")
    try:
        delete_resource(tracked, stack.account_id, stack.region_name)
    except Exception as error:
        add_event(
            stack,
            tracked.logical_id,
            physical,
            tracked.resource_type,
            f"{verb}_FAILED",
            _reason(error),
        )
        return False
    add_event(stack, tracked.logical_id, physical, tracked.resource_type, f"{verb}_COMPLETE")
    return True


def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    """DeleteStack: every resource, in reverse dependency order; DELETE_FAILED keeps the stack."""
    stack = self.stacks.get(name_or_stack_id) or next(
        (s for s in self.stacks.values() if s.name == name_or_stack_id), None
    )
    if stack is None:
        return  # deleting a stack that is not there succeeds, as on AWS
    if stack.status == "DELETE_IN_PROGRESS":
        return  # already on its way
    if not stack_busy(stack):
        stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
    run_stack_operation(stack, lambda: _run_delete(stack))


def _run_delete(stack: Stack) -> None:
    """Delete a stack's resources, then the stack (after any operation it was in)."""
    if stack.status == "DELETE_COMPLETE":
        return  # a second DeleteStack, queued behind the first
    if stack.status != "DELETE_IN_PROGRESS":
        stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
    problems = _delete_all(stack)
    if problems:
        stack_event(
            stack,
            "DELETE_FAILED",
            f"The following resource(s) failed to delete: [{', '.join(problems)}]. ",
        )
        return
    stack_event(stack, "DELETE_COMPLETE")
    _forget(stack)
