"""map_stream: one stream mapping per table and function, stream switched on as needed."""

from __future__ import annotations

import boto3
import pytest

from infra.deploy import create_connections_table, map_stream, stream_arn


def test_maps_the_table_stream_to_the_function(moto_aws: boto3.Session, chat_function: str) -> None:
    """The mapping reads the table's stream from LATEST with the requested batching."""
    create_connections_table("chat")
    uuid = map_stream("chat-connections", chat_function, batch_size=10, batching_window_seconds=1)
    mapping = moto_aws.client("lambda").get_event_source_mapping(UUID=uuid)
    assert mapping["EventSourceArn"] == stream_arn("chat-connections")
    assert mapping["FunctionArn"].endswith(":function:chat-connect")
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (10, 1)
    assert mapping["State"] == "Enabled"


def test_rerun_reuses_the_mapping(
    moto_aws: boto3.Session, chat_function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Mapping twice keeps one mapping and reports exists."""
    create_connections_table("chat")
    assert map_stream("chat-connections", chat_function) == map_stream(
        "chat-connections", chat_function
    )
    mappings = moto_aws.client("lambda").list_event_source_mappings(FunctionName=chat_function)
    assert len(mappings["EventSourceMappings"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "✓ stream mapping chat-connections → chat-connect (exists)"
    )
