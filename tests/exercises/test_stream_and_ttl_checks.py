"""Exercises 06 and 07's checks on wrong answers: each says, in its first line, what to change."""

from __future__ import annotations

import time

import boto3
import pytest

from infra.challenges import CheckFailed
from infra.exercises import checks
from infra.local.cloud import LocalCloud


def create_every_time(table_name: str, function_name: str, batch_size: int, window: int) -> str:
    """Makes a new mapping on every call, never changes the one there is."""
    lambda_ = boto3.client("lambda")
    stream = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]
    uuid = lambda_.create_event_source_mapping(
        EventSourceArn=stream["LatestStreamArn"],
        FunctionName=function_name,
        StartingPosition="LATEST",
        BatchSize=batch_size,
        MaximumBatchingWindowInSeconds=window,
    )["UUID"]
    while lambda_.get_event_source_mapping(UUID=uuid)["State"] != "Enabled":
        time.sleep(0.2)
    return str(uuid)


def no_window(table_name: str, function_name: str, batch_size: int, window: int) -> str:
    """Sets the batch size but forgets the batching window."""
    lambda_ = boto3.client("lambda")
    stream = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]
    uuid = lambda_.create_event_source_mapping(
        EventSourceArn=stream["LatestStreamArn"],
        FunctionName=function_name,
        StartingPosition="LATEST",
        BatchSize=batch_size,
    )["UUID"]
    while lambda_.get_event_source_mapping(UUID=uuid)["State"] != "Enabled":
        time.sleep(0.2)
    return str(uuid)


def test_a_stream_answer_that_always_creates_fails_on_the_second_call(cloud: LocalCloud) -> None:
    """Called again, it must change the mapping there is, not add a second one."""
    with pytest.raises(CheckFailed, match="left 2 mappings"):
        checks.check_tune_stream(create_every_time, checks.unique("arena"), 10, 1)


def test_a_stream_answer_without_the_window_fails_naming_the_setting(cloud: LocalCloud) -> None:
    """The window is left at 0: the check names MaximumBatchingWindowInSeconds."""
    with pytest.raises(CheckFailed, match="MaximumBatchingWindowInSeconds is 0, expected 1"):
        checks.check_tune_stream(no_window, checks.unique("arena"), 10, 1)


def switch_on_every_time(table_name: str, attribute: str, code: str, seconds: int) -> int:
    """Switches Time to Live on for every invitation (a ValidationException on AWS)."""
    boto3.client("dynamodb").update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
    )
    expiry = int(time.time()) + seconds
    boto3.resource("dynamodb").Table(table_name).put_item(Item={"code": code, attribute: expiry})
    return expiry


def expiry_as_text(table_name: str, attribute: str, code: str, seconds: int) -> int:
    """Stores the expiry as a string, which Time to Live ignores."""
    dynamodb = boto3.client("dynamodb")
    ttl = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    if ttl["TimeToLiveStatus"] not in ("ENABLED", "ENABLING"):  # as AWS requires: ask first
        spec = {"Enabled": True, "AttributeName": attribute}
        dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=spec)
    expiry = int(time.time()) + seconds
    table = boto3.resource("dynamodb").Table(table_name)
    table.put_item(Item={"code": code, attribute: str(expiry)})
    return expiry


def test_an_invite_that_switches_ttl_on_every_time_fails(cloud: LocalCloud) -> None:
    """Two invitations, two update_time_to_live calls: AWS refuses the second, and the check
    names the call and AWS's words (the cloud keeps AWS's hour between two TTL changes)."""
    refused = r"switch_on_every_time\(.*raised ClientError: .*modified multiple times"
    with pytest.raises(CheckFailed, match=refused):
        checks.check_invite(switch_on_every_time, checks.unique("invites"), "expiresAt")


def test_an_invite_with_a_text_expiry_fails_saying_it_must_be_a_number(cloud: LocalCloud) -> None:
    """A string in the TTL attribute never expires: the check says Number, epoch seconds."""
    with pytest.raises(CheckFailed, match="only a Number"):
        checks.check_invite(expiry_as_text, checks.unique("invites"), "expiresAt")
