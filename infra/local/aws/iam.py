"""IAM and STS as the access checks need them: role sessions, a role's policies, its trust.

A role CreateRole made cannot be assumed by Lambda for the timing's `role_propagation` seconds
(`propagating`), as IAM's eventual consistency makes it on AWS; a restored role is old.

Lambda hands each function temporary credentials from an STS AssumeRole of its execution role;
`assume_role` does that in moto's STS, so `sts.get_caller_identity()` inside a function answers
with the assumed role, as on AWS. Everything is read under the backends' lock and returned as
plain data.

AWS managed policies (`arn:aws:iam::aws:policy/...`) exist for every call that names one, with
AWS's documents (`managed_policies.json`, else moto's bundled copy).
"""

from __future__ import annotations

import functools
import json
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import states
from .backends import Backends
from .patching import replace, wrap

PARTITION = "aws"

# Whether roles' permissions are enforced (`workshop cloud --no-iam` turns it off). moto's
# state is process-wide, and so is this.
enforcing = True


@dataclass(frozen=True)
class Session:
    """Temporary credentials of an assumed role."""

    access_key: str
    secret: str
    token: str
    role_arn: str
    session_name: str
    expiration: datetime
    account_id: str

    @property
    def arn(self) -> str:
        role_name = self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{self.session_name}"

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expiration

    def environment(self) -> dict[str, str]:
        """The variables Lambda sets for the function's SDK."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_SESSION_TOKEN": self.token,
        }


def _session(assumed: Any, account_id: str) -> Session:
    expiration = assumed.expiration
    if expiration.tzinfo is None:  # moto keeps naive UTC
        expiration = expiration.replace(tzinfo=UTC)
    return Session(
        access_key=assumed.access_key_id,
        secret=assumed.secret_access_key,
        token=assumed.session_token,
        role_arn=assumed.role_arn,
        session_name=assumed.session_name,
        expiration=expiration,
        account_id=account_id,
    )


def assume_role(backends: Backends, role_arn: str, session_name: str, duration: int) -> Session:
    """Temporary credentials for `role_arn`, issued by moto's STS (as Lambda gets them)."""
    from moto.sts.models import sts_backends

    with backends.open():
        sts = sts_backends[backends.account_id][PARTITION]
        assumed = sts.assume_role(
            region_name=backends.region,
            role_session_name=session_name,
            role_arn=role_arn,
            policy=None,
            duration=duration,
            external_id=None,
        )
        return _session(assumed, backends.account_id)


def find_session(backends: Backends, access_key: str) -> Session | None:
    """The session an access key belongs to, if STS issued it."""
    from moto.sts.models import sts_backends

    with backends.open():
        sts = sts_backends[backends.account_id][PARTITION]
        assumed = sts.get_assumed_role_from_access_key(access_key)
        return None if assumed is None else _session(assumed, backends.account_id)


def role_documents(backends: Backends, role_arn: str) -> list[str] | None:
    """The identity-policy documents of a role (inline and attached), or None if it is gone."""
    with backends.open():
        return role_documents_held(backends.account_id, role_arn)


def trust_policy(backends: Backends, role_arn: str) -> str | None:
    """A role's trust (assume-role) policy document, or None when there is no such role."""
    name = role_arn.rsplit("/", 1)[-1]
    with backends.open() as services:
        try:
            return _text(services.iam.get_role(name).assume_role_policy_document)
        except Exception:
            return None


def _text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def lambda_may_assume(account_id: str, role_arn: str) -> bool:
    """Whether the role exists and trusts lambda.amazonaws.com (moto's lock is held)."""
    from moto.iam.models import iam_backends

    from ..access.policy import trusts_service

    name = role_arn.rsplit("/", 1)[-1]
    try:
        role = iam_backends[account_id][PARTITION].get_role(name)
    except Exception:
        return False
    return trusts_service(_text(role.assume_role_policy_document), "lambda.amazonaws.com")


# A role CreateRole made -> the moment Lambda can assume it (IAM is eventually consistent). Kept
# beside moto's role, not on it: a restored role (a new object) is old, and assumable at once.
_propagated_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


def propagating(account_id: str, role_arn: str) -> bool:
    """Whether `role_arn` is too new for Lambda to assume yet (moto's lock is held)."""
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account_id][PARTITION].get_role(role_arn.rsplit("/", 1)[-1])
    except Exception:
        return False
    return not states.settled(_propagated_at.get(role))


def role_documents_held(account_id: str, role_arn: str) -> list[str] | None:
    """`role_documents` for code that runs inside moto (the lock is held already)."""
    from moto.iam.models import iam_backends

    name = role_arn.rsplit("/", 1)[-1]
    try:
        role = iam_backends[account_id][PARTITION].get_role(name)
    except Exception:
        return None
    documents = [_text(document) for document in role.policies.values()]
    for policy in role.managed_policies.values():
        version = next((v for v in policy.versions if v.is_default), None)
        if version is not None:
            documents.append(_text(version.document))
    return documents


