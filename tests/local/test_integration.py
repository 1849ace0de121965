"""Reading a Lambda integration: the function in its URI, the JSON of what it returned."""

from __future__ import annotations

import pytest

from infra.local.integration import (
    error_message,
    function_in,
    function_name_in,
    integration_uri,
    json_or_none,
)
from infra.local.vocabulary import ApiSnapshot, RouteSnapshot

PREFIX = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:chat"


def test_the_function_in_a_uri_is_as_the_uri_names_it() -> None:
    """The function part of the URI comes back whole: an ARN, qualifier included."""
    assert function_in(f"{PREFIX}{ARN}:live/invocations") == f"{ARN}:live"


@pytest.mark.parametrize(
    "named",
    [ARN, f"{ARN}:live", f"{ARN}:$LATEST", "chat", "123456789012:function:chat"],
)
def test_the_function_name_in_a_uri_leaves_out_arn_and_qualifier(named: str) -> None:
    """An ARN, a qualified ARN, a partial ARN and a bare name all name `chat`."""
    assert function_name_in(f"{PREFIX}{named}/invocations") == "chat"


def test_a_route_integration_uri_is_none_for_mock() -> None:
    """A MOCK integration (or a route with no integration) invokes nothing."""
    route = RouteSnapshot("ping", "integrations/m1", "NONE", None, None, ())
    loose = RouteSnapshot("loose", None, "NONE", None, None, ())
    mock = {"m1": {"integrationType": "MOCK"}}
    snapshot = ApiSnapshot("api1", "$request.body.action", {}, mock, {})
    assert integration_uri(snapshot, route) is None and integration_uri(snapshot, loose) is None


def test_a_route_integration_uri_is_its_lambda_uri() -> None:
    """An AWS_PROXY integration's URI is what the route invokes."""
    route = RouteSnapshot("echo", "integrations/i1", "NONE", None, None, ())
    proxy = {"i1": {"integrationType": "AWS_PROXY", "integrationUri": f"{PREFIX}{ARN}/invocations"}}
    snapshot = ApiSnapshot("api1", "$request.body.action", {}, proxy, {})
    assert integration_uri(snapshot, route) == f"{PREFIX}{ARN}/invocations"


@pytest.mark.parametrize(
    ("payload", "parsed"), [(b'{"a": 1}', {"a": 1}), (b"", None), (b"not json", None)]
)
def test_a_payload_is_json_or_none(payload: bytes, parsed: object) -> None:
    """A payload parses as JSON; an empty one or one that is not JSON is None."""
    assert json_or_none(payload) == parsed


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b'{"errorMessage": "boom"}', "boom"), (b"{}", "error"), (b'["boom"]', "error")],
)
def test_an_error_message_is_lambdas_or_error(payload: bytes, message: str) -> None:
    """A failed invoke's message is its errorMessage, else just "error"."""
    assert error_message(payload) == message
