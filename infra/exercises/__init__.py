"""Exercises: stubs built from solutions, and checks that grade them.

The convention (what `workshop exercises build` and `workshop check` rely on):

- `solutions/` is the source of truth. It holds the exercise notebooks and the Lambda `.py`
  files some exercises ask learners to edit (e.g. `solutions/lambdas/chat/default.py`).
  `exercises/` is generated from it by `workshop exercises build`; never edit it by hand.
- The answer of an exercise sits between two marker lines, as in nbgrader::

      ### BEGIN SOLUTION
      ...
      ### END SOLUTION

  The build replaces each region with `# YOUR CODE HERE` and `raise NotImplementedError()`
  at the indentation of the BEGIN line (in code cells and `.py` files), or with
  `YOUR ANSWER HERE` in Markdown cells.
- A code cell tagged `exercise:<id>` (cell metadata "tags") holds the solution region.
  The cell right after it is tagged `check:<id>`: plain `assert`s, or calls to helpers
  that raise AssertionError, whose message says what is wrong and hints at the fix.
- An exercise in a `.py` file has no `exercise:` cell of its own (or one that only deploys
  the file): its region belongs to the exercise whose check cell names the file, and that
  check cell loads or deploys it. A stub raises NotImplementedError there.
- `<id>` is short, unique across the whole workshop (`chat-connect`, `arena-score`), and
  made of letters, digits, `-` and `_`. It is the column name in the grading table.

Grading (see `runner.py`): an exercise passes when neither its exercise cell nor its check
cell raised; it fails on an AssertionError or NotImplementedError; anything else, a dead
kernel or a timeout is an error (the notebook, not the answer, needs looking at).
"""
