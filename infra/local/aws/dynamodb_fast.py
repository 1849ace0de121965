"""A quick way through moto's DynamoDB for the calls a room makes hundreds of times a second.

moto answers `UpdateItem` by parsing its expressions twice, deep-copying the item twice and
running the expression through ten validating tree walks: about 2 ms, four times a `PutItem`.
Most of that is the same work on the same text, request after request. So:

- parsed update expressions are cached by their text (moto's validator copies the tree before it
  changes anything, so one parsed tree can serve every request);
- a condition that names no values (`attribute_exists(connectionId)`) is parsed once;
- an update that only SETs top-level attributes to placeholder values (`SET #x = :x, #y = :y`) on
  an existing item, touching no key of the table or of an index, skips the tree walks: for such
  an expression they can only check what is checked here directly. Anything else — other
  clauses, nested paths, functions, arithmetic, a new item, a missing placeholder, an index key —
  is answered by moto's own code, unchanged, and so is every error.

`tests/local/aws/test_dynamodb_fast.py` runs the same requests both ways and compares answers,
items and stream records.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.dynamodb.comparisons import create_condition_expression_parser
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    ItemSizeToUpdateTooLarge,
    ProvidedKeyDoesNotExist,
)
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.parsing import ast_nodes
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
from moto.dynamodb.responses import DynamoHandler, DynamoResult, validate_attributes_used

from .patching import replace, wrap

RETURN_VALUES = ("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW")
_installed = False


@functools.lru_cache(maxsize=1024)
def parsed_update(expression: str) -> Any:
    """moto's parse of an UpdateExpression, once per text (errors are not cached)."""
    return _original_make(expression)


_original_make: Any = UpdateExpressionParser.make


def _make(cls: Any, expression: str) -> Any:
    return parsed_update(expression)


@functools.lru_cache(maxsize=1024)
def simple_sets(expression: str) -> tuple[tuple[str, str], ...] | None:
    """`SET a = :a, #b = :b` as ((`a`, `:a`), (`#b`, `:b`)); None for anything else."""
    try:
        tree = parsed_update(expression)
    except Exception:
        return None
    if type(tree) is not ast_nodes.UpdateExpression or len(tree.children or []) != 1:
        return None
    clause = tree.children[0]
    if type(clause) is not ast_nodes.UpdateExpressionSetClause:
        return None
    sets: list[tuple[str, str]] = []
    actions = clause.children[0] if clause.children else None
    while actions is not None:
        if type(actions) is not ast_nodes.UpdateExpressionSetActions:
            return None
        action, *rest = actions.children
        if type(action) is not ast_nodes.UpdateExpressionSetAction:
            return None
        path, value = action.children
        if (
            type(path) is not ast_nodes.UpdateExpressionPath
            or len(path.children) != 1
            or type(path.children[0])
            not in (ast_nodes.ExpressionAttribute, ast_nodes.ExpressionAttributeName)
            or type(value) is not ast_nodes.UpdateExpressionValue
            or len(value.children) != 1
            or type(value.children[0]) is not ast_nodes.ExpressionAttributeValue
        ):
            return None
        name = path.children[0].children[0]
        if not name.startswith("#") and name.upper() in _reserved_keywords():
            return None  # moto's validator words this error
        sets.append((name, value.children[0].children[0]))
        actions = rest[0] if rest else None
    return tuple(sets)


@functools.cache
def _reserved_keywords() -> frozenset[str]:
    return frozenset(ReservedKeywords.get_reserved_keywords())


@functools.lru_cache(maxsize=1024)
def _valueless_condition(expression: str, names: tuple[tuple[str, str], ...]) -> Any:
    parser = create_condition_expression_parser(expression, dict(names), {})
    op = parser.parse()
    return op, list(parser.expr_attr_names_found), list(parser.expr_attr_values_found)


def _condition(expression: str | None, names: dict[str, str], values: dict[str, Any]) -> Any:
    """(condition op, names used, values used), parsed once when it names no values."""
    if expression is not None and ":" not in expression:
        return _valueless_condition(expression, tuple(sorted(names.items())))
    parser = create_condition_expression_parser(expression, names, values)
    op = parser.parse()
    return op, parser.expr_attr_names_found, parser.expr_attr_values_found


