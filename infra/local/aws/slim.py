"""What the local cloud keeps moto's dependencies from importing, because it never uses it.

moto's CloudFormation imports moto's API Gateway (v1), which imports `openapi_spec_validator` and
so `jsonschema`. `jsonschema` then imports `rfc3987_syntax` when it is installed (JupyterLab's
`jupyter-events` brings it) only to check the "iri" string format, and that import compiles 38
grammars: 1.3 s of CPU at every cloud start, in every grading sandbox and `workshop` command
that starts one. Nothing in the local cloud checks an IRI, so `jsonschema` is told the module is
missing (an ImportError, which it expects) before moto is imported.
"""

from __future__ import annotations

import sys

UNUSED = ("rfc3987_syntax",)

for _name in UNUSED:
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]  # None: "not installed"
