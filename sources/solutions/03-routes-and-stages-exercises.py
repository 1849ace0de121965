# %% [markdown]
# # Exercises 03 · Routes and stages
#
# After lesson [03 · Routes and stages](../notebooks/03-routes-and-stages.ipynb). Three steps that
# together stand up a chat: the API, its routes, and a stage to serve them.
#
# **How these exercises work.** Write your answer where a cell says `# YOUR CODE HERE` (replace the
# `raise NotImplementedError()` under it), run that cell, then run the check right after it. A
# check that passes prints nothing; one that fails says what is wrong and hints at the fix. The
# checks build a copy of the chat (its table, role and functions) for your code to wire, and your
# instructor's grading runs them again with names you have not seen: use the parameters.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · A WebSocket API `[api-create]` · 5 min
#
# **Why?** The API is what clients connect to. Its **route selection expression** tells API
# Gateway which field of a frame names the route: the chat uses `$request.body.action`, the game
# of lesson 07 `$request.body.type`.
#
# **What?** Write `create_api(name, route_selection)`: create the WebSocket API `name` that picks
# routes with `route_selection`, and return its id. The check reads the API back, adds a route to
# it and sends a frame that only your expression can route.

# %% tags=["exercise:api-create"]
import boto3


def create_api(name: str, route_selection: str) -> str:
    """Create a WebSocket API that selects routes with `route_selection`; return its API id."""
    ### BEGIN SOLUTION
    api = boto3.client("apigatewayv2").create_api(
        Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression=route_selection
    )
    return api["ApiId"]
    ### END SOLUTION


# %% tags=["check:api-create"]
checks.check_create_api(create_api, "mychat-api", "$request.body.action")

# %% tags=["hidden:api-create"]
checks.check_create_api(create_api, checks.unique("game-api"), "$request.body.kind")

# %% [markdown]
# ## 2 · Wire a route to a function `[routes-wire]` · 10 min
#
# **Why?** A route does nothing by itself: its **integration** says what to call (for a Lambda
# function, an `AWS_PROXY` integration whose URI names the function), and the function's
# **resource policy** must let API Gateway invoke it, for this route of this API only.
#
# **What?** Write `wire_route(api_id, route_key, function_name)`:
#
# - `create_integration` of type `AWS_PROXY`, method `POST` (Lambda is always invoked by a POST), URI
#   `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations`;
# - `create_route` for `route_key` whose `Target` is `integrations/{integration_id}`;
# - `add_permission` on the function for `apigateway.amazonaws.com`, with the `SourceArn`
#   `arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}` and a `StatementId` of your
#   choice, unique for the function (letters, digits, `-` and `_` only: leave out the `$`);
# - return the route's id.
#
# `boto3.client("sts").get_caller_identity()["Account"]` is the account, and any client's
# `meta.region_name` the region. The check wires `$connect`, `$disconnect` and `sendMessage` of a
# fresh chat with your function, deploys it, and sends a message from ada to bob.


# %% tags=["exercise:routes-wire"]
def wire_route(api_id: str, route_key: str, function_name: str) -> str:
    """Route `route_key` to the function: integration, route, invoke permission; the route id."""
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
        ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration['IntegrationId']}"
    )
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
checks.check_wire_routes(wire_route, "mychat", "Ground Control to Major Tom")

# %% tags=["hidden:routes-wire"]
checks.check_wire_routes(wire_route, checks.unique("room"), checks.unique("this is Major Tom"))

# %% [markdown]
# ## 3 · Deploy to a stage, and deploy again `[stage-deploy]` · 5 min
#
# **Why?** Routes take effect only once deployed: a **deployment** is a snapshot of the API's
# routes, and a **stage** serves one deployment at a URL. The first deploy creates the stage;
# every later one makes a new deployment and moves the stage to it.
#
# **What?** Write `deploy(api_id, stage)`: `create_deployment`, then `update_stage` to the new
# deployment, or `create_stage` when the stage does not exist yet (`get_stage` raises
# `apis.exceptions.NotFoundException`). Return the stage's URL: the API's `ApiEndpoint`, a slash,
# the stage name. The check deploys a chat, talks on it, adds the `whisper` route, deploys again,
# and whispers.


# %% tags=["exercise:stage-deploy"]
def deploy(api_id: str, stage: str) -> str:
    """Snapshot the API's routes in a new deployment and point `stage` at it; the stage URL."""
    ### BEGIN SOLUTION
    apis = boto3.client("apigatewayv2")
    deployment = apis.create_deployment(ApiId=api_id)["DeploymentId"]
    try:
        apis.get_stage(ApiId=api_id, StageName=stage)
    except apis.exceptions.NotFoundException:
        apis.create_stage(ApiId=api_id, StageName=stage, DeploymentId=deployment)
    else:
        apis.update_stage(ApiId=api_id, StageName=stage, DeploymentId=deployment)
    return f"{apis.get_api(ApiId=api_id)['ApiEndpoint']}/{stage}"
    ### END SOLUTION


# %% tags=["check:stage-deploy"]
checks.check_deploy_stage(deploy, "mychat", "dev")

# %% tags=["hidden:stage-deploy"]
checks.check_deploy_stage(deploy, checks.unique("room"), checks.unique("beta").replace("-", "_"))

# %% [markdown]
# ## Done?
#
# You have written the whole of `infra.deploy.add_route` and `deploy_stage`, minus their
# idempotence. Next lesson: [04 · `sendMessage` and `@connections`](../notebooks/04-send-message.ipynb).