def _snapshot(item: Item) -> Item:
    """A copy whose attribute values are shared: SETs replace values, they never change them."""
    copy = Item.__new__(Item)
    copy.hash_key, copy.range_key = item.hash_key, item.range_key
    copy.attrs = LimitedSizeDict()
    dict.update(copy.attrs, item.attrs)
    return copy


def _fast_update_item(original: Any) -> Any:
    def update_item(self: DynamoHandler) -> Any:
        body = self.body
        expression = body.get("UpdateExpression")
        if (
            expression is None
            or body.get("AttributeUpdates")
            or "Expected" in body
            or body.get("ReturnValues", "NONE") not in RETURN_VALUES
        ):
            return original(self)
        sets = simple_sets(expression.strip())
        if not sets:
            return original(self)
        backend = self.dynamodb_backend
        name, key = body["TableName"], body["Key"]
        table = backend.get_table(name)
        if not all(k in table.attribute_keys for k in key):
            raise ProvidedKeyDoesNotExist
        hash_value, range_value = backend.get_keys_value(table, key)
        item = table.get_item(hash_value, range_value)
        if item is None:
            return original(self)  # creating an item: moto's path
        names = body.get("ExpressionAttributeNames", {})
        values = self._get_expr_attr_values()
        targets = [names.get(path, path) if path.startswith("#") else path for path, _ in sets]
        if (
            any(path.startswith("#") and path not in names for path, _ in sets)
            or any(placeholder not in values for _, placeholder in sets)
            or len(set(targets)) != len(targets)
            or any(target in table.attribute_keys for target in targets)
        ):
            return original(self)  # moto words the error, or checks index keys itself
        condition, names_found, values_found = _condition(
            body.get("ConditionExpression"), names, values
        )
        validate_attributes_used(names, [p for p, _ in sets if p.startswith("#")] + names_found)
        validate_attributes_used(values, [v for _, v in sets] + values_found, "Values")
        before = _snapshot(item)
        if not condition.expr(item):
            if body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
                raise ConditionalCheckFailed(item=item.to_json()["Attributes"])
            raise ConditionalCheckFailed
        try:
            for target, (_, placeholder) in zip(targets, sets, strict=True):
                item.attrs[target] = DynamoType(values[placeholder])
        except ItemSizeTooLarge:
            dict.clear(item.attrs)
            dict.update(item.attrs, before.attrs)
            raise ItemSizeToUpdateTooLarge() from None
        if table.stream_shard is not None:
            table.stream_shard.add(before, item)
        return _answer(self, name, body.get("ReturnValues", "NONE"), before, item)

    return update_item


def _answer(
    self: DynamoHandler, name: str, return_values: str, before: Item, item: Item
) -> DynamoResult:
    """What moto's DynamoHandler.update_item returns after the update (same code, same order)."""
    existing_attributes = before.to_json()["Attributes"]
    item_dict = item.to_json()
    item_dict["ConsumedCapacity"] = {"TableName": name, "CapacityUnits": 0.5}
    unchanged_attributes = {
        k for k in existing_attributes if existing_attributes[k] == item_dict["Attributes"].get(k)
    }
    changed_attributes = (
        set(existing_attributes.keys())
        .union(item_dict["Attributes"].keys())
        .difference(unchanged_attributes)
    )
    if return_values == "NONE":
        item_dict.pop("Attributes", None)
    elif return_values == "ALL_OLD":
        item_dict["Attributes"] = existing_attributes
    elif return_values == "UPDATED_OLD":
        updated = {k: v for k, v in existing_attributes.items() if k in changed_attributes}
        if updated:
            item_dict["Attributes"] = updated
        else:
            item_dict.pop("Attributes", None)
    elif return_values == "UPDATED_NEW":
        item_dict["Attributes"] = self._build_updated_new_attributes(
            existing_attributes, item_dict["Attributes"]
        )
    return DynamoResult(item_dict)


def install() -> None:
    """Cache parsed expressions and take the quick way for simple SETs (idempotent)."""
    global _installed
    if _installed:
        return
    replace(UpdateExpressionParser, "make", classmethod(_make))
    wrap(DynamoHandler, "update_item", _fast_update_item)
    _installed = True
