# %% [markdown]
# # Exercises 06 · The pointer arena
#
# After lesson [06 · The pointer arena](../notebooks/06-pointer-arena.ipynb): the stream mapping
# that tells everybody, tuned, and a new action that only writes. The arena's code is in
# [`lambdas/arena/`](lambdas/arena/) next to this notebook, with a [README](lambdas/arena/README.md)
# of its routes and frames.
#
# **How these exercises work.** Write your answer where a cell (or the file an exercise names) says
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError()` under it, then run the check right
# after it (a check of a Lambda file deploys your `lambdas/arena/` first). A check answers in one
# line: ✓ when it passes, ✗ and what is wrong (with a hint) when it fails. Your instructor's grading
# also runs each check with names you have not seen: use the parameters, not the examples.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · A mapping tuned for a crowd `[stream-batch]` · 10 min
#
# **Why?** With the whole room in the arena, every move is a stream record, and by default Lambda
# invokes `arena-tableTriggers` as soon as records come: many small batches, each one a frame to
# everybody. Two settings of a mapping trade a little delay for fewer, fuller batches:
#
# | setting | what it does |
# |---|---|
# | `BatchSize` | at most this many records per invocation |
# | `MaximumBatchingWindowInSeconds` | wait up to this long for records to pile up before invoking (0: don't wait) |
#
# Both go to `create_event_source_mapping` (with `EventSourceArn`, `FunctionName`,
# `StartingPosition="LATEST"`, as in lesson 06) and to `update_event_source_mapping(UUID=...,
# ...)`, which changes a mapping in place (`StartingPosition` cannot be changed). A mapping is
# `Updating` for a moment after a change, as it is `Creating` after it is made.
#
# **What?** Write `tune_stream(table_name, function_name, batch_size, window_seconds)`: if a
# mapping from the table's stream to the function exists (`list_event_source_mappings`), change
# its two settings; otherwise create one, starting at `LATEST`. Either way wait until its `State`
# is `Enabled`, and return its `UUID`. The check builds a copy of the arena whose stream is mapped
# to nothing, calls your function twice (the second time a mapping exists), then sends three
# quick moves while another client watches: they must arrive together, in one frame.

# %% tags=["exercise:stream-batch"]
import time

import boto3


def tune_stream(table_name: str, function_name: str, batch_size: int, window_seconds: int) -> str:
    """Map the table's stream to the function with these batch settings; the mapping's UUID."""
    ### BEGIN SOLUTION
    lambda_ = boto3.client("lambda")
    table = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]
    settings = {"BatchSize": batch_size, "MaximumBatchingWindowInSeconds": window_seconds}
    found = lambda_.list_event_source_mappings(
        EventSourceArn=table["LatestStreamArn"], FunctionName=function_name
    )["EventSourceMappings"]
    if found:
        uuid = found[0]["UUID"]
        lambda_.update_event_source_mapping(UUID=uuid, **settings)
    else:
        uuid = lambda_.create_event_source_mapping(
            EventSourceArn=table["LatestStreamArn"],
            FunctionName=function_name,
            StartingPosition="LATEST",
            **settings,
        )["UUID"]
    while lambda_.get_event_source_mapping(UUID=uuid)["State"] != "Enabled":
        time.sleep(1)
    return uuid
    ### END SOLUTION


# %% tags=["check:stream-batch"]
checks.check_tune_stream(tune_stream, "myarena", 10, 1)

# %% tags=["hidden:stream-batch"]
checks.check_tune_stream(tune_stream, checks.unique("arena"), 25, 2)

# %% [markdown]
# ## 2 · Change your pointer's colour `[arena-color]` · 10 min
#
# **Why?** The arena's route functions never post to anyone: they only write to the table, and the
# stream tells everybody what changed. A new action is then just a new write. Here: letting a
# player pick their colour.
#
# **What?** Write `on_color(event, table)` in [`lambdas/arena/on_color.py`](lambdas/arena/on_color.py).
# The client sends
#
# ```json
# {"action": "color", "color": "#00FF00"}
# ```
#
# - if `color` is not a string like `#rrggbb` (`HEX_COLOR.fullmatch`), return
#   `common.error(400, 'color must look like "#rrggbb"')`;
# - otherwise store it **in lower case** on the caller's row with
#   `common.update_connection(table, connection_id, {"color": ...})`; that returns `False` when the
#   connection has no row (any more): then return `common.error(404, "unknown connection")`;
# - else return `{"statusCode": 200}`.
#
# The stream does the rest: every client receives
# `{"type": "changes", "changes": [{"kind": "move", "id": …, "color": "#00ff00", …}]}`.
# The check deploys your `lambdas/arena/`, paints one pointer and watches from another client.

# %% tags=["check:arena-color"]
checks.check_arena_color("lambdas/arena")

# %% tags=["hidden:arena-color"]
checks.check_arena_color("lambdas/arena", "#c0ffee", refused=("#C0FFEE0", "", None, "#12 45 6"))

# %% [markdown]
# ## Done?
#
# Join your arena with two `Arena` widgets (lesson 06) and call `set_color("#1e90ff")` on one.
# Next lesson: [07 · Noughts and crosses](../notebooks/07-noughts-and-crosses.ipynb).
