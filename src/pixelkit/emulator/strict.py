"""The emulator behaves like AWS where AWS is stricter than moto (the default; ``--lenient`` turns it off).

A learner's first run against a real account meets four things moto lets pass.
The emulator does them too, so the kit's answers to them can be seen, and tested,
end to end; ``python -m pixelkit.emulator --lenient`` (``make emulator LENIENT=1``)
turns them off:

1. A new role is not usable at once: ``CreateFunction`` with a role younger than
   a moment (AWS: a few seconds; here shortened) fails with ``InvalidParameterValueException`` ("The role defined
   for the function cannot be assumed by Lambda"), as while IAM propagates (``role_is_new``,
   checked in its place among CreateFunction's checks by ``lambda_api``).
2. S3 validates a notification's destination: ``PutBucketNotificationConfiguration``
   naming a function that has not allowed ``s3.amazonaws.com`` to invoke it for
   this bucket fails with ``InvalidArgument`` ("Unable to validate the following
   destination configurations"), unless the request says ``SkipDestinationValidation``
   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html).
3. Outside us-east-1, ``CreateBucket`` needs a ``LocationConstraint``: moto
   enforces this one itself.
4. Bucket names are global, and the obvious ones are taken: the tutorial's own names
   (``day38-source``, ``day38-destination``: it asks every learner for them) and common words
   (``TAKEN_NAMES``) belong to another account, so ``CreateBucket`` for them fails with
   ``BucketAlreadyExists``; any other name is free, as it almost always is on AWS.
"""

from __future__ import annotations

import logging
import threading

from pixelkit.emulator import request_context

logger = logging.getLogger("pixelkit.emulator")

# Short, so that `make demo` pays about two seconds for it; the kit's retry is the same as on AWS.
ROLE_PROPAGATION_SECONDS = 2.0
# The account that owns the names that are taken.
SOMEBODY_ELSE = "999999999999"
# Names somebody took long ago: the tutorial's, and words anyone would try first.
TAKEN_NAMES = frozenset({
    "day38-source", "day38-destination", "source", "destination", "images", "image", "photos", "pictures",
    "uploads", "test", "bucket", "my-bucket", "mybucket", "data", "backup", "logs", "demo", "example",
    "lambda", "input", "output", "thumbnails",
})

settings = {"strict": True, "role_propagation_seconds": ROLE_PROPAGATION_SECONDS}
_taken_lock = threading.Lock()


def role_is_new(role, propagation_seconds: float) -> bool:
    """Whether IAM has not yet propagated the role to Lambda (it is younger than the propagation time)."""
    from moto.core.utils import utcnow

    age = (utcnow() - role.create_date).total_seconds()
    if age < propagation_seconds:
        logger.info("strict: role %s is %.1f s old; CreateFunction refused as IAM propagates", role.name, age)
        return True
    return False


def validated_destinations(put_notification):
    """moto's PutBucketNotificationConfiguration, validating each Lambda destination as S3 does."""
    from moto.s3.exceptions import InvalidArgumentError

    def put_validated(backend, bucket_name, notification_config):
        from pixelkit.emulator.iam_enforcement import s3_may_invoke_function

        skip = request_context.header("x-amz-skip-destination-validation").lower() == "true"
        configs = (notification_config or {}).get("CloudFunctionConfiguration") or []
        for config in (configs if isinstance(configs, list) else [configs]) if settings["strict"] and not skip else []:
            arn = config.get("CloudFunction", "")
            parts = arn.split(":")
            if len(parts) < 5 or not s3_may_invoke_function(parts[4], parts[3], arn, bucket_name):
                logger.info("strict: trigger on %s refused: %s has not allowed S3 to invoke it", bucket_name, arn)
                raise InvalidArgumentError(
                    "Unable to validate the following destination configurations", arn, "Permissions on the destination"
                )
        return put_notification(backend, bucket_name, notification_config)

    return put_validated


def taken_names(create_bucket):
    """moto's CreateBucket, with the names in ``TAKEN_NAMES`` owned by another account."""
    from moto.s3.models import s3_backends

    def create_unless_taken(backend, bucket_name, region_name, *args, **kwargs):
        if settings["strict"] and bucket_name in TAKEN_NAMES and backend.account_id != SOMEBODY_ELSE:
            other = s3_backends[SOMEBODY_ELSE][backend.partition]
            with _taken_lock:  # the server is threaded: the other account creates it once
                if bucket_name not in other.buckets:
                    create_bucket(other, bucket_name, region_name)
                    logger.info("strict: bucket name %s is taken by account %s (names are global)", bucket_name,
                                SOMEBODY_ELSE)
        return create_bucket(backend, bucket_name, region_name, *args, **kwargs)

    return create_unless_taken
