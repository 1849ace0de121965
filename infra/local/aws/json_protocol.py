"""moto's JSON protocol, compiled once per operation instead of interpreted per value.

moto serializes a result by walking the operation's botocore output shape and, for every value,
asking an attribute picker to try a list of aliases. That is general and slow: for a DynamoDB
Scan of 30 rows it is 85% of the call. Here the same walk is turned, once per operation, into
nested converter functions that apply the same rules (modeled members only, in model order; None
left out; strings, numbers, blobs and timestamps converted as moto converts them), looking each
member up by its name and then its snake_case name, which is where moto's pickers find the values
of plain dictionaries. Requests are parsed the same way, with the rules of moto's JSON parser.

It applies to plain-dictionary results and JSON bodies of JSON-protocol operations; anything
else (errors, paginated results, objects, event streams, document types) still goes through
moto's own code. `tests/local/aws/test_json_protocol.py` checks both give the same answers.
"""

from __future__ import annotations

import base64
import functools
import json
import string
from collections.abc import Callable
from enum import Enum
from typing import Any

from botocore import xform_name
from botocore.model import OperationModel, Shape
from moto.core import responses as core_responses
from moto.core.parse import (
    PROTOCOL_PARSERS,
    JSONParser,
    default_blob_parser,
    default_timestamp_parser,
)
from moto.core.request import determine_request_protocol
from moto.core.responses import ActionResult, BaseResponse, EmptyResult, PaginatedResult
from moto.core.serialize import TimestampSerializer
from moto.core.utils import get_service_model, method_names_from_class
from moto.moto_api._internal import mock_random

from . import refusals
from .patching import replace, wrap

Converter = Callable[[Any], Any]
SKIP = object()  # a structure member that is left out
_installed = False
_timestamps = TimestampSerializer("unixtimestamp")


class Unsupported(Exception):
    """A shape this compiler does not handle; the operation keeps moto's serializer."""


def _string(value: Any) -> Any:
    if isinstance(value, Enum):
        value = value.value
    return str(value) if value not in (None, {}, []) else value


def _blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).strip().decode("utf-8")


def _identity(value: Any) -> Any:
    return value


def compile_shape(shape: Shape, seen: dict[str, Converter] | None = None) -> Converter:
    """A function turning a result value into what moto's JSON serializer would emit."""
    seen = {} if seen is None else seen
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            raise Unsupported("document types")
        if shape.name in seen:
            return seen[shape.name]
        members: list[tuple[str, str, str, Converter]] = []

        def structure(value: Any) -> Any:
            if value is None:
                return SKIP
            if not isinstance(value, dict):
                raise Unsupported("objects")
            out = {}
            for name, alias, serialized_name, convert in members:
                member = value.get(name)
                if member is None and alias != name:
                    member = value.get(alias)
                if member is None:
                    continue
                converted = convert(member)
                if converted is not SKIP:
                    out[serialized_name] = converted
            return out

        seen[shape.name] = structure  # recursive shapes (AttributeValue.M) refer back here
        for name, member_shape in shape.members.items():
            serialized_name = member_shape.serialization.get("name", name)
            members.append(
                (name, xform_name(name), serialized_name, compile_shape(member_shape, seen))
            )
        return structure
    if kind == "list":
        convert_item = compile_shape(shape.member, seen)

        def listing(value: Any) -> Any:
            items = []
            for item in value:
                converted = convert_item(item)
                items.append(item if converted is SKIP else converted)
            return items

        return listing
    if kind == "map":
        convert_value = compile_shape(shape.value, seen)

        def mapping(value: Any) -> Any:
            out = {}
            for key, item in value.items():
                converted = convert_value(item)
                if converted is not SKIP:
                    out[key] = converted
            return out

        return mapping
    if kind == "string":
        return _string
    if kind in ("integer", "long"):
        return int
    if kind in ("float", "double"):
        return float
    if kind == "boolean":
        return _identity
    if kind == "blob":
        return _blob
    if kind == "timestamp":
        timestamp_format = shape.serialization.get("timestampFormat", "unixtimestamp")

        def timestamp(value: Any) -> Any:
            return _timestamps._convert_timestamp_to_str(value, timestamp_format)

        return timestamp
    raise Unsupported(kind)


@functools.lru_cache(maxsize=512)
def compiled(operation: OperationModel) -> Converter | None:
    """The compiled serializer of an operation's output, or None when it needs moto's."""
    if operation.service_model.protocol != "json" or operation.has_event_stream_output:
        return None
    if operation.output_shape is None:
        return lambda value: {}
    try:
        return compile_shape(operation.output_shape)
    except (Unsupported, RecursionError):
        return None


