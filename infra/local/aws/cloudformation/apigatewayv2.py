"""CloudFormation resource types for API Gateway v2 WebSocket APIs, which moto 5.2.5 lacks.

Each class is a moto `CloudFormationModel` for one `AWS::ApiGatewayV2::*` type. It creates,
updates and deletes the resource through moto's API Gateway v2 backend and the deployments of
`../apigatewayv2.py`, so a stack's stage serves exactly what a boto3-built one would: a Stage
with a `DeploymentId` serves that deployment's frozen routes, and a Route added to the template
is not served until a new Deployment resource points the stage at it.

`Ref` and `Fn::GetAtt` return what AWS documents: the API id, route id, stage name, ...;
`Fn::GetAtt Api.ApiEndpoint` is the `wss://` endpoint (the local cloud's `ws://HOST:PORT/{id}`).
`CREATE_ONLY` lists the properties whose change replaces the resource (the registry schema's
createOnlyProperties); everything else updates in place.
"""

from __future__ import annotations

from typing import Any, ClassVar

from moto.apigatewayv2.models import ApiGatewayV2Backend, apigatewayv2_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel

from .. import apigatewayv2

Properties = dict[str, Any]


def _backend(account_id: str, region: str) -> ApiGatewayV2Backend:
    return apigatewayv2_backends[account_id][region]


def _camel(settings: Any) -> Any:
    """CloudFormation's PascalCase settings keys as the API's camelCase (`LoggingLevel` -> ...)."""
    if isinstance(settings, dict):
        return {key[:1].lower() + key[1:]: _camel(value) for key, value in settings.items()}
    return settings


def _route_parameters(parameters: dict[str, Any] | None) -> dict[str, dict[str, bool]] | None:
    """Route `RequestParameters` ({"route.request.querystring.x": {"Required": true}})."""
    if not parameters:
        return None
    return {name: {"required": bool(spec.get("Required"))} for name, spec in parameters.items()}


class ApiGatewayV2Resource(CloudFormationModel):
    """What every API Gateway v2 resource shares: an id inside an API, Ref and GetAtt."""

    TYPE: ClassVar[str]
    ID_ATTRIBUTE: ClassVar[str]  # the GetAtt that returns the resource's id, e.g. "RouteId"
    CREATE_ONLY: ClassVar[tuple[str, ...]] = ("ApiId",)

    def __init__(self, api_id: str, resource_id: str, account_id: str, region: str) -> None:
        self.api_id = api_id
        self.resource_id = resource_id
        self.account_id = account_id
        self.region = region

    @property
    def physical_resource_id(self) -> str:
        return self.resource_id

    @property
    def backend(self) -> ApiGatewayV2Backend:
        return _backend(self.account_id, self.region)

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> ApiGatewayV2Resource:
        """moto's entry point; each type's `create` makes it from the template's Properties."""
        return cls.create(resource_name, cloudformation_json["Properties"], account_id, region_name)

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> ApiGatewayV2Resource:
        raise NotImplementedError

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == cls.ID_ATTRIBUTE

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == self.ID_ATTRIBUTE:
            return self.resource_id
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        original_resource.update(cloudformation_json["Properties"])
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        """Unused: the stack engine calls `delete()` on the resource itself."""

    def update(self, properties: Properties) -> None:
        raise NotImplementedError

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError


