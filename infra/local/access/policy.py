"""IAM identity-policy evaluation, as AWS's documentation describes it.

For one request (an action on a resource, in a context of condition keys) against a principal's
identity policies:
- an explicit Deny in any statement that applies wins;
- otherwise an Allow that applies allows;
- otherwise the request is implicitly denied.

A statement applies when its Action (or NotAction) matches the action, case-insensitively, its
Resource (or NotResource) matches the resource ARN, and every Condition holds. Wildcards are `*`
(any run of characters) and `?` (one character). Conditions support the string, ARN, numeric,
boolean, date and Null operators with the `IfExists` suffix and the `ForAnyValue:` / `ForAllValues:`
set qualifiers; a key the request does not carry makes its condition false (true with IfExists).

Not evaluated: resource-based policies (Lambda's own resource policy is checked where Lambda
checks it), permission boundaries, session policies, SCPs, and policy variables such as
`${aws:username}`.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any


class Decision(Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "no identity-based policy allows"
    EXPLICIT_DENY = "explicit deny"


@dataclass(frozen=True)
class Verdict:
    decision: Decision

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED

    def reason(self, action: str) -> str:
        """The end of AWS's AccessDenied message for this verdict."""
        if self.decision is Decision.EXPLICIT_DENY:
            return "with an explicit deny in an identity-based policy"
        return f"because no identity-based policy allows the {action} action"


ALLOW = Verdict(Decision.ALLOWED)
IMPLICIT_DENY = Verdict(Decision.IMPLICIT_DENY)
EXPLICIT_DENY = Verdict(Decision.EXPLICIT_DENY)


def evaluate(
    documents: Iterable[str | Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, Sequence[str] | str] | None = None,
) -> Verdict:
    """The verdict of a principal's policy documents (JSON text or parsed) on one request."""
    context = context or {}
    allowed = False
    for document in documents:
        policy = json.loads(document) if isinstance(document, str) else document
        statements = policy.get("Statement", [])
        if isinstance(statements, Mapping):
            statements = [statements]
        for statement in statements:
            if not _applies(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


@functools.lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    # fnmatch's [] would be a character class: IAM has none, so escape it first.
    escaped = glob.replace("[", "\x00").replace("]", "\x01")
    regex = fnmatch.translate(escaped).replace("\x00", r"\[").replace("\x01", r"\]")
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def matches(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` one character."""
    return _pattern(glob, ignore_case).match(value) is not None


def _applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any]
) -> bool:
    if "NotAction" in statement:
        if any(matches(p, action, ignore_case=True) for p in _listed(statement["NotAction"])):
            return False
    elif not any(matches(p, action, ignore_case=True) for p in _listed(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        if any(matches(p, resource) for p in _listed(statement["NotResource"])):
            return False
    elif not any(matches(p, resource) for p in _listed(statement.get("Resource"))):
        return False
    return all(
        _condition_holds(operator, values, context)
        for operator, values in (statement.get("Condition") or {}).items()
    )


def _condition_holds(operator: str, keyed: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    compare = _OPERATORS.get(name)
    for key, expected in keyed.items():
        actual = _context_value(context, key)
        if name == "Null":
            wants_missing = str(_listed(expected)[0]).lower() == "true"
            if (actual is None) != wants_missing:
                return False
            continue
        if compare is None:
            return False  # an operator we do not know never holds
        if actual is None:
            if if_exists:
                continue
            return False
        actuals = _listed(actual)
        wanted = _listed(expected)
        if qualifier == "ForAllValues":
            holds = all(any(compare(a, w) for w in wanted) for a in actuals)
        else:  # ForAnyValue, or a single value
            holds = any(compare(a, w) for a in actuals for w in wanted)
        if not holds:
            return False
    return True


def _context_value(context: Mapping[str, Any], key: str) -> Any:
    for name, value in context.items():
        if name.lower() == key.lower():  # condition keys are case-insensitive
            return value
    return None


def _number(value: str) -> float:
    return float(value)


def _date(value: str) -> float:
    if value.replace(".", "", 1).isdigit():
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


_OPERATORS: dict[str, Any] = {
    "StringEquals": lambda a, w: a == w,
    "StringNotEquals": lambda a, w: a != w,
    "StringEqualsIgnoreCase": lambda a, w: a.lower() == w.lower(),
    "StringNotEqualsIgnoreCase": lambda a, w: a.lower() != w.lower(),
    "StringLike": lambda a, w: matches(w, a),
    "StringNotLike": lambda a, w: not matches(w, a),
    "ArnEquals": lambda a, w: matches(w, a),
    "ArnLike": lambda a, w: matches(w, a),
    "ArnNotEquals": lambda a, w: not matches(w, a),
    "ArnNotLike": lambda a, w: not matches(w, a),
    "NumericEquals": lambda a, w: _number(a) == _number(w),
    "NumericNotEquals": lambda a, w: _number(a) != _number(w),
    "NumericLessThan": lambda a, w: _number(a) < _number(w),
    "NumericLessThanEquals": lambda a, w: _number(a) <= _number(w),
    "NumericGreaterThan": lambda a, w: _number(a) > _number(w),
    "NumericGreaterThanEquals": lambda a, w: _number(a) >= _number(w),
    "DateEquals": lambda a, w: _date(a) == _date(w),
    "DateNotEquals": lambda a, w: _date(a) != _date(w),
    "DateLessThan": lambda a, w: _date(a) < _date(w),
    "DateLessThanEquals": lambda a, w: _date(a) <= _date(w),
    "DateGreaterThan": lambda a, w: _date(a) > _date(w),
    "DateGreaterThanEquals": lambda a, w: _date(a) >= _date(w),
    "Bool": lambda a, w: a.lower() == w.lower(),
}


def trusts_service(document: str | Mapping[str, Any], service: str) -> bool:
    """Whether a role's trust policy lets `service` (`lambda.amazonaws.com`) assume the role."""
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    trusted = False
    for statement in statements:
        actions = _listed(statement.get("Action"))
        if not any(matches(a, "sts:AssumeRole", ignore_case=True) for a in actions):
            continue
        principal = statement.get("Principal")
        if principal == "*":
            names = ["*"]
        elif isinstance(principal, Mapping):
            names = _listed(principal.get("Service")) + [
                p for p in _listed(principal.get("AWS")) if p == "*"
            ]
        else:
            names = []
        if not any(name in ("*", service) for name in names):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            trusted = True
    return trusted
