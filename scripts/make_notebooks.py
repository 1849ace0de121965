"""Build notebooks/ and solutions/ from their jupytext sources in sources/, then exercises/.

    .venv/bin/python scripts/make_notebooks.py           # write what changed
    .venv/bin/python scripts/make_notebooks.py --check   # only say what differs (exit 1)

See `infra/build.py` for the source format.
"""

from __future__ import annotations

import sys

from infra.build import build_all, drift


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = drift()
        print("\n".join(problems) or "notebooks/, solutions/ and exercises/ match their sources")
        return 1 if problems else 0
    for path in build_all():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
