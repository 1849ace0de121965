"""What the kit's own processes keep their dependencies from importing, since they never use it.

`jsonschema` imports `rfc3987_syntax` when it is installed (JupyterLab's `jupyter-events` brings
it) only to check the "iri" string format, and that import compiles 38 grammars: 1.3 s of CPU.
The local cloud imports `jsonschema` through moto's CloudFormation (API Gateway v1's
`openapi_spec_validator`), and the grader through `nbformat`: every cloud start, `workshop check`
and grading sandbox paid it. Nothing there checks an IRI, so importing this module first tells
`jsonschema` the module is missing (an ImportError, which it expects).
"""

from __future__ import annotations

import sys

UNUSED = ("rfc3987_syntax",)

for _name in UNUSED:
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]  # None: "not installed"
