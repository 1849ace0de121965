"""`workshop`: the kit's command line.

workshop up                 the local cloud and JupyterLab on your copy of the lessons and
                            exercises (my-work/, made on the first start, never overwritten)
workshop up --aws           JupyterLab on a real AWS account (no local cloud)
workshop cloud              the local cloud alone, in the foreground
                            (both keep their state in .workshop-state/: --state DIR elsewhere,
                            --fresh to start empty, --no-state to keep nothing; --timing aws
                            for AWS's typical waits, --timing instant for none)
workshop deploy APP         stand a finished app up wherever AWS_ENDPOINT_URL points
                            (--template: as the CloudFormation stack APP, from lambdas/APP/template.yaml)
workshop teardown APP       remove everything tagged with that app (--template: delete the stack)
workshop logs FUNCTION      a function's CloudWatch logs (--follow to keep watching)
workshop fire NAME          run a schedule's (or a rule's) targets now instead of waiting
workshop exercises build    rebuild notebooks/, solutions/ and exercises/ from sources/
workshop check PATH...      grade learners' exercise notebooks
workshop doctor             check this machine is ready for the workshop (exit status 0 or 1)
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from infra.session import DEFAULT_REGION, LOCAL_KEYS

if TYPE_CHECKING:
    from infra.local.cloud import LocalCloud

DEFAULT_PORT = 4599
APPS = ("chat", "arena", "tictactoe", "push")
CLOUD_COMMANDS = ("deploy", "teardown", "logs", "fire")  # boto3 calls wherever it points
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE = PROJECT_ROOT / ".workshop-state"  # git-ignored


class UsageError(Exception):
    """Bad input to a command: shown as one line that says what to do, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with its complaints in one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _lan_address() -> str:
    """This machine's address on the LAN, to tell a room where to connect."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent by a UDP connect
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def _room_key() -> tuple[str, str]:
    """A fresh access key pair that other machines must sign the room cloud's AWS calls with."""
    import secrets
    import string

    alphabet = string.ascii_uppercase + "234567"
    key_id = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    return key_id, secrets.token_urlsafe(30)[:40]


def _cloud_options(args: argparse.Namespace) -> dict[str, Any]:
    """LocalCloud settings from `workshop cloud` / `workshop up` flags."""
    options: dict[str, Any] = {"host": args.host, "port": args.port, "iam": not args.no_iam}
    options["keep_heap"] = True  # this process is the cloud's (and JupyterLab runs apart)
    options.update(_state_settings(args))
    options["timing"] = _timing_mode(args)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        options["room_key"] = _room_key()  # listening beyond loopback: lock the AWS APIs
    return options


def _timing_mode(args: argparse.Namespace) -> str:
    """The timing mode's name: --timing, else WORKSHOP_TIMING, else default (checked here, so a
    bad WORKSHOP_TIMING is one line before anything starts)."""
    from infra.local.timing import ENVIRONMENT, UnknownTiming, timing_named

    name = (args.timing or os.environ.get(ENVIRONMENT) or "default").strip().lower()
    try:
        timing_named(name)
    except UnknownTiming as error:
        raise UsageError(f"WORKSHOP_TIMING: {error}") from None  # --timing has its choices
    return name


