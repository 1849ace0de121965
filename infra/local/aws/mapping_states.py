"""Lambda's event source mappings take time, as on AWS (`states.current().mapping_change`).

- CreateEventSourceMapping answers `Creating`; the mapping is `Enabled` (or `Disabled`, made
  with Enabled false) once the change has run out, and only then are records delivered: with
  LATEST, records written before it is `Enabled` are never delivered (`latest_index`).
- UpdateEventSourceMapping: `Enabling`, `Disabling` or `Updating`; DeleteEventSourceMapping:
  `Deleting`, then gone (GetEventSourceMapping and the list still show it meanwhile).
- An update or a delete while the mapping is in one of those states gets Lambda's
  `ResourceInUseException`.

The state is a deadline kept on moto's mapping (`workshop_state`, `workshop_until`), compared
with the clock when read. A restored mapping (`settle_all`) is `Enabled` or `Disabled`.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import EventSourceMapping, LambdaBackend

from . import states
from .patching import wrap

BUSY_UPDATE = "Cannot update the event source mapping because it is in use."
BUSY_DELETE = "Cannot delete the event source mapping because it is in use."
DELIVERING = ("Enabled", "Updating")  # the states in which the poller reads the stream

_installed = False


def state(mapping: EventSourceMapping) -> str:
    """Creating, Enabling, Updating, Disabling, Deleting, Enabled or Disabled, now."""
    transition = mapping.__dict__.get("workshop_state")
    if transition is not None:
        if transition == "Deleting" or not states.settled(mapping.workshop_until):
            return str(transition)
        mapping.workshop_state = None
    return "Enabled" if mapping.enabled else "Disabled"


def settles_in(mapping: EventSourceMapping) -> float | None:
    """Seconds until the mapping's transition runs out, or None when it is not in one."""
    if mapping.__dict__.get("workshop_state") is None:
        return None
    return max(0.0, mapping.workshop_until - states.now())


def _begin(mapping: EventSourceMapping, transition: str) -> None:
    mapping.workshop_state = transition
    mapping.workshop_until = states.settles_at(states.current().mapping_change)


def _busy(message: str) -> LambdaClientError:
    error = LambdaClientError("ResourceInUseException", message)
    error.code = 400
    return error


def _deleting(backend: LambdaBackend) -> dict[str, EventSourceMapping]:
    """Mappings DeleteEventSourceMapping took away whose `Deleting` has not run out, by UUID."""
    found: dict[str, EventSourceMapping] = backend.__dict__.setdefault("workshop_deleting", {})
    for uuid, mapping in list(found.items()):
        if states.settled(mapping.workshop_until):
            del found[uuid]
    return found


def _create(original: Any) -> Any:
    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        mapping = original(self, spec)
        _begin(mapping, "Creating")
        # With LATEST, the stream's records up to the moment it is Enabled are never delivered.
        mapping.workshop_enabled_at = mapping.workshop_until
        return mapping

    return create_event_source_mapping


def _update(original: Any) -> Any:
    def update_event_source_mapping(self: LambdaBackend, uuid: str, spec: dict[str, Any]) -> Any:
        mapping = self._event_source_mappings.get(uuid)
        if mapping is None:
            return original(self, uuid, spec)
        if state(mapping) not in ("Enabled", "Disabled"):
            raise _busy(BUSY_UPDATE)
        was_enabled = bool(mapping.enabled)
        updated = original(self, uuid, spec)
        if updated is not None:
            now_enabled = bool(updated.enabled)
            if now_enabled == was_enabled:
                _begin(updated, "Updating")
            else:
                _begin(updated, "Enabling" if now_enabled else "Disabling")
        return updated

    return update_event_source_mapping


def _delete(original: Any) -> Any:
    def delete_event_source_mapping(self: LambdaBackend, uuid: str) -> Any:
        mapping = self._event_source_mappings.get(uuid)
        if mapping is not None and state(mapping) not in ("Enabled", "Disabled"):
            raise _busy(BUSY_DELETE)
        deleted = original(self, uuid)
        if deleted is not None:
            _begin(deleted, "Deleting")
            if not states.settled(deleted.workshop_until):
                _deleting(self)[uuid] = deleted
        return deleted

    return delete_event_source_mapping


def _get(original: Any) -> Any:
    def get_event_source_mapping(self: LambdaBackend, uuid: str) -> Any:
        return original(self, uuid) or _deleting(self).get(uuid)

    return get_event_source_mapping


def _list(original: Any) -> Any:
    def list_event_source_mappings(
        self: LambdaBackend, event_source_arn: str, function_name: str
    ) -> Any:
        listed = list(original(self, event_source_arn, function_name))
        for mapping in _deleting(self).values():
            if (not event_source_arn or mapping.event_source_arn == event_source_arn) and (
                not function_name or mapping.function_name == function_name
            ):
                listed.append(mapping)
        return listed

    return list_event_source_mappings


def _configuration(original: Any) -> Any:
    def get_configuration(self: EventSourceMapping) -> dict[str, Any]:
        configuration: dict[str, Any] = original(self)
        configuration["State"] = state(self)
        return configuration

    return get_configuration


def settle_all(backend: LambdaBackend) -> None:
    """Every mapping Enabled or Disabled (the deadlines were on the saved process's clock)."""
    backend.__dict__.pop("workshop_deleting", None)
    for mapping in backend._event_source_mappings.values():
        for name in ("workshop_state", "workshop_until", "workshop_enabled_at"):
            mapping.__dict__.pop(name, None)


def install() -> None:
    """Patch moto's Lambda mappings once per process (idempotent)."""
    global _installed
    if _installed:
        return
    backend = LambdaBackend
    wrap(backend, "create_event_source_mapping", _create)
    wrap(backend, "update_event_source_mapping", _update)
    wrap(backend, "delete_event_source_mapping", _delete)
    wrap(backend, "get_event_source_mapping", _get)
    wrap(backend, "list_event_source_mappings", _list)
    wrap(EventSourceMapping, "get_configuration", _configuration)
    _installed = True
