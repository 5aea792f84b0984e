"""Every change the emulator makes to moto, installed once, in this order.

moto is the emulator's store (buckets, roles, functions) and its protocol layer for every service but
Lambda's API, which ``lambda_api`` reads first. What moto does differently from AWS is changed here and
nowhere else, each change by the module that explains the AWS behaviour it follows:

1. IAM (``iam_enforcement``): moto's authorisation hooks, for every request and every S3 request,
   authorise the caller's action against its policies.
2. The function's logs (``iam_enforcement.role_log_writes``): CloudWatch Logs writes the Lambda service
   makes for a function are the role's calls.
3. The function's configuration (``function_configuration.shaped``): what moto answers of a function
   is Lambda's configuration (states, RevisionId, LoggingConfig...).
4. Invoke (``invocation.lambda_service``): moto's Docker runner is replaced by the emulator's execution environments
   (``LambdaFunction.invoke``; InvokeAsync reaches it through moto, Invoke through ``lambda_api``).
5. S3 events (``s3_events``, guarded by ``iam_enforcement.permitted_deliveries``): delivered
   asynchronously, once per object, and only with the function's permission. The permission guard
   wraps the delivery, so it is installed after it.
6. S3's strictness (``strict``): notification destinations validated, taken bucket names refused.
   Installed always; ``strict.settings["strict"]`` (``--lenient``) turns them off at call time.

``install`` is idempotent: a second call only updates the settings (each wrapper wraps moto's own
method exactly once, so nothing is ever checked twice).
"""

from __future__ import annotations

import threading

from pixelkit.emulator import iam_requests, lambda_api, strict

_installed = threading.Event()
_lock = threading.Lock()


def install(lambda_service, strict_mode: bool = True, enforce_learner: bool = False,
            role_propagation_seconds: float = strict.ROLE_PROPAGATION_SECONDS) -> None:
    """Make moto the emulator's (once) and set what the changes read (every time)."""
    iam_requests.settings["enforce_learner"] = enforce_learner
    strict.settings.update(strict=strict_mode, role_propagation_seconds=role_propagation_seconds)
    lambda_api.settings["lambda_service"] = lambda_service
    with _lock:
        if _installed.is_set():
            return
        _install(lambda_service)
        _installed.set()


def _install(lambda_service) -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.logs.models import LogsBackend
    from moto.s3 import notifications
    from moto.s3.models import S3Backend

    from pixelkit.emulator import function_configuration, iam_enforcement, s3_events

    # 1. IAM
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = iam_enforcement.authorize_normal_action
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = iam_enforcement.authorize_s3_action
    # 2. The function's logs, as its role
    (LogsBackend.ensure_log_group, LogsBackend.create_log_stream,
     LogsBackend.put_log_events) = iam_enforcement.role_log_writes(
        LogsBackend.ensure_log_group, LogsBackend.create_log_stream, LogsBackend.put_log_events)
    # 3. The function's configuration, as Lambda answers it
    moto_configuration = LambdaFunction.get_configuration

    def get_configuration(function, on_create: bool = False):
        return function_configuration.shaped(function, moto_configuration(function, on_create), on_create)

    LambdaFunction.get_configuration = get_configuration
    # 4. Invoke
    LambdaFunction.invoke = lambda function, body, request_headers, response_headers: lambda_service.invoke(
        function, body, request_headers, response_headers)
    # 5. S3 events: asynchronous, once per object, with the function's permission
    notifications.send_event = s3_events.announced_once(notifications.send_event)
    S3Backend.complete_multipart_upload = s3_events.completing_multipart(S3Backend.complete_multipart_upload)
    notifications._invoke_awslambda = iam_enforcement.permitted_deliveries(s3_events.delivery_to(lambda_service))
    # 6. S3's strictness
    S3Backend.put_bucket_notification_configuration = strict.validated_destinations(
        S3Backend.put_bucket_notification_configuration)
    S3Backend.create_bucket = strict.taken_names(S3Backend.create_bucket)
