"""Route selection expressions and route choice, as API Gateway evaluates them for messages."""

from infra.local.gateway.selection import evaluate, select_route, select_route_response_key

ACTION = "$request.body.action"
ROUTES = {"$connect", "$disconnect", "$default", "sendmessage", "join"}


# evaluate: body paths


def test_top_level_key() -> None:
    """$request.body.action evaluates to the message's "action" string."""
    assert evaluate(ACTION, '{"action": "sendmessage"}') == "sendmessage"


def test_nested_path() -> None:
    """Dotted paths walk into nested objects."""
    assert evaluate("$request.body.meta.kind", '{"meta": {"kind": "chat"}}') == "chat"


def test_array_index() -> None:
    """[n] selects an element of an array."""
    assert evaluate("$request.body.steps[1]", '{"steps": ["a", "b"]}') == "b"


def test_missing_key_cannot_be_evaluated() -> None:
    """A single variable whose path is missing evaluates to None (-> $default)."""
    assert evaluate(ACTION, '{"message": "hi"}') is None


def test_null_value_counts_as_missing() -> None:
    """A JSON null selects nothing, like a missing key."""
    assert evaluate(ACTION, '{"action": null}') is None


def test_non_json_body() -> None:
    """A body that is not JSON cannot be evaluated."""
    assert evaluate(ACTION, "hello there") is None


def test_non_object_json_body() -> None:
    """JSON that is not an object (array, string, number) cannot be evaluated."""
    assert evaluate(ACTION, '["action"]') is None
    assert evaluate(ACTION, '"action"') is None
    assert evaluate(ACTION, "42") is None


def test_number_renders_as_json_text() -> None:
    """Numbers render as their JSON text."""
    assert evaluate(ACTION, '{"action": 1}') == "1"
    assert evaluate(ACTION, '{"action": 2.5}') == "2.5"


def test_boolean_renders_as_json_text() -> None:
    """Booleans render as true/false."""
    assert evaluate(ACTION, '{"action": true}') == "true"


def test_object_renders_as_compact_json() -> None:
    """Objects and arrays render as compact JSON text."""
    assert evaluate(ACTION, '{"action": {"a": [1, 2]}}') == '{"a":[1,2]}'


def test_braced_single_variable() -> None:
    """${request.body.x} alone behaves like $request.body.x."""
    assert evaluate("${request.body.action}", '{"action": "join"}') == "join"
    assert evaluate("${request.body.action}", "{}") is None


# evaluate: templates and static expressions


def test_template_with_two_variables() -> None:
    """Templates mix literal text and ${...} variables."""
    body = '{"service": "chat", "action": "send"}'
    assert evaluate("${request.body.service}/${request.body.action}", body) == "chat/send"


def test_template_braces_bound_the_variable() -> None:
    """Braces let literal text follow a variable, e.g. ${request.body.version}-beta."""
    assert evaluate("${request.body.version}-beta", '{"version": 2}') == "2-beta"


def test_template_missing_path_renders_empty() -> None:
    """Inside a template a missing path renders as an empty string."""
    assert evaluate("${request.body.service}/${request.body.action}", '{"action": "x"}') == "/x"


def test_template_with_non_json_body() -> None:
    """A template over a non-JSON body cannot be evaluated either."""
    assert evaluate("${request.body.a}/${request.body.b}", "plain text") is None


def test_static_expression() -> None:
    """An expression without variables is a static key, whatever the body."""
    assert evaluate("sendmessage", "not json") == "sendmessage"


def test_escaped_dollar_is_literal() -> None:
    """\\$default is a static expression for the $default key."""
    assert evaluate("\\$default", '{"action": "join"}') == "$default"


def test_unknown_variable_renders_empty_in_template() -> None:
    """Variables other than request.body select nothing."""
    assert evaluate("${request.header.x}-${request.body.a}", '{"a": "b"}') == "-b"


# select_route


def test_selects_matching_custom_route() -> None:
    """The route whose key equals the evaluated value is selected."""
    assert select_route(ACTION, '{"action": "join"}', ROUTES) == "join"


def test_match_is_case_sensitive() -> None:
    """Route keys match exactly, so a different case falls back to $default."""
    assert select_route(ACTION, '{"action": "SendMessage"}', ROUTES) == "$default"


def test_unmatched_key_goes_to_default() -> None:
    """No matching route selects $default when it exists."""
    assert select_route(ACTION, '{"action": "dance"}', ROUTES) == "$default"


def test_non_json_goes_to_default() -> None:
    """A message that cannot be evaluated goes to $default."""
    assert select_route(ACTION, "hello", ROUTES) == "$default"


def test_no_route_without_default() -> None:
    """Without $default, an unmatched message selects no route (the gateway says Forbidden)."""
    assert select_route(ACTION, '{"action": "dance"}', {"$connect", "join"}) is None


def test_connect_is_never_selected_by_a_message() -> None:
    """A body naming $connect does not invoke the $connect route."""
    assert select_route(ACTION, '{"action": "$connect"}', ROUTES) == "$default"


def test_disconnect_is_never_selected_by_a_message() -> None:
    """A body naming $disconnect does not invoke the $disconnect route."""
    routes = {"$connect", "$disconnect"}
    assert select_route(ACTION, '{"action": "$disconnect"}', routes) is None


def test_body_may_name_default_explicitly() -> None:
    """A body naming $default selects $default."""
    assert select_route(ACTION, '{"action": "$default"}', ROUTES) == "$default"


def test_numeric_key_matches_route() -> None:
    """A number in the body matches a route key spelled as its JSON text."""
    assert select_route(ACTION, '{"action": 7}', {"7", "$default"}) == "7"


def test_static_expression_selects_its_route() -> None:
    """A static expression sends every message to the route with that key."""
    assert select_route("join", "anything", ROUTES) == "join"


def test_escaped_default_expression_selects_default() -> None:
    """The \\$default expression routes every message to $default."""
    assert select_route("\\$default", '{"action": "join"}', ROUTES) == "$default"


def test_accepts_any_collection_of_keys() -> None:
    """Route keys can come as a list as well as a set."""
    assert select_route(ACTION, '{"action": "join"}', ["join"]) == "join"


# select_route_response_key


def test_route_response_key_is_default_when_two_way() -> None:
    """A route with a route response selection expression answers with the $default response."""
    assert select_route_response_key("$default") == "$default"


def test_route_response_key_none_when_one_way() -> None:
    """A route without a route response selection expression sends nothing back."""
    assert select_route_response_key(None) is None
    assert select_route_response_key("") is None