def compile_input(shape: Shape, seen: dict[str, Converter] | None = None) -> Converter:
    """A function turning a request's JSON into what moto's JSON parser would give its handler."""
    seen = {} if seen is None else seen
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return _identity
        if shape.name in seen:
            return seen[shape.name]
        members: list[tuple[str, str, Converter]] = []

        def structure(value: Any) -> Any:
            if value is None:
                return None
            out = {}
            for name, json_name, convert in members:
                raw = value.get(json_name)
                if raw is not None:
                    out[name] = convert(raw)
            return out

        seen[shape.name] = structure
        for name, member_shape in shape.members.items():
            json_name = member_shape.serialization.get("name", name)
            members.append((name, json_name, compile_input(member_shape, seen)))
        return structure
    if kind == "list":
        convert_item = compile_input(shape.member, seen)
        return lambda value: [convert_item(item) for item in value]
    if kind == "map":
        convert_key, convert_value = (
            compile_input(shape.key, seen),
            compile_input(shape.value, seen),
        )
        return lambda value: {convert_key(k): convert_value(v) for k, v in value.items()}
    if kind == "blob":
        return default_blob_parser
    if kind == "timestamp":
        return default_timestamp_parser
    if kind in ("float", "double"):
        return float
    if kind in ("integer", "long", "short", "byte"):
        return int
    return _identity


@functools.lru_cache(maxsize=512)
def compiled_input(operation: OperationModel) -> Converter | None:
    if operation.input_shape is None:
        return None
    try:
        return compile_input(operation.input_shape)
    except RecursionError:
        return None


def _parse_parameters(original: Any) -> Any:
    def parse_parameters(self: BaseResponse, request: Any) -> None:
        if self.PROTOCOL_PARSER_MAP_TYPE is dict:
            service_model = get_service_model(self.boto3_service_name)
            protocol = determine_request_protocol(service_model, request.content_type)
            if protocol == "json" and PROTOCOL_PARSERS[protocol] is JSONParser:
                operation = service_model.operation_model(self._get_action())
                convert = compiled_input(operation)
                if convert is not None:
                    body = request.data
                    if not body:
                        parsed: Any = {}
                    else:
                        parsed = refusals.json_object(body)  # AWS's 400 for garbage
                    self.params = convert(parsed)
                    return
        original(self, request)

    return parse_parameters


def _serialized(original: Any) -> Any:
    def serialized(self: BaseResponse, action_result: ActionResult) -> Any:
        result = action_result.result
        plain = type(action_result) in (ActionResult, EmptyResult) or (
            type(action_result).execute_result is ActionResult.execute_result
            and not isinstance(action_result, PaginatedResult)
        )
        if (
            plain
            and isinstance(result, dict)
            and not getattr(self, "RESPONSE_KEY_PATH_TO_TRANSFORMER", None)
        ):
            operation = _operation(self)
            convert = compiled(operation) if operation is not None else None
            if operation is not None and convert is not None:
                try:
                    body = convert(result)
                except Unsupported:
                    body = None
                if body is not None:
                    json_version = operation.service_model.metadata.get("jsonVersion", "1.0")
                    headers = {"Content-Type": f"application/x-amz-json-{json_version}"}
                    headers.update(self.response_headers)
                    status = operation.http.get("responseCode", 200)
                    return status, headers, json.dumps({} if body is SKIP else body)
        return original(self, action_result)

    return serialized


def _operation(response: BaseResponse) -> OperationModel | None:
    """The operation being answered, when moto would answer it in the plain JSON protocol."""
    try:
        service_model = get_service_model(response.boto3_service_name)
        if response.determine_response_protocol(service_model) != "json":
            return None
        return service_model.operation_model(response._get_action())
    except Exception:
        return None


REQUEST_ID_ALPHABET = string.ascii_letters + string.digits


def request_id(headers: dict[str, Any] | None = None) -> str:
    """moto's 52-character x-amzn-requestid, drawn in one call instead of 52."""
    value = "".join(mock_random.choices(REQUEST_ID_ALPHABET, k=52))
    if isinstance(headers, dict):
        headers["x-amzn-requestid"] = value
    return value


def install() -> None:
    """Serve JSON-protocol results through the compiled serializer (idempotent)."""
    global _installed
    if _installed:
        return
    wrap(BaseResponse, "serialized", _serialized)
    wrap(BaseResponse, "parse_parameters", _parse_parameters)
    # moto lists a response class's methods (inspect.getmembers) on every call...
    replace(
        core_responses,
        "method_names_from_class",
        functools.lru_cache(maxsize=None)(method_names_from_class),
    )
    # ...and draws each request id one character at a time.
    replace(core_responses, "gen_amzn_requestid_long", request_id)
    _installed = True
