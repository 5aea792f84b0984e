#!/usr/bin/env python3
"""Step 4: set destination_bucket, the timeout and the memory, and add the S3 trigger.

Replaces: the function > Configuration > Environment variables > Edit; General configuration >
Edit > Timeout 1 min (and Memory); Add trigger > S3 > the source bucket > "Recursive invocation
acknowledgment" > Add.

Usage: python scripts/step4_configure_function.py [--target local|aws] [--student NAME] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from __future__ import annotations

import logging

from pixelkit.aws import functions, s3
from pixelkit.aws.errors import unless_already_there
from pixelkit.context.errors import WorkshopError
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial.resources import check_distinct_buckets, say_created, trigger_on_destination
from pixelkit.tutorial.settings import MEMORY_MB, PERMISSION_ID, TIMEOUT_SECONDS, TRIGGER_EVENTS, TRIGGER_ID

logger = logging.getLogger("pixelkit.tutorial.steps")


def configure_function(ws: Workshop) -> dict:
    """destination_bucket, a one-minute timeout, the permission for S3, and the trigger on the source bucket."""
    state = ws.require_state()
    check_distinct_buckets(state.source_bucket, state.destination_bucket)  # else the function triggers itself
    lambda_client, s3_client = ws.client("lambda"), ws.client("s3")
    existing = functions.get_function(lambda_client, state.function_name)
    if existing is None:
        raise WorkshopError(f"There is no function {state.function_name} yet: run step 3 (deploy the function) first.")
    logger.info("Step 4: configure %s and its trigger", state.function_name)
    config, function_arn = existing["Configuration"], existing["Configuration"]["FunctionArn"]
    looping = trigger_on_destination(ws, function_arn)
    if looping is not None:  # the API has no "Recursive invocation acknowledgment" box: the kit checks
        raise WorkshopError(
            f"The destination bucket {state.destination_bucket} has a trigger ({looping.get('Id', '?')}) that "
            f"calls {state.function_name}. Each picture the function writes there would call it again, "
            "forever. Remove that trigger (S3 console: Properties > Event notifications), then run step 4 again.")

    wanted = {
        "Environment": {"Variables": {"destination_bucket": state.destination_bucket}},  # where it writes
        "Timeout": TIMEOUT_SECONDS,  # Lambda's default, 3 s, is too short to pixelate a large photo
        "MemorySize": MEMORY_MB,  # Lambda's CPU grows with memory: one full vCPU at 1,769 MB
    }
    current = {"Environment": {"Variables": config.get("Environment", {}).get("Variables", {})},
               "Timeout": config.get("Timeout"), "MemorySize": config.get("MemorySize")}
    if current != wanted:
        lambda_client.update_function_configuration(FunctionName=state.function_name, **wanted)
        functions.wait_until_updated(lambda_client, state.function_name)
        logger.info("  set destination_bucket=%s, timeout %d s, memory %d MB",
                    state.destination_bucket, TIMEOUT_SECONDS, MEMORY_MB)
    else:
        say_created(False, f"destination_bucket={state.destination_bucket}, timeout {TIMEOUT_SECONDS} s, "
                           f"memory {MEMORY_MB} MB")

    # S3 checks that it may invoke the function before it accepts the trigger: the permission first.
    source_arn = f"arn:{ws.partition}:s3:::{state.source_bucket}"
    added = False
    if not functions.remove_outdated_permission(lambda_client, state.function_name, PERMISSION_ID, source_arn,
                                                state.account_id):
        added = unless_already_there(
            lambda_client.add_permission,
            FunctionName=state.function_name,
            StatementId=PERMISSION_ID,
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn=source_arn,
            SourceAccount=state.account_id,  # bucket ARNs carry no account: no same-named bucket elsewhere
        )
    say_created(added, f"permission for s3://{state.source_bucket} to invoke the function")

    # The trigger, on the source bucket only: the bucket's other notifications are kept.
    trigger = {"Id": TRIGGER_ID, "LambdaFunctionArn": function_arn, "Events": TRIGGER_EVENTS}
    notifications = s3.with_trigger(s3.get_notification_configuration(s3_client, state.source_bucket) or {}, trigger)
    if notifications is not None:
        s3_client.put_bucket_notification_configuration(
            Bucket=state.source_bucket, NotificationConfiguration=notifications)
    say_created(notifications is not None, f"trigger on s3://{state.source_bucket} for {', '.join(TRIGGER_EVENTS)}")
    return {"destination_bucket": state.destination_bucket, "timeout": TIMEOUT_SECONDS, "memory_mb": MEMORY_MB,
            "trigger": {"bucket": state.source_bucket, "events": TRIGGER_EVENTS, "function": function_arn}}


if __name__ == "__main__":
    from pixelkit.commands.entry import run_script  # the command line: --target, --student, --help, errors

    run_script("configure-function")
