"""The emulator behaves like AWS where AWS is stricter than moto (the default; ``--lenient`` turns it off).

A learner's first run against a real account meets four things moto lets pass.
The emulator does them too, so the kit's answers to them can be seen, and tested,
end to end; ``python -m pixelkit.emulator --lenient`` (``make emulator LENIENT=1``)
turns them off:

1. A new role is not usable at once: ``CreateFunction`` with a role younger than
   a moment (AWS: a few seconds; here shortened) fails with ``InvalidParameterValueException`` ("The role defined
   for the function cannot be assumed by Lambda"), as while IAM propagates.
2. S3 validates a notification's destination: ``PutBucketNotificationConfiguration``
   naming a function that has not allowed ``s3.amazonaws.com`` to invoke it for
   this bucket fails with ``InvalidArgument`` ("Unable to validate the following
   destination configurations").
3. Outside us-east-1, ``CreateBucket`` needs a ``LocationConstraint``: moto
   enforces this one itself.
4. Bucket names are global: the name the first ``CreateBucket`` asks for is
   taken by another account a moment before, so it fails with ``BucketAlreadyExists``.
"""

from __future__ import annotations

import logging
import os
import threading


logger = logging.getLogger("pixelkit.emulator")

# Short, so that `make demo` pays about two seconds for it; the kit's retry is the same as on AWS.
ROLE_PROPAGATION_SECONDS = 2.0
# The account that owns the bucket name the first CreateBucket asks for.
SOMEBODY_ELSE = "999999999999"


def install(role_propagation_seconds: float | None = None) -> None:
    if role_propagation_seconds is None:  # WORKSHOP_EMULATOR_ROLE_PROPAGATION: longer, to see the kit wait
        role_propagation_seconds = float(os.environ.get("WORKSHOP_EMULATOR_ROLE_PROPAGATION", ROLE_PROPAGATION_SECONDS))
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend
    from moto.core.utils import utcnow
    from moto.iam.models import iam_backends
    from moto.s3.exceptions import InvalidArgumentError
    from moto.s3.models import S3Backend, s3_backends

    if getattr(LambdaBackend.create_function, "_pixelkit_strict", False):
        return  # installed already: wrapping twice would refuse twice
    create_function = LambdaBackend.create_function
    put_notification = S3Backend.put_bucket_notification_configuration
    create_bucket = S3Backend.create_bucket
    first_bucket = {"taken": False}
    first_bucket_lock = threading.Lock()

    def strict_create_function(backend, spec):
        role_name = str(spec.get("Role", "")).rsplit("/", 1)[-1]
        try:
            role = iam_backends[backend.account_id][backend.partition].get_role(role_name)
        except Exception:
            role = None  # moto's own check says what is wrong with a missing role
        if role is not None and (utcnow() - role.create_date).total_seconds() < role_propagation_seconds:
            logger.info("strict: role %s is %.1f s old; CreateFunction refused as IAM propagates",
                        role_name, (utcnow() - role.create_date).total_seconds())
            raise InvalidParameterValueException("The role defined for the function cannot be assumed by Lambda.")
        return create_function(backend, spec)

    def strict_put_notification(backend, bucket_name, notification_config):
        from pixelkit.emulator.iam_enforcement import s3_may_invoke_function

        configs = (notification_config or {}).get("CloudFunctionConfiguration") or []
        for config in configs if isinstance(configs, list) else [configs]:
            arn = config.get("CloudFunction", "")
            parts = arn.split(":")
            if len(parts) < 5 or not s3_may_invoke_function(parts[4], parts[3], arn, bucket_name):
                logger.info("strict: trigger on %s refused: %s has not allowed S3 to invoke it", bucket_name, arn)
                raise InvalidArgumentError(
                    "Unable to validate the following destination configurations", arn, "Permissions on the destination"
                )
        return put_notification(backend, bucket_name, notification_config)

    def strict_create_bucket(backend, bucket_name, region_name, *args, **kwargs):
        with first_bucket_lock:  # the server is threaded: exactly one name is taken
            if not first_bucket["taken"] and backend.account_id != SOMEBODY_ELSE:
                # Somebody else creates it a moment before: moto then answers as S3 does, BucketAlreadyExists.
                create_bucket(s3_backends[SOMEBODY_ELSE][backend.partition], bucket_name, region_name)
                first_bucket["taken"] = True
                logger.info("strict: bucket name %s is taken by account %s (names are global)", bucket_name, SOMEBODY_ELSE)
        return create_bucket(backend, bucket_name, region_name, *args, **kwargs)

    strict_create_function._pixelkit_strict = True
    LambdaBackend.create_function = strict_create_function
    S3Backend.put_bucket_notification_configuration = strict_put_notification
    S3Backend.create_bucket = strict_create_bucket