class WebSocketApi(ApiGatewayV2Resource):
    """`AWS::ApiGatewayV2::Api`: Ref is the API id; GetAtt ApiId and ApiEndpoint."""

    TYPE = "AWS::ApiGatewayV2::Api"
    ID_ATTRIBUTE = "ApiId"
    CREATE_ONLY = ("ProtocolType",)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ApiId", "ApiEndpoint")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "ApiEndpoint":
            api = self.backend.get_api(self.api_id)
            endpoint = str(api.to_json()["apiEndpoint"])
            if api.protocol_type == "WEBSOCKET" and endpoint.startswith("https://"):
                return "wss://" + endpoint.removeprefix("https://")
            return endpoint
        return super().get_cfn_attribute(attribute_name)

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> WebSocketApi:
        if "Body" in props or "BodyS3Location" in props:
            raise ValueError("OpenAPI imports (Body, BodyS3Location) are not supported here")
        if props.get("ProtocolType") not in ("WEBSOCKET", "HTTP"):
            raise ValueError(
                f"ProtocolType must be WEBSOCKET or HTTP, not {props.get('ProtocolType')}"
            )
        api = _backend(account_id, region_name).create_api(
            api_key_selection_expression=props.get("ApiKeySelectionExpression"),
            cors_configuration=_camel(props.get("CorsConfiguration")),
            description=props.get("Description"),
            disable_schema_validation=props.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"),
            name=props.get("Name") or resource_name,
            protocol_type=props["ProtocolType"],
            route_selection_expression=props.get("RouteSelectionExpression"),
            tags=dict(props.get("Tags") or {}),
            version=props.get("Version"),
        )
        return cls(api.api_id, api.api_id, account_id, region_name)

    def update(self, properties: Properties) -> None:
        api = self.backend.get_api(self.api_id)
        self.backend.update_api(
            self.api_id,
            api_key_selection_expression=properties.get("ApiKeySelectionExpression"),
            cors_configuration=_camel(properties.get("CorsConfiguration")),
            description=properties.get("Description"),
            disable_schema_validation=properties.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=properties.get("DisableExecuteApiEndpoint"),
            name=properties.get("Name") or api.name,
            route_selection_expression=properties.get("RouteSelectionExpression"),
            version=properties.get("Version"),
        )
        self.cfn_tag(dict(properties.get("Tags") or {}))

    def cfn_tag(self, tags: dict[str, str]) -> None:
        """Add tags (the stack's tags and the template's) to the API."""
        if tags:
            self.backend.tag_resource(self.backend.get_api(self.api_id).arn, tags)

    def delete(self, account_id: str, region_name: str) -> None:
        self.backend.delete_api(self.api_id)


class Route(ApiGatewayV2Resource):
    """`AWS::ApiGatewayV2::Route`: Ref and GetAtt RouteId are the route id."""

    TYPE = "AWS::ApiGatewayV2::Route"
    ID_ATTRIBUTE = "RouteId"

    @staticmethod
    def _arguments(props: Properties) -> dict[str, Any]:
        return {
            "api_key_required": bool(props.get("ApiKeyRequired", False)),
            "authorization_scopes": props.get("AuthorizationScopes"),
            "authorization_type": props.get("AuthorizationType", "NONE"),
            "authorizer_id": props.get("AuthorizerId"),
            "model_selection_expression": props.get("ModelSelectionExpression"),
            "operation_name": props.get("OperationName"),
            "request_models": props.get("RequestModels"),
            "request_parameters": _route_parameters(props.get("RequestParameters")),
            "route_key": props["RouteKey"],
            "route_response_selection_expression": props.get("RouteResponseSelectionExpression"),
            "target": props.get("Target"),
        }

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> Route:
        route = _backend(account_id, region_name).create_route(
            api_id=props["ApiId"], **cls._arguments(props)
        )
        return cls(props["ApiId"], route.route_id, account_id, region_name)

    def update(self, properties: Properties) -> None:
        route = self.backend.get_route(self.api_id, self.resource_id)
        arguments = self._arguments(properties)
        # UpdateRoute only changes what it is given: clear what the template no longer sets.
        route.target = arguments.pop("target")
        route.authorizer_id = arguments["authorizer_id"]
        route.route_response_selection_expression = arguments["route_response_selection_expression"]
        self.backend.update_route(
            api_id=self.api_id, route_id=self.resource_id, target=None, **arguments
        )

    def delete(self, account_id: str, region_name: str) -> None:
        self.backend.delete_route(self.api_id, self.resource_id)


class Integration(ApiGatewayV2Resource):
    """`AWS::ApiGatewayV2::Integration`: Ref and GetAtt IntegrationId are the integration id."""

    TYPE = "AWS::ApiGatewayV2::Integration"
    ID_ATTRIBUTE = "IntegrationId"

    @staticmethod
    def _arguments(props: Properties) -> dict[str, Any]:
        return {
            "connection_id": props.get("ConnectionId"),
            "connection_type": props.get("ConnectionType"),
            "content_handling_strategy": props.get("ContentHandlingStrategy"),
            "credentials_arn": props.get("CredentialsArn"),
            "description": props.get("Description"),
            "integration_method": props.get("IntegrationMethod"),
            "integration_subtype": props.get("IntegrationSubtype"),
            "integration_type": props["IntegrationType"],
            "integration_uri": props.get("IntegrationUri"),
            "passthrough_behavior": props.get("PassthroughBehavior"),
            "payload_format_version": props.get("PayloadFormatVersion"),
            "request_parameters": props.get("RequestParameters"),
            "request_templates": props.get("RequestTemplates"),
            "response_parameters": props.get("ResponseParameters"),
            "template_selection_expression": props.get("TemplateSelectionExpression"),
            "timeout_in_millis": props.get("TimeoutInMillis"),
            "tls_config": _camel(props.get("TlsConfig")),
        }

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> Integration:
        integration = _backend(account_id, region_name).create_integration(
            api_id=props["ApiId"], **cls._arguments(props)
        )
        return cls(props["ApiId"], integration.id, account_id, region_name)

    def update(self, properties: Properties) -> None:
        self.backend.update_integration(
            api_id=self.api_id, integration_id=self.resource_id, **self._arguments(properties)
        )

    def delete(self, account_id: str, region_name: str) -> None:
        self.backend.delete_integration(self.api_id, self.resource_id)


