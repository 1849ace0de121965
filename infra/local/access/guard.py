"""The local cloud's access checks, in one place, for the edge, @connections and the runtime.

- **Roles are checked, people are not.** A request signed with a role's temporary credentials
  (what each Lambda function runs with) must carry the session's token and is authorised against
  the role's identity policies. The learner's own credentials are an administrator's.
- **@connections checks signatures**, as API Gateway does: an unknown key or a wrong secret is
  403, and a role needs `execute-api:ManageConnections` on the connection.
- **A room's cloud lets no one in.** When the cloud listens beyond loopback, AWS API calls from
  other machines must be signed with the room's key (printed at start) or a role's; the stages'
  WebSocket endpoints stay open to everyone.

Decisions are cached per role, request and IAM generation, so a room pays for each policy
evaluation once, not per call. With `enforce=False` (`workshop cloud --no-iam`) only the room's
lock and the presence of an @connections signature remain.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..aws import iam
from ..aws.backends import Backends, Cached
from ..vocabulary import FunctionSpec, HttpReply, HttpRequest
from . import denials, sigv4
from .actions import Permission, is_always_allowed, requested
from .policy import IMPLICIT_DENY, Verdict, evaluate

# What Lambda's poller does with a mapping's stream: its role must be allowed all of them.
STREAM_READ_ACTIONS = ("GetRecords", "GetShardIterator", "DescribeStream", "ListStreams")
SESSION_SECONDS = 3600  # Lambda's credentials, refreshed with every new worker
REFRESH_BEFORE = timedelta(minutes=15)  # a session with less left is not handed out again


@dataclass(frozen=True)
class Principal:
    """Who signed a request: a role's session, or an administrator (key id only)."""

    access_key: str
    session: iam.Session | None = None

    @property
    def is_role(self) -> bool:
        return self.session is not None


