"""Shared plumbing for the deploy steps: clients, account facts, tags and one-line progress reports.

Every step takes an optional ``boto3.Session``; without one it uses ``boto3.Session()``, so the target
cloud (local or real AWS) is chosen only by boto3's standard environment (``AWS_ENDPOINT_URL``, ...).
"""

from __future__ import annotations

import itertools
import os
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
from botocore.exceptions import ClientError, WaiterError

APP_TAG = "workshop:app"
# boto3's waiters ask as often as their model says: DynamoDB's table_exists every 20 s, so a table
# that is ACTIVE after two seconds is used after twenty. Every waiter of the kit asks each second,
# with one more look at a quarter second for what settles sooner: 0, 0.25, 1, 2, 3... s.
WAITER_CONFIG = {"Delay": 1, "MaxAttempts": 300}
FIRST_LOOKS = (0.25, 0.75)  # the pauses before the second and third look
# What Lambda answers while IAM has not yet told it of a role created seconds ago.
ROLE_NOT_READY = "cannot be assumed by Lambda"

T = TypeVar("T")


# Creating a client loads its service model (~0.2 s), so clients are reused per session. The default
# session is keyed by the AWS_* environment, so pointing AWS_ENDPOINT_URL elsewhere takes effect.
_default_sessions: dict[tuple[tuple[str, str], ...], boto3.Session] = {}
_clients: weakref.WeakKeyDictionary[boto3.Session, dict[str, Any]] = weakref.WeakKeyDictionary()


def default_session() -> boto3.Session:
    """``boto3.Session()`` for the current AWS_* environment (one per distinct environment)."""
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    if key not in _default_sessions:
        _default_sessions[key] = boto3.Session()
    return _default_sessions[key]


def client(service: str, session: boto3.Session | None = None) -> Any:
    """A boto3 client for ``service`` from ``session`` (or the default session)."""
    session = session or default_session()
    clients = _clients.setdefault(session, {})
    if service not in clients:
        clients[service] = session.client(service)
    return clients[service]


def region_of(session: boto3.Session | None = None) -> str:
    """The region boto3 will call, e.g. ``us-east-1``."""
    return client("sts", session).meta.region_name


def account_of(session: boto3.Session | None = None) -> str:
    """The account id of the caller (``123456789012`` on the local cloud)."""
    return client("sts", session).get_caller_identity()["Account"]


def app_tags(app: str) -> dict[str, str]:
    """The tags every created resource carries, so ``teardown(app)`` can find it again."""
    return {APP_TAG: app}


def report(kind: str, name: str, outcome: str, detail: str = "") -> None:
    """Print one progress line, e.g. ``✓ table chat-connections (created)``."""
    print(f"✓ {kind} {name} ({outcome})" + (f" {detail}" if detail else ""))


def error_code(error: ClientError) -> str:
    """The AWS error code of a ``ClientError`` (``ResourceNotFoundException``, ...)."""
    return error.response.get("Error", {}).get("Code", "")


def retry_while(
    call: Callable[[], T],
    code: str,
    message: str,
    timeout: float = 30.0,
) -> T:
    """Run ``call``, retrying while AWS answers ``code`` with ``message`` in it, after the
    pauses of ``backoff()``, until ``timeout`` seconds of them have passed."""
    waited, delays = 0.0, backoff()
    while True:
        try:
            return call()
        except ClientError as error:
            retryable = error_code(error) == code and message in str(error)
            if not retryable or waited >= timeout:
                raise
        delay = next(delays)
        time.sleep(delay)
        waited += delay


def backoff() -> Iterator[float]:
    """Pauses between tries: FIRST_LOOKS, 1 s twice (tries at 0, 0.25, 1, 2, 3 s: a local role
    is ready in 2 s), then twice as long each time, at most 8 s (a new AWS role: about 10 s)."""
    yield from FIRST_LOOKS
    yield from (1.0, 1.0)
    delay = 2.0
    while True:
        yield delay
        delay = min(delay * 2, 8.0)


def pauses(steady: float) -> Iterator[float]:
    """The pauses between looks at something settling: FIRST_LOOKS, then `steady` each time."""
    yield from FIRST_LOOKS
    yield from itertools.repeat(steady)


def wait_for(service: Any, waiter: str, **params: Any) -> None:
    """Wait with boto3's waiter ``waiter`` of the client ``service``: it looks at once, after a
    quarter second, then at each whole second (0, 0.25, 1, 2, 3... s)."""
    wait_with(service.get_waiter(waiter), **params)


def wait_with(waiting: Any, **params: Any) -> None:
    """Wait with a boto3 waiter object (one the kit models itself), as ``wait_for`` does."""
    for pause in FIRST_LOOKS:
        try:
            waiting.wait(**params, WaiterConfig={"Delay": pause, "MaxAttempts": 1})
            return
        except WaiterError as error:  # a failure state or an error is final; only "not yet" waits
            if not str(error.kwargs.get("reason", "")).startswith("Max attempts exceeded"):
                raise
        time.sleep(pause)
    waiting.wait(**params, WaiterConfig=WAITER_CONFIG)


def once_role_assumable(call: Callable[[], T], timeout: float = 60.0) -> T:
    """Run ``call`` (CreateFunction, or an update naming a role), retrying while Lambda cannot
    assume the role yet.

    IAM is eventually consistent: for a few seconds after CreateRole, Lambda answers
    InvalidParameterValueException ("The role defined for the function cannot be assumed by
    Lambda"), on AWS and in the local cloud alike. A role_exists waiter does not help: it waits
    until IAM can read the role, not until Lambda can assume it.
    """
    return retry_while(call, "InvalidParameterValueException", ROLE_NOT_READY, timeout)


def all_items(operation: Callable[..., dict[str, Any]], **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of an API Gateway v2 list operation, following NextToken."""
    while True:
        page = operation(**params)
        yield from page.get("Items", [])
        if not page.get("NextToken"):
            return
        params["NextToken"] = page["NextToken"]
