"""``pixelkit``: the command behind the scripts in ``scripts/`` and the make targets.

Each step command runs its script's function (scripts/ is the package ``pixelkit.tutorial.steps``),
and each script run as a program comes here for its command line. A Ctrl-C is caught once, in
``pixelkit.commands.entry``.

Every command takes ``--target local|aws`` (default: ``WORKSHOP_TARGET``, else local)
and ``--student NAME`` (default: ``WORKSHOP_STUDENT``, else none). ``setup`` and
``cleanup`` take ``--dry-run``; ``class setup|cleanup`` are the instructor's commands.
A problem the learner can fix ends the command with one message that says what to
do, and exit status 2; never with a stack trace alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from pathlib import Path

from pixelkit.tutorial import pipeline, steps
from pixelkit.context.errors import LEARNER_ERRORS, WorkshopError, explain
from pixelkit.context.paths import as_typed_here, output_dir, sample_images
from pixelkit.context.state import TAG_WORKSHOP, WORKSHOP_TAG, check_student, current_student, state_path
from pixelkit.context.workshop import Workshop, configure_console_logging, open_workshop

logger = logging.getLogger("pixelkit")


def _create_buckets(ws: Workshop, args) -> None:
    steps.create_buckets(ws)


def _create_role(ws: Workshop, args) -> None:
    steps.create_role(ws, args.policy)


def _deploy_function(ws: Workshop, args) -> None:
    steps.deploy_function(ws, args.architecture)


def _configure_function(ws: Workshop, args) -> None:
    steps.configure_function(ws)


def _setup(ws: Workshop, args) -> None:
    steps.setup(ws, args.policy, args.architecture)


def _upload(ws: Workshop, args) -> None:
    from pixelkit.teaching.cost import estimate_run_cost

    images = pipeline.pictures(args.images or images_from_environment() or sample_images()[:1])
    uploads, log_lines = steps.upload_and_check(ws, images, args.out, keep_going=True)
    print("\nThe function's log (CloudWatch Logs, " + ws.require_state().log_group + "):")
    for line in log_lines:
        print("  " + line)
    for upload in uploads:
        print(f"\n{upload.key} -> " + (", ".join(str(p) for p in upload.outputs) or "no pictures"))
    config = ws.client("lambda").get_function_configuration(FunctionName=ws.state.function_name)
    estimate = estimate_run_cost(log_lines, len(uploads), len(pipeline.grids()), config.get("Architectures", ["x86_64"])[0])
    print("\n" + "\n".join(estimate.lines()))
    refused = [upload for upload in uploads if upload.problem]
    if refused:
        raise WorkshopError("\n".join(upload.problem for upload in refused))


def images_from_environment() -> list[str]:
    """``IMAGES`` as `make upload` passes it, through the environment so that make splits nothing.

    A value that names an existing file or folder is one path, spaces and all
    (``IMAGES="my photo.jpg"``); otherwise it is split as a shell would
    (``IMAGES='a.jpg "my photo.jpg"'``).
    """
    value = os.environ.get("IMAGES", "")
    if not value.strip():
        return []
    if Path(value).expanduser().exists():
        return [str(Path(value).expanduser())]
    try:
        return [str(Path(p).expanduser()) for p in shlex.split(value)]
    except ValueError as error:
        raise WorkshopError(f"IMAGES={value!r} cannot be read as a list of paths ({error}). "
                            "Quote a path with spaces: IMAGES='\"my photo.jpg\" other.png'.") from None


def _cleanup(ws: Workshop, args) -> None:
    if args.all_tagged:
        if args.dry_run:
            from pixelkit.teaching.dryrun import plan_cleanup_tagged

            plan_cleanup_tagged(ws, ws.student)
        else:
            steps.cleanup_tagged(ws, ws.student)
    else:
        steps.cleanup(ws)


def _status(ws: Workshop, args) -> None:
    ws.calls.echo = bool(args.verbose)  # an answer, not a lesson: its many list calls only with -v
    state = ws.state
    print(f"Target: {ws.target.describe()}" + (f", student {ws.student}" if ws.student else ""))
    found = steps.inventory(ws)
    kits = steps.find_tagged(ws, ws.student)
    anything = any(found.values())
    if state is None:
        print(f"State: none (there is no {state_path(ws.student)})")
        if any(kits.values()):
            print("  The kit's resources below belong to a run whose state file is gone: "
                  "`make orphans` removes them (found by their tags).")
        elif not anything:
            print("  Nothing is set up: `make setup` (or notebook 01) starts a run.")
    else:
        print(f"State: {state_path(ws.student)} (run {state.suffix})")
        if steps.run_forgotten(ws):
            print("  " + steps.forgotten_message(ws))
    for kind, names in found.items():
        marked = [name if name in kits[kind] else f"{name} (not the kit's: no {TAG_WORKSHOP}={WORKSHOP_TAG} tag)"
                  for name in names]
        print(f"  {kind}: {', '.join(marked) if marked else '-'}")
    if state is not None:
        from pixelkit.aws import functions, s3

        triggers = s3.get_lambda_triggers(ws.client("s3"), state.source_bucket)
        described = [f"{', '.join(t['Events'])} -> {t['LambdaFunctionArn'].rsplit(':', 1)[-1]}" for t in triggers or []]
        print(f"  trigger on s3://{state.source_bucket}: {'; '.join(described) or '-'}")
        statements = functions.get_policy_statements(ws.client("lambda"), state.function_name)
        allowed = functions.s3_may_invoke(statements, state.source_bucket)
        print(f"  permission for s3://{state.source_bucket} to invoke {state.function_name}: {'yes' if allowed else '-'}")


def _demo(args) -> None:
    from pixelkit.commands.demo import run_demo

    run_demo(args.out)


def _emulator(args) -> None:
    from pixelkit.emulator.server import main as emulator_main

    emulator_main(args.rest)


def _lab(args) -> int:
    from pixelkit.commands.lab import run_lab

    return run_lab(args.rest)


def _package(args) -> None:
    from pixelkit.tutorial.package import RUNTIME, build_package

    package = build_package(RUNTIME, args.architecture)
    print(f"{package.path}  {package.size / 1e6:.2f} MB  sha256 {package.sha256}")


def _runtimes(args) -> None:
    from pixelkit.emulator import runtimes

    if args.runtimes_command == "prepare":
        from pixelkit.tutorial.package import requirements

        # the handler's wheels for this computer's interpreters too: they stand in for the package's Linux ones
        # where those cannot load here (a Mac, Windows, a machine without the runtime's Python), offline
        for environment in runtimes.prepare(args.runtime or None, substitutes=requirements()):
            where = "" if environment.exact else f"  ({environment.note})"
            print(f"{environment.runtime}: {environment.interpreter.name}, awslambdaric and boto3 in "
                  f"{environment.venv}, and {', '.join(requirements())} for this computer in "
                  f"{runtimes.wheel_cache(environment.interpreter)}{where}")
    else:
        from pixelkit.emulator import capabilities, sandbox

        offered = capabilities.summary() | {"sandbox": sandbox.bubblewrap() is not None}
        print("This computer: " + ", ".join(f"{name} {'yes' if there else 'no'}" for name, there in offered.items()))
        found = {i.version: i for i in runtimes.interpreters()}
        for runtime, version in runtimes.SUPPORTED.items():
            interpreter = found.get(version)
            print(f"{runtime}: " + (f"{interpreter.name} ({interpreter.path})" if interpreter else
                                    f"no Python {version[0]}.{version[1]} here: {runtimes.interpreter_for(runtime)[1]}"))


def _dry_run(args) -> None:
    from pixelkit.teaching.dryrun import plan
    from pixelkit.context.target import use_target

    student = check_student(args.student) if args.student is not None else current_student()
    plan(args.command, use_target(args.target), student, getattr(args, "policy", None),
         getattr(args, "architecture", "x86_64"))


def _policy(args) -> None:
    """`pixelkit policy used`: the policy the function's calls needed, beside its own and the tutorial's."""
    from pixelkit.teaching.iam_advice import policy_used
    from pixelkit.context.state import load_state
    from pixelkit.context.target import use_target

    student = check_student(args.student) if args.student is not None else current_student()
    print(policy_used(use_target(args.target), load_state(student), args.role))


def _class(args) -> None:
    from pixelkit.commands import classroom

    if args.class_command == "setup":
        names = classroom.student_names(args.students, args.count)
        rows = classroom.class_setup(args.target, names, args.policy, args.architecture)
        print("\n" + classroom.format_table(rows))
    else:
        names = classroom.student_names(args.students, args.count) if (args.students or args.count) else None
        rows = classroom.class_cleanup(args.target, names)
        print("\n" + classroom.format_table(rows, cleanup=True))
    if any(r.status.startswith("FAILED") for r in rows):
        raise WorkshopError("Some students failed (see the table). Run the same command again: every step is safe to repeat.")


COMMANDS = {
    "create-buckets": (_create_buckets, "step 1: the source and destination buckets"),
    "create-role": (_create_role, "step 2: the role and its inline policy"),
    "deploy-function": (_deploy_function, "step 3: build the package and create the function"),
    "configure-function": (_configure_function, "step 4: destination_bucket, timeout and the S3 trigger"),
    "setup": (_setup, "steps 1 to 4"),
    "upload": (_upload, "step 5: upload pictures, wait for the outputs, show the log, download"),
    "cleanup": (_cleanup, "step 6: delete everything the kit made"),
    "status": (_status, "what of the kit exists on the target now"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pixelkit", description="The pixelation workshop kit.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--target", choices=["local", "aws"], help="local emulator (default) or a real AWS account")
        command.add_argument("--student", help="a learner's name in a shared account (default: WORKSHOP_STUDENT)")
        command.add_argument("-v", "--verbose", action="store_true")
        if name in ("setup", "cleanup"):
            command.add_argument("--dry-run", action="store_true",
                                 help="print every AWS call it would make, with its parameters, and make none")
        if name == "cleanup":
            command.add_argument("--all-tagged", action="store_true",
                                 help="also find and remove, by their tags, resources of earlier runs (no state file needed)")
        if name in ("create-role", "setup"):
            command.add_argument("--policy", choices=["least-privilege", "tutorial"],
                                 help="inline policy: least privilege (default) or the tutorial's s3:*")
        if name in ("deploy-function", "setup"):
            command.add_argument("--architecture", choices=["x86_64", "arm64"], default="x86_64")
        if name == "upload":
            command.add_argument("images", nargs="*", help="pictures to upload (default: the first in images/)")
            command.add_argument("--out", type=Path, default=output_dir(), help="where to download the outputs")
    demo = sub.add_parser("demo", help="the whole pipeline on the emulator; pictures land in out/")
    demo.add_argument("--out", type=Path, default=output_dir())
    package = sub.add_parser("package", help="build the deployment package into build/")
    package.add_argument("--architecture", choices=["x86_64", "arm64"], default="x86_64")
    classroom = sub.add_parser("class", help="instructor: set up or tear down a class of students in one account")
    classroom.add_argument("class_command", choices=["setup", "cleanup"])
    classroom.add_argument("--students", help="comma-separated names, e.g. alice,bob")
    classroom.add_argument("--count", type=int, help="N students named student01 ... studentNN")
    classroom.add_argument("--target", choices=["local", "aws"])
    classroom.add_argument("--policy", choices=["least-privilege", "tutorial"])
    classroom.add_argument("--architecture", choices=["x86_64", "arm64"], default="x86_64")
    classroom.add_argument("-v", "--verbose", action="store_true")
    runtimes = sub.add_parser("runtimes", help="the emulator's Lambda runtimes: which Python runs each; prepare them")
    runtimes.add_argument("runtimes_command", choices=["list", "prepare"])
    runtimes.add_argument("runtime", nargs="*", help="e.g. python3.13 (default: the kit's runtime)")
    policy = sub.add_parser("policy", help="used: the policy the function's calls needed, beside its own and the tutorial's")
    policy.add_argument("policy_command", choices=["used"])
    policy.add_argument("--role", help="only this role (default: every role the emulator saw)")
    policy.add_argument("--target", choices=["local", "aws"])
    policy.add_argument("--student", help="a learner's name in a shared account (default: WORKSHOP_STUDENT)")
    policy.add_argument("-v", "--verbose", action="store_true")
    lab = sub.add_parser("lab", help="JupyterLab on notebooks/ (loopback), with the emulator while it runs", add_help=False)
    lab.add_argument("rest", nargs=argparse.REMAINDER)
    emulator = sub.add_parser("emulator", help="serve the local AWS emulator on 127.0.0.1:4566", add_help=False)
    emulator.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if argv and argv[0] in ("emulator", "lab"):
        # Their options belong to the program they start: pass them through untouched.
        args = argparse.Namespace(command=argv[0], rest=argv[1:], verbose=False)
    else:
        args = parser.parse_args(argv)
    configure_console_logging(getattr(args, "verbose", False))
    try:
        if args.command == "demo":
            _demo(args)
        elif args.command == "emulator":
            _emulator(args)
        elif args.command == "package":
            _package(args)
        elif args.command == "class":
            _class(args)
        elif args.command == "runtimes":
            _runtimes(args)
        elif args.command == "policy":
            _policy(args)
        elif getattr(args, "dry_run", False) and not getattr(args, "all_tagged", False):
            _dry_run(args)
        elif args.command == "lab":
            return _lab(args)
        else:
            function, _ = COMMANDS[args.command]
            function(open_workshop(args.target, args.student), args)
    except LEARNER_ERRORS as error:
        print(f"\nerror: {as_typed_here(explain(error))}", file=sys.stderr)
        return 2
    return 0
