"""Send boto3 calls for `https://{apiId}.execute-api.{region}.amazonaws.com/...` to the local cloud.

Handler code builds its @connections client from the event's domainName and stage, so it targets
AWS's host even when AWS_ENDPOINT_URL is set. A botocore `before-send` hook (the way moto hooks
botocore) rewrites such URLs to `{WORKSHOP_CLOUD_URL}/{apiId}{path}` and lets botocore send the
request as usual: the SigV4 headers are left untouched.

The worker loads this file by path (it must not import anything from the kit).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

EXECUTE_API_HOST = re.compile(
    r"^(?P<api_id>[a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$",
    re.IGNORECASE,
)


def rewrite_url(url: str, cloud_url: str) -> str | None:
    """The local URL for an execute-api URL, or None when the URL is for something else."""
    parts = urlsplit(url)
    match = EXECUTE_API_HOST.match(parts.hostname or "")
    if parts.scheme not in ("http", "https") or match is None:
        return None
    local = f"{cloud_url.rstrip('/')}/{match['api_id']}{parts.path}"
    return f"{local}?{parts.query}" if parts.query else local


# Tells the local cloud which invocation made an @connections call, for its trace feed.
REQUEST_ID_HEADER = "X-Workshop-Lambda-Request-Id"


def make_hook(
    cloud_url: str, current_request_id: Callable[[], str] | None = None
) -> Callable[..., None]:
    """A `before-send` handler that redirects execute-api requests to `cloud_url`."""

    def redirect_execute_api(request: Any, **kwargs: Any) -> None:
        local = rewrite_url(request.url, cloud_url)
        if local is not None:
            request.url = local
            request_id = current_request_id() if current_request_id else ""
            if request_id:  # not signed, and only ever sent to the local cloud
                request.headers[REQUEST_ID_HEADER] = request_id
        # None tells botocore that no response was made here: it sends the request itself.
        return None

    redirect_execute_api.__dict__["workshop_redirect"] = True
    return redirect_execute_api


def install(cloud_url: str | None, current_request_id: Callable[[], str] | None = None) -> bool:
    """Register the hook for every botocore session created from now on; False if not possible."""
    if not cloud_url:
        return False
    try:
        from botocore import handlers
    except ImportError:
        return False
    already = any(
        getattr(entry[1], "workshop_redirect", False) for entry in handlers.BUILTIN_HANDLERS
    )
    if not already:
        hook = make_hook(cloud_url, current_request_id)
        handlers.BUILTIN_HANDLERS.append(("before-send", hook))
    return True