class Guard:
    """Authentication and authorisation for one local cloud."""

    def __init__(
        self,
        backends: Backends,
        *,
        enforce: bool = True,
        admin_keys: dict[str, str] | None = None,
        room_key: tuple[str, str] | None = None,
        trusted_peers: Iterable[str] | None = None,
    ) -> None:
        self.backends = backends
        self.enforce = enforce
        self.admin_keys = dict(admin_keys or {})  # access key -> secret (the learner's)
        self.room_key = room_key
        if room_key is not None:
            self.admin_keys[room_key[0]] = room_key[1]
        self.trusted_peers = frozenset(trusted_peers) if trusted_peers is not None else None
        self._sessions: dict[str, iam.Session | None] = {}
        self._issued: dict[tuple[str, str], iam.Session] = {}
        self._documents = Cached(backends, "iam")
        self._verdicts = Cached(backends, "iam")

    # ------------------------------------------------------------ who

    def trusts(self, peer: str, local: str) -> bool:
        """Whether a request from `peer` (to our address `local`) comes from this machine.

        Loopback is this machine, and so is a connection from one of its own addresses (the
        instructor deploying to the LAN address, say): source and destination are the same.
        """
        if self.trusted_peers is not None:
            return peer in self.trusted_peers
        try:
            return ipaddress.ip_address(peer).is_loopback or peer == local
        except ValueError:
            return False

    def session(self, access_key: str) -> iam.Session | None:
        """The role session of a temporary access key (None for anyone else's key)."""
        if not access_key.startswith("ASIA"):
            return None
        if access_key not in self._sessions:
            self._sessions[access_key] = iam.find_session(self.backends, access_key)
        return self._sessions[access_key]

    def secret_for(self, access_key: str, *, remote: bool) -> tuple[str, str | None] | None:
        """(secret, session token) of a key this cloud knows, for signature checks."""
        session = self.session(access_key)
        if session is not None:
            return session.secret, session.token
        if remote:  # from another machine, only the room's own key is an administrator's
            if self.room_key is not None and access_key == self.room_key[0]:
                return self.room_key[1], None
            return None
        secret = self.admin_keys.get(access_key)
        return None if secret is None else (secret, None)

    # ------------------------------------------------------------ what roles may do

    def documents(self, role_arn: str) -> list[str]:
        found = self._documents.get(role_arn, lambda _: iam.role_documents(self.backends, role_arn))
        return found or []

    def verdict(self, role_arn: str, permission: Permission) -> Verdict:
        """The role's verdict on one permission (cached until IAM changes)."""
        key = (role_arn, permission.action, permission.resource)

        def decide(_: Any) -> Verdict:
            documents = iam.role_documents(self.backends, role_arn)
            if documents is None:
                return IMPLICIT_DENY  # the role is gone
            return evaluate(documents, permission.action, permission.resource)

        return self._verdicts.get(key, decide)

    def role_may(self, role_arn: str, action: str, resource: str) -> bool:
        return not self.enforce or self.verdict(role_arn, Permission(action, resource)).allowed

    def stream_readable(self, role_arn: str, stream_arn: str) -> bool:
        """Whether a mapping's role may read its stream, as Lambda's poller needs (asked when a
        mapping is created, through `aws.dynamodb.check_stream_readers`, and as it polls)."""
        return all(
            self.role_may(role_arn, f"dynamodb:{action}", stream_arn)
            for action in STREAM_READ_ACTIONS
        )

    def may_log(self, role_arn: str, function_name: str) -> bool:
        """Whether Lambda may write the function's logs with its role (else they are dropped)."""
        group = f"arn:aws:logs:{self.backends.region}:{self.backends.account_id}:log-group:"
        stream = f"{group}/aws/lambda/{function_name}:log-stream:*"
        return self.role_may(role_arn, "logs:CreateLogStream", stream) and self.role_may(
            role_arn, "logs:PutLogEvents", stream
        )

    # ------------------------------------------------------------ credentials for functions

    async def worker_credentials(self, spec: FunctionSpec) -> dict[str, str]:
        """The environment a new worker of `spec` runs with: its role's temporary credentials
        (none for a function without a role)."""
        return await self.credentials_for(spec.name, spec.role) if spec.role else {}

    async def credentials_for(self, function_name: str, role_arn: str) -> dict[str, str]:
        """The temporary credentials a new worker of the function runs with."""
        key = (function_name, role_arn)
        issued = self._issued.get(key)
        now = datetime.now(UTC)
        if issued is None or issued.expiration - now < REFRESH_BEFORE:
            issued = await self.backends.call(
                iam.assume_role, self.backends, role_arn, function_name, SESSION_SECONDS
            )
            self._issued[key] = issued
            self._sessions[issued.access_key] = issued
        return issued.environment()

    # ------------------------------------------------------------ checks

    def check_aws_call(self, request: HttpRequest) -> HttpReply | None:
        """None when the AWS API call may go on to moto; else the answer that refuses it."""
        remote = not self.trusts(request.peer, request.local)
        if not remote and not self.enforce:
            return None
        auth = sigv4.Authorization.parse(request.headers.get("authorization", ""))
        if auth is None:
            return denials.missing_authentication(_service_of(request)) if remote else None
        session = self.session(auth.access_key)
        if remote:
            check = sigv4.check(request, lambda key: self.secret_for(key, remote=True))
            if check.outcome is sigv4.Outcome.UNKNOWN_KEY:
                return denials.unrecognized_client(auth.service)
            if check.outcome is sigv4.Outcome.BAD_SIGNATURE:
                return denials.invalid_signature(auth.service)
        if session is None or not self.enforce:
            return None  # an administrator: the learner, or the instructor with the room key
        if request.headers.get("x-amz-security-token") != session.token or session.expired():
            return denials.unrecognized_client(auth.service)
        permissions = requested(request, auth, self.backends.account_id)
        if is_always_allowed(permissions):
            return None
        for permission in permissions:
            verdict = self.verdict(session.role_arn, permission)
            if not verdict.allowed:
                message = denials.denied_message(
                    session.arn, permission.action, permission.resource, verdict
                )
                return denials.access_denied(auth.service, message)
        return None

    def check_connections(
        self, request: HttpRequest, api_id: str, stage: str, connection_id: str
    ) -> HttpReply | None:
        """None when this @connections call may go on; else API Gateway's refusal."""
        auth = sigv4.Authorization.parse(request.headers.get("authorization", ""))
        if auth is None:
            return None  # the registry answers "Missing Authentication Token"
        remote = not self.trusts(request.peer, request.local)
        if not self.enforce and not remote:
            return None
        execute_api_host = f"{api_id}.execute-api.{auth.region}.amazonaws.com"
        aws_target = request.target.removeprefix(f"/{api_id}")
        check = sigv4.check(
            request,
            lambda key: self.secret_for(key, remote=remote),
            [(execute_api_host, aws_target)],
        )
        if check.outcome is sigv4.Outcome.UNKNOWN_KEY:
            return denials.unrecognized_client("execute-api")
        if check.outcome is sigv4.Outcome.BAD_SIGNATURE:
            return denials.invalid_signature("execute-api")
        session = self.session(auth.access_key)
        if session is None or not self.enforce:
            return None
        resource = (
            f"arn:aws:execute-api:{self.backends.region}:{self.backends.account_id}:"
            f"{api_id}/{stage}/{request.method}/@connections/{connection_id}"
        )
        permission = Permission("execute-api:ManageConnections", resource)
        verdict = self.verdict(session.role_arn, permission)
        if verdict.allowed:
            return None
        message = f"User: {session.arn} is not authorized to perform: {permission.action} on resource: {resource}"
        return denials.access_denied("execute-api", message)


CredentialSource = Callable[[str, str], Awaitable[dict[str, str]]]


def _service_of(request: HttpRequest) -> str:
    target = request.headers.get("x-amz-target", "")
    if target.startswith("DynamoDB"):
        return "dynamodb"
    if target.startswith("Logs_"):
        return "logs"
    if target.startswith("AWSEvents"):
        return "events"
    if request.path.startswith("/2015-03-31/"):
        return "lambda"
    if "Action=" in request.query or request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        return "sts"
    return "apigateway"
