"""Fixtures for the deploy steps: an in-process moto account, and the chat app's code."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from infra.local import aws

REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture(autouse=True, scope="session")
def moto_extensions() -> None:
    """Deployments, UpdateStage and GetRouteResponses from the local cloud's moto extensions."""
    aws.install()


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """A fresh in-process moto account; the steps reach it through boto3's default session."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.Session()


@pytest.fixture
def role_arn(moto_aws: boto3.Session) -> str:
    """A Lambda role for the `chat` app, allowed its table and the table's stream."""
    from infra.deploy import create_lambda_role, lambda_policy

    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/chat-connections"
    return create_lambda_role("chat", lambda_policy(table, stream=True))


@pytest.fixture
def chat_zip() -> bytes:
    """The chat app's deployment zip."""
    from infra.deploy import package_lambda

    return package_lambda("chat")


@pytest.fixture
def chat_function(moto_aws: boto3.Session, role_arn: str, chat_zip: bytes) -> str:
    """The function `chat-connect` deployed from the chat app; returns its name."""
    from infra.deploy import create_or_update_function

    create_or_update_function("chat", "chat-connect", "connect.lambda_handler", role_arn, chat_zip)
    return "chat-connect"