class RouteResponse(ApiGatewayV2Resource):
    """`AWS::ApiGatewayV2::RouteResponse` (a two-way route's `$default` response)."""

    TYPE = "AWS::ApiGatewayV2::RouteResponse"
    ID_ATTRIBUTE = "RouteResponseId"
    CREATE_ONLY = ("ApiId", "RouteId")

    def __init__(self, api_id: str, resource_id: str, account_id: str, region: str, route_id: str):
        super().__init__(api_id, resource_id, account_id, region)
        self.route_id = route_id

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> RouteResponse:
        response = _backend(account_id, region_name).create_route_response(
            api_id=props["ApiId"],
            route_id=props["RouteId"],
            route_response_key=props["RouteResponseKey"],
            model_selection_expression=props.get("ModelSelectionExpression"),
            response_models=props.get("ResponseModels"),
        )
        return cls(props["ApiId"], response.id, account_id, region_name, props["RouteId"])

    def update(self, properties: Properties) -> None:
        response = self.backend.get_route_response(self.api_id, self.route_id, self.resource_id)
        response.route_response_key = properties["RouteResponseKey"]
        response.model_selection_expression = properties.get("ModelSelectionExpression")
        response.response_models = properties.get("ResponseModels")

    def delete(self, account_id: str, region_name: str) -> None:
        self.backend.delete_route_response(self.api_id, self.route_id, self.resource_id)


class IntegrationResponse(ApiGatewayV2Resource):
    """`AWS::ApiGatewayV2::IntegrationResponse` (what a non-proxy integration sends back)."""

    TYPE = "AWS::ApiGatewayV2::IntegrationResponse"
    ID_ATTRIBUTE = "IntegrationResponseId"
    CREATE_ONLY = ("ApiId", "IntegrationId")

    def __init__(
        self, api_id: str, resource_id: str, account_id: str, region: str, integration_id: str
    ):
        super().__init__(api_id, resource_id, account_id, region)
        self.integration_id = integration_id

    @staticmethod
    def _arguments(props: Properties) -> dict[str, Any]:
        return {
            "content_handling_strategy": props.get("ContentHandlingStrategy"),
            "integration_response_key": props["IntegrationResponseKey"],
            "response_parameters": props.get("ResponseParameters"),
            "response_templates": props.get("ResponseTemplates"),
            "template_selection_expression": props.get("TemplateSelectionExpression"),
        }

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> IntegrationResponse:
        response = _backend(account_id, region_name).create_integration_response(
            api_id=props["ApiId"], integration_id=props["IntegrationId"], **cls._arguments(props)
        )
        return cls(props["ApiId"], response.id, account_id, region_name, props["IntegrationId"])

    def update(self, properties: Properties) -> None:
        self.backend.update_integration_response(
            api_id=self.api_id,
            integration_id=self.integration_id,
            integration_response_id=self.resource_id,
            **self._arguments(properties),
        )

    def delete(self, account_id: str, region_name: str) -> None:
        self.backend.delete_integration_response(self.api_id, self.integration_id, self.resource_id)


class Authorizer(ApiGatewayV2Resource):
    """`AWS::ApiGatewayV2::Authorizer` (a REQUEST authorizer run before `$connect`)."""

    TYPE = "AWS::ApiGatewayV2::Authorizer"
    ID_ATTRIBUTE = "AuthorizerId"

    @staticmethod
    def _arguments(props: Properties) -> dict[str, Any]:
        return {
            "auth_creds_arn": props.get("AuthorizerCredentialsArn"),
            "auth_payload_format_version": props.get("AuthorizerPayloadFormatVersion"),
            "auth_result_ttl": props.get("AuthorizerResultTtlInSeconds"),
            "authorizer_type": props["AuthorizerType"],
            "authorizer_uri": props.get("AuthorizerUri"),
            "enable_simple_response": props.get("EnableSimpleResponses"),
            "identity_source": props.get("IdentitySource"),
            "identity_validation_expr": props.get("IdentityValidationExpression"),
            "jwt_config": _camel(props.get("JwtConfiguration")),
            "name": props["Name"],
        }

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> Authorizer:
        authorizer = _backend(account_id, region_name).create_authorizer(
            props["ApiId"], **cls._arguments(props)
        )
        return cls(props["ApiId"], authorizer.id, account_id, region_name)

    def update(self, properties: Properties) -> None:
        self.backend.update_authorizer(
            self.api_id, authorizer_id=self.resource_id, **self._arguments(properties)
        )

    def delete(self, account_id: str, region_name: str) -> None:
        self.backend.delete_authorizer(self.api_id, self.resource_id)


