#!/usr/bin/env python3
"""Step 1: create the source and the destination S3 bucket.

Replaces, twice: S3 console > Create bucket > Bucket name, Region > leave Block Public Access
and default encryption on > Create bucket.

Usage: python scripts/step1_create_buckets.py [--target local|aws] [--student NAME] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from pixelkit.aws import s3
from pixelkit.aws.errors import error_code, log_and_raise
from pixelkit.aws.tags import tag_list
from pixelkit.context.errors import WorkshopError
from pixelkit.context.state import new_suffix
from pixelkit.context.workshop import Workshop
from pixelkit.tutorial.resources import check_distinct_buckets, say_created, start_run
from pixelkit.tutorial.settings import NAME_ATTEMPTS, TUTORIAL_BUCKET

logger = logging.getLogger("pixelkit.tutorial.steps")


def create_buckets(ws: Workshop) -> dict:
    """Both buckets, private and encrypted, tagged as the kit's; a bucket already there is kept."""
    new_run = ws.state is None
    state = start_run(ws)  # this run's names, chosen once and kept in .workshop/state.json
    logger.info("Step 1: source and destination buckets")
    check_distinct_buckets(state.source_bucket, state.destination_bucket)
    s3_client = ws.client("s3")
    if new_run:  # why a suffix: the tutorial's own name is taken
        logger.info("  %s; using %s and %s", ask_for_the_tutorials_name(s3_client, state.region),
                    state.source_bucket, state.destination_bucket)
    for attempt in range(1, NAME_ATTEMPTS + 1):
        made = []
        try:
            for bucket in (state.source_bucket, state.destination_bucket):
                if create_bucket(s3_client, bucket, state.region, state.tags):
                    made.append(bucket)
            break
        except s3.BucketNameTaken as taken:
            # Bucket names are global: another account has this one. Both buckets get a new suffix.
            if attempt == NAME_ATTEMPTS:
                raise WorkshopError(
                    f"{NAME_ATTEMPTS} bucket names in a row belong to someone else, the last {taken.bucket}. "
                    "That is not bad luck: check that your credentials can call s3:CreateBucket "
                    "and s3:ListBucket, then run step 1 again.") from None
            for bucket in made:  # made a moment ago, empty: the pair is renamed together
                s3_client.delete_bucket(Bucket=bucket)
            state.use_suffix(new_suffix())
            ws.save()
            logger.info("  bucket name %s belongs to someone else (names are global); using %s and %s",
                        taken.bucket, state.source_bucket, state.destination_bucket)
    return {"source_bucket": state.source_bucket, "destination_bucket": state.destination_bucket}


def ask_for_the_tutorials_name(s3_client, region: str, name: str = TUTORIAL_BUCKET) -> str:
    """Ask S3 for the tutorial's own bucket name, to see why the kit adds a suffix; return what S3 answered.

    Bucket names are global, and every learner of the tutorial asked for this one: AWS answers
    BucketAlreadyExists. Yours already (ListBuckets lists only yours): nothing is asked. Free after all:
    it is deleted at once, the kit's buckets being the suffixed ones.
    """
    if name in {bucket["Name"] for bucket in s3_client.list_buckets()["Buckets"]}:  # yours, made in the console?
        return f"the tutorial's bucket name {name} is yours already; the kit's buckets get a suffix all the same"
    try:
        s3_client.create_bucket(Bucket=name, **location(region))
    except ClientError as error:
        if error_code(error) != "BucketAlreadyExists":
            log_and_raise(error, f"ask for bucket {name}")
        return f"the tutorial's bucket name {name} belongs to someone else (names are global)"
    s3_client.delete_bucket(Bucket=name)
    return f"the tutorial's bucket name {name} was free here (on AWS it is taken), so it is given back at once"


def location(region: str) -> dict:
    """CreateBucket's parameter for the region: S3 wants it named, except us-east-1, which refuses its own name."""
    return {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}


def create_bucket(s3_client, bucket: str, region: str, tags: dict[str, str]) -> bool:
    """One bucket with AWS's safeguards on; False when it was ours already. BucketNameTaken if it is not ours."""
    created = False
    # us-east-1 answers 200 to creating a bucket you already own, so look first (403: another account's).
    if not s3.bucket_exists(s3_client, bucket):
        try:
            s3_client.create_bucket(Bucket=bucket, **location(region))
            created = True
        except ClientError as error:
            if error_code(error) == "BucketAlreadyExists":  # another account asked for this name first
                raise s3.BucketNameTaken(bucket) from error
            if error_code(error) != "BucketAlreadyOwnedByYou":  # ours already (outside us-east-1)
                log_and_raise(error, f"create bucket {bucket}")
        s3_client.get_waiter("bucket_exists").wait(Bucket=bucket, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    # Tags first, so that even a step interrupted here leaves a bucket `make orphans` finds by them.
    s3_client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(tags)})
    # New buckets have both on already: saying so repairs a bucket made by hand in the console.
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
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    say_created(created, f"bucket {bucket}")
    return created


if __name__ == "__main__":
    from pixelkit.commands.entry import run_script  # the command line: --target, --student, --help, errors

    run_script("create-buckets")
