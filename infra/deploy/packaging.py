"""Step: package an app folder as a Lambda deployment zip."""

from __future__ import annotations

import hashlib
import io
import zipfile
from base64 import b64encode
from pathlib import Path

# A fixed timestamp makes the zip (and so Lambda's CodeSha256) depend on file contents only.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
SKIPPED_DIRS = {"__pycache__", "tests", ".ipynb_checkpoints", ".pytest_cache"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}


class PackagingError(ValueError):
    """A Lambda folder that cannot make the functions asked of it; says what to do, in a line."""


class NoLambdaFolder(PackagingError, FileNotFoundError):
    """There is no folder to package."""


class MissingHandlerModule(PackagingError):
    """The zip lacks the module a function's Handler names (Lambda would fail every invoke)."""


def app_folder(app: str | Path) -> Path:
    """The folder to package: ``lambdas/<app>`` for a bare app name, else the given folder path."""
    if isinstance(app, Path) or "/" in app or "\\" in app:
        folder = Path(app)
    else:
        import lambdas

        folder = Path(lambdas.__file__).parent / app
    if not folder.is_dir():
        raise NoLambdaFolder(f"no Lambda folder for {app!r} (looked in {folder})")
    return folder


def check_handlers(
    zip_bytes: bytes, handlers: dict[str, str], folder: str | Path, runtime: str = "python3.12"
) -> None:
    """MissingHandlerModule unless the zip holds the module of every handler.

    `handlers` maps what runs it (a route key, "the stream") to a Handler string such as
    `send_message.lambda_handler` (Python) or `sendmessage/app.handler` (Node.js). Lambda itself
    accepts such a zip and then fails every invoke with Runtime.ImportModuleError; saying so at
    deploy time names the missing file. A custom runtime's Handler means what its bootstrap says.
    """
    if runtime.startswith("provided"):
        return
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        names = set(archive.namelist())
    for role, handler in handlers.items():
        if runtime.startswith("nodejs"):
            module = handler.rpartition(".")[0]  # a path: "dir/file"
            files = [f"{module}{suffix}" for suffix in (".js", ".mjs", ".cjs")]
        else:
            module = handler.rpartition(".")[0].replace(".", "/")
            files = [f"{module}.py", f"{module}/__init__.py"]
        if not names.intersection(files):
            raise MissingHandlerModule(
                f"{folder} has no {files[0]}, which {role}'s handler {handler} needs:"
                f" put that file back (the kit's copy is in lambdas/), or change the Handler"
            )


def package_lambda(app: str | Path) -> bytes:
    """Zip ``lambdas/<app>/`` (or a folder path) with the folder as the zip root.

    The zip is deterministic: sorted entries, fixed timestamps and permissions, and no caches or
    tests, so packaging unchanged code twice gives the same bytes and Lambda sees no change.
    """
    folder = app_folder(app)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(folder):
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), FIXED_DATE)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()


def code_sha256(zip_bytes: bytes) -> str:
    """The zip's digest as Lambda reports it in ``CodeSha256`` (base64 of the SHA-256)."""
    return b64encode(hashlib.sha256(zip_bytes).digest()).decode()


def _files(folder: Path) -> list[Path]:
    """The files to ship, sorted by their path inside the zip."""
    files = [
        path
        for path in folder.rglob("*")
        if path.is_file() and not _skipped(path.relative_to(folder))
    ]
    return sorted(files, key=lambda path: path.relative_to(folder).as_posix())


def _skipped(relative: Path) -> bool:
    """True for caches, tests and hidden files."""
    if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts):
        return True
    name = relative.name
    return relative.suffix in SKIPPED_SUFFIXES or (
        name.startswith("test_") and name.endswith(".py")
    )
