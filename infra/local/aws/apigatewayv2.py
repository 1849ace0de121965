"""API Gateway v2 as the gateway needs it: deployments, stage snapshots and local endpoints.

What moto 5.2.5 lacks, added in moto's own style:
- deployments: CreateDeployment, GetDeployment(s), DeleteDeployment, and UpdateStage. A
  deployment freezes a snapshot of the API's routes, integrations, route responses and
  authorizers; a stage serves the snapshot of its deployment (or the live API when AutoDeploy);
- `ApiEndpoint` of WEBSOCKET APIs points at the local cloud (`ws://HOST:PORT/{apiId}`), so
  `f"{ApiEndpoint}/{stage}"` connects, as it does on AWS;
- GetRouteResponses;
- CreateRouteResponse refuses a second route response with a RouteResponseKey the route has
  already: 409 ConflictException, "The resource already exists." in AWS's API reference.

`StageConfigs` hands the gateway what a stage serves, recomputed only after API Gateway changes.
`install()` is idempotent and must run before moto's server app is created.
"""

from __future__ import annotations

import copy
import json
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from moto.apigatewayv2 import urls as apigw_urls
from moto.apigatewayv2.exceptions import APIGatewayV2Error, BadRequestException
from moto.apigatewayv2.models import Api, ApiGatewayV2Backend, Stage
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.core.responses import TYPE_RESPONSE
from moto.core.utils import iso_8601_datetime_without_milliseconds
from moto.moto_api._internal import mock_random as random

from ..vocabulary import ApiSnapshot, RouteSnapshot
from .backends import Backends, Cached
from .patching import replace, wrap

_installed = False
_public = threading.local()


class DeploymentNotFound(APIGatewayV2Error):
    code = 404

    def __init__(self, deployment_id: str):
        super().__init__(
            "NotFoundException", f"Invalid Deployment identifier specified {deployment_id}"
        )


class StageConflict(APIGatewayV2Error):
    code = 409

    def __init__(self, stage_name: str):
        super().__init__("ConflictException", f"Stage already exists: {stage_name}")


class RouteResponseConflict(APIGatewayV2Error):
    code = 409

    def __init__(self, route_response_key: str):
        super().__init__("ConflictException", f"RouteResponse already exists: {route_response_key}")


# ---------------------------------------------------------------- snapshots


def snapshot_of(api: Api) -> ApiSnapshot:
    """Freeze the API's current configuration (caller holds the backend lock)."""
    routes = {
        route.route_key: RouteSnapshot(
            route_key=route.route_key,
            target=route.target,
            authorization_type=route.authorization_type,
            authorizer_id=route.authorizer_id,
            route_response_selection_expression=route.route_response_selection_expression,
            route_response_keys=tuple(
                rr.route_response_key for rr in route.route_responses.values()
            ),
        )
        for route in api.routes.values()
    }
    return ApiSnapshot(
        api_id=api.api_id,
        route_selection_expression=api.route_selection_expression or "$request.body.action",
        routes=routes,
        integrations={i.id: copy.deepcopy(i.to_json()) for i in api.integrations.values()},
        authorizers={a.id: copy.deepcopy(a.to_json()) for a in api.authorizers.values()},
    )


@dataclass
class Deployment:
    """A deployment: an id, a date and the frozen API configuration."""

    deployment_id: str
    description: str | None
    snapshot: ApiSnapshot
    auto_deployed: bool = False
    created: datetime = field(default_factory=datetime.now)

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "autoDeployed": self.auto_deployed,
            "createdDate": iso_8601_datetime_without_milliseconds(self.created),
            "deploymentId": self.deployment_id,
            "deploymentStatus": "DEPLOYED",
        }
        if self.description:
            result["description"] = self.description
        return result


def deployments_of(api: Api) -> dict[str, Deployment]:
    """The deployments of an API, kept on moto's Api object so they die with it."""
    if not hasattr(api, "deployments"):
        api.deployments = {}
    return api.deployments


def served_snapshot(api: Api, stage: Stage) -> ApiSnapshot | None:
    """What a stage serves now: the live API with AutoDeploy, else its deployment's snapshot."""
    if stage.auto_deploy:
        return snapshot_of(api)
    deployment_id = getattr(stage, "deployment_id", None)
    if deployment_id is None:
        return None
    deployment = deployments_of(api).get(deployment_id)
    return deployment.snapshot if deployment else None