def _print_environment(
    url: str, region: str, public_host: str | None, room_key: tuple[str, str] | None = None
) -> None:
    print(f"Local cloud listening on {url}")
    if public_host:
        port = url.rsplit(":", 1)[1]
        keys = (
            f"AWS_ACCESS_KEY_ID={room_key[0]} AWS_SECRET_ACCESS_KEY={room_key[1]} "
            if room_key
            else ""
        )
        print(f"On the LAN at http://{public_host}:{port}. Host the room's apps with")
        print(f"  {keys}AWS_ENDPOINT_URL=http://{public_host}:{port} workshop deploy arena")
        print("and put the URL it prints last on the screen.")
    if room_key:
        print("Other machines can use the stages' WebSocket URLs; their AWS API calls must be")
        print(f"signed with the room's key: AWS_ACCESS_KEY_ID={room_key[0]}")
        print(f"                            AWS_SECRET_ACCESS_KEY={room_key[1]}")
    print("Point boto3 at it with:")
    print(f"  export AWS_ENDPOINT_URL={url}")
    print("  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
    print(f"  export AWS_DEFAULT_REGION={region}")
    sys.stdout.flush()


def _state_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The state folder options of `workshop cloud` and `workshop up`, as cloud settings."""
    if args.no_state:
        return {"state_dir": None}
    return {"state_dir": str(args.state), "fresh_state": args.fresh}


def _print_timing(mode: str) -> None:
    """One line on how long resources take to settle (`--timing`)."""
    if mode == "instant":
        print("Timing: instant (nothing waits; on AWS tables, functions and roles take time).")
    else:
        print(
            f"Timing: {mode} (tables, functions, roles and mappings take time as on AWS: wait"
            " for them; --timing instant for none)."
        )


def _print_state(cloud: LocalCloud) -> None:
    """One line on where the state is kept and what a start found there."""
    state = cloud.state
    if state is None:
        print("State: kept in memory only (--no-state); a restart starts empty.")
    elif state.restored is not None:
        print(f"State: restored from {state.path} ({state.restored.describe()}).")
    elif state.set_aside_to is not None:
        print(
            f"State: starting empty in {state.path}; the previous state is in {state.set_aside_to}."
        )
    else:
        print(f"State: starting empty; saved in {state.path} as it changes.")


def cmd_cloud(args: argparse.Namespace) -> int:
    from infra.local.cloud import LocalCloud

    cloud = LocalCloud(**_cloud_options(args))
    public = _lan_address() if args.host in ("0.0.0.0", "::") else None

    def ready(running: LocalCloud) -> None:
        signal.signal(signal.SIGTERM, lambda *_: running.stop())  # `kill PID` stops it cleanly
        _print_environment(running.url, running.region, public, running.settings.room_key)
        _print_state(running)
        _print_timing(_timing_mode(args))
        print("Ctrl-C stops it.", flush=True)

    try:
        cloud.serve_forever(on_ready=ready)
    except OSError as error:
        raise _port_problem(error, args) from None
    return 0


def _port_problem(error: BaseException, args: argparse.Namespace) -> BaseException:
    """A port already taken, said as what to do about it; any other error as it was."""
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return UsageError(
            f"port {args.port} on {args.host} is in use (another workshop cloud?): stop that,"
            f" or choose a free port with --port {args.port + 1}"
        )
    return error


def cmd_up(args: argparse.Namespace) -> int:
    """JupyterLab on the kit, with a local cloud in this process, joining a room's cloud, or
    on a real AWS account.

    With --aws (or WORKSHOP_TARGET=aws) no cloud is started and JupyterLab gets no endpoint
    and no keys: boto3 finds the learner's own credentials. With AWS_ENDPOINT_URL already set
    (a learner in an instructor's room), JupyterLab uses that cloud and none is started here.
    """
    from infra.labfiles import OWN_COPY, make_own_copy
    from infra.labsettings import install_lab_overrides
    from infra.local.cloud import LocalCloud
    from infra.local.timing import ENVIRONMENT
    from infra.session import use_cloud

    try:
        install_lab_overrides()
    except OSError as error:  # a read-only environment: widgets may not receive clicks
        print(f"warning: could not install the kit's JupyterLab settings ({error})")
    try:
        print("\n".join(make_own_copy().describe()))
    except OSError as error:  # a read-only checkout: the lessons still open, edits are not kept
        print(f"warning: could not make your copy of the lessons in {OWN_COPY}/ ({error})")
    cloud = None
    if args.aws or os.environ.get("WORKSHOP_TARGET") == "aws":
        env = aws_lab_environment()
    elif os.environ.get("AWS_ENDPOINT_URL"):
        print(f"Joining the cloud at {os.environ['AWS_ENDPOINT_URL']}")
        use_cloud(quiet=True)  # fails early, with a clear message, when nothing answers
        env = dict(os.environ)
    else:
        try:
            cloud = LocalCloud(**_cloud_options(args)).start()
        except (RuntimeError, OSError) as error:  # a port taken: found before or while binding
            raise _port_problem(error.__cause__ or error, args) from None
        public = _lan_address() if args.host in ("0.0.0.0", "::") else None
        _print_environment(cloud.url, cloud.region, public, cloud.settings.room_key)
        _print_state(cloud)
        _print_timing(_timing_mode(args))
        # Clouds that notebook kernels start (infra.session) take their time as this one does.
        env = {**os.environ, **cloud.env(), ENVIRONMENT: _timing_mode(args)}
    lab = lab_command(args)
    child = subprocess.Popen(lab, env=env)
    # `kill PID` stops it as Ctrl-C does: JupyterLab first, then the cloud (its $disconnects run).
    asked_to_stop = threading.Event()

    def on_sigterm(*_: object) -> None:
        asked_to_stop.set()
        child.terminate()

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    finally:
        if cloud is not None:
            cloud.stop()
    return 0 if asked_to_stop.is_set() else child.returncode or 0


def aws_lab_environment() -> dict[str, str]:
    """JupyterLab's environment on a real AWS account, once it has said which account it is.

    Nothing is sent to AWS here: lesson 00 is where the learner asks STS who they are.
    """
    import boto3

    from infra.session import aws_environment, describe_aws, environment

    env = aws_environment(os.environ)
    with environment(env):  # what boto3 in the kernels will see
        session = boto3.Session()
        try:
            lines = describe_aws(session)
        except LookupError as error:
            raise UsageError(str(error)) from None
        if session.region_name is None:
            env["AWS_DEFAULT_REGION"] = DEFAULT_REGION
    print("\n".join(lines), flush=True)
    return env


def lab_command(args: argparse.Namespace) -> list[str]:
    """The `jupyter lab` command of `workshop up`: the kit's root, the learner's lesson 00 first.

    Learners' file browser shows their own copy, `my-work/`, only (`infra.labfiles`);
    `--instructor` shows the whole kit, the finished apps and solutions included.
    """
    from infra.labfiles import CONTENTS_MANAGER, START_PAGE

    lab = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--notebook-dir={PROJECT_ROOT}",
        f"--LabApp.default_url=/lab/tree/{START_PAGE}",
        f"--ServerApp.ip={args.lab_host}",
        f"--ServerApp.port={args.lab_port}",
    ]
    if not args.instructor:
        lab.append(f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}")
    if args.no_browser:
        lab.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        lab.append("--allow-root")  # containers and workshop VMs often run as root
    return lab


def cmd_deploy(args: argparse.Namespace) -> int:
    if args.template:
        from infra.deploy.stacks import deploy_template

        url = deploy_template(args.app, stage=args.stage)["WebSocketURL"]
    else:
        from infra.deploy.apps import deploy_app

        url = deploy_app(args.app, stage=args.stage, folder=args.folder)
    print(url)
    return 0


def cmd_teardown(args: argparse.Namespace) -> int:
    if args.template:
        from infra.deploy.stacks import delete_stack

        delete_stack(args.app)
        return 0
    from infra.deploy import teardown

    teardown(args.app)
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    import time

    import boto3

    from infra.local.logs import follow_logs

    logs = boto3.client("logs")
    _check_function(args.function, logs)
    since = int((time.time() - args.since * 60) * 1000)
    stop = threading.Event()
    try:
        for line in follow_logs(logs, args.function, since, stop, follow=args.follow):
            print(line, flush=True)
    except KeyboardInterrupt:
        stop.set()
    return 0


def _check_function(name: str, logs: Any) -> None:
    """UsageError unless `name` is a function here, or has left logs here."""
    import boto3

    from infra.local.logs import log_group_name

    group = log_group_name(name)
    groups = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
    if any(found["logGroupName"] == group for found in groups):
        return
    lambda_ = boto3.client("lambda")
    try:
        lambda_.get_function(FunctionName=name)
        return
    except lambda_.exceptions.ResourceNotFoundException:
        pass
    names = [f["FunctionName"] for f in lambda_.list_functions(MaxItems=50)["Functions"]]
    where = os.environ.get("AWS_ENDPOINT_URL") or "this AWS account"
    choice = f"pick one of {', '.join(sorted(names)[:12])}" if names else "it has none yet"
    raise UsageError(
        f"no function called {name!r} at {where}: {choice} (deploy an app with workshop deploy chat)"
    )


def cmd_fire(args: argparse.Namespace) -> int:
    from infra.deploy import fire

    try:
        results = fire(args.name)
    except KeyError:
        raise UsageError(
            f"there is no schedule or rule called {args.name!r} (list them: aws scheduler"
            " list-schedules, aws events list-rules)"
        ) from None
    for result in results:
        print(result)
    return 0


def cmd_exercises(args: argparse.Namespace) -> int:
    from infra.build import build_all

    written = build_all()
    for path in written:
        print(f"wrote {path}")
    print(f"notebooks/, solutions/ and exercises/ rebuilt from sources/ ({len(written)} notebooks)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from infra.exercises.check import main as check_main
    from infra.exercises.check import path_problem

    problem = path_problem(args.paths)
    if problem is not None:
        raise UsageError(problem)
    return check_main(args.paths, timeout=args.timeout, out=args.out)


def cmd_doctor(args: argparse.Namespace) -> int:
    from infra.doctor import Doctor, diagnose

    for option, port in (("--port", args.port), ("--lab-port", args.lab_port)):
        if not 0 < port < 65536:
            raise UsageError(f"{option} {port} is not a port: give a number from 1 to 65535")
    return diagnose(Doctor(host=args.host, cloud_port=args.port, lab_port=args.lab_port))


def _add_state_options(command: argparse.ArgumentParser) -> None:
    where = command.add_mutually_exclusive_group()
    where.add_argument(
        "--state",
        type=Path,
        default=DEFAULT_STATE,
        metavar="DIR",
        help="save the cloud's state here and restore it on start (default: .workshop-state/)",
    )
    where.add_argument(
        "--no-state", action="store_true", help="keep the state in memory only: nothing is saved"
    )
    command.add_argument(
        "--fresh",
        action="store_true",
        help="start empty; the saved state moves to DIR/previous",
    )


def _add_timing_option(command: argparse.ArgumentParser) -> None:
    from infra.local.timing import MODES

    command.add_argument(
        "--timing",
        choices=list(MODES),
        help="how long tables, functions, roles and mappings take to settle: default (a second"
        " or two), aws (AWS's typical times), short (tests), instant (no wait); default:"
        " WORKSHOP_TIMING, else default",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="workshop", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    cloud = commands.add_parser("cloud", help="run the local cloud in the foreground")
    cloud.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to serve a room on the LAN")
    cloud.add_argument("--port", type=int, default=DEFAULT_PORT)
    cloud.add_argument(
        "--no-iam", action="store_true", help="do not check what functions' roles allow"
    )
    _add_state_options(cloud)
    _add_timing_option(cloud)
    cloud.set_defaults(func=cmd_cloud)

    up = commands.add_parser("up", help="the local cloud plus JupyterLab on your copy, my-work/")
    up.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to serve a room on the LAN")
    up.add_argument("--port", type=int, default=DEFAULT_PORT)
    up.add_argument(
        "--no-iam", action="store_true", help="do not check what functions' roles allow"
    )
    up.add_argument("--lab-host", default="127.0.0.1")
    up.add_argument("--lab-port", type=int, default=8888)
    up.add_argument("--no-browser", action="store_true")
    up.add_argument(
        "--aws",
        action="store_true",
        help="a real AWS account: no local cloud, your own credentials (as WORKSHOP_TARGET=aws)",
    )
    up.add_argument(
        "--instructor",
        action="store_true",
        help="show the whole kit (solutions, apps) in JupyterLab",
    )
    _add_state_options(up)
    _add_timing_option(up)
    up.set_defaults(func=cmd_up)

    deploy = commands.add_parser("deploy", help="stand up a finished app")
    deploy.add_argument("app", choices=APPS)
    deploy.add_argument("--stage", default="dev")
    deploy.add_argument(
        "--template",
        action="store_true",
        help="deploy lambdas/APP/template.yaml as the CloudFormation stack APP",
    )
    deploy.add_argument(
        "--folder", type=Path, help="the app's Lambda code (default: the kit's lambdas/APP)"
    )
    deploy.set_defaults(func=cmd_deploy)

    teardown = commands.add_parser("teardown", help="remove an app's tagged resources")
    teardown.add_argument("app", choices=APPS)
    teardown.add_argument("--template", action="store_true", help="delete the app's stack")
    teardown.set_defaults(func=cmd_teardown)

    logs = commands.add_parser("logs", help="print a function's CloudWatch logs")
    logs.add_argument("function")
    logs.add_argument("--follow", "-f", action="store_true")
    logs.add_argument("--since", type=float, default=60.0, help="minutes back (default 60)")
    logs.set_defaults(func=cmd_logs)

    fire = commands.add_parser("fire", help="invoke a schedule's or a scheduled rule's targets now")
    fire.add_argument("name", help="a Scheduler schedule (default group) or an EventBridge rule")
    fire.set_defaults(func=cmd_fire)

    exercises = commands.add_parser("exercises", help="exercise tools")
    exercises_commands = exercises.add_subparsers(dest="exercises_command", required=True)
    build = exercises_commands.add_parser(
        "build", help="rebuild solutions/ (and notebooks/) from sources/, then exercises/"
    )
    build.set_defaults(func=cmd_exercises)

    doctor = commands.add_parser(
        "doctor", help="check this machine is ready: Python, install, ports, cloud, JupyterLab"
    )
    doctor.add_argument("--host", default="127.0.0.1", help="where workshop up will listen")
    doctor.add_argument("--port", type=int, default=DEFAULT_PORT, help="the cloud's port to check")
    doctor.add_argument("--lab-port", type=int, default=8888, help="JupyterLab's port to check")
    doctor.set_defaults(func=cmd_doctor)

    check = commands.add_parser("check", help="grade exercise notebooks (files or folders)")
    check.add_argument("paths", nargs="+", type=Path)
    check.add_argument("--timeout", type=float, default=300.0, help="seconds per notebook")
    check.add_argument("--out", type=Path, default=Path("grading"), help="folder for CSV/JSON")
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "no_state", False) and getattr(args, "fresh", False):
        parser.error("--fresh and --no-state do not go together: --no-state always starts empty")
    if getattr(args, "template", False) and getattr(args, "folder", None):
        parser.error("--folder is for the boto3 deploy: a template deploys lambdas/APP's code")
    if args.command in CLOUD_COMMANDS and os.environ.get("AWS_ENDPOINT_URL"):
        # A local cloud takes any keys and serves us-east-1: `AWS_ENDPOINT_URL=... workshop
        # deploy arena` needs nothing more (real settings, when given, are kept).
        for name, value in {**LOCAL_KEYS, "AWS_DEFAULT_REGION": DEFAULT_REGION}.items():
            os.environ.setdefault(name, value)
    try:
        return int(args.func(args) or 0)
    except Exception as error:
        problem = str(error) if isinstance(error, UsageError) else _known_problem(error)
        if problem is None:
            raise
        print(f"workshop {args.command}: {problem}", file=sys.stderr)
        return 2


def _known_problem(error: Exception) -> str | None:
    """What to do about an error the environment or the input caused, in one line."""
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError

    from infra.deploy.packaging import PackagingError
    from infra.local.state.errors import StateError

    if isinstance(error, (PackagingError, StateError)):
        return str(error)
    if isinstance(error, EndpointConnectionError):
        return (
            f"nothing answers at {error.kwargs.get('endpoint_url')}: start the local cloud"
            " (workshop cloud), or point AWS_ENDPOINT_URL at one that runs"
        )
    if isinstance(error, NoCredentialsError):
        return (
            "no AWS credentials: for the local cloud, export the variables `workshop cloud`"
            " prints; for AWS, run `aws configure`"
        )
    if isinstance(error, NoRegionError):
        return "no AWS region: set AWS_DEFAULT_REGION (the local cloud uses us-east-1)"
    return None


if __name__ == "__main__":
    raise SystemExit(main())
