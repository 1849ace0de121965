"""Opening and closing a connection, on its own: no sockets, a fake invoke instead of Lambda."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.frames import Close
from websockets.server import ServerProtocol

from infra.local.gateway import handshake
from infra.local.gateway.events import ConnectionInfo
from infra.local.vocabulary import ApiSnapshot, InvokeResult, RouteSnapshot

CONNECT_URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/connect/invocations"
AUTHORIZER_URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/gate/invocations"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:api1/dev/$connect"


def result(payload: Any, *, error: str | None = None, duration_ms: float = 12.3) -> InvokeResult:
    """What an invoke returned: `payload` as JSON (bytes pass as they are)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return InvokeResult("lambda-1", body, error, [], duration_ms, None)


def allow(resource: str = METHOD_ARN, effect: str = "Allow") -> dict[str, Any]:
    """An authorizer's answer whose one statement has `effect` on `resource`."""
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
    return {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"team": "blue"},
    }


def info(**changes: Any) -> ConnectionInfo:
    fields: dict[str, Any] = {
        "connection_id": "c1",
        "api_id": "api1",
        "stage": "dev",
        "region": "us-east-1",
        "account_id": "123456789012",
        "source_ip": "127.0.0.1",
        "connected_at_ms": 1_795_311_326_123,
        "headers": [("Authorization", "token-1")],
        "query": [("token", "t")],
    }
    fields.update(changes)
    return ConnectionInfo(**fields)


def snapshot(*, connect: bool = True, authorizer: bool = False) -> ApiSnapshot:
    """A stage whose $connect route (if any) calls a Lambda, guarded by a REQUEST authorizer."""
    routes = {}
    if connect:
        routes["$connect"] = RouteSnapshot(
            "$connect",
            "integrations/i1",
            "CUSTOM" if authorizer else "NONE",
            "a1" if authorizer else None,
            None,
            (),
        )
    return ApiSnapshot(
        api_id="api1",
        route_selection_expression="$request.body.action",
        routes=routes,
        integrations={"i1": {"integrationType": "AWS_PROXY", "integrationUri": CONNECT_URI}},
        authorizers={
            "a1": {
                "authorizerUri": AUTHORIZER_URI,
                "identitySource": ["route.request.querystring.token"],
            }
        },
    )


class FakeInvoke:
    """Answers each integration URI with a given result, and remembers what was invoked."""

    def __init__(self, answers: dict[str, InvokeResult | None]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def __call__(
        self, route_key: str, uri: str, event: dict[str, Any]
    ) -> InvokeResult | None:
        self.calls.append((route_key, uri, event))
        return self.answers[uri]


class Hops:
    """A trace hub's `publish`, keeping the hops."""

    def __init__(self) -> None:
        self.hops: list[dict[str, Any]] = []

    def __call__(self, hop: str, **fields: Any) -> None:
        self.hops.append({"hop": hop, **fields})


def connect(api: ApiSnapshot, invoke: FakeInvoke, who: ConnectionInfo | None = None) -> Any:
    return asyncio.run(handshake.connect(api, who or info(), invoke, Hops()))


# ---------------------------------------------------------------- the stage and the refusals


def test_a_stage_path_names_the_api_the_stage_and_the_query() -> None:
    """`/{apiId}/{stage}?a=b&c=` gives the API, the stage and the query pairs, blanks kept."""
    assert handshake.parse_stage_path("/api1/dev?a=b&c=") == (
        "api1",
        "dev",
        [("a", "b"), ("c", "")],
    )


@pytest.mark.parametrize("path", ["/", "/api1", "/api1/dev/extra"])
def test_a_path_that_is_not_a_stage_is_none(path: str) -> None:
    """Anything but two path segments names no stage."""
    assert handshake.parse_stage_path(path) is None


def test_a_refusal_says_its_status_phrase() -> None:
    """A refused upgrade's body is the status's phrase, or the text given."""
    protocol = ServerProtocol()
    assert handshake.reject(protocol, 401).body == b"Unauthorized\n"
    assert handshake.reject(protocol, 403, "Forbidden").body == b"Forbidden\n"


# ---------------------------------------------------------------- the authorizer's rules


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("route.request.header.authorization", "token-1"),  # header names in any case
        ("route.request.querystring.token", "t"),
        ("route.request.querystring.missing", None),
        ("context.something", None),
    ],
)
def test_an_identity_source_reads_the_header_or_query_it_names(
    source: str, value: str | None
) -> None:
    """Identity sources read headers (any case) and query parameters; others are None."""
    assert handshake.identity_value(source, info()) == value


