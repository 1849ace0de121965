# %% [markdown]
# # Exercises 07 · Noughts and crosses
#
# After lesson [07 · Noughts and crosses](../notebooks/07-noughts-and-crosses.ipynb): rows that
# expire by themselves (here: invitations), and the rules of the game. The game's code is in
# [`lambdas/tictactoe/`](lambdas/tictactoe/) next to this notebook (see its
# [README](lambdas/tictactoe/README.md)).
#
# **How these exercises work.** Write your answer where a cell (or the file an exercise names) says
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError()` under it, then run the check right
# after it. A check answers in one line: ✓ when it passes, ✗ and what is wrong (with a hint) when it
# fails. Your instructor's grading also runs each check with names and cases you have not seen.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · Invitations that expire `[ttl-expire]` · 10 min
#
# **Why?** A player may invite a friend with a short code instead of a game id. An invitation
# nobody takes up should go away by itself: a row whose Time to Live attribute lies in the past is
# deleted by DynamoDB, for free. Time to Live reads a **Number** holding **epoch seconds**
# (`int(time.time()) + seconds`); a row without it, or with a string there, never expires.
#
# **What?** Write `invite(table_name, attribute, code, seconds)` for a table keyed by the string
# `code`:
#
# - make sure Time to Live is on for `attribute`. Switching it on when it is on already is an
#   error on AWS (`ValidationException`), and `invite` is called for every invitation, so call
#   `update_time_to_live` only when `describe_time_to_live` says the status is neither `ENABLED`
#   nor `ENABLING`;
# - put the row `{"code": code, attribute: <epoch seconds, seconds from now>}`;
# - return that expiry.
#
# The check makes a fresh table, invites twice (one invitation for an hour, one for 2 seconds),
# reads the setting and the rows back, and waits for the short one to vanish. (The local cloud
# sweeps every few seconds; AWS deletes expired rows within a few days, so code that cares still
# compares the attribute with the clock.)

# %% tags=["exercise:ttl-expire"]
import time

import boto3


def invite(table_name: str, attribute: str, code: str, seconds: int) -> int:
    """Store an invitation that DynamoDB deletes `seconds` from now; return its expiry."""
    ### BEGIN SOLUTION
    dynamodb = boto3.client("dynamodb")
    ttl = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    if ttl["TimeToLiveStatus"] not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
        )
    expiry = int(time.time()) + seconds
    boto3.resource("dynamodb").Table(table_name).put_item(Item={"code": code, attribute: expiry})
    return expiry
    ### END SOLUTION


# %% tags=["check:ttl-expire"]
checks.check_invite(invite, "myinvites", "expiresAt")

# %% tags=["hidden:ttl-expire"]
checks.check_invite(invite, checks.unique("invites"), "validUntil")

# %% [markdown]
# ## 2 · Is that move allowed? `[ttt-validate]` · 10 min
#
# **Why?** The `move` function must refuse illegal moves with a reason the player can read, and
# keeping the rules in a pure function (no AWS) makes them easy to test: this check just imports
# the file and calls it.
#
# **What?** Write `validate_move(board, turn, mark, row, col)` in
# [`lambdas/tictactoe/game.py`](lambdas/tictactoe/game.py). The board is 9 characters, row by row,
# `.` for an empty cell (`"X.O......"`); `turn` is whose turn it is, `mark` who is trying to play.
# Return the **first** reason that applies, in this order, or `None` for a legal move:
#
# | Situation | Reason |
# |---|---|
# | someone has a line, or the board is full (`winner(board)` is not `None`) | `"the game is over"` |
# | `mark` is not `turn` | `"it is not your turn"` |
# | `row` or `col` is not an `int` from 0 to 2 (`True` is not a number here; `is_cell_index` knows) | `"row and col must be whole numbers from 0 to 2"` |
# | the cell already holds a mark | `"that cell is taken"` |

# %% tags=["check:ttt-validate"]
checks.check_validate_move("lambdas/tictactoe/game.py")

# %% tags=["hidden:ttt-validate"]
checks.check_validate_move(
    "lambdas/tictactoe/game.py",
    [
        (("OOO.XX.X.", "X", "X", 2, 2), "the game is over", "O has the top row"),
        (("X...O....", "X", "X", 2, 0), None, "an empty cell on your turn is fine"),
        (("X...O....", "X", "X", 1, 1), "that cell is taken", "O sits in the middle"),
        (("X...O....", "X", "X", 1, None), "row and col must be whole numbers from 0 to 2", "None"),
        (("X...O....", "O", "X", 2, 2), "it is not your turn", "it is O's turn"),
    ],
)

# %% [markdown]
# ## Done?
#
# Play a game against yourself with two `TicTacToe` widgets (lesson 07) and try an illegal move.
# Next lesson: [08 · Server push](../notebooks/08-server-push.ipynb).
