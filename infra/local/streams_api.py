"""Make the DynamoDB Streams API (``boto3.client("dynamodbstreams")``) reach moto.

botocore (1.40+) sends DynamoDB Streams calls to an account-based host,
``https://{account}.streams-ddb.{region}.amazonaws.com``, but moto 5.2.5 only knows
``streams.dynamodb.{region}.amazonaws.com``. What that breaks, checked by tests:

- moto in-process (``mock_aws``) matches requests by URL, so these calls fall through to moto's
  catch-all: 404 "Not yet implemented". ``install()`` teaches moto the account-based host.
- moto's server app ignores the Host header and routes by ``X-Amz-Target:
  DynamoDBStreams_20120810.*``, so behind ``AWS_ENDPOINT_URL`` (our local cloud) it already works;
  ``fix_streams_routing(app)`` only installs the in-process fix and returns the app unchanged.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from moto import backend_index
from moto.dynamodbstreams import urls as streams_urls

ACCOUNT_BASED_HOST = r"https?://(.+)\.streams-ddb\.(.+)\.amazonaws\.com"

_lock = threading.Lock()


def install() -> None:
    """Register the account-based Streams host with moto's URL dispatch (idempotent)."""
    with _lock:
        if ACCOUNT_BASED_HOST in streams_urls.url_bases:
            return
        streams_urls.url_bases.append(ACCOUNT_BASED_HOST)
        backend_index.backend_url_patterns.append(
            ("dynamodbstreams", re.compile(ACCOUNT_BASED_HOST))
        )


def fix_streams_routing(app: Any) -> Any:
    """Return a WSGI app that serves the Streams API; moto's server app needs no rewrite."""
    install()
    return app
