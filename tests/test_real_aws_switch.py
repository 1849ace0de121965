"""The real-AWS switch: `workshop up --aws` (or WORKSHOP_TARGET=aws) starts no local cloud, hands
JupyterLab no endpoint and no keys, and says which account and region boto3 will use, without
sending anything to AWS; in the kernels, boto3 resolves AWS's public endpoints.

No request leaves the machine: credentials come from a throwaway shared-credentials file, and
every boto3 call is stopped right before it would be sent, once its URL is known.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from jupyter_client.manager import start_new_kernel

import infra.labsettings
import infra.local.cloud
from infra import cli, session
from infra.cli import PROJECT_ROOT, main

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
REGION = "eu-west-1"
# Run in the kernel: which endpoint variables it has, what use_cloud() says, and the URL each
# client would send its first call to (the call is stopped in before-send: nothing is sent).
PROBE = """
import json, os
import boto3
from infra.session import use_cloud


class Stopped(Exception):
    pass


def resolved(service, operation):
    client = boto3.client(service)
    urls = []

    def stop(request, **_):
        urls.append(request.url)
        raise Stopped

    client.meta.events.register("before-send", stop)
    try:
        getattr(client, operation)()
    except Stopped:
        pass
    return urls[0]


choice = use_cloud(quiet=True)
print(json.dumps({
    "endpoint_variables": sorted(k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")),
    "keys": os.environ.get("AWS_ACCESS_KEY_ID"),
    "choice": [choice.kind, choice.endpoint_url, choice.region],
    "urls": {
        service: resolved(service, operation)
        for service, operation in [
            ("dynamodb", "list_tables"), ("lambda", "list_functions"),
            ("apigatewayv2", "get_apis"), ("sts", "get_caller_identity"),
            ("logs", "describe_log_groups"), ("iam", "list_roles"),
        ]
    },
}))
"""
PUBLIC = {
    "dynamodb": f"https://dynamodb.{REGION}.amazonaws.com/",
    "lambda": f"https://lambda.{REGION}.amazonaws.com/2015-03-31/functions",
    "apigatewayv2": f"https://apigateway.{REGION}.amazonaws.com/v2/apis",
    "sts": f"https://sts.{REGION}.amazonaws.com/",
    "logs": f"https://logs.{REGION}.amazonaws.com/",
    "iam": "https://iam.amazonaws.com/",
}


@pytest.fixture
def learner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A learner's shell: real-looking credentials and a region in ~/.aws, plus what a local
    cloud left behind (its endpoint and test keys, exported from `workshop cloud`'s advice)."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "WORKSHOP_")):
            monkeypatch.delenv(name)
    (tmp_path / "credentials").write_text(
        f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = not-a-real-secret\n"
    )
    (tmp_path / "config").write_text(f"[default]\nregion = {REGION}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:4599")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return tmp_path


class FakeLab:
    """Stands in for the `jupyter lab` process: records its environment, exits at once."""

    started: list[dict[str, str]] = []

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        FakeLab.started.append(env)
        self.returncode = 0

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.fixture
def up_aws(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """`workshop up` with no JupyterLab and no local cloud allowed; returns the AWS calls made."""

    class NoCloud:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("the real-AWS switch started a local cloud")

    calls: list[Any] = []
    original = BaseClient._make_api_call
    monkeypatch.setattr(infra.local.cloud, "LocalCloud", NoCloud)
    monkeypatch.setattr(infra.labsettings, "install_lab_overrides", lambda: None)
    monkeypatch.setattr(cli.subprocess, "Popen", FakeLab)
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.setattr(
        BaseClient, "_make_api_call", lambda self, *a: calls.append(a) or original(self, *a)
    )
    FakeLab.started.clear()
    return calls


@pytest.mark.parametrize("switch", ["--aws", "WORKSHOP_TARGET=aws"])
def test_up_on_aws_starts_no_cloud_and_hands_lab_no_endpoint_and_no_keys(
    learner: Path,
    up_aws: list[Any],
    switch: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Either switch: no cloud, no AWS_ENDPOINT_URL*, no test keys; account and region said."""
    argv = ["up", "--no-browser"]
    if switch == "--aws":
        argv.append("--aws")
    else:
        monkeypatch.setenv("WORKSHOP_TARGET", "aws")
    assert main(argv) == 0
    (env,) = FakeLab.started
    assert session.endpoint_variables(env) == []
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["WORKSHOP_TARGET"] == "aws"
    said = capsys.readouterr().out
    assert "no local cloud; boto3 uses AWS's public endpoints" in said
    assert "account: the one these credentials belong to (lesson 00 asks STS)" in said
    assert "credentials: profile 'default' (shared-credentials-file, access key AKIA…MPLE)" in said
    assert f"region: {REGION}" in said
    assert up_aws == []  # nothing was sent to AWS (STS is lesson 00's to call)


def test_in_the_kernel_boto3_resolves_awss_public_endpoints(
    learner: Path, up_aws: list[Any]
) -> None:
    """A kernel started with the environment `up --aws` hands JupyterLab has no endpoint, and
    its boto3 clients would send to AWS's public endpoints; use_cloud() says aws."""
    assert main(["up", "--aws", "--no-browser"]) == 0
    (env,) = FakeLab.started
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(PROJECT_ROOT))
    printed: list[str] = []
    try:
        reply = client.execute_interactive(
            PROBE,
            timeout=60,
            output_hook=lambda msg: printed.append(msg["content"].get("text", "")),
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", reply["content"]
    seen = json.loads("".join(printed))
    assert seen["endpoint_variables"] == [] and seen["keys"] is None
    assert seen["choice"] == ["aws", None, REGION]
    assert seen["urls"] == PUBLIC


def test_up_on_aws_without_credentials_says_how_to_get_some(
    learner: Path, up_aws: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """No credentials anywhere: one line saying to run aws configure, exit status 2."""
    (learner / "credentials").write_text("")
    assert main(["up", "--aws"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("workshop up: no AWS credentials found: run `aws configure`")
    assert "\n" not in err
    assert FakeLab.started == []


def test_use_cloud_refuses_aws_with_an_endpoint_set(
    learner: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WORKSHOP_TARGET=aws with AWS_ENDPOINT_URL still set would be a lie: refused, saying why."""
    monkeypatch.setenv("WORKSHOP_TARGET", "aws")
    with pytest.raises(RuntimeError, match="AWS_ENDPOINT_URL=http://127.0.0.1:4599 is set"):
        session.use_cloud(quiet=True)


def test_aws_environment_keeps_real_keys(learner: Path) -> None:
    """Keys of the learner's own (not the local cloud's test keys) are passed on untouched."""
    env = session.aws_environment({**os.environ, "AWS_ACCESS_KEY_ID": KEY_ID})
    assert env["AWS_ACCESS_KEY_ID"] == KEY_ID and env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert session.endpoint_variables(env) == []
