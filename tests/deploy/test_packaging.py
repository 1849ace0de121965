"""package_lambda: deterministic zips of an app folder."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from infra.deploy import code_sha256, package_lambda
from infra.deploy.packaging import MissingHandlerModule, check_handlers


def names(zip_bytes: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    app = tmp_path / "myapp"
    (app / "__pycache__").mkdir(parents=True)
    (app / "tests").mkdir()
    (app / "lib").mkdir()
    (app / "handler.py").write_text("def lambda_handler(event, context):\n    return 1\n")
    (app / "lib" / "util.py").write_text("X = 1\n")
    (app / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0")
    (app / "tests" / "test_handler.py").write_text("")
    (app / "test_local.py").write_text("")
    (app / ".hidden").write_text("")
    return app


def test_same_code_gives_same_bytes(folder: Path) -> None:
    """Packaging unchanged code twice gives identical bytes."""
    assert package_lambda(folder) == package_lambda(folder)


def test_file_times_do_not_matter(folder: Path) -> None:
    """Touching a file without changing it leaves the zip unchanged."""
    before = package_lambda(folder)
    os.utime(folder / "handler.py", (0, 0))
    assert package_lambda(folder) == before


def test_changed_code_changes_the_digest(folder: Path) -> None:
    """Editing a handler changes the CodeSha256 Lambda will see."""
    before = code_sha256(package_lambda(folder))
    (folder / "handler.py").write_text("def lambda_handler(event, context):\n    return 2\n")
    assert code_sha256(package_lambda(folder)) != before


def test_folder_is_the_zip_root_and_entries_are_sorted(folder: Path) -> None:
    """Handlers sit at the zip root, entries sorted, caches/tests/hidden files left out."""
    assert names(package_lambda(folder)) == ["handler.py", "lib/util.py"]


def test_entries_have_a_fixed_timestamp(folder: Path) -> None:
    """Every entry carries the same fixed date."""
    infos = zipfile.ZipFile(io.BytesIO(package_lambda(folder))).infolist()
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_app_name_packages_the_lambdas_folder() -> None:
    """A bare app name packages lambdas/<app>/ with its modules at the root."""
    assert "connect.py" in names(package_lambda("chat"))


def test_unknown_app_is_an_error() -> None:
    """A name with no lambdas/<name>/ folder raises FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        package_lambda("no-such-app")


def test_code_sha256_is_base64_of_sha256() -> None:
    """code_sha256 matches Lambda's CodeSha256 format."""
    assert code_sha256(b"") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_check_handlers_names_the_missing_module(tmp_path: Path) -> None:
    """A handler whose module is not in the zip is refused, naming the file and who needs it."""
    (tmp_path / "connect.py").write_text("def lambda_handler(event, context): pass\n")
    code = package_lambda(tmp_path)
    check_handlers(code, {"the $connect route": "connect.lambda_handler"}, tmp_path)
    with pytest.raises(MissingHandlerModule) as refused:
        check_handlers(code, {"the sendMessage route": "send_message.lambda_handler"}, tmp_path)
    message = str(refused.value)
    assert "send_message.py" in message and "the sendMessage route" in message
    assert "\n" not in message


def test_check_handlers_takes_a_package_for_a_module(tmp_path: Path) -> None:
    """A handler in a package (pkg/__init__.py) or a module in a subfolder is found."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "app.py").write_text("")
    code = package_lambda(tmp_path)
    check_handlers(code, {"a": "pkg.handler", "b": "pkg.app.handler"}, tmp_path)


def test_check_handlers_finds_a_node_module_by_its_path(tmp_path: Path) -> None:
    """A Node.js handler names a file path; .js, .mjs and .cjs are found, a missing one named."""
    (tmp_path / "sendmessage").mkdir()
    (tmp_path / "sendmessage" / "app.mjs").write_text("export const handler = async () => {};\n")
    (tmp_path / "index.cjs").write_text("exports.handler = async () => {};\n")
    code = package_lambda(tmp_path)
    handlers = {"a": "sendmessage/app.handler", "b": "index.handler"}
    check_handlers(code, handlers, tmp_path, "nodejs22.x")
    with pytest.raises(MissingHandlerModule, match=r"onconnect/app\.js"):
        check_handlers(
            code, {"the $connect route": "onconnect/app.handler"}, tmp_path, "nodejs22.x"
        )


def test_check_handlers_leaves_a_custom_runtimes_handler_to_its_bootstrap(tmp_path: Path) -> None:
    """On provided.al2023 the Handler means what the bootstrap says: nothing is checked."""
    (tmp_path / "bootstrap").write_text("#!/bin/sh\n")
    check_handlers(package_lambda(tmp_path), {"a": "function.handler"}, tmp_path, "provided.al2023")
