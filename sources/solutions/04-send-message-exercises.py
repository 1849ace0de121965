# %% [markdown]
# # Exercises 04 · `sendMessage` and `@connections`
#
# After lesson [04 · `sendMessage` and `@connections`](../notebooks/04-send-message.ipynb). Both
# answers go in the chat's Lambda code, [`lambdas/chat/`](lambdas/chat/) next to this notebook
# (its [README](lambdas/chat/README.md) lists every route and frame).
#
# **How these exercises work.** Look for `raise NotImplementedError()` under `# YOUR CODE HERE` in
# the file an exercise names, write your answer there, save the file and run the exercise's check:
# it deploys your `lambdas/chat/` as the chat app first, so it always tests what you saved. A check
# that passes prints nothing; one that fails says what is wrong and hints at the fix.
#
# > The chat's `$connect` calls `nickname` (exercise `chat-nickname` of
# > [02](02-connect-lambda-exercises.ipynb)): until it is done, nobody can connect.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · Prune connections that are gone `[chat-prune]` · 5 min
#
# **Why?** A client that vanished without a clean close (a laptop lid, a dead network) keeps its
# row in the table until `$disconnect` runs, and on AWS that can take a while. Posting to it fails
# with `GoneException` (HTTP 410). A broadcast must not stop there: everyone else should still get
# the message, and the stale row should go, so the next broadcast does not trip over it again.
#
# **What?** In [`lambdas/chat/common.py`](lambdas/chat/common.py), finish the `except` branch of
# `send(api, table, connection, frame)`:
#
# - if the error is a `GoneException` (`is_gone(error)` tells), delete the connection's row
#   (`table.delete_item(Key={"connectionId": connection})`) and return `False`;
# - any other error is a real problem: `raise` it again.
#
# The check puts a row for a connection that does not exist, broadcasts through `sendMessage`, and
# expects the message at a live client and the stale row gone.

# %% tags=["check:chat-prune"]
checks.check_chat_prune("lambdas/chat")

# %% tags=["hidden:chat-prune"]
checks.check_chat_prune("lambdas/chat", stale=3)

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
# `connections_named`, `send` and `send_to_all` (which returns how many received the frame).

# %% tags=["check:chat-whisper"]
checks.check_chat_whisper("lambdas/chat")

# %% tags=["hidden:chat-whisper"]
checks.check_chat_whisper("lambdas/chat", listeners=2)

# %% [markdown]
# ## Done?
#
# Next lesson: [05 · Live chat](../notebooks/05-live-chat.ipynb), where you whisper from a widget:
# `ChatClient(url, "ada").whisper("bob", "psst")`.
