"""CloudFormation stacks as AWS runs them, on top of moto's stacks, templates and resources.

moto 5.2.5 parses templates (parameters, conditions, intrinsic functions) and creates many
resource types, but it warns about and skips every type it lacks, records no resource events,
cannot fail or roll back, and updates in an order that breaks a stage's deployment. The local
cloud keeps moto's parsing and resource classes and runs the stacks itself (one folder per
service, as moto's own):

- `stacks.py`: the API (CreateStack, UpdateStack, DeleteStack, change sets, ...) wired into
  moto's CloudFormation backend; its `install()` applies the patches;
- `templates.py`: parsing, the SAM transform (`../sam.py`), the checks AWS makes before
  anything happens (unknown types, capabilities), dependency order;
- `language.py`: the template language where moto reads it otherwise (the CDK's templates);
- `engine.py`: creating (events, rollback, tags) and deleting resources;
- `update.py`: UpdateStack (resolved-property diff, replacement, cleanup last);
- the resource types: `apigatewayv2.py` (API Gateway v2, which moto lacks), `resources.py`
  (moto's Lambda, IAM, DynamoDB types, fixed), `logs.py`, `s3.py`, `scheduler.py`.

The kit's classes here are kept in a saved state (`.workshop-state/`): moving or renaming one
needs an entry in `infra/local/state/renames.py`.
"""

from __future__ import annotations


def install() -> None:
    """Teach moto's CloudFormation the stacks above (idempotent)."""
    from .stacks import install as install_stacks

    install_stacks()
