"""What a request asks permission for: IAM actions and the resource ARNs they act on.

The action is the signing service's prefix and the operation (`dynamodb:PutItem`); the
resource is the ARN AWS documents for that operation (a table, a log group, a function), or
`*` where the operation acts on no one resource (`dynamodb:ListTables`). Batch operations ask
once per table they touch. Services the kit does not use ask for their operation on `*`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from ..vocabulary import HttpRequest
from .sigv4 import Authorization

# Lambda operations whose IAM action has another name.
LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"}
TABLE_KEY = re.compile(rb'"TableName"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Permission:
    """One thing a request needs to be allowed: an action on a resource."""

    action: str
    resource: str


def requested(request: HttpRequest, auth: Authorization, account: str) -> list[Permission]:
    """The permissions `request` needs (usually one)."""
    service, region = auth.service, auth.region
    target = request.headers.get("x-amz-target", "")
    if target:
        operation = target.rsplit(".", 1)[-1]
        if service == "dynamodb":
            return _dynamodb(operation, request.body, region, account)
        if service == "logs":
            return _logs(operation, request.body, region, account)
        if service == "events":
            return _events(operation, request.body, region, account)
        return [Permission(f"{service}:{operation}", "*")]
    if service == "lambda":
        return _lambda(request, region, account)
    if service == "apigateway":
        # API Gateway's management API: the HTTP verb on the resource path.
        return [
            Permission(
                f"apigateway:{request.method}",
                f"arn:aws:apigateway:{region}::{unquote(request.path)}",
            )
        ]
    action = _query_action(request)
    if service == "sts" and action == "AssumeRole":
        role = _query_values(request).get("RoleArn", ["*"])[0]
        return [Permission("sts:AssumeRole", role)]
    if service == "iam" and action:
        return [Permission(f"iam:{action}", _iam_resource(_query_values(request), account))]
    return [Permission(f"{service}:{action or request.method}", "*")]


def is_always_allowed(permissions: list[Permission]) -> bool:
    """`sts:GetCallerIdentity` needs no permission, even under an explicit Deny."""
    return [p.action for p in permissions] == ["sts:GetCallerIdentity"]


# ---------------------------------------------------------------- per service


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _dynamodb(operation: str, body: bytes, region: str, account: str) -> list[Permission]:
    table = f"arn:aws:dynamodb:{region}:{account}:table/"
    action = f"dynamodb:{operation}"
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable"):
        match = TABLE_KEY.search(body)  # the body is parsed again by moto: skip a full parse
        name = json.loads(b'"' + match.group(1) + b'"') if match else ""
        return [Permission(action, table + name)]
    params = _json(body)
    if operation in ("Query", "Scan"):
        resource = table + str(params.get("TableName", ""))
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        return [Permission(action, resource)]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Permission(action, table + name) for name in params.get("RequestItems", {})]
    if operation in ("TransactGetItems", "TransactWriteItems"):
        touched: list[Permission] = []
        for item in params.get("TransactItems", []):
            for kind, request in item.items():
                sub = {"Get": "GetItem", "Put": "PutItem", "Update": "UpdateItem"}.get(
                    kind, {"Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}.get(kind)
                )
                if sub and isinstance(request, dict):
                    touched.append(
                        Permission(f"dynamodb:{sub}", table + str(request.get("TableName", "")))
                    )
        return touched or [Permission(action, table + "*")]
    if operation in ("DescribeStream", "GetShardIterator"):
        return [Permission(action, str(params.get("StreamArn", "*")))]
    if operation == "GetRecords":
        return [Permission(action, _stream_of_iterator(str(params.get("ShardIterator", ""))))]
    if operation == "ListStreams":
        name = params.get("TableName")
        return [Permission(action, f"{table}{name}/stream/*" if name else "*")]
    if "TableName" in params:
        return [Permission(action, table + str(params["TableName"]))]
    return [Permission(action, "*")]


def _stream_of_iterator(iterator: str) -> str:
    """The stream ARN a shard iterator reads (it begins with it, up to the first `|`)."""
    arn = iterator.split("|", 1)[0]
    return arn if arn.startswith("arn:") and "/stream/" in arn else "*"


def _logs(operation: str, body: bytes, region: str, account: str) -> list[Permission]:
    params = _json(body)
    group = params.get("logGroupName")
    if not group:
        return [Permission(f"logs:{operation}", f"arn:aws:logs:{region}:{account}:log-group:*")]
    resource = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    if params.get("logStreamName"):
        resource += f":log-stream:{params['logStreamName']}"
    return [Permission(f"logs:{operation}", resource)]


def _events(operation: str, body: bytes, region: str, account: str) -> list[Permission]:
    params = _json(body)
    base = f"arn:aws:events:{region}:{account}:"
    if operation == "PutEvents":
        buses = {str(e.get("EventBusName") or "default") for e in params.get("Entries", [])}
        return [
            Permission(
                "events:PutEvents", bus if bus.startswith("arn:") else f"{base}event-bus/{bus}"
            )
            for bus in sorted(buses or {"default"})
        ]
    rule = params.get("Name") or params.get("Rule")
    if rule:
        bus = params.get("EventBusName") or "default"
        path = f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}"
        return [Permission(f"events:{operation}", base + path)]
    return [Permission(f"events:{operation}", "*")]


def _lambda(request: HttpRequest, region: str, account: str) -> list[Permission]:
    found = _lambda_operation(request.method, request.path)
    if found is None:
        return [Permission(f"lambda:{request.method}", "*")]
    operation, function = found
    action = f"lambda:{LAMBDA_ACTIONS.get(operation, operation)}"
    if not function:
        return [Permission(action, "*")]
    function = unquote(function)
    if not function.startswith("arn:"):
        function = f"arn:aws:lambda:{region}:{account}:function:{function}"
    return [Permission(action, function)]


@functools.cache
def _lambda_routes() -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path pattern, operation) from botocore's Lambda model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        routes.append((http["method"], _uri_pattern(http["requestUri"]), name))
    return routes


def _uri_pattern(template: str) -> re.Pattern[str]:
    """`/2015-03-31/functions/{FunctionName}/invocations` as a regex with named groups."""
    path = template.split("?", 1)[0]
    parts = re.split(r"\{(\w+)(\+?)\}", path)
    regex = ""
    for index in range(0, len(parts), 3):
        regex += re.escape(parts[index])
        if index + 1 < len(parts):
            greedy = parts[index + 2] == "+"
            regex += f"(?P<{parts[index + 1]}>{'.+' if greedy else '[^/]+'})"
    return re.compile(f"^{regex}/?$")


def _lambda_operation(method: str, path: str) -> tuple[str, str | None] | None:
    for route_method, pattern, name in _lambda_routes():
        if route_method == method and (match := pattern.match(path)):
            return name, match.groupdict().get("FunctionName")
    return None


def _query_values(request: HttpRequest) -> dict[str, list[str]]:
    values = parse_qs(request.query)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        values.update(parse_qs(request.body.decode("utf-8", "replace")))
    return values


def _query_action(request: HttpRequest) -> str:
    return _query_values(request).get("Action", [""])[0]


def _iam_resource(values: dict[str, list[str]], account: str) -> str:
    for key, kind in (("RoleName", "role"), ("UserName", "user"), ("PolicyArn", None)):
        if key in values:
            value = values[key][0]
            return value if kind is None else f"arn:aws:iam::{account}:{kind}/{value}"
    return "*"