def test_an_empty_identity_value_counts_as_missing() -> None:
    """A query parameter given empty is no identity, as API Gateway sees it."""
    assert (
        handshake.identity_value("route.request.querystring.token", info(query=[("token", "")]))
        is None
    )


def test_a_policy_allows_what_an_allow_statement_covers() -> None:
    """An Allow statement whose resource matches (wildcards too) allows the method ARN."""
    wildcard = allow("arn:aws:execute-api:us-east-1:123456789012:api1/*")["policyDocument"]
    assert handshake.policy_allows(wildcard, METHOD_ARN)


def test_a_deny_statement_wins_over_an_allow() -> None:
    """A Deny on the method ARN refuses it whatever else allows it."""
    policy = allow()["policyDocument"]
    policy["Statement"].append(allow(effect="Deny")["policyDocument"]["Statement"][0])
    assert not handshake.policy_allows(policy, METHOD_ARN)


def test_a_policy_that_covers_another_resource_does_not_allow() -> None:
    """An Allow on another API's ARN allows nothing here; a lone statement may be a dict."""
    policy = {"Statement": {"Effect": "Allow", "Resource": "arn:aws:execute-api:*:*:other/*"}}
    assert not handshake.policy_allows(policy, METHOD_ARN)


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (None, 500),  # it could not be called
        (result({"errorMessage": "Unauthorized"}, error="Unhandled"), 401),
        (result({"errorMessage": "boom"}, error="Unhandled"), 500),
        (result(["not", "an", "answer"]), 500),
        (result(allow(effect="Deny")), 403),
    ],
)
def test_what_an_authorizer_returned_refuses_with_its_status(
    answer: InvokeResult | None, status: int
) -> None:
    """Unauthorized raised: 401; a policy that does not allow: 403; anything else amiss: 500."""
    assert handshake.authorizer_status(answer, METHOD_ARN) == (status, None)


def test_an_authorizer_that_allows_gives_its_answer() -> None:
    """An allowing policy: 200 and the authorizer's answer (principal, context)."""
    status, answer = handshake.authorizer_status(result(allow()), METHOD_ARN)
    assert status == 200 and answer["principalId"] == "alice"


# ---------------------------------------------------------------- $connect's answer


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (None, 500),  # no permission to invoke the function, say
        (result({"errorMessage": "boom"}, error="Unhandled"), 502),
        (result(b"not json"), 200),
        (result({"statusCode": "200"}), 502),
        (result({"statusCode": 401}), 401),
    ],
)
def test_what_connect_returned_gives_the_upgrade_status(
    answer: InvokeResult | None, status: int
) -> None:
    """$connect's result decides the status: its statusCode, 502 if it failed, 500 if uncalled."""
    assert handshake.connect_status(answer) == (status, None)


def test_connect_chooses_the_subprotocol_in_any_header_case() -> None:
    """A Sec-WebSocket-Protocol header in $connect's response picks the subprotocol."""
    answer = result({"statusCode": 200, "headers": {"sec-websocket-PROTOCOL": "chat.v1"}})
    assert handshake.connect_status(answer) == (200, "chat.v1")


# ---------------------------------------------------------------- running the opening


def test_a_stage_without_connect_route_lets_everyone_in() -> None:
    """No $connect route: 200, and nothing is invoked."""
    invoke = FakeInvoke({})
    assert connect(snapshot(connect=False), invoke) == (200, None)
    assert invoke.calls == []


