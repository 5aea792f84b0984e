"""S3: the source and destination buckets, their trigger, and their objects."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from pixelkit.aws.errors import error_code, log_and_raise
from pixelkit.aws.tags import select_named, tag_dict, tag_list
from pixelkit.context.errors import WorkshopError

logger = logging.getLogger(__name__)

NOT_FOUND = {"404", "NoSuchBucket", "NotFound"}
# Empty-and-delete rounds before cleanup gives up on a bucket that keeps getting objects.
DELETE_ATTEMPTS = 3


class BucketNameTaken(WorkshopError):
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


def create_bucket(s3_client, bucket: str, region: str, tags: dict[str, str]) -> bool:
    """Create the bucket with AWS's safeguards on; return False when it was already ours."""
    params = {"Bucket": bucket}
    # us-east-1 is the one region that refuses a LocationConstraint naming itself.
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    # us-east-1 answers 200 to re-creating a bucket you own, so look first.
    created = not bucket_exists(s3_client, bucket)
    try:
        if created:
            s3_client.create_bucket(**params)
    except ClientError as error:
        code = error_code(error)
        if code == "BucketAlreadyOwnedByYou":
            created = False
        elif code == "BucketAlreadyExists":
            raise BucketNameTaken(bucket) from error
        else:
            log_and_raise(error, f"create bucket {bucket}")
    s3_client.get_waiter("bucket_exists").wait(Bucket=bucket, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    # Tags first, so that even a step interrupted here leaves a bucket `cleanup --all-tagged` finds.
    s3_client.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": tag_list(tags)}
    )
    # New buckets have these on already; setting them says so, and repairs a bucket made by hand.
    s3_client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3_client.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return created


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


def empty_bucket(s3_client, bucket: str) -> int:
    """Delete every object version and delete marker; return how many went."""
    deleted = 0
    try:
        pages = s3_client.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            batch = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(batch), 1000):
                chunk = batch[start : start + 1000]
                response = s3_client.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
                for failure in response.get("Errors", []):
                    logger.error("Couldn't delete s3://%s/%s: %s", bucket, failure["Key"], failure["Message"])
                deleted += len(chunk) - len(response.get("Errors", []))
    except ClientError as error:
        if error_code(error) in NOT_FOUND:
            return 0
        log_and_raise(error, f"empty bucket {bucket}")
    return deleted


def delete_bucket(s3_client, bucket: str, attempts: int = DELETE_ATTEMPTS) -> bool:
    """Empty and delete the bucket; return False when it was already gone.

    An invocation still running can write an output after the bucket was emptied, and
    S3 then says BucketNotEmpty: empty it again and retry, a bounded number of times.
    """
    if not bucket_exists(s3_client, bucket):
        return False
    for attempt in range(1, attempts + 1):
        empty_bucket(s3_client, bucket)
        try:
            s3_client.delete_bucket(Bucket=bucket)
            break
        except ClientError as error:
            if error_code(error) in NOT_FOUND:
                return False
            if error_code(error) != "BucketNotEmpty" or attempt == attempts:
                log_and_raise(error, f"delete bucket {bucket}")
            logger.info("  s3://%s got new objects while it was emptied; emptying it again (attempt %d of %d)",
                        bucket, attempt + 1, attempts)
    s3_client.get_waiter("bucket_not_exists").wait(Bucket=bucket, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return True


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


def put_lambda_trigger(s3_client, bucket: str, trigger_id: str, function_arn: str, events: list[str]) -> bool:
    """Make the bucket call the function on the events; return False when it already did."""
    wanted = {"Id": trigger_id, "LambdaFunctionArn": function_arn, "Events": events}
    current = get_lambda_triggers(s3_client, bucket) or []
    if any(
        t.get("Id") == trigger_id and t["LambdaFunctionArn"] == function_arn and sorted(t["Events"]) == sorted(events)
        and not t.get("Filter")
        for t in current
    ):
        return False
    others = [t for t in current if t.get("Id") != trigger_id]
    s3_client.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": others + [wanted]}
    )
    return True


def remove_lambda_trigger(s3_client, bucket: str, trigger_id: str) -> bool:
    """Remove the kit's trigger and keep any other; return False when there was none."""
    config = get_notification_configuration(s3_client, bucket)
    if config is None:
        return False
    triggers = config.get("LambdaFunctionConfigurations", [])
    kept = [t for t in triggers if t.get("Id") != trigger_id]
    if len(kept) == len(triggers):
        return False
    config["LambdaFunctionConfigurations"] = kept
    if not kept:
        del config["LambdaFunctionConfigurations"]
    s3_client.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    return True


def list_keys(s3_client, bucket: str, prefix: str = "") -> list[str]:
    keys = []
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys
