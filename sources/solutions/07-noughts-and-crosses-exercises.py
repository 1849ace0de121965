# %% [markdown]
# # Exercises 07 · Noughts and crosses
#
# After lesson [07 · Noughts and crosses](../notebooks/07-noughts-and-crosses.ipynb): rows that
# expire by themselves, and the rules of the game. The game's code is in
# [`lambdas/tictactoe/`](lambdas/tictactoe/) next to this notebook (see its
# [README](lambdas/tictactoe/README.md)).
#
# **How these exercises work.** Write your answer where a cell (or the file an exercise names) says
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError()` under it, then run the check right
# after it. A check that passes prints nothing; one that fails says what is wrong and hints at the
# fix. Your instructor's grading also runs each check with names and cases you have not seen.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · Rows that expire `[ttl-enable]` · 5 min
#
# **Why?** Abandoned games would pile up forever. With **Time to Live** on an attribute, DynamoDB
# deletes each row whose attribute (epoch seconds) lies in the past, by itself and for free.
#
# **What?** Write `enable_ttl(table_name, attribute)`: switch Time to Live on for `attribute`
# (`update_time_to_live`). The check makes a fresh table, runs your function, reads the setting
# back, and puts one expired and one current row: the expired one must vanish. (The local cloud
# sweeps every few seconds; AWS deletes expired rows within a few days, so code must still compare
# the attribute with the clock.)

# %% tags=["exercise:ttl-enable"]
import boto3


def enable_ttl(table_name: str, attribute: str) -> None:
    """Let DynamoDB delete the table's rows once their `attribute` (epoch seconds) has passed."""
    ### BEGIN SOLUTION
    boto3.client("dynamodb").update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
    )
    ### END SOLUTION


# %% tags=["check:ttl-enable"]
checks.check_enable_ttl(enable_ttl, "mygames", "ttl")

# %% tags=["hidden:ttl-enable"]
checks.check_enable_ttl(enable_ttl, checks.unique("games"), "expiresAt")

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