# ---------------------------------------------------------------- AWS managed policies

AWS_POLICY_PREFIX = f"arn:{PARTITION}:iam::aws:policy/"
# The managed policies a WebSocket app uses, with AWS's documents and versions (the data file
# says where they come from). Any other AWS managed policy comes from the copy moto bundles.
MANAGED_POLICIES_FILE = Path(__file__).with_name("managed_policies.json")


@functools.cache
def aws_managed_policies() -> dict[str, dict[str, Any]]:
    """The kit's AWS managed policies by ARN, as the data file holds them."""
    data = json.loads(MANAGED_POLICIES_FILE.read_text())
    return {policy["Arn"]: policy for policy in data["policies"]}


@functools.cache
def _moto_managed_policies() -> dict[str, dict[str, Any]]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    bundled = json.loads(aws_managed_policies_data)
    return {
        f"{AWS_POLICY_PREFIX}{data['Path'].lstrip('/')}{name}": {"PolicyName": name, **data}
        for name, data in bundled.items()
    }


def aws_managed_policy(arn: str) -> dict[str, Any] | None:
    """An AWS managed policy's name, path, version, dates and document, or None."""
    if not arn.startswith(AWS_POLICY_PREFIX):
        return None
    return aws_managed_policies().get(arn) or _moto_managed_policies().get(arn)


def ensure_aws_managed_policy(backend: Any, arn: str) -> None:
    """Make an AWS managed policy exist in an IAM backend before a call names it.

    On AWS every account sees AWS's managed policies; moto loads its 1,500 only when told to
    (and slowly), so the local cloud adds each the first time a call names it. A cloud restored
    from a saved state has the ones its roles use already.
    """
    if arn in backend.managed_policies:
        return
    data = aws_managed_policy(arn)
    if data is None:
        return
    from moto.iam.models import AWSManagedPolicy

    policy = AWSManagedPolicy.from_data(
        data["PolicyName"], backend.account_id, backend.region_name, data
    )
    policy.description = data.get("Description", "")
    backend.managed_policies[policy.arn] = policy


def _naming_a_policy(method: Any, position: int) -> Any:
    """`method`, with the AWS managed policy its `position`th argument names made to exist."""

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        arn = kwargs.get("policy_arn", args[position] if len(args) > position else None)
        if isinstance(arn, str):
            ensure_aws_managed_policy(self, arn)
        return method(self, *args, **kwargs)

    return wrapped


def _listing_aws_policies(method: Any) -> Any:
    """ListPolicies with Scope AWS or All lists the kit's AWS managed policies too."""

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        for arn in aws_managed_policies():
            ensure_aws_managed_policy(self, arn)
        return method(self, *args, **kwargs)

    return wrapped


def _install_managed_policies(backend_class: Any) -> None:
    for name in (
        "attach_role_policy",
        "detach_role_policy",
        "attach_group_policy",
        "detach_group_policy",
        "attach_user_policy",
        "detach_user_policy",
        "get_policy",
    ):
        wrap(backend_class, name, functools.partial(_naming_a_policy, position=0))
    wrap(backend_class, "list_policies", _listing_aws_policies)


_installed = False


def install() -> None:
    """CreateRole and UpdateAssumeRolePolicy refuse a trust policy that is no policy, as IAM
    does: moto keeps any text; AWS managed policies exist for every call that names one
    (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.iam.models import IAMBackend

    _install_managed_policies(IAMBackend)

    create_role, update = IAMBackend.create_role, IAMBackend.update_assume_role_policy

    def create_role_checked(
        self: Any, role_name: str, assume_role_policy_document: str, *args: Any, **kwargs: Any
    ) -> Any:
        check_trust_policy(assume_role_policy_document)
        role = create_role(self, role_name, assume_role_policy_document, *args, **kwargs)
        _propagated_at[role] = states.settles_at(states.current().role_propagation)
        return role

    def update_checked(self: Any, role_name: str, policy_document: str) -> Any:
        check_trust_policy(policy_document)
        return update(self, role_name, policy_document)

    replace(IAMBackend, "create_role", create_role_checked)
    replace(IAMBackend, "update_assume_role_policy", update_checked)
    _installed = True


def check_trust_policy(document: str | dict[str, Any]) -> None:
    """IAM's MalformedPolicyDocument for a trust policy that is not JSON, or not a policy."""
    from moto.iam.exceptions import MalformedPolicyDocument

    try:  # CloudFormation hands the document over parsed already
        parsed = document if isinstance(document, dict) else json.loads(document)
    except (ValueError, RecursionError, TypeError):
        raise MalformedPolicyDocument("This policy contains invalid Json") from None
    statements = parsed.get("Statement") if isinstance(parsed, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise MalformedPolicyDocument("Syntax errors in policy.")
