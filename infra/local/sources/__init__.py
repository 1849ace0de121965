"""Event sources of the local cloud: DynamoDB Streams pollers, the TTL sweeper, EventBridge schedules.

The stream pollers run as tasks on the cloud's event loop; the TTL sweeper and the scheduler in
daemon threads. All read moto's state only through `infra.local.aws` (with ``cloud.backends``)
and invoke Lambda code only through the cloud (``invoke_async`` / ``invoke``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from infra.local.aws.backends import Backends
    from infra.local.vocabulary import InvokeResult


class CloudFacade(Protocol):
    """The part of the local cloud that event sources need."""

    backends: Backends
    account_id: str  # "123456789012"
    region: str  # "us-east-1"
    loop: asyncio.AbstractEventLoop | None  # where the stream pollers run (None: their own)

    def invoke(self, function_name_or_arn: str, event: Any) -> InvokeResult:
        """Run the function synchronously (RequestResponse) and return its result."""
        ...

    async def invoke_async(self, function_name_or_arn: str, event: Any) -> InvokeResult:
        """`invoke`, awaited on `loop`."""
        ...

    def stream_problem(self, function_arn: str, stream_arn: str) -> str | None:
        """Why the function's role may not read the stream, or None when it may."""
        ...
