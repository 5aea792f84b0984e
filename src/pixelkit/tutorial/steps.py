"""The tutorial's steps 1 to 4 and 6, each safe to run again.

Each step reads and writes ``.workshop/state.json`` through the ``Workshop`` it
is given, logs one line per thing it creates or finds already there, and
returns a small summary that the notebooks display.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from pixelkit.tutorial import package as packaging
from pixelkit.aws import functions, iam, logs, s3
from pixelkit.context.errors import WorkshopError
from pixelkit.tutorial.policies import render_policy, trust_policy
from pixelkit.aws.tags import tags_match
from pixelkit.context.state import NAME_PREFIX, WORKSHOP_TAG, forget_state, kit_tags, new_suffix, state_path
from pixelkit.context.workshop import Workshop

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60
# Lambda gives CPU in proportion to memory, one full vCPU at 1,769 MB. The handler is
# CPU-bound on one thread (`make bench`; docs/performance.md), so below 1,769 MB it runs
# proportionally slower for the same GB-seconds, and above it the extra vCPU would idle.
MEMORY_MB = 1769
TRIGGER_ID = "pixelate-new-images"
PERMISSION_ID = "allow-s3-source-bucket"
# How many random bucket names step 1 tries before it suspects something other than a collision.
NAME_ATTEMPTS = 5
# All object-creation events: a large upload from the CLI arrives as a multipart upload, not a PUT.
TRIGGER_EVENTS = ["s3:ObjectCreated:*"]


def _said(created: bool, what: str) -> None:
    logger.info("  %s %s", "created" if created else "already there, kept:", what)


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


# Step 1 ---------------------------------------------------------------------------------------

def create_buckets(ws: Workshop) -> dict:
    """Step 1: the source and the destination bucket, private and encrypted as AWS makes them."""
    if run_forgotten(ws):
        logger.info("%s\nSetting it up again, with the same names.", forgotten_message(ws))
    state = ws.start_run()
    logger.info("Step 1: source and destination buckets")
    check_distinct_buckets(state.source_bucket, state.destination_bucket)
    for attr in ("source_bucket", "destination_bucket"):
        for attempt in range(1, NAME_ATTEMPTS + 1):
            name = getattr(state, attr)
            try:
                created = s3.create_bucket(ws.client("s3"), name, state.region, state.tags)
                break
            except s3.BucketNameTaken:
                if attempt == NAME_ATTEMPTS:
                    raise WorkshopError(
                        f"{NAME_ATTEMPTS} bucket names in a row belong to someone else, the last {name}. "
                        "That is not bad luck: check that your credentials can call s3:CreateBucket "
                        "and s3:ListBucket, then run step 1 again."
                    ) from None
                new_name = f"{name.rsplit('-', 1)[0]}-{new_suffix()}"
                logger.info("  bucket name %s belongs to someone else (names are global); using %s", name, new_name)
                setattr(state, attr, new_name)
                ws.save()
        _said(created, f"bucket {name}")
    return {"source_bucket": state.source_bucket, "destination_bucket": state.destination_bucket}


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


# Step 2 ---------------------------------------------------------------------------------------

def create_role(ws: Workshop, policy: str | None = None) -> dict:
    """Step 2: the role Lambda assumes, and its inline policy (least privilege unless asked)."""
    state = ws.start_run()
    if policy:
        state.policy = policy
    logger.info("Step 2: role %s with inline policy %s (%s)", state.role_name, state.policy_name, state.policy)
    document = render_policy(state)
    role, created = iam.create_role(ws.client("iam"), state.role_name, trust_policy(), state.tags)
    state.role_arn = role["Arn"]
    ws.save()
    _said(created, f"role {state.role_name}")
    changed = iam.put_role_policy(ws.client("iam"), state.role_name, state.policy_name, document)
    logger.info("  %s inline policy %s", "wrote" if changed else "already there, kept:", state.policy_name)
    return {"role_arn": state.role_arn, "policy_name": state.policy_name, "policy": document}


# Step 3 ---------------------------------------------------------------------------------------

def deploy_function(ws: Workshop, architecture: str = "x86_64") -> dict:
    """Step 3: build the deployment package and create (or update) the function from it."""
    state = ws.require_state()
    if not state.role_arn:
        raise WorkshopError("The function needs its role: run step 2 (create the role) first.")
    logger.info("Step 3: function %s (%s, %s)", state.function_name, packaging.RUNTIME, architecture)
    package = packaging.build_package(packaging.RUNTIME, architecture)
    code = package.read_bytes()
    lam = ws.client("lambda")
    # The log group first, so that it is tagged and its logs expire after a week.
    created = logs.create_log_group(ws.client("logs"), state.log_group, state.tags)
    _said(created, f"log group {state.log_group} (logs kept {logs.RETENTION_DAYS} days)")
    existing = functions.get_function(lam, state.function_name)
    if existing is None:
        response = functions.create_function(
            lam,
            {
                "FunctionName": state.function_name,
                "Runtime": packaging.RUNTIME,
                "Handler": packaging.HANDLER,
                "Role": state.role_arn,
                "Code": {"ZipFile": code},
                "Architectures": [architecture],
                "Description": "Pixelates each image put into the source bucket (pixelation workshop).",
                "Tags": state.tags,
            },
        )
        _said(True, f"function {state.function_name} from {package.path.name} ({package.size / 1e6:.1f} MB)")
    else:
        config = existing["Configuration"]
        response = config
        # The package holds native Pillow for one architecture: code and architecture change together.
        current_architecture = config.get("Architectures", ["x86_64"])
        if current_architecture != [architecture]:
            response = functions.update_function_code(lam, state.function_name, code, architecture)
            logger.info("  updated the code of %s and its architecture %s -> %s",
                        state.function_name, ", ".join(current_architecture), architecture)
        elif config.get("CodeSha256") != _base64_sha256(code):
            response = functions.update_function_code(lam, state.function_name, code)
            logger.info("  updated the code of %s", state.function_name)
        else:
            _said(False, f"function {state.function_name} with this code")
        drift = {
            key: value
            for key, value in (("Runtime", packaging.RUNTIME), ("Handler", packaging.HANDLER), ("Role", state.role_arn))
            if config.get(key) != value
        }
        if drift:
            response = functions.update_function_configuration(lam, state.function_name, **drift)
            logger.info("  set %s", ", ".join(f"{k}={v}" for k, v in drift.items()))
    return {
        "function_arn": response["FunctionArn"],
        "runtime": packaging.RUNTIME,
        "handler": packaging.HANDLER,
        "package": str(package.path),
        "package_bytes": package.size,
    }


def _base64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# Step 4 ---------------------------------------------------------------------------------------

def configure_function(ws: Workshop) -> dict:
    """Step 4: destination_bucket, a one-minute timeout, and the S3 trigger on the source bucket."""
    state = ws.require_state()
    check_distinct_buckets(state.source_bucket, state.destination_bucket)
    lam = ws.client("lambda")
    existing = functions.get_function(lam, state.function_name)
    if existing is None:
        raise WorkshopError(f"There is no function {state.function_name} yet: run step 3 (deploy the function) first.")
    logger.info("Step 4: configure %s and its trigger", state.function_name)
    config = existing["Configuration"]
    looping = trigger_on_destination(ws, config["FunctionArn"])
    if looping is not None:
        raise WorkshopError(
            f"The destination bucket {state.destination_bucket} has a trigger ({looping.get('Id', '?')}) that "
            f"calls {state.function_name}. Each picture the function writes there would call it again, "
            "forever. Remove that trigger (S3 console: Properties > Event notifications), then run step 4 again."
        )
    wanted = {
        "Environment": {"Variables": {"destination_bucket": state.destination_bucket}},
        "Timeout": TIMEOUT_SECONDS,
        "MemorySize": MEMORY_MB,
    }
    current = {
        "Environment": {"Variables": config.get("Environment", {}).get("Variables", {})},
        "Timeout": config.get("Timeout"),
        "MemorySize": config.get("MemorySize"),
    }
    if current != wanted:
        functions.update_function_configuration(lam, state.function_name, **wanted)
        logger.info(
            "  set destination_bucket=%s, timeout %d s, memory %d MB",
            state.destination_bucket, TIMEOUT_SECONDS, MEMORY_MB,
        )
    else:
        _said(False, f"destination_bucket={state.destination_bucket}, timeout {TIMEOUT_SECONDS} s, memory {MEMORY_MB} MB")
    # S3 checks that it may call the function before it accepts the trigger: permission first.
    added = functions.add_s3_permission(
        lam, state.function_name, PERMISSION_ID, state.source_bucket, state.account_id, ws.partition
    )
    _said(added, f"permission for s3://{state.source_bucket} to invoke the function")
    function_arn = config["FunctionArn"]
    put = s3.put_lambda_trigger(ws.client("s3"), state.source_bucket, TRIGGER_ID, function_arn, TRIGGER_EVENTS)
    _said(put, f"trigger on s3://{state.source_bucket} for {', '.join(TRIGGER_EVENTS)}")
    return {
        "destination_bucket": state.destination_bucket,
        "timeout": TIMEOUT_SECONDS,
        "memory_mb": MEMORY_MB,
        "trigger": {"bucket": state.source_bucket, "events": TRIGGER_EVENTS, "function": function_arn},
    }


def trigger_on_destination(ws: Workshop, function_arn: str) -> dict | None:
    """The destination bucket's trigger that calls the function (any version or alias), if any.

    With one, every output the function writes would call it again, forever: step 4
    refuses to go on and the step-4 check fails.
    """
    state = ws.require_state()
    unqualified = function_arn.split(":function:")[0] + ":function:" + state.function_name
    for trigger in s3.get_lambda_triggers(ws.client("s3"), state.destination_bucket) or []:
        arn = trigger["LambdaFunctionArn"]
        if arn == unqualified or arn.startswith(unqualified + ":"):
            return trigger
    return None


def setup(ws: Workshop, policy: str | None = None, architecture: str = "x86_64") -> dict:
    """Steps 1 to 4 in one go."""
    summary = {}
    summary.update(create_buckets(ws))
    summary.update(create_role(ws, policy))
    summary.update(deploy_function(ws, architecture))
    summary.update(configure_function(ws))
    logger.info("Ready: upload a picture to s3://%s and find five in s3://%s", ws.state.source_bucket, ws.state.destination_bucket)
    return summary


# Step 6 ---------------------------------------------------------------------------------------

def cleanup(ws: Workshop) -> list[str]:
    """Step 6: delete everything this run made, whatever is already gone; return what went."""
    state = ws.state
    if state is None:
        logger.info("Nothing to clean up: there is no %s. (Resources of a run whose state file was lost: "
                    "`make orphans` finds them by their tags.)", state_path(ws.student))
        return []
    ws.check_account()
    if run_forgotten(ws):
        logger.info("%s\nForgetting run %s: there is nothing of it to delete.", forgotten_message(ws), state.suffix)
        forget_state(state.student)
        ws.state = None
        return []
    logger.info("Step 6: cleanup of workshop run %s on %s", state.suffix, ws.target.describe())
    ours = [bucket for bucket in (state.source_bucket, state.destination_bucket) if _bucket_is_this_runs(ws, bucket)]
    removed = _teardown(
        ws,
        {
            "buckets": ours,
            "functions": [state.function_name],
            "roles": [state.role_name],
            "log groups": [state.log_group],
        },
        trigger_buckets=[state.source_bucket] if state.source_bucket in ours else [],
    )
    forget_state(state.student)
    ws.state = None
    left = [b for b in (state.source_bucket, state.destination_bucket) if b not in ours]
    logger.info("Clean: nothing the kit made for run %s is left%s%s.", state.suffix,
                "" if ws.target.is_local else " in your account",
                f" (it left {', '.join(left)}, which it did not make)" if left else "")
    return removed


def _bucket_is_this_runs(ws: Workshop, bucket: str) -> bool:
    """Whether cleanup may empty and delete ``bucket``: it carries the kit's tags for this run (or is gone).

    The one exception: an empty, untagged bucket with this run's random suffix, which is
    what a step 1 interrupted before tagging leaves (deleting it loses nothing).

    A state file can name a bucket the kit did not make (edited by hand, or copied from
    another run): emptying it could lose someone's pictures, so it is left and said why.
    """
    s3_client = ws.client("s3")
    if not s3.bucket_exists(s3_client, bucket):
        return True  # cleanup says "already gone"
    have = s3.get_bucket_tags(s3_client, bucket)
    if tags_match(have, ws.state.tags):
        return True
    if have is None and bucket.endswith(f"-{ws.state.suffix}") and not s3.list_keys(s3_client, bucket):
        # Step 1 interrupted between CreateBucket and PutBucketTagging: this run's name, no tags, nothing in it.
        return True
    have = have or {}
    wanted = ", ".join(f"{k}={v}" for k, v in sorted(ws.state.tags.items()))
    logger.info("  left bucket %s: it does not carry the kit's tags for run %s (%s), so the kit did not make it "
                "for this run (its tags: %s). Delete it yourself if it is yours to delete; the kit forgets it.",
                bucket, ws.state.suffix, wanted, ", ".join(f"{k}={v}" for k, v in sorted(have.items())) or "none")
    return False


def _teardown(ws: Workshop, found: dict[str, list[str]], trigger_buckets: list[str]) -> list[str]:
    """Delete what ``found`` names (as ``inventory`` lists it), in the one safe order; return what went.

    Triggers first, so that no new upload calls a function that is going away; the
    function's permission, then the function; the role before the log group, because a
    still-running invocation recreates its log group while it can use the role; the
    buckets last, emptied again if a late invocation wrote into them (s3.delete_bucket).
    """
    removed: list[str] = []

    def done(gone: bool, what: str) -> None:
        logger.info("  %s %s", "deleted" if gone else "already gone:", what)
        if gone:
            removed.append(what)

    s3_client, lam = ws.client("s3"), ws.client("lambda")
    for bucket in trigger_buckets:
        # Said only when there was one: a destination bucket, or a half-finished setup, never had it.
        if s3.remove_lambda_trigger(s3_client, bucket, TRIGGER_ID):
            done(True, f"trigger on s3://{bucket}")
    for name in found["functions"]:
        if functions.get_function(lam, name) is not None:
            done(functions.remove_permission(lam, name, PERMISSION_ID), f"permission for S3 to invoke {name}")
        done(functions.delete_function(lam, name), f"function {name}")
    for name in found["roles"]:
        done(iam.delete_role(ws.client("iam"), name), f"role {name} and its policies")
    for name in found["log groups"]:
        done(logs.delete_log_group(ws.client("logs"), name), f"log group {name}")
    for bucket in found["buckets"]:
        done(s3.delete_bucket(s3_client, bucket), f"bucket {bucket} and every object in it")
    return removed


def kit_prefix(student: str | None = None) -> str:
    """How the names of the kit's resources start (one student's, when a name is given)."""
    return f"{NAME_PREFIX}-{student}-" if student else f"{NAME_PREFIX}-"


def _list_kit(ws: Workshop, prefix: str, tags: dict[str, str] | None = None, region: str | None = None) -> dict[str, list[str]]:
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
    return _list_kit(ws, kit_prefix(student), kit_tags(student), ws.target.region)


def cleanup_tagged(ws: Workshop, student: str | None = None) -> list[str]:
    """``cleanup --all-tagged``: remove every resource tagged as the kit's, with or without a state file.

    It first cleans up the run of the state file, if any, as ``cleanup`` does; then it finds
    what earlier runs left (named ``day38-...``, tagged ``workshop=pixelation-workshop``, and
    ``student=<name>`` when a student is given) and removes it in the same order.
    """
    removed = cleanup(ws) if ws.state is not None else []
    found = find_tagged(ws, student)
    who = f" of student {student}" if student else ""
    logger.info("Resources tagged %s%s in %s: %s", WORKSHOP_TAG, who, ws.target.region,
                "; ".join(f"{k}: {', '.join(v)}" for k, v in found.items() if v) or "none")
    return removed + _teardown(ws, found, trigger_buckets=found["buckets"])


def inventory(ws: Workshop) -> dict[str, list[str]]:
    """What of the kit exists right now on the target, by kind (notebook 6 shows it before and after).

    Without a student: every resource named ``day38-...``, tagged or not (the tutorial's
    own names, made by hand in the console, count too). With a student: that student's
    resources only (by name and tag, since another student's name may begin with theirs),
    so that a classmate's run does not make a student's cleanup look unfinished.
    """
    if ws.student:
        return find_tagged(ws, ws.student)
    return _list_kit(ws, kit_prefix())
