"""The deploy steps the notebooks call, one function per step a learner takes.

Each step is idempotent, waits for AWS where it is asynchronous, prints one progress line and tags
what it creates with ``workshop:app=<app>`` so ``teardown(app)`` removes exactly that. The target
cloud is chosen only by boto3's standard environment (``AWS_ENDPOINT_URL`` for the local cloud).
"""

from infra.deploy.apis import (
    add_route,
    add_route_response,
    create_websocket_api,
    find_api,
    find_route,
    integration_uri,
)
from infra.deploy.apps import deploy_app
from infra.deploy.aws import APP_TAG
from infra.deploy.functions import allow_invoke, create_or_update_function
from infra.deploy.packaging import code_sha256, package_lambda
from infra.deploy.policies import (
    check_least_privilege,
    execute_api_arn,
    lambda_policy,
    log_group_arn,
    trust_policy,
)
from infra.deploy.roles import create_lambda_role
from infra.deploy.schedules import (
    create_scheduler_role,
    fire,
    fire_rule,
    fire_schedule,
    schedule_function,
    schedule_rule,
)
from infra.deploy.stages import create_auto_deploy_stage, deploy_stage, stage_url
from infra.deploy.streams import map_stream
from infra.deploy.tables import create_connections_table, enable_stream, stream_arn
from infra.deploy.teardown import teardown

__all__ = [
    "APP_TAG",
    "add_route",
    "add_route_response",
    "allow_invoke",
    "check_least_privilege",
    "code_sha256",
    "create_auto_deploy_stage",
    "create_connections_table",
    "create_lambda_role",
    "create_or_update_function",
    "create_scheduler_role",
    "create_websocket_api",
    "deploy_app",
    "deploy_stage",
    "enable_stream",
    "execute_api_arn",
    "find_api",
    "fire",
    "fire_rule",
    "fire_schedule",
    "find_route",
    "integration_uri",
    "lambda_policy",
    "log_group_arn",
    "map_stream",
    "package_lambda",
    "schedule_function",
    "schedule_rule",
    "stage_url",
    "stream_arn",
    "teardown",
    "trust_policy",
]
