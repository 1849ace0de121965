# %% [markdown]
# # Exercises 05 · Live chat
#
# After lesson [05 · Live chat](../notebooks/05-live-chat.ipynb). The answer goes in the chat's
# Lambda code, [`lambdas/chat/`](lambdas/chat/) next to this notebook.
#
# **How these exercises work.** Look for `raise NotImplementedError()` under `# YOUR CODE HERE` in
# the file the exercise names, write your answer there, save the file and run the check: it
# deploys your `lambdas/chat/` first. It answers in one line: ✓ and what passed, or ✗ and what is
# wrong, with a hint at the fix.
#
# > The chat's `$connect` calls `nickname` (exercise `chat-nickname` of
# > [02](02-connect-lambda-exercises.ipynb)): until it is done, nobody can connect.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · Who is here? `[chat-who]` · 5 min
#
# **Why?** In the lesson, `$default` answered every unknown frame with the same help text. But
# `$default` sees the frame: it can answer *commands* that need no route of their own. A newcomer
# wants to know who is in the room before whispering to anyone.
#
# **What?** `on_default` in [`lambdas/chat/default.py`](lambdas/chat/default.py) already sends
# `who_is_online(table)` back for `{"action": "who"}` (through the route response, as the
# lesson's help), and the help frame for anything else. Write `who_is_online(table)`: return
#
# ```json
# {"type": "who", "names": ["ada", "bob"]}
# ```
#
# with the nickname of every connection in the table, **each once** (two people may both be
# `bob`) and in alphabetical order. `common.scan_connections(table)` gives every row, page after
# page (rows are dicts with `connectionId` and `name`).
#
# The check connects a few clients with new names, sends `{"action": "who"}` and reads the reply;
# then it makes sure `{"action": "dance"}` still gets the help text.

# %% tags=["check:chat-who"]
checks.check_chat_who("lambdas/chat")

# %% tags=["hidden:chat-who"]
checks.check_chat_who("lambdas/chat", same_name=2)

# %% [markdown]
# ## Done?
#
# Send `{"action": "who"}` from a `lessons.WsCat` client (lesson 05) on your chat, with a
# `ChatClient` or two open under other names.
# Next lesson: [06 · The pointer arena](../notebooks/06-pointer-arena.ipynb).
