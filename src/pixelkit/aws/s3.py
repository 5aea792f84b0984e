"""S3: the source and destination buckets, their trigger, and their objects."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from pixelkit.aws.errors import ExplainedError, error_code, log_and_raise
from pixelkit.aws.tags import select_named, tag_dict

logger = logging.getLogger(__name__)

NOT_FOUND = {"404", "NoSuchBucket", "NotFound"}


class BucketNameTaken(ExplainedError):
    """Somebody else, somewhere in AWS, owns a bucket of this name."""

    def __init__(self, bucket: str):
        super().__init__(
            f"The bucket name {bucket} belongs to another AWS account (bucket names are global). "
            "The kit cannot use or delete it; if your state file names it, move the file aside."
        )
        self.bucket = bucket


def bucket_exists(s3_client, bucket: str) -> bool:
    """True for a bucket we can use; BucketNameTaken when it exists but is somebody else's."""
    try:
        s3_client.head_bucket(Bucket=bucket)
        return True
    except ClientError as error:
        if error_code(error) in NOT_FOUND:
            return False
        if error_code(error) in {"403", "AccessDenied", "Forbidden"}:
            raise BucketNameTaken(bucket) from error
        log_and_raise(error, f"look up bucket {bucket}")


def get_bucket_tags(s3_client, bucket: str) -> dict[str, str] | None:
    try:
        tag_set = s3_client.get_bucket_tagging(Bucket=bucket)["TagSet"]
    except ClientError as error:
        if error_code(error) in NOT_FOUND | {"NoSuchTagSet"}:
            return None
        log_and_raise(error, f"read the tags of bucket {bucket}")
    return tag_dict(tag_set)


def list_buckets(s3_client, prefix: str, tags: dict[str, str] | None = None, region: str | None = None) -> list[str]:
    """The names of the buckets starting with ``prefix`` (in ``region``, and tagged ``tags``, if given)."""
    candidates = (
        (bucket["Name"], bucket)
        for bucket in s3_client.list_buckets().get("Buckets", [])
        if not region or bucket.get("BucketRegion") in (None, region)
    )
    return select_named(candidates, prefix, tags, lambda bucket: get_bucket_tags(s3_client, bucket["Name"]))


def get_notification_configuration(s3_client, bucket: str) -> dict | None:
    """The bucket's whole notification configuration (Lambda, SQS, SNS, EventBridge); None without the bucket."""
    try:
        config = s3_client.get_bucket_notification_configuration(Bucket=bucket)
    except ClientError as error:
        if error_code(error) in NOT_FOUND:
            return None
        log_and_raise(error, f"read the triggers of bucket {bucket}")
    config.pop("ResponseMetadata", None)
    return config


def get_lambda_triggers(s3_client, bucket: str) -> list[dict] | None:
    config = get_notification_configuration(s3_client, bucket)
    return None if config is None else config.get("LambdaFunctionConfigurations", [])


def with_trigger(config: dict, trigger: dict) -> dict | None:
    """The notification configuration with ``trigger`` in place of any of its Id; None when it holds exactly that.

    Every other trigger of the bucket (and its SQS, SNS and EventBridge settings) is kept:
    PutBucketNotificationConfiguration replaces the whole configuration.
    """
    lambdas = config.get("LambdaFunctionConfigurations", [])
    if any(t.get("Id") == trigger["Id"] and t["LambdaFunctionArn"] == trigger["LambdaFunctionArn"]
           and sorted(t["Events"]) == sorted(trigger["Events"]) and not t.get("Filter") for t in lambdas):
        return None
    return {**config, "LambdaFunctionConfigurations": [t for t in lambdas if t.get("Id") != trigger["Id"]] + [trigger]}


def without_trigger(config: dict | None, trigger_id: str) -> dict | None:
    """The notification configuration without the trigger ``trigger_id``; None when it has none (or there is no bucket)."""
    if config is None:
        return None
    lambdas = config.get("LambdaFunctionConfigurations", [])
    kept = [t for t in lambdas if t.get("Id") != trigger_id]
    if len(kept) == len(lambdas):
        return None
    config = {key: value for key, value in config.items() if key != "LambdaFunctionConfigurations"}
    return {**config, "LambdaFunctionConfigurations": kept} if kept else config


def remove_lambda_trigger(s3_client, bucket: str, trigger_id: str) -> bool:
    """Remove the kit's trigger and keep any other; return False when there was none."""
    config = without_trigger(get_notification_configuration(s3_client, bucket), trigger_id)
    if config is None:
        return False
    s3_client.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    return True


def calls_function(trigger: dict, function_arn: str) -> bool:
    """Whether an S3 trigger calls the function of ``function_arn``, as its $LATEST or any version or alias.

    A Lambda ARN is ``arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]``.
    """
    unqualified = ":".join(function_arn.split(":")[:7])
    arn = trigger.get("LambdaFunctionArn", "")
    return arn == unqualified or arn.startswith(unqualified + ":")


def triggers_calling(s3_client, bucket: str, function_arn: str) -> list[dict] | None:
    """The bucket's triggers that call the function; None when there is no such bucket."""
    triggers = get_lambda_triggers(s3_client, bucket)
    return None if triggers is None else [t for t in triggers if calls_function(t, function_arn)]


def list_keys(s3_client, bucket: str, prefix: str = "") -> list[str]:
    keys = []
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys
