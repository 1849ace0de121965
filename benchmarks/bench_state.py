"""How long saving and restoring a local cloud's state takes, and how long moto's lock is held.

Builds a cloud with `--items` items over a few tables, `--functions` functions, then
`--records` stream records (UpdateItems on a streamed table) and `--log-events` log events,
and times: the first save (everything new), a save after a small change (what a busy room
pays every half second), and a restore (a new cloud starting on the folder).

Run: `.venv/bin/python benchmarks/bench_state.py [--items 300] [--functions 50]
[--records 20000] [--log-events 100000]`
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infra.deploy.aws import once_role_assumable, wait_for
from infra.deploy.policies import trust_policy
from infra.local.cloud import LocalCloud

TABLES = 5


@contextlib.contextmanager
def running_cloud(**settings: Any) -> Iterator[LocalCloud]:
    """A cloud on a free port; boto3 inside its functions finds it through the environment."""
    with LocalCloud(port=0, **settings) as cloud:
        os.environ.update(cloud.env())
        yield cloud


def build(cloud: LocalCloud, items: int, functions: int, records: int, log_events: int) -> None:
    ddb = cloud.client("dynamodb")
    for table in range(TABLES):
        ddb.create_table(
            TableName=f"bench-{table}",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
    for table in range(TABLES):  # data calls on a CREATING table are refused, as on AWS
        wait_for(ddb, "table_exists", TableName=f"bench-{table}")
    for start in range(0, items, 25):
        batch = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": f"item-{n}"},
                        "name": {"S": f"person {n}"},
                        "x": {"N": "0.5"},
                        "color": {"S": "#e6194b"},
                    }
                }
            }
            for n in range(start, min(items, start + 25))
        ]
        ddb.batch_write_item(RequestItems={f"bench-{start // 25 % TABLES}": batch})
    role = cloud.client("iam").create_role(
        RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust_policy())
    )["Role"]["Arn"]
    lambda_ = cloud.client("lambda")
    for n in range(functions):
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", f"def handler(event, context):\n    return {n}\n")
        once_role_assumable(  # a new role is not assumable by Lambda for a few seconds
            functools.partial(
                lambda_.create_function,
                FunctionName=f"bench-fn-{n}",
                Runtime="python3.12",
                Role=role,
                Handler="app.handler",
                Code={"ZipFile": code.getvalue()},
            )
        )
    for n in range(functions):  # Pending, then Active: saved as they would be in use
        wait_for(lambda_, "function_active_v2", FunctionName=f"bench-fn-{n}")
    for start in range(0, records, 25):
        batch = [
            {"PutRequest": {"Item": {"pk": {"S": f"mover-{n % 30}"}, "x": {"N": str(n)}}}}
            for n in range(start, min(records, start + 25))
        ]
        ddb.batch_write_item(RequestItems={"bench-0": batch})
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/bench")
    logs.create_log_stream(logGroupName="/aws/lambda/bench", logStreamName="s")
    now = int(time.time() * 1000)
    for start in range(0, log_events, 10_000):
        events = [
            {"timestamp": now, "message": f"START RequestId: {n} Version: $LATEST"}
            for n in range(start, min(log_events, start + 10_000))
        ]
        logs.put_log_events(logGroupName="/aws/lambda/bench", logStreamName="s", logEvents=events)


def save(cloud: LocalCloud) -> str:
    assert cloud.state is not None and cloud.state.save_now()
    stats = cloud.state.last_save
    assert stats is not None
    return (
        f"lock held {stats.lock_ms:7.1f} ms, save {stats.total_ms:7.1f} ms, "
        f"{stats.bytes_written / 1024:8.0f} KiB written"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--functions", type=int, default=50)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--log-events", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-state-")) / "state"
    with running_cloud(state_dir=str(folder), save_interval=3600) as cloud:
        build(cloud, args.items, args.functions, args.records, args.log_events)
        print(
            f"{args.items} items in {TABLES} tables, {args.functions} functions, "
            f"{args.records} stream records, {args.log_events} log events"
        )
        print(f"first save (all new):          {save(cloud)}")
        cloud.client("dynamodb").put_item(
            TableName="bench-0", Item={"pk": {"S": "mover-1"}, "x": {"N": "1"}}
        )
        print(f"next save (one UpdateItem):    {save(cloud)}")
        print(f"unchanged graph, no new rows:  {save(cloud)}")
    started = time.perf_counter()
    with running_cloud(state_dir=str(folder), save_interval=3600) as restarted:
        restore_s = time.perf_counter() - started
        assert restarted.state is not None and restarted.state.restored is not None
        print(f"restore + start: {restore_s:.2f} s ({restarted.state.restored.describe()})")
    print(f"folder: {sum(p.stat().st_size for p in folder.rglob('*')) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
