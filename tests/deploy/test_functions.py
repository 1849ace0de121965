"""create_or_update_function and allow_invoke: create, update only what changed, never duplicate."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from infra.deploy import allow_invoke, code_sha256, create_or_update_function, package_lambda


def deploy(role_arn: str, code: bytes, **options: object) -> str:
    return create_or_update_function(
        "chat", "chat-connect", "connect.lambda_handler", role_arn, code, **options
    )


def test_creates_an_active_tagged_function(
    moto_aws: boto3.Session, role_arn: str, chat_zip: bytes
) -> None:
    """The function runs python3.12 with the handler, role, environment and app tag."""
    arn = deploy(role_arn, chat_zip, environment={"TABLE_NAME": "chat-connections"}, timeout=6)
    lambda_ = moto_aws.client("lambda")
    config = lambda_.get_function_configuration(FunctionName="chat-connect")
    assert config["FunctionArn"] == arn
    assert (config["Runtime"], config["Handler"], config["Role"]) == (
        "python3.12",
        "connect.lambda_handler",
        role_arn,
    )
    assert config["Environment"]["Variables"] == {"TABLE_NAME": "chat-connections"}
    assert config["Timeout"] == 6
    assert config["CodeSha256"] == code_sha256(chat_zip)
    assert config["State"] == "Active"
    assert lambda_.list_tags(Resource=arn)["Tags"] == {"workshop:app": "chat"}


def test_rerun_is_unchanged(
    moto_aws: boto3.Session, role_arn: str, chat_zip: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deploying the same code and settings twice keeps one function and reports unchanged."""
    capsys.readouterr()
    deploy(role_arn, chat_zip)
    deploy(role_arn, chat_zip)
    assert capsys.readouterr().out.splitlines() == [
        "✓ function chat-connect (created)",
        "✓ function chat-connect (unchanged)",
    ]
    assert len(moto_aws.client("lambda").list_functions()["Functions"]) == 1


def test_new_code_is_uploaded(
    moto_aws: boto3.Session,
    role_arn: str,
    chat_zip: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Changed code updates the function's CodeSha256 and reports an update."""
    deploy(role_arn, chat_zip)
    (tmp_path / "connect.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    edited = package_lambda(tmp_path)
    deploy(role_arn, edited)
    config = moto_aws.client("lambda").get_function_configuration(FunctionName="chat-connect")
    assert config["CodeSha256"] == code_sha256(edited)
    assert capsys.readouterr().out.splitlines()[-1] == "✓ function chat-connect (updated)"


def test_new_settings_are_applied(moto_aws: boto3.Session, role_arn: str, chat_zip: bytes) -> None:
    """Changed environment and timeout update the configuration in place."""
    deploy(role_arn, chat_zip, environment={"TABLE_NAME": "a"})
    deploy(role_arn, chat_zip, environment={"TABLE_NAME": "b"}, timeout=20)
    config = moto_aws.client("lambda").get_function_configuration(FunctionName="chat-connect")
    assert config["Environment"]["Variables"] == {"TABLE_NAME": "b"}
    assert config["Timeout"] == 20


def test_allow_invoke_adds_one_statement(
    moto_aws: boto3.Session, role_arn: str, chat_zip: bytes
) -> None:
    """Granting the same permission twice leaves one statement with the SourceArn condition."""
    deploy(role_arn, chat_zip)
    source = "arn:aws:execute-api:us-east-1:123456789012:abc/*/$connect"
    assert allow_invoke("chat-connect", "apigateway.amazonaws.com", source, "abc-$connect")
    assert not allow_invoke("chat-connect", "apigateway.amazonaws.com", source, "abc-$connect")
    policy = json.loads(moto_aws.client("lambda").get_policy(FunctionName="chat-connect")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Sid"] == "abc-connect"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == source
