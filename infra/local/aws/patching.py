"""The one way the kit changes moto's classes and backends.

`wrap` puts the kit's wrapper around one of moto's methods and keeps moto's as the wrapper's
`__wrapped__` (a test unpatches with it); `replace` sets what the kit writes whole: a method moto
lacks, a property, a `staticmethod`.

The type checker does not follow moto (pyproject.toml's `[tool.mypy]`): its classes are `Any` there,
so assigning to them would check nothing, and assigning to a typed class would need an ignore.
Here the wrapper is checked against what it wraps: it takes and gives back the same callable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def wrap(
    owner: object, name: str, wrapper: Callable[[Callable[P, R]], Callable[P, R]]
) -> Callable[P, R]:
    """`owner.name = wrapper(owner.name)`, moto's method kept as the result's `__wrapped__`."""
    original: Callable[P, R] = getattr(owner, name)
    wrapped = wrapper(original)
    functools.update_wrapper(wrapped, original, assigned=(), updated=())  # sets __wrapped__ only
    setattr(owner, name, wrapped)
    return wrapped


def replace(owner: object, name: str, value: object) -> None:
    """`owner.name = value`: what the kit writes in place of moto's, or adds to it."""
    setattr(owner, name, value)
