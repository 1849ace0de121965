"""Everything the local cloud does with moto, in one package.

This is the only place that imports moto's internals or patches moto:
- `backends.py`: the one accessor for moto's backends (`Backends.open()`, under the lock) and
  the change counters that caches of derived state watch;
- `bridge.py`: the way AWS API requests reach moto's service handlers (the fast path);
- `apigatewayv2.py`: deployments, stage snapshots and local `ApiEndpoint`s;
- `lambda_.py`: runnable function specs, invoke permissions, the runtime check;
- `dynamodb.py`: stream records that wake their readers, TTL sweeps, the Streams host;
- `dynamodb_fast.py`: cached expressions and a quick way through simple UpdateItems;
- `states.py`, `dynamodb_states.py`, `mapping_states.py`: resources take time as on AWS (a table
  CREATING, TTL ENABLING, a mapping Creating), by the timing a `LocalCloud` hands over;
- `events.py`, `scheduler.py`, `logs.py`: scheduled rules and PutRule's checks, Scheduler's
  schedules and CreateSchedule's checks, and CloudWatch Logs writing;
- `json_protocol.py`: moto's JSON protocol (request parser, response serializer), compiled;
- `cloudformation/`, `sam.py`: stacks as AWS runs them (API Gateway v2 types, SAM transform);
- `state.py`: every backend as one snapshot (stream records and log events in a journal) and
  back, with the same ids: what `workshop cloud --state DIR` saves and restores.
- `refusals.py`: AWS's 4xx for requests wrong in themselves (not JSON, wrong type, too big,
  unknown operations, required members left out), in each service's protocol;
- `iam.py`, `s3.py`: trust policies and bucket policies checked as IAM and S3 check them.

`infra/slim.py`, imported first, keeps a module moto's dependencies would load for nothing out.
`tracking.py` turns off moto's list of every model it ever made (it kept all of them alive).

`install()` applies every patch, once per process, before moto's server app is created.
"""

from __future__ import annotations

from collections.abc import Callable

from ... import slim  # noqa: F401  (first: before anything imports moto)
from ..timing import Timing
from .backends import ALL_SERVICES, Backends, Cached

__all__ = ["ALL_SERVICES", "Backends", "Cached", "install", "take_over"]


def take_over(
    backends: Backends,
    timing: Timing,
    enforce_iam: bool,
    stream_readable: Callable[[str, str], bool],
) -> Callable[[], None]:
    """Run moto as this local cloud does. moto is process-wide, and so are its timing (how long
    resources take to settle), where stack operations run (in the background, under `backends`'
    lock), IAM's enforcement, and the check of a new mapping's role (`stream_readable(role ARN,
    stream ARN)`). Returns what gives the timing, the stacks and the check back as they were, if
    they are still this cloud's (IAM's enforcement stays as it is)."""
    from . import dynamodb, iam, states
    from .cloudformation import engine

    iam.enforcing = enforce_iam
    timing_before = states.current()
    states.use(timing)
    engine.use(backends)
    readable_before = dynamodb.check_stream_readers(stream_readable)

    def give_back() -> None:
        if states.current() is timing:
            states.use(timing_before)  # at first INSTANT: moto without a cloud
            engine.use(None)
        if dynamodb.stream_readers_check() == stream_readable:
            dynamodb.check_stream_readers(readable_before)

    return give_back


def install() -> None:
    """Teach moto what the local cloud needs (idempotent)."""
    from . import (
        apigatewayv2,
        cloudformation,
        dynamodb,
        dynamodb_fast,
        events,
        iam,
        json_protocol,
        lambda_,
        s3,
        scheduler,
        tracking,
    )

    tracking.install()

    apigatewayv2.install()
    iam.install()
    s3.install()
    cloudformation.install()
    lambda_.install()
    dynamodb.install()
    dynamodb_fast.install()
    events.install()
    scheduler.install()
    json_protocol.install()