class Deployment(ApiGatewayV2Resource):
    """`AWS::ApiGatewayV2::Deployment`: a snapshot of the API's routes when it is created.

    Updating its Description does not redeploy (UpdateDeployment only renames), so a route
    added later is not served until a *new* Deployment resource (a new logical id) replaces it.
    """

    TYPE = "AWS::ApiGatewayV2::Deployment"
    ID_ATTRIBUTE = "DeploymentId"

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> Deployment:
        deployment = apigatewayv2.create_deployment(
            _backend(account_id, region_name),
            props["ApiId"],
            props.get("Description"),
            props.get("StageName"),
        )
        return cls(props["ApiId"], deployment.deployment_id, account_id, region_name)

    def update(self, properties: Properties) -> None:
        deployment = apigatewayv2.get_deployment(self.backend, self.api_id, self.resource_id)
        deployment.description = properties.get("Description")
        if properties.get("StageName"):
            apigatewayv2.update_stage(
                self.backend,
                self.api_id,
                properties["StageName"],
                {"deploymentId": self.resource_id},
            )

    def delete(self, account_id: str, region_name: str) -> None:
        apigatewayv2.delete_deployment(self.backend, self.api_id, self.resource_id)


class Stage(ApiGatewayV2Resource):
    """`AWS::ApiGatewayV2::Stage`: Ref is the stage name; it serves its DeploymentId."""

    TYPE = "AWS::ApiGatewayV2::Stage"
    ID_ATTRIBUTE = ""
    CREATE_ONLY = ("ApiId", "StageName")

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @staticmethod
    def _changes(props: Properties) -> dict[str, Any]:
        return {
            "accessLogSettings": _camel(props.get("AccessLogSettings")),
            "defaultRouteSettings": _camel(props.get("DefaultRouteSettings")),
            "description": props.get("Description"),
            "routeSettings": {
                route: _camel(settings)
                for route, settings in (props.get("RouteSettings") or {}).items()
            },
            "stageVariables": props.get("StageVariables") or {},
        }

    @classmethod
    def create(
        cls, resource_name: str, props: Properties, account_id: str, region_name: str
    ) -> Stage:
        backend = _backend(account_id, region_name)
        api_id, name = props["ApiId"], props["StageName"]
        deployment_id = props.get("DeploymentId")
        if deployment_id:
            apigatewayv2.get_deployment(backend, api_id, deployment_id)
        if name in backend.get_api(api_id).stages:
            raise apigatewayv2.StageConflict(name)
        config = {
            key: value for key, value in cls._changes(props).items() if value not in (None, {})
        }
        config.update(stageName=name, tags=dict(props.get("Tags") or {}))
        if "AutoDeploy" in props:
            config["autoDeploy"] = bool(props["AutoDeploy"])
        if props.get("ClientCertificateId"):
            config["clientCertificateId"] = props["ClientCertificateId"]
        stage = backend.create_stage(api_id, config)
        stage.deployment_id = deployment_id
        return cls(api_id, name, account_id, region_name)

    def update(self, properties: Properties) -> None:
        changes = self._changes(properties)
        changes["autoDeploy"] = bool(properties.get("AutoDeploy", False))
        if properties.get("DeploymentId"):
            changes["deploymentId"] = properties["DeploymentId"]
        apigatewayv2.update_stage(self.backend, self.api_id, self.resource_id, changes)
        self.cfn_tag(dict(properties.get("Tags") or {}))

    def cfn_tag(self, tags: dict[str, str]) -> None:
        """Add tags (the stack's tags and the template's) to the stage."""
        stage = self.backend.get_stage(self.api_id, self.resource_id)
        stage.tags = {**(stage.tags or {}), **tags}

    def delete(self, account_id: str, region_name: str) -> None:
        self.backend.delete_stage(self.api_id, self.resource_id)


MODELS: tuple[type[ApiGatewayV2Resource], ...] = (
    WebSocketApi,
    Route,
    Integration,
    RouteResponse,
    IntegrationResponse,
    Authorizer,
    Deployment,
    Stage,
)
