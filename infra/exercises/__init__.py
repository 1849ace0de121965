"""Exercises: stubs built from solutions, and checks that grade them.

The convention (what `workshop exercises build` and `workshop check` rely on):

- `solutions/` is the source of truth for the exercises (built from `sources/solutions/*.py`,
  see `infra/build.py`). It holds one exercise notebook per lesson and, through the
  `solutions/lambdas` link, the finished apps whose Lambda files some exercises ask learners to
  edit (e.g. `lambdas/chat/default.py`). `exercises/` is generated from it by
  `workshop exercises build`; never edit it by hand.
- The answer of an exercise sits between two marker lines, as in nbgrader::

      ### BEGIN SOLUTION
      ...
      ### END SOLUTION

  The build replaces each region with `# YOUR CODE HERE` and `raise NotImplementedError()`
  at the indentation of the BEGIN line (in code cells and `.py` files), with a
  `# YOUR CODE HERE` comment only in `.yaml` templates (so the stub still deploys), or with
  `YOUR ANSWER HERE` in Markdown cells.
- A code cell tagged `exercise:<id>` (cell metadata "tags") holds the solution region.
  The cell right after it is tagged `check:<id>`: calls to the checks in `checks/`, which raise
  AssertionError whose message says what is wrong and hints at the fix. Right after the check
  comes its hidden variant, tagged `hidden:<id>`: the same check with names the learner never
  sees. The build leaves hidden cells out of `exercises/`.
- An exercise in a `.py` file (or a template) has no `exercise:` cell of its own: its region
  belongs to the exercise whose check cell names the file, and that check deploys or loads it
  (a template's, the stack the learner deployed from it). A stub raises NotImplementedError
  there; a template's stub deploys, without what the exercise asks for.
- `<id>` is short, unique across the whole workshop (`table-create`, `chat-nickname`), and
  made of letters, digits, `-` and `_`. It is the column name in the grading table.

Grading (see `check.py`, `reference.py` and `runner.py`): every notebook runs with the kit's own
check and hidden cells in place of the learner's copy. An exercise passes when its exercise cell,
its check and its hidden variant all ran without raising; it fails on an AssertionError or
NotImplementedError (in the hidden variant: "hidden variant: ..."); anything else, a dead kernel
or a timeout is an error (the notebook, not the answer, needs looking at).
"""

# The grader imports nbformat, and so jsonschema: keep its IRI grammars out (1 s of CPU for
# `workshop check` and for each notebook's sandbox).
from infra import slim  # noqa: E402, F401
