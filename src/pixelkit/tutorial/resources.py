"""What of the kit exists on the target: a run's resources, found through its state file or by name and tags.

The steps in scripts/ call these to say what they made or kept, to refuse a setup that would
loop (a destination bucket that triggers the function), and to notice a run the local emulator
forgot (it keeps everything in memory). ``inventory`` is what notebook 06 and ``make status`` show.
"""

from __future__ import annotations

import logging

from pixelkit.aws import functions, iam, logs, s3
from pixelkit.context.errors import WorkshopError
from pixelkit.context.state import NAME_PREFIX, State, kit_tags, state_path
from pixelkit.context.workshop import Workshop

logger = logging.getLogger("pixelkit.tutorial.steps")


def say_created(created: bool, what: str) -> None:
    logger.info("  %s %s", "created" if created else "already there, kept:", what)


def say_deleted(deleted: bool, what: str) -> None:
    logger.info("  %s %s", "deleted" if deleted else "already gone:", what)


def start_run(ws: Workshop) -> State:
    """This run's state (names chosen on first use); a run the emulator forgot is set up again with its names."""
    if run_forgotten(ws):
        logger.info("%s\nSetting it up again, with the same names.", forgotten_message(ws))
    return ws.start_run()


def run_forgotten(ws: Workshop) -> bool:
    """True when the state file describes a run of which the local emulator holds nothing.

    The emulator keeps everything in memory: after a restart the state file names buckets,
    a role and a function that are gone. On AWS nothing forgets, so this is local only.
    """
    state = ws.state
    if state is None or not ws.target.is_local:
        return False
    s3_client = ws.client("s3")
    return (not s3.bucket_exists(s3_client, state.source_bucket)
            and not s3.bucket_exists(s3_client, state.destination_bucket)
            and iam.get_role(ws.client("iam"), state.role_name) is None
            and functions.get_function(ws.client("lambda"), state.function_name) is None
            and not logs.log_group_exists(ws.client("logs"), state.log_group))


def forgotten_message(ws: Workshop) -> str:
    """The one message every command gives for a run the emulator forgot."""
    return (f"The emulator holds nothing of workshop run {ws.state.suffix} that {state_path(ws.student)} describes: "
            "the emulator was restarted (it keeps everything in memory, so a restart forgets it all). "
            "Run `make setup` again (or `make cleanup` to forget the run).")


def require_remembered(ws: Workshop) -> None:
    """Stop with the forgotten-run message instead of failing on the first missing resource."""
    if run_forgotten(ws):
        raise WorkshopError(forgotten_message(ws))


def same_bucket_problem(source: str, destination: str) -> str | None:
    """What is wrong when the two buckets are one (the function would trigger itself), else None."""
    if source != destination:
        return None
    return (f"The source and destination bucket are both {source!r}. The function would write its "
            "pictures where it reads them and trigger itself forever (and bill you for it).")


def check_distinct_buckets(source: str, destination: str) -> None:
    problem = same_bucket_problem(source, destination)
    if problem:
        raise WorkshopError(f"{problem} Give the destination bucket a different name.")


def trigger_on_destination(ws: Workshop, function_arn: str) -> dict | None:
    """The destination bucket's trigger that calls the function (any version or alias), if any.

    With one, every output the function writes would call it again, forever: step 4
    refuses to go on and the step-4 check fails.
    """
    found = s3.triggers_calling(ws.client("s3"), ws.require_state().destination_bucket, function_arn)
    return found[0] if found else None


def kit_prefix(student: str | None = None) -> str:
    """How the names of the kit's resources start (one student's, when a name is given)."""
    return f"{NAME_PREFIX}-{student}-" if student else f"{NAME_PREFIX}-"


def list_kit(ws: Workshop, prefix: str, tags: dict[str, str] | None = None, region: str | None = None) -> dict[str, list[str]]:
    """The resources named ``prefix...`` by kind, tagged ``tags`` if given (tags read for those names only)."""
    return {
        "buckets": sorted(s3.list_buckets(ws.client("s3"), prefix, tags, region)),
        "functions": sorted(functions.list_functions(ws.client("lambda"), prefix, tags)),
        "roles": sorted(iam.list_roles(ws.client("iam"), prefix, tags)),
        "log groups": sorted(logs.list_log_groups(ws.client("logs"), f"/aws/lambda/{prefix}", tags)),
    }


def find_tagged(ws: Workshop, student: str | None = None) -> dict[str, list[str]]:
    """The kit's resources in the target's region, found by name and tags alone (no state file needed).

    Only resources named ``day38-...`` have their tags read: the learner policy
    (policies/learner-policy.json) allows no other, and AWS would refuse the call.
    """
    return list_kit(ws, kit_prefix(student), kit_tags(student), ws.target.region)


def inventory(ws: Workshop) -> dict[str, list[str]]:
    """What of the kit exists right now on the target, by kind (notebook 6 shows it before and after).

    Without a student: every resource named ``day38-...``, tagged or not (the tutorial's
    own names, made by hand in the console, count too). With a student: that student's
    resources only (by name and tag, since another student's name may begin with theirs),
    so that a classmate's run does not make a student's cleanup look unfinished.
    """
    if ws.student:
        return find_tagged(ws, ws.student)
    return list_kit(ws, kit_prefix())
