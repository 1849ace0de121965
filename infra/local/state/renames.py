"""Classes that moved since a state folder was saved: their old paths, as the pickle names them,
and where they live now ("module.Class"), so a folder saved before a move still loads.

A snapshot pickles each of the kit's classes it holds (an API snapshot, a deployment, a stack's
resources) under its module path. Whoever moves or renames such a class adds its old and new
paths here; `tests/local/state/test_saved_state_fixture.py` loads a folder saved before the
moves and fails on a class that moved without an entry. A class that moves again keeps its old
entry and gets a new one: `current_name` follows the chain.
"""

from __future__ import annotations

RENAMES: dict[str, str] = {
    # The API snapshot a deployment keeps moved to the local cloud's shared vocabulary.
    "infra.local.gateway.config.ApiSnapshot": "infra.local.vocabulary.apis.ApiSnapshot",
    "infra.local.gateway.config.RouteSnapshot": "infra.local.vocabulary.apis.RouteSnapshot",
    # CloudFormation's modules moved into a package of their own (infra/local/aws/cloudformation/).
    "infra.local.aws.cloudformation_apigatewayv2.WebSocketApi": (
        "infra.local.aws.cloudformation.apigatewayv2.WebSocketApi"
    ),
    "infra.local.aws.cloudformation_apigatewayv2.Route": (
        "infra.local.aws.cloudformation.apigatewayv2.Route"
    ),
    "infra.local.aws.cloudformation_apigatewayv2.Integration": (
        "infra.local.aws.cloudformation.apigatewayv2.Integration"
    ),
    "infra.local.aws.cloudformation_apigatewayv2.RouteResponse": (
        "infra.local.aws.cloudformation.apigatewayv2.RouteResponse"
    ),
    "infra.local.aws.cloudformation_apigatewayv2.IntegrationResponse": (
        "infra.local.aws.cloudformation.apigatewayv2.IntegrationResponse"
    ),
    "infra.local.aws.cloudformation_apigatewayv2.Authorizer": (
        "infra.local.aws.cloudformation.apigatewayv2.Authorizer"
    ),
    "infra.local.aws.cloudformation_apigatewayv2.Deployment": (
        "infra.local.aws.cloudformation.apigatewayv2.Deployment"
    ),
    "infra.local.aws.cloudformation_apigatewayv2.Stage": (
        "infra.local.aws.cloudformation.apigatewayv2.Stage"
    ),
    "infra.local.aws.cloudformation_engine.StackState": (
        "infra.local.aws.cloudformation.engine.StackState"
    ),
    "infra.local.aws.cloudformation_engine.Tracked": (
        "infra.local.aws.cloudformation.engine.Tracked"
    ),
    "infra.local.aws.cloudformation_language.CdkMetadata": (
        "infra.local.aws.cloudformation.language.CdkMetadata"
    ),
    "infra.local.aws.cloudformation_resources.Permission": (
        "infra.local.aws.cloudformation.resources.Permission"
    ),
    "infra.local.aws.cloudformation_s3.BucketPolicy": (
        "infra.local.aws.cloudformation.s3.BucketPolicy"
    ),
    "infra.local.aws.cloudformation_scheduler.Schedule": (
        "infra.local.aws.cloudformation.scheduler.Schedule"
    ),
}


def current_name(module: str, name: str) -> tuple[str, str]:
    """Where the class a pickle names as `module.name` lives now (itself if it never moved)."""
    seen = set()
    path = f"{module}.{name}"
    while path in RENAMES and path not in seen:
        seen.add(path)
        path = RENAMES[path]
    module, _, name = path.rpartition(".")
    return module, name