class StageConfigs:
    """What each stage serves now, read from moto once per API Gateway change."""

    def __init__(self, backends: Backends) -> None:
        self._cache = Cached(backends, "apigatewayv2")

    def lookup(self, api_id: str, stage: str) -> ApiSnapshot | None:
        """The configuration `/{api_id}/{stage}` serves, or None when there is no such stage."""

        def read(services: Any) -> ApiSnapshot | None:
            api = services.apigatewayv2.apis.get(api_id)
            if api is None or api.protocol_type != "WEBSOCKET":
                return None
            found = api.stages.get(stage)
            return served_snapshot(api, found) if found else None

        return self._cache.get((api_id, stage), read)


# ---------------------------------------------------------------- backend operations


def _new_id() -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))


def create_deployment(
    backend: ApiGatewayV2Backend, api_id: str, description: str | None, stage_name: str | None
) -> Deployment:
    api = backend.get_api(api_id)
    if api.protocol_type == "WEBSOCKET" and not api.routes:
        raise BadRequestException("At least one route is required before deploying the Api.")
    for route in api.routes.values():
        target = route.target or ""
        if target.startswith("integrations/") and target.split("/", 1)[1] not in api.integrations:
            raise BadRequestException(
                f"Route {route.route_key} targets a missing integration: {target}"
            )
    deployment = Deployment(_new_id(), description, snapshot_of(api))
    if stage_name:
        stage = backend.get_stage(api_id, stage_name)
        stage.deployment_id = deployment.deployment_id
    deployments_of(api)[deployment.deployment_id] = deployment
    return deployment


def get_deployment(backend: ApiGatewayV2Backend, api_id: str, deployment_id: str) -> Deployment:
    deployment = deployments_of(backend.get_api(api_id)).get(deployment_id)
    if deployment is None:
        raise DeploymentNotFound(deployment_id)
    return deployment


def delete_deployment(backend: ApiGatewayV2Backend, api_id: str, deployment_id: str) -> None:
    api = backend.get_api(api_id)
    get_deployment(backend, api_id, deployment_id)
    for stage in api.stages.values():
        if getattr(stage, "deployment_id", None) == deployment_id:
            raise BadRequestException(
                f"Deployment {deployment_id} is in use by stage {stage.name}; "
                "point the stage at another deployment or delete the stage first."
            )
    del deployments_of(api)[deployment_id]


def update_stage(
    backend: ApiGatewayV2Backend, api_id: str, stage_name: str, changes: dict[str, Any]
) -> Stage:
    stage = backend.get_stage(api_id, stage_name)
    if "deploymentId" in changes:
        get_deployment(backend, api_id, changes["deploymentId"])
        stage.deployment_id = changes["deploymentId"]
    if "autoDeploy" in changes:
        turning_off = stage.auto_deploy and not changes["autoDeploy"]
        if turning_off and "deploymentId" not in changes:
            # AWS auto-deployed every change, so the stage keeps serving the latest configuration.
            api = backend.get_api(api_id)
            frozen = Deployment(_new_id(), None, snapshot_of(api), auto_deployed=True)
            deployments_of(api)[frozen.deployment_id] = frozen
            stage.deployment_id = frozen.deployment_id
        stage.auto_deploy = changes["autoDeploy"]
    for key, attr in (
        ("description", "description"),
        ("stageVariables", "stage_variables"),
        ("routeSettings", "route_settings"),
        ("defaultRouteSettings", "default_route_settings"),
        ("accessLogSettings", "access_log_settings"),
    ):
        if key in changes:
            setattr(stage, attr, changes[key])
    stage.updated = datetime.now()
    return stage


# ---------------------------------------------------------------- HTTP layer (moto responses)


def _api_id_from_path(path: str) -> str:
    return path.split("/v2/apis/")[1].split("/")[0]


