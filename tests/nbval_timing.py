"""The timing nbval's notebooks run at: lessons 01 and 02 at the defaults, as learners run them; the
rest at the tests' `short` timing, which still fails a missing waiter (issue 19).

A notebook's kernel starts its own local cloud (infra/session.py), which reads WORKSHOP_TIMING;
nbval starts the kernel, with this process's environment, while the notebook's first cell is set
up. `make test` loads this plugin (`-p tests.nbval_timing`); nbval run without it leaves
WORKSHOP_TIMING as it finds it (unset: the defaults).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.timing import ENVIRONMENT

KIT = Path(__file__).resolve().parent.parent
# Table, role and function states, at the durations a learner meets them (lesson 01 teaches the
# table's waiter; 02 the role's propagation and the function's).
AT_DEFAULTS = {"notebooks/01-connections-table.ipynb", "notebooks/02-connect-lambda.ipynb"}
TESTS_TIMING = "short"


def timing_of(notebook: Path) -> str:
    """The timing mode the notebook's kernel cloud runs at."""
    try:
        where = notebook.resolve().relative_to(KIT).as_posix()
    except ValueError:  # a notebook outside the kit
        return TESTS_TIMING
    return "default" if where in AT_DEFAULTS else TESTS_TIMING


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Around a notebook cell's setup (where nbval starts the kernel), set WORKSHOP_TIMING."""
    if item.path.suffix != ".ipynb":
        return (yield)
    saved = os.environ.get(ENVIRONMENT)
    os.environ[ENVIRONMENT] = timing_of(item.path)
    try:
        return (yield)
    finally:
        if saved is None:
            os.environ.pop(ENVIRONMENT, None)
        else:
            os.environ[ENVIRONMENT] = saved
