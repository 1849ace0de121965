# %% [markdown]
# # Exercises 05 · Live chat
#
# After lesson [05 · Live chat](../notebooks/05-live-chat.ipynb). The answer goes in the chat's
# Lambda code, [`lambdas/chat/`](lambdas/chat/) next to this notebook.
#
# **How these exercises work.** Look for `raise NotImplementedError()` under `# YOUR CODE HERE` in
# the file the exercise names, write your answer there, save the file and run the check: it
# deploys your `lambdas/chat/` first. A check that passes prints nothing; one that fails says what
# is wrong and hints at the fix.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · `$default` replies with help `[chat-default]` · 5 min
#
# **Why?** A frame whose `action` matches no route (`{"action": "dance"}`, or plain text) goes to
# the `$default` route. Silence would leave the user guessing; a short help text tells them what
# the chat understands.
#
# **What?** Write `on_default(event)` in [`lambdas/chat/default.py`](lambdas/chat/default.py).
# It posts nothing through `@connections`: the `$default` route has a **route response**
# (lesson 06), so whatever the function returns as `body` goes straight back to the sender.
# Return status 200 and the `HELP` frame (defined at the top of the file) as a JSON string:
#
# ```json
# {"type": "help", "text": "Send {\"action\": \"sendMessage\", \"data\": \"...\"} to talk to everyone, ..."}
# ```

# %% tags=["check:chat-default"]
checks.check_chat_default("lambdas/chat")

# %% tags=["hidden:chat-default"]
checks.check_chat_default("lambdas/chat", "hello? is this thing on")

# %% [markdown]
# ## Done?
#
# Open a `ChatClient` (lesson 05) on your chat and type something the chat does not understand.
# Next lesson: [06 · The pointer arena](../notebooks/06-pointer-arena.ipynb).
