#!/usr/bin/env python3
"""Step 6: delete every resource the kit made (safe to run twice, and after a half-finished setup).

Replaces: Lambda > the function > Actions > Delete; IAM > Roles > the role > Delete; S3 > each
bucket > Empty > Delete; and CloudWatch > Log groups > the function's group > Delete (the
tutorial forgets that one).

Usage: python scripts/step6_cleanup.py [--all-tagged] [--dry-run] [--target local|aws] [--student NAME] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from pixelkit.aws import functions, s3
from pixelkit.aws.errors import error_code, log_and_raise, unless_gone
from pixelkit.aws.tags import tags_match
from pixelkit.context.state import WORKSHOP_TAG, forget_state, state_path
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial.resources import find_tagged, forgotten_message, run_forgotten, say_deleted
from pixelkit.tutorial.settings import PERMISSION_ID, TRIGGER_ID, TUTORIAL_BUCKET

logger = logging.getLogger("pixelkit.tutorial.steps")
# Empty-and-delete rounds before cleanup gives up on a bucket that keeps getting objects.
DELETE_ATTEMPTS = 3


def cleanup(ws: Workshop) -> list[str]:
    """Delete everything this run made, whatever is already gone; return what went."""
    state = ws.state
    if state is None:
        logger.info("Nothing to clean up: there is no %s. (Resources of a run whose state file was lost: "
                    "`make orphans` finds them by their tags.)", state_path(ws.student))
        return []
    ws.check_account()
    removed: list[str] = []
    if run_forgotten(ws):
        logger.info("%s\nForgetting run %s: there is nothing of it to delete.", forgotten_message(ws), state.suffix)
    else:
        logger.info("Step 6: cleanup of workshop run %s on %s", state.suffix, ws.target.describe())
        buckets = [state.source_bucket, state.destination_bucket]
        ours = [bucket for bucket in buckets if bucket_is_this_runs(ws, bucket)]
        removed = teardown(ws, {"buckets": ours, "functions": [state.function_name], "roles": [state.role_name],
                                "log groups": [state.log_group]},
                           trigger_buckets=[state.source_bucket] if state.source_bucket in ours else [])
        give_back_the_tutorials_name(ws)
        left = [bucket for bucket in buckets if bucket not in ours]
        logger.info("Clean: nothing the kit made for run %s is left%s%s.", state.suffix,
                    "" if ws.target.is_local else " in your account",
                    f" (it left {', '.join(left)}, which it did not make)" if left else "")
    forget_state(state.student)
    ws.state = None
    return removed


def teardown(ws: Workshop, found: dict[str, list[str]], trigger_buckets: list[str]) -> list[str]:
    """Delete what ``found`` names, in the one safe order; return what went.

    The trigger first, so that no new upload calls a function that is going away; the
    function's permission, then the function; the role before the log group, because a
    still-running invocation recreates its log group while it can use the role; the
    buckets last, emptied again if a late invocation wrote into them.
    """
    removed: list[str] = []

    def done(deleted: bool, what: str) -> None:
        say_deleted(deleted, what)
        if deleted:
            removed.append(what)

    s3_client, lambda_client, iam_client = ws.client("s3"), ws.client("lambda"), ws.client("iam")
    for bucket in trigger_buckets:
        notifications = s3.without_trigger(s3.get_notification_configuration(s3_client, bucket), TRIGGER_ID)
        if notifications is not None:  # said only when there was one (a half-finished setup never had it)
            s3_client.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notifications)
            done(True, f"trigger on s3://{bucket}")
    for name in found["functions"]:
        if functions.get_function(lambda_client, name) is not None:
            done(unless_gone(lambda_client.remove_permission, FunctionName=name, StatementId=PERMISSION_ID),
                 f"permission for S3 to invoke {name}")
        done(unless_gone(lambda_client.delete_function, FunctionName=name), f"function {name}")
    for name in found["roles"]:
        done(delete_role(iam_client, name), f"role {name} and its policies")
    for name in found["log groups"]:
        done(unless_gone(ws.client("logs").delete_log_group, logGroupName=name), f"log group {name}")
    for bucket in found["buckets"]:
        done(delete_bucket(s3_client, bucket), f"bucket {bucket} and every object in it")
    return removed


def delete_role(iam_client, role_name: str) -> bool:
    """IAM deletes a role only without policies: its inline ones first, then any attached; False if it was gone."""
    try:
        for name in iam_client.list_role_policies(RoleName=role_name)["PolicyNames"]:
            iam_client.delete_role_policy(RoleName=role_name, PolicyName=name)
        for policy in iam_client.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
            iam_client.detach_role_policy(RoleName=role_name, PolicyArn=policy["PolicyArn"])
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return False
        log_and_raise(error, f"delete the policies of role {role_name}")
    return unless_gone(iam_client.delete_role, RoleName=role_name)


def delete_bucket(s3_client, bucket: str, attempts: int = DELETE_ATTEMPTS) -> bool:
    """S3 deletes only an empty bucket: every object version and delete marker first; False if it was gone.

    An invocation still running can write an output after the bucket was emptied, and S3
    then says BucketNotEmpty: empty it again and retry, a bounded number of times.
    """
    if not s3.bucket_exists(s3_client, bucket):
        return False
    for attempt in range(1, attempts + 1):
        for page in s3_client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            versions = [{"Key": item["Key"], "VersionId": item["VersionId"]}
                        for item in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if versions:  # a page holds at most 1,000, as many as DeleteObjects takes
                s3_client.delete_objects(Bucket=bucket, Delete={"Objects": versions, "Quiet": True})
        try:
            s3_client.delete_bucket(Bucket=bucket)
            break
        except ClientError as error:
            if error_code(error) != "BucketNotEmpty" or attempt == attempts:
                log_and_raise(error, f"delete bucket {bucket}")
            logger.info("  s3://%s got new objects while it was emptied; emptying it again (attempt %d of %d)",
                        bucket, attempt + 1, attempts)
    s3_client.get_waiter("bucket_not_exists").wait(Bucket=bucket, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return True


def bucket_is_this_runs(ws: Workshop, bucket: str) -> bool:
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
        return True  # step 1 interrupted between CreateBucket and PutBucketTagging
    wanted = ", ".join(f"{k}={v}" for k, v in sorted(ws.state.tags.items()))
    logger.info("  left bucket %s: it does not carry the kit's tags for run %s (%s), so the kit did not make it "
                "for this run (its tags: %s). Delete it yourself if it is yours to delete; the kit forgets it.",
                bucket, ws.state.suffix, wanted, ", ".join(f"{k}={v}" for k, v in sorted((have or {}).items())) or "none")
    return False


def give_back_the_tutorials_name(ws: Workshop) -> bool:
    """Delete the tutorial's own bucket name if step 1, asking for it, got it and was stopped before giving it back.

    Only when it is yours (ListBuckets), untagged and empty: a day38-source you made in the console and use
    has objects or tags, and is left alone.
    """
    s3_client = ws.client("s3")
    name = TUTORIAL_BUCKET
    if name not in {bucket["Name"] for bucket in s3_client.list_buckets()["Buckets"]}:
        return False
    if s3.get_bucket_tags(s3_client, name) is not None or s3.list_keys(s3_client, name):
        return False
    say_deleted(unless_gone(s3_client.delete_bucket, Bucket=name), f"bucket {name} (the tutorial's name, empty, "
                "which step 1 asked for and was stopped before it gave it back)")
    return True


def cleanup_tagged(ws: Workshop, student: str | None = None) -> list[str]:
    """``cleanup --all-tagged``: this run's cleanup, then every resource of earlier runs found by its tags.

    Earlier runs' resources are named ``day38-...`` and tagged ``workshop=pixelation-workshop``
    (and ``student=<name>`` when a student is given); they go in the same order.
    """
    removed = cleanup(ws) if ws.state is not None else []
    give_back_the_tutorials_name(ws)
    found = find_tagged(ws, student)
    logger.info("Resources tagged %s%s in %s: %s", WORKSHOP_TAG, f" of student {student}" if student else "",
                ws.target.region, "; ".join(f"{k}: {', '.join(v)}" for k, v in found.items() if v) or "none")
    return removed + teardown(ws, found, trigger_buckets=found["buckets"])


if __name__ == "__main__":
    from pixelkit.commands.entry import run_script  # the command line: --target, --student, --help, errors

    run_script("cleanup")
