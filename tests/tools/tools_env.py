"""The SAM CLI and the AWS CLI in an environment of their own (`.venv-sam/`, git-ignored).

Their pins of boto3 and botocore clash with the kit's, so they never share its venv. `make test`
installs them once (the Makefile's `.venv-sam/.installed`); a plain pytest run installs them
here the first time, and both reuse them while `requirements.txt` is unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("requirements.txt")
ENV = ROOT / ".venv-sam"
MARKER = ENV / ".installed"  # the Makefile touches the same file


def tools_bin() -> Path:
    """The folder of `sam` and `aws`, installed first when missing or out of date."""
    if not MARKER.exists() or MARKER.stat().st_mtime < REQUIREMENTS.stat().st_mtime:
        venv.EnvBuilder(with_pip=True).create(ENV)
        subprocess.run(
            [
                str(ENV / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "-r",
                str(REQUIREMENTS),
            ],
            check=True,
        )
        MARKER.touch()
    return ENV / "bin"


def tool_environment(cloud_env: dict[str, str], home: Path) -> dict[str, str]:
    """The tools' environment: pointed at the local cloud, with no config of the machine's
    own, no telemetry, and nothing but loopback to talk to (the SAM CLI's weekly look for a
    newer version on PyPI is marked as done)."""
    sam_dir = home / "aws-sam"
    sam_dir.mkdir(parents=True, exist_ok=True)
    (sam_dir / "metadata.json").write_text(
        json.dumps({"telemetryEnabled": False, "lastVersionCheck": time.time()})
    )
    return {
        "PATH": f"{ENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "SAM_CLI_TELEMETRY": "0",
        "__SAM_CLI_APP_DIR": str(sam_dir),
        "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONIOENCODING": "utf-8",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        **cloud_env,
    }


if __name__ == "__main__":  # `python -m tests.tools.tools_env`: install, print where
    print(tools_bin(), file=sys.stdout)
