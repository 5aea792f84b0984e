"""Lambda: the function, its configuration, and the permission that lets S3 call it."""

from __future__ import annotations

import fnmatch
import json
import logging
import time

from botocore.exceptions import ClientError

from pixelkit.aws.errors import ExplainedError, error_code, error_message, log_and_raise, unless_gone
from pixelkit.aws.tags import select_named

logger = logging.getLogger(__name__)

# botocore's Lambda waiters poll every 5 s by default; the function is usually ready within one second.
WAIT = {"Delay": 1, "MaxAttempts": 120}
# The pause between attempts while a new role propagates (the tests replace it to count, not wait).
retry_sleep = time.sleep
# A new role takes a few seconds to reach Lambda; until then create_function says this.
ROLE_NOT_READY = "cannot be assumed by Lambda"
# How often, and how long, the kit retries while IAM propagates: up to about a minute (1+2+4+8+10x5 s).
ROLE_ATTEMPTS = 10
ROLE_MAX_DELAY = 10.0


def get_function(lambda_client, function_name: str) -> dict | None:
    try:
        return lambda_client.get_function(FunctionName=function_name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        log_and_raise(error, f"look up function {function_name}")


class RoleNotReady(ExplainedError):
    """Lambda still cannot assume the new role after every retry."""


def until_role_is_usable(create_function, attempts: int = ROLE_ATTEMPTS, first_delay: float = 1.0, **params) -> dict:
    """``create_function(**params)``, retried (bounded, with backoff) while Lambda cannot assume the new role yet.

    IAM is eventually consistent: a role is usable by Lambda a few seconds after CreateRole;
    until then CreateFunction answers InvalidParameterValueException "cannot be assumed by Lambda".
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return create_function(**params)
        except ClientError as error:
            if not (error_code(error) == "InvalidParameterValueException" and ROLE_NOT_READY in error_message(error)):
                log_and_raise(error, f"create function {params['FunctionName']}")
            if attempt == attempts:
                logger.error("Couldn't create function %s: %s", params["FunctionName"], error_message(error))
                raise RoleNotReady(
                    f"Lambda still cannot assume the role {params['Role']} after {attempts} attempts. "
                    "A new role usually reaches Lambda within seconds: run the step again in a minute. "
                    "If it keeps failing, check the role's trust policy names lambda.amazonaws.com "
                    "(policies/trust-policy.json)."
                ) from error
            logger.info("  the new role is not usable by Lambda yet (IAM is eventually consistent); "
                        "attempt %d of %d, retrying in %.0f s", attempt, attempts, delay)
            retry_sleep(delay)
            delay = min(delay * 2, ROLE_MAX_DELAY)


def wait_until_active(lambda_client, function_name: str) -> None:
    """botocore's waiter: until a new function's State is Active (Lambda refuses to invoke it while Pending)."""
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=function_name, WaiterConfig=WAIT)


def wait_until_updated(lambda_client, function_name: str) -> None:
    """botocore's waiter: until an update's LastUpdateStatus is Successful (a second update meanwhile is refused)."""
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function_name, WaiterConfig=WAIT)


def create_function(lambda_client, params: dict, attempts: int = ROLE_ATTEMPTS, first_delay: float = 1.0) -> dict:
    """Create the function while the role propagates, and wait until it is Active."""
    response = until_role_is_usable(lambda_client.create_function, attempts, first_delay, **params)
    wait_until_active(lambda_client, params["FunctionName"])
    return response


def update_function_code(lambda_client, function_name: str, zip_bytes: bytes, architecture: str | None = None) -> dict:
    """Replace the code; with ``architecture``, also the instruction set it runs on (the two go together)."""
    params = {"FunctionName": function_name, "ZipFile": zip_bytes}
    if architecture:
        params["Architectures"] = [architecture]
    response = lambda_client.update_function_code(**params)
    wait_until_updated(lambda_client, function_name)
    return response


def update_function_configuration(lambda_client, function_name: str, **changes) -> dict:
    response = lambda_client.update_function_configuration(FunctionName=function_name, **changes)
    wait_until_updated(lambda_client, function_name)
    return response


# Lambda retries a failed asynchronous invocation twice unless the function's event invoke config says otherwise.
DEFAULT_RETRIES = 2


def max_retry_attempts(lambda_client, function_name: str, default: int = DEFAULT_RETRIES) -> int:
    """How many times Lambda retries a failed asynchronous invocation (2 unless the function says otherwise)."""
    try:
        config = lambda_client.get_function_event_invoke_config(FunctionName=function_name)
    except ClientError as error:
        if error_code(error) in ("ResourceNotFoundException", "AccessDeniedException"):
            return default
        log_and_raise(error, f"read the retry settings of {function_name}")
    return int(config.get("MaximumRetryAttempts", default))


def get_policy_statements(lambda_client, function_name: str) -> list[dict]:
    try:
        return json.loads(lambda_client.get_policy(FunctionName=function_name)["Policy"])["Statement"]
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return []
        log_and_raise(error, f"read the resource policy of {function_name}")


def s3_may_invoke(statements: list[dict], bucket: str) -> bool:
    """Whether a function's resource policy lets S3 invoke it for events of ``bucket``, as AWS reads it."""
    for statement in statements:
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else [principal]
        services = [services] if isinstance(services, str) else services
        if statement.get("Effect") != "Allow" or not {"s3.amazonaws.com", "*"} & set(services):
            continue
        source_arns = [
            value
            for condition in statement.get("Condition", {}).values()
            for key, value in condition.items()
            if key.lower() == "aws:sourcearn"
        ]
        # arn:<partition>:s3:::<bucket>, where ArnLike allows wildcards in the bucket part
        patterns = [arn.rpartition(":::")[2] for value in source_arns for arn in ([value] if isinstance(value, str) else value)]
        if not patterns or any(fnmatch.fnmatchcase(bucket, pattern) for pattern in patterns):
            return True
    return False


def _condition_values(statement: dict, key: str) -> list[str]:
    values = [
        value
        for condition in statement.get("Condition", {}).values()
        for name, value in condition.items()
        if name.lower() == key.lower()
    ]
    return [v for value in values for v in ([value] if isinstance(value, str) else value)]


def remove_outdated_permission(lambda_client, function_name: str, statement_id: str, source_arn: str,
                               account_id: str) -> bool:
    """True when the function's policy already lets S3 invoke it for ``source_arn`` from ``account_id`` only.

    A statement of the same id for another bucket or account (left by a run whose state file
    was lost) is removed, and False returned: kept, S3 would refuse the trigger for the new bucket.
    """
    for statement in get_policy_statements(lambda_client, function_name):
        if statement.get("Sid") != statement_id:
            continue
        if (_condition_values(statement, "AWS:SourceArn") == [source_arn]
                and _condition_values(statement, "AWS:SourceAccount") == [account_id]
                and s3_may_invoke([statement], source_arn.rpartition(":::")[2])):
            return True
        logger.info("  replacing permission %s: it let %s (account %s) invoke %s, not %s",
                    statement_id, ", ".join(_condition_values(statement, "AWS:SourceArn")) or "any source",
                    ", ".join(_condition_values(statement, "AWS:SourceAccount")) or "any", function_name, source_arn)
        remove_permission(lambda_client, function_name, statement_id)
    return False


def remove_permission(lambda_client, function_name: str, statement_id: str) -> bool:
    return unless_gone(lambda_client.remove_permission, FunctionName=function_name, StatementId=statement_id)


def get_function_tags(lambda_client, function_arn: str) -> dict[str, str] | None:
    try:
        return lambda_client.list_tags(Resource=function_arn).get("Tags", {})
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        log_and_raise(error, f"read the tags of {function_arn}")


def list_functions(lambda_client, prefix: str, tags: dict[str, str] | None = None) -> list[str]:
    """The names of the region's functions starting with ``prefix`` (and tagged ``tags``, if given)."""
    pages = lambda_client.get_paginator("list_functions").paginate()
    candidates = ((function["FunctionName"], function) for page in pages for function in page["Functions"])
    return select_named(candidates, prefix, tags, lambda function: get_function_tags(lambda_client, function["FunctionArn"]))
