# %% [markdown]
# # Exercises 04 · `sendMessage` and `@connections`
#
# After lesson [04 · `sendMessage` and `@connections`](../notebooks/04-send-message.ipynb), where
# you wrote `send`, the broadcast's post with pruning. Now you send to *some* connections. Both
# answers go in the chat's Lambda code, [`lambdas/chat/`](lambdas/chat/) next to this notebook
# (its [README](lambdas/chat/README.md) lists every route and frame).
#
# **How these exercises work.** Look for `raise NotImplementedError()` under `# YOUR CODE HERE` in
# the file an exercise names, write your answer there, save the file and run the exercise's check:
# it deploys your `lambdas/chat/` as the chat app first (`chat-named` imports your `common.py`),
# so it always tests what you saved. It answers in one line: ✓ and what passed, or ✗ and what is
# wrong, with a hint at the fix.
#
# > The chat's `$connect` calls `nickname` (exercise `chat-nickname` of
# > [02](02-connect-lambda-exercises.ipynb)): until it is done, nobody can connect.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · Find connections by nickname `[chat-named]` · 5 min
#
# **Why?** The lesson's broadcast posts to *every* row. A whisper (exercise 2) needs only *some*:
# the connections whose nickname is `bob`. The table's key is `connectionId`, so DynamoDB cannot
# look a name up directly: a **scan** with a **filter** reads every row and keeps the matching
# ones. Two traps: a filter does not make the scan read less (it pages through the whole table,
# 1 MB per page), so a result can span several pages, some of them empty; and "bob" must not
# match "bobby" or "BOB".
#
# **What?** In [`lambdas/chat/common.py`](lambdas/chat/common.py), write
# `connections_named(table, name)`: return the list of `connectionId`s of the rows whose `name`
# is exactly `name` (any order).
#
# - `table.scan(FilterExpression=Attr("name").eq(name))` filters on DynamoDB's side (`Attr` is
#   imported at the top of the file);
# - a page that ends with a `LastEvaluatedKey` is not the last: ask again with
#   `ExclusiveStartKey=` that key. `scan_connections(table, **scan_options)`, just above in the
#   file, already follows the pages and passes your options on.
#
# The check puts rows named `bob-…`, `bob-…by`, `BOB-…` and `xbob-…` in the table and calls your
# function.

# %% tags=["check:chat-named"]
checks.check_chat_named("lambdas/chat")

# %% tags=["hidden:chat-named"]
checks.check_chat_named("lambdas/chat", matches=3, page_size=1)

# %% [markdown]
# ## 2 · Whisper to one person `[chat-whisper]` · 10 min
#
# **Why?** Not everything is for the whole room. A `whisper` route shows how to look up *some*
# connections (by nickname) instead of all of them.
#
# **What?** Write `on_whisper(event, table, api)` in
# [`lambdas/chat/whisper.py`](lambdas/chat/whisper.py). The client sends
#
# ```json
# {"action": "whisper", "to": "bob", "data": "psst"}
# ```
#
# - post `{"type": "whisper", "from": <the sender's name>, "text": "psst"}` to every connection
#   whose nickname is `to`, and to no one else;
# - if nobody has that name, post `{"type": "error", "text": "no one called bob"}` back to the
#   sender;
# - return `{"statusCode": 200}`.
#
# `common.py` has what you need: `connection_id`, `message_body`, `message_text`, `name_of`,
# your `connections_named` (do exercise 1 first: the whisper needs it), `send` and `send_to_all`
# (which returns how many received the frame). The lesson's broadcast, `on_send_message` in
# [`lambdas/chat/send_message.py`](lambdas/chat/send_message.py), is a good model.

# %% tags=["check:chat-whisper"]
checks.check_chat_whisper("lambdas/chat")

# %% tags=["hidden:chat-whisper"]
checks.check_chat_whisper("lambdas/chat", listeners=2)

# %% [markdown]
# ## Done?
#
# Next lesson: [05 · Live chat](../notebooks/05-live-chat.ipynb), where you whisper from a widget:
# `ChatClient(url, "ada").whisper("bob", "psst")`.
