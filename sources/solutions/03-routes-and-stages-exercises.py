# %% [markdown]
# # Exercises 03 · Routes and stages
#
# After lesson [03 · Routes and stages](../notebooks/03-routes-and-stages.ipynb). Three variations
# on the lesson: an API for the noughts-and-crosses game that your code can create again and
# again, a route that answers the sender, and a second stage that serves what `dev` has tried.
#
# **How these exercises work.** Write your answer where a cell says `# YOUR CODE HERE` (replace the
# `raise NotImplementedError()` under it), run that cell, then run the check right after it. A check
# that passes says ✓ in one line; one that fails says ✗, what is wrong, and hints at the fix. The
# checks build what your code needs (an API, a probe function that echoes each frame), and your
# instructor's grading runs them again with names you have not seen: use the parameters.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · An API you can create again and again `[api-create]` · 5 min
#
# **Why?** Lesson 03's cell looked for `chat-api` before creating it, because API names need not
# be unique: a second `create_api` makes a second API, and clients of the first never hear of it.
# A deploy step should go further: run again with another route selection expression, it should
# **update** the API it finds. The game of lesson 07 picks routes with `$request.body.type`
# (`{"type": "move", ...}`), not `action`.
#
# **What?** Write `create_api(name, route_selection)`: if there is an API called `name`
# (`apis.get_apis()["Items"]`, each with `Name`, `ApiId` and `RouteSelectionExpression`), reuse it,
# and if its route selection expression differs, change it with
# `apis.update_api(ApiId=..., RouteSelectionExpression=...)`. Otherwise create the WebSocket API.
# Return its id either way. The check calls it three times: on a clean slate, again, and after
# changing the API's expression behind your back; then it sends a frame only your expression
# can route.

# %% tags=["exercise:api-create"]
import boto3


def create_api(name: str, route_selection: str) -> str:
    """The id of the WebSocket API `name`, created or updated to route by `route_selection`."""
    ### BEGIN SOLUTION
    apis = boto3.client("apigatewayv2")
    for api in apis.get_apis()["Items"]:
        if api["Name"] == name:
            if api.get("RouteSelectionExpression") != route_selection:
                apis.update_api(ApiId=api["ApiId"], RouteSelectionExpression=route_selection)
            return api["ApiId"]
    api = apis.create_api(
        Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression=route_selection
    )
    return api["ApiId"]
    ### END SOLUTION


# %% tags=["check:api-create"]
checks.check_create_api(create_api, "mygame-api", "$request.body.type")

# %% tags=["hidden:api-create"]
checks.check_create_api(create_api, checks.unique("quiz-api"), "$request.body.kind")

# %% [markdown]
# ## 2 · A route that answers `[routes-wire]` · 10 min
#
# **Why?** The chat's routes are one-way: what a function returns goes nowhere, and it answers
# through `@connections` (lesson 04). A **two-way** route sends the function's returned `body`
# straight back to the sender: right for a question with an answer, such as "which games are
# open?". Two more things make a route two-way: the route's
# `RouteResponseSelectionExpression="$default"`, and a **route response** with the key
# `$default`.
#
# **What?** Write `wire_route(api_id, route_key, function_name)` for an API that routes on
# `$request.body.type`:
#
# - `create_integration` of type `AWS_PROXY`, method `POST`, URI
#   `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations`;
# - `create_route` for `route_key`, `Target` `integrations/{integration_id}`, and
#   `RouteResponseSelectionExpression="$default"`;
# - `apis.create_route_response(ApiId=..., RouteId=..., RouteResponseKey="$default")`;
# - `add_permission` on the function for `apigateway.amazonaws.com`, with the `SourceArn`
#   `arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}` and a `StatementId` of your
#   choice (letters, digits, `-` and `_` only);
# - return the route's id.
#
# The check wires a route of a fresh API to a probe function that returns each frame as its
# `body`, deploys, sends `{"type": route_key, ...}` and waits for the echo.


# %% tags=["exercise:routes-wire"]
def wire_route(api_id: str, route_key: str, function_name: str) -> str:
    """A two-way route `route_key` to the function: its reply goes back; the route id."""
    ### BEGIN SOLUTION
    apis, lambda_ = boto3.client("apigatewayv2"), boto3.client("lambda")
    region = apis.meta.region_name
    account = boto3.client("sts").get_caller_identity()["Account"]
    function_arn = lambda_.get_function_configuration(FunctionName=function_name)["FunctionArn"]
    uri = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    integration = apis.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationMethod="POST", IntegrationUri=uri
    )
    route = apis.create_route(
        ApiId=api_id,
        RouteKey=route_key,
        Target=f"integrations/{integration['IntegrationId']}",
        RouteResponseSelectionExpression="$default",
    )
    apis.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    lambda_.add_permission(
        FunctionName=function_name,
        StatementId=f"{api_id}-{route_key.removeprefix('$')}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}",
    )
    return route["RouteId"]
    ### END SOLUTION


# %% tags=["check:routes-wire"]
checks.check_wire_routes(wire_route, "mygame", "openGames")

# %% tags=["hidden:routes-wire"]
checks.check_wire_routes(wire_route, checks.unique("quiz"), checks.unique("question"))

# %% [markdown]
# ## 3 · Promote what dev has tried `[stage-deploy]` · 5 min
#
# **Why?** A deployment is a snapshot, and a stage serves one: so two stages can serve the
# **same** snapshot. Teams try a change on `dev`, and when it works they point `prod` at the
# deployment `dev` serves: no new snapshot, so `prod` gets exactly what was tried, not whatever the
# API holds by then (a route added since, but not yet tried, stays off `prod`).
#
# **What?** Write `promote(api_id, source, target)`: read the `DeploymentId` the stage `source`
# serves (`apis.get_stage(ApiId=..., StageName=...)`), then point the stage `target` at it:
# `update_stage` when it exists, `create_stage` when it does not (`get_stage` raises
# `apis.exceptions.NotFoundException`). Make no deployment. Return the target stage's URL: the
# API's `ApiEndpoint`, a slash, the stage name. The check deploys a route to `dev` and promotes it;
# then it deploys another route to `dev` only, sees that your stage does not serve it yet,
# promotes again, and calls it.


# %% tags=["exercise:stage-deploy"]
def promote(api_id: str, source: str, target: str) -> str:
    """Point stage `target` at the deployment stage `source` serves; the target's URL."""
    ### BEGIN SOLUTION
    apis = boto3.client("apigatewayv2")
    deployment = apis.get_stage(ApiId=api_id, StageName=source)["DeploymentId"]
    try:
        apis.get_stage(ApiId=api_id, StageName=target)
    except apis.exceptions.NotFoundException:
        apis.create_stage(ApiId=api_id, StageName=target, DeploymentId=deployment)
    else:
        apis.update_stage(ApiId=api_id, StageName=target, DeploymentId=deployment)
    return f"{apis.get_api(ApiId=api_id)['ApiEndpoint']}/{target}"
    ### END SOLUTION


# %% tags=["check:stage-deploy"]
checks.check_deploy_stage(promote, "mygame", "prod")

# %% tags=["hidden:stage-deploy"]
checks.check_deploy_stage(promote, checks.unique("quiz"), checks.unique("beta").replace("-", "_"))

# %% [markdown]
# ## Done?
#
# Lesson 06 makes the arena's `list` route two-way, as your `wire_route` did; the kit's
# `infra.deploy.add_route_response` is that step on its own.
# Next lesson: [04 · `sendMessage` and `@connections`](../notebooks/04-send-message.ipynb).
