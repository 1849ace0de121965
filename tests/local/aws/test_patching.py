"""The kit's one way to patch moto: `wrap` keeps moto's method reachable, `replace` sets one."""

from __future__ import annotations

from collections.abc import Callable

from infra.local.aws.patching import replace, wrap


class Backend:
    """Stands in for a moto backend class."""

    def get(self, name: str) -> str:
        return f"moto's {name}"


def _shouting(original: Callable[[Backend, str], str]) -> Callable[[Backend, str], str]:
    def get(self: Backend, name: str) -> str:
        return original(self, name).upper()

    return get


def test_wrap_puts_the_wrapper_in_place_of_the_method() -> None:
    """The class's method is the wrapper, calling the original inside."""

    class Patched(Backend):
        pass

    wrap(Patched, "get", _shouting)
    assert Patched().get("table") == "MOTO'S TABLE"


def test_wrap_keeps_the_original_as_wrapped() -> None:
    """The wrapper's __wrapped__ is the method it replaced (a test unpatches with it)."""

    class Patched(Backend):
        pass

    original = Patched.get
    wrap(Patched, "get", _shouting)
    assert getattr(Patched.get, "__wrapped__", None) is original


def test_replace_sets_what_moto_lacks() -> None:
    """replace adds an attribute the class did not have."""

    class Patched(Backend):
        pass

    replace(Patched, "count", property(lambda self: 3))
    assert getattr(Patched(), "count", None) == 3
