# %% [markdown]
# # Exercises 06 · The pointer arena
#
# After lesson [06 · The pointer arena](../notebooks/06-pointer-arena.ipynb): the stream mapping
# that tells everybody, and a new action that only writes. The arena's code is in
# [`lambdas/arena/`](lambdas/arena/) next to this notebook, with a [README](lambdas/arena/README.md)
# of its routes and frames.
#
# **How these exercises work.** Write your answer where a cell (or the file an exercise names) says
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError()` under it, then run the check right
# after it (a check of a Lambda file deploys your `lambdas/arena/` first). A check that passes
# prints nothing; one that fails says what is wrong and hints at the fix. Your instructor's grading
# also runs each check with names you have not seen: use the parameters, not the examples.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · Map a table's stream to a function `[stream-map]` · 5 min
#
# **Why?** In the arena, `move` only writes a row; the table's **stream** records the change, and
# Lambda reads the stream in batches and invokes `arena-tableTriggers`, which tells everybody. The
# mapping between the two is an **event source mapping**.
#
# **What?** Write `map_stream(table_name, function_name)`: find the table's stream
# (`describe_table(...)["Table"]["LatestStreamArn"]`), `create_event_source_mapping` from it to the
# function starting at `LATEST`, wait until the mapping's `State` (`get_event_source_mapping`) is
# `Enabled`, and return its `UUID`. The check builds a copy of the arena whose stream is mapped to
# nothing, runs your function, and moves a pointer while another client watches.

# %% tags=["exercise:stream-map"]
import time

import boto3


def map_stream(table_name: str, function_name: str) -> str:
    """Invoke `function_name` with the changes of the table's stream; the mapping's UUID."""
    ### BEGIN SOLUTION
    lambda_ = boto3.client("lambda")
    stream = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"][
        "LatestStreamArn"
    ]
    mapping = lambda_.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function_name, StartingPosition="LATEST"
    )
    while lambda_.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Enabled":
        time.sleep(1)
    return mapping["UUID"]
    ### END SOLUTION


# %% tags=["check:stream-map"]
checks.check_map_stream(map_stream, "myarena")

# %% tags=["hidden:stream-map"]
checks.check_map_stream(map_stream, checks.unique("arena"))

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
