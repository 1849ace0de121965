"""What a stage serves: the routes, integrations and authorizers a deployment froze.

Plain data, built by `infra.local.aws.apigatewayv2` from moto's API Gateway v2 models, read
by the gateway for every connection and message, and kept with each deployment in the saved
state (`.workshop-state/` pickles it under this module's path).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RouteSnapshot:
    """One route as a deployment froze it."""

    route_key: str
    target: str | None
    authorization_type: str | None
    authorizer_id: str | None
    route_response_selection_expression: str | None
    route_response_keys: tuple[str, ...]


@dataclass(frozen=True)
class ApiSnapshot:
    """Everything the gateway needs to serve one stage: what `CreateDeployment` freezes."""

    api_id: str
    route_selection_expression: str
    routes: dict[str, RouteSnapshot]
    integrations: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]

    def integration_for(self, route: RouteSnapshot) -> dict[str, Any] | None:
        """The integration a route targets (`integrations/{id}`), if any."""
        if not route.target or not route.target.startswith("integrations/"):
            return None
        return self.integrations.get(route.target.split("/", 1)[1])
