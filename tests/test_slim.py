"""The kit's processes (the cloud, the grader) leave out what their dependencies would import
for nothing (infra/slim.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from infra.build import PROJECT_ROOT

LOADED = "import sys; print(sys.modules.get('rfc3987_syntax') is not None)"


def loaded_after(imports: str) -> bool:
    """Whether rfc3987_syntax is loaded in a fresh interpreter after `imports`."""
    code = f"{imports}; {LOADED}"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


@pytest.mark.skipif(
    importlib.util.find_spec("rfc3987_syntax") is None, reason="rfc3987_syntax is not installed"
)
def test_jsonschema_under_the_cloud_skips_the_iri_grammars() -> None:
    """jsonschema loads rfc3987_syntax (1.3 s of grammars) on its own, but not in a cloud's process."""
    assert loaded_after("import jsonschema")
    assert not loaded_after(
        "from infra.local import aws; aws.install(); import moto.cloudformation, jsonschema"
    )


@pytest.mark.skipif(
    importlib.util.find_spec("rfc3987_syntax") is None, reason="rfc3987_syntax is not installed"
)
def test_the_grader_s_nbformat_skips_the_iri_grammars() -> None:
    """nbformat imports jsonschema, so rfc3987_syntax: not in `workshop check` or its sandboxes."""
    assert loaded_after("import nbformat")
    assert not loaded_after("import infra.exercises.check, infra.exercises.sandbox, nbformat")