def test_connect_runs_the_connect_integration() -> None:
    """The $connect integration gets the CONNECT event, and its answer is the status."""
    invoke = FakeInvoke({CONNECT_URI: result({"statusCode": 200})})
    assert connect(snapshot(), invoke) == (200, None)
    [(route_key, uri, event)] = invoke.calls
    assert (route_key, uri) == ("$connect", CONNECT_URI)
    assert event["requestContext"]["eventType"] == "CONNECT"


def test_a_missing_identity_is_refused_without_calling_the_authorizer() -> None:
    """No token in the query: 401 before the authorizer or $connect runs."""
    invoke = FakeInvoke({})
    assert connect(snapshot(authorizer=True), invoke, info(query=[])) == (401, None)
    assert invoke.calls == []


def test_an_allowing_authorizer_runs_before_connect_and_fills_the_context() -> None:
    """The authorizer runs first; its principal and context reach the connection's info."""
    who = info()
    invoke = FakeInvoke(
        {AUTHORIZER_URI: result(allow(), duration_ms=7.6), CONNECT_URI: result({"statusCode": 200})}
    )
    assert connect(snapshot(authorizer=True), invoke, who) == (200, None)
    assert [uri for _, uri, _ in invoke.calls] == [AUTHORIZER_URI, CONNECT_URI]
    assert invoke.calls[0][2]["methodArn"] == METHOD_ARN
    assert who.authorizer is not None and who.authorizer["principalId"] == "alice"
    assert who.authorizer["team"] == "blue" and who.authorizer["integrationLatency"] == 8


def test_a_denying_authorizer_keeps_connect_from_running() -> None:
    """A Deny policy: 403, and $connect is not invoked."""
    invoke = FakeInvoke({AUTHORIZER_URI: result(allow(effect="Deny"))})
    assert connect(snapshot(authorizer=True), invoke) == (403, None)
    assert [uri for _, uri, _ in invoke.calls] == [AUTHORIZER_URI]


def test_the_authorizer_is_traced_as_a_route() -> None:
    """The trace shows the authorizer as the route "$connect (authorizer)" of the connection."""
    hops = Hops()
    invoke = FakeInvoke({AUTHORIZER_URI: result(allow(effect="Deny"))})
    asyncio.run(handshake.connect(snapshot(authorizer=True), info(), invoke, hops))
    assert hops.hops == [
        {
            "hop": "route",
            "apiId": "api1",
            "stage": "dev",
            "connectionId": "c1",
            "routeKey": "$connect (authorizer)",
        }
    ]


# ---------------------------------------------------------------- closing


@pytest.mark.parametrize(
    ("code", "by_client", "reason"),
    [
        (1006, False, "Connection closed abnormally"),
        (1000, True, "Client-side close frame status set to '1000'"),
        (1001, False, "Going away"),
        (1008, False, "Client not reading: outbound buffer full"),
        (4000, False, "Connection closed by server"),
    ],
)
def test_the_disconnect_reason_follows_the_close_code(
    code: int, by_client: bool, reason: str
) -> None:
    """$disconnect's reason: abnormal, the client's code, or the server's reason for its code."""
    assert handshake.disconnect_reason(code, by_client) == reason


class Closed:
    """What a closed ServerProtocol says about its close frames."""

    def __init__(self, received: int | None, sent: int | None, received_first: bool) -> None:
        self.close_rcvd = Close(received, "") if received is not None else None
        self.close_sent = Close(sent, "") if sent is not None else None
        self.close_rcvd_then_sent = received_first


@pytest.mark.parametrize(
    ("closed", "expected"),
    [
        (Closed(1000, 1000, True), (1000, True)),  # the client closed, the server answered
        (Closed(1000, 1001, False), (1001, False)),  # the server closed first
        (Closed(None, None, False), (1006, False)),  # the TCP connection just ended
    ],
)
def test_the_close_code_is_whoever_closed_first(closed: Closed, expected: tuple[int, bool]) -> None:
    """The client's code when it closed first, else the server's, else 1006."""
    assert handshake.close_code(closed) == expected  # type: ignore[arg-type]