def _create_deployment(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    params = json.loads(self.body or "{}")
    deployment = create_deployment(
        self.apigatewayv2_backend,
        _api_id_from_path(self.path),
        params.get("description"),
        params.get("stageName"),
    )
    return 201, {}, json.dumps(deployment.to_json())


def _get_deployment(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    deployment_id = unquote(self.path.rstrip("/").split("/")[-1])
    deployment = get_deployment(
        self.apigatewayv2_backend, _api_id_from_path(self.path), deployment_id
    )
    return 200, {}, json.dumps(deployment.to_json())


def _get_deployments(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    api = self.apigatewayv2_backend.get_api(_api_id_from_path(self.path))
    items = [d.to_json() for d in deployments_of(api).values()]
    return 200, {}, json.dumps({"items": items})


def _delete_deployment(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    deployment_id = unquote(self.path.rstrip("/").split("/")[-1])
    delete_deployment(self.apigatewayv2_backend, _api_id_from_path(self.path), deployment_id)
    return 204, {}, ""


def _create_stage(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    api_id = _api_id_from_path(self.path)
    config = json.loads(self.body)
    deployment_id = config.get("deploymentId")
    if deployment_id:
        get_deployment(self.apigatewayv2_backend, api_id, deployment_id)
    api = self.apigatewayv2_backend.get_api(api_id)
    if config.get("stageName") in api.stages:
        raise StageConflict(config["stageName"])
    stage = self.apigatewayv2_backend.create_stage(api_id, config)
    stage.deployment_id = deployment_id
    return 201, {}, json.dumps(stage.to_json())


def _update_stage(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    stage_name = unquote(self.path.rstrip("/").split("/")[-1])
    stage = update_stage(
        self.apigatewayv2_backend,
        _api_id_from_path(self.path),
        stage_name,
        json.loads(self.body or "{}"),
    )
    return 200, {}, json.dumps(stage.to_json())


def _create_route_response_checked(original: Any) -> Any:
    def create_route_response(
        self: ApiGatewayV2Backend,
        api_id: str,
        route_id: str,
        route_response_key: str,
        **kwargs: Any,
    ) -> Any:
        route = self.get_route(api_id, route_id)
        if any(r.route_response_key == route_response_key for r in route.route_responses.values()):
            raise RouteResponseConflict(route_response_key)
        return original(self, api_id, route_id, route_response_key, **kwargs)

    return create_route_response


def _get_route_responses(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    parts = self.path.split("/")
    api_id, route_id = parts[parts.index("apis") + 1], parts[parts.index("routes") + 1]
    route = self.apigatewayv2_backend.get_route(api_id, route_id)
    items = [response.to_json() for response in route.route_responses.values()]
    return 200, {}, json.dumps({"items": items})


_original_stage_to_json = Stage.to_json
_original_api_to_json = Api.to_json


def _stage_to_json(self: Stage) -> dict[str, Any]:
    result = _original_stage_to_json(self)
    deployment_id = getattr(self, "deployment_id", None)
    if deployment_id:
        result["deploymentId"] = deployment_id
    return result


def _api_to_json(self: Api) -> dict[str, Any]:
    result = _original_api_to_json(self)
    base = getattr(_public, "ws_base", None)
    if self.protocol_type == "WEBSOCKET" and base:
        result["apiEndpoint"] = f"{base}/{self.api_id}"
    return result


def set_public_base(ws_base: str | None) -> None:
    """Set (for the calling thread) the `ws://host:port` that ApiEndpoint is built from.

    The edge sets it from each request's Host header, so a learner who reaches the
    instructor's cloud at a LAN address gets endpoints at that same address.
    """
    _public.ws_base = ws_base


def public_base() -> str | None:
    """The calling thread's `set_public_base` (a stack's background work carries it over)."""
    return getattr(_public, "ws_base", None)


def install() -> None:
    """Teach moto the operations above (idempotent)."""
    global _installed
    if _installed:
        return
    base = "{0}/v2/apis/(?P<api_id>[^/]+)/deployments"
    apigw_urls.url_paths[base + "$"] = ApiGatewayV2Response.dispatch
    apigw_urls.url_paths[base + "/(?P<deployment_id>[^/]+)$"] = ApiGatewayV2Response.dispatch
    replace(ApiGatewayV2Response, "create_deployment", _create_deployment)
    replace(ApiGatewayV2Response, "get_deployment", _get_deployment)
    replace(ApiGatewayV2Response, "get_deployments", _get_deployments)
    replace(ApiGatewayV2Response, "delete_deployment", _delete_deployment)
    replace(ApiGatewayV2Response, "create_stage", _create_stage)
    replace(ApiGatewayV2Response, "update_stage", _update_stage)
    replace(ApiGatewayV2Response, "get_route_responses", _get_route_responses)
    wrap(ApiGatewayV2Backend, "create_route_response", _create_route_response_checked)
    replace(Stage, "to_json", _stage_to_json)
    replace(Api, "to_json", _api_to_json)
    _installed = True
