"""The emulator answers as AWS does, checked against AWS's own recordings.

AWS's answers are public in LocalStack's test suite, recorded against real AWS: the files
``tests/aws/services/lambda_/*.snapshot.json`` of https://github.com/localstack/localstack. Each test
here names the recording (file and test) or the AWS documentation it follows, and meets the emulator
through boto3, as a learner's own script does. All share the session's emulator and one role.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ECHO = "def handler(event, context):\n    return {'request_id': context.aws_request_id, 'event': event}\n"
FAST = {"Delay": 0.2, "MaxAttempts": 100}


def zipped(source: str = ECHO) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


class Aws:
    def __init__(self, url: str):
        options = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
        self.options = options
        self.lam = boto3.client("lambda", **options)
        self.s3 = boto3.client("s3", **options)
        self.iam = boto3.client("iam", **options)
        self.account = boto3.client("sts", **options).get_caller_identity()["Account"]
        try:
            self.role = self.iam.get_role(RoleName="recordings-role")["Role"]["Arn"]
        except ClientError:
            self.role = self.iam.create_role(RoleName="recordings-role",
                                             AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
            # AWS's managed policy for a function's logs (the emulator loads AWS's managed policies)
            self.iam.attach_role_policy(RoleName="recordings-role",
                                        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            time.sleep(2.2)  # the emulator, as AWS, refuses a role younger than IAM's propagation

        self.functions: list[str] = []
        self.buckets: list[str] = []

    def bucket(self, name: str | None = None) -> str:
        name = name or f"rec-{uuid.uuid4().hex[:8]}"
        self.s3.create_bucket(Bucket=name)
        self.buckets.append(name)
        return name

    def cleanup(self) -> None:
        """The session's emulator is shared: leave nothing of these tests in it."""
        for name in self.functions:
            try:
                self.lam.delete_function(FunctionName=name)
            except ClientError:
                pass
        for bucket in self.buckets:
            for version in self.s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                self.s3.delete_object(Bucket=bucket, Key=version["Key"])
            self.s3.delete_bucket(Bucket=bucket)

    def create(self, wait: bool = True, **options) -> tuple[str, dict]:
        name = options.pop("FunctionName", f"rec-{uuid.uuid4().hex[:8]}")
        self.functions.append(name.rsplit(":", 1)[-1])
        params = dict(FunctionName=name, Runtime="python3.13", Role=self.role, Handler="app.handler",
                      Code={"ZipFile": zipped()})
        params.update(options)
        response = self.lam.create_function(**params)
        if wait:
            self.lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)
        return name, response

    def arn(self, name: str, region: str = "us-east-1") -> str:
        return f"arn:aws:lambda:{region}:{self.account}:function:{name}"


@pytest.fixture(scope="module")
def aws(emulator_url):
    lab = Aws(emulator_url)
    yield lab
    lab.cleanup()


def error_of(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response


def test_function_states_pending_to_active_and_updates_in_progress_to_successful(aws):
    """Item 1. test_lambda_api.snapshot.json, TestLambdaFunction::test_function_lifecycle and
    ::test_lambda_code_location_zipfile: CreateFunction answers 201 with State Pending, StateReason "The
    function is being created.", StateReasonCode Creating, no LastUpdateStatus, a RevisionId, LoggingConfig
    {Text, /aws/lambda/<name>}, RuntimeVersionConfig, no Environment when none was given and no Layers;
    then Active and Successful (function_active_v2). An update answers LastUpdateStatus InProgress, a
    second one during it is ResourceConflictException (::test_lambda_concurrent_code_updates), and
    function_updated_v2 waits for Successful. An invoke while Pending is refused (ResourceConflictException,
    https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html)."""
    name, created = aws.create(wait=False)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["State"], created["StateReason"], created["StateReasonCode"]) == (
        "Pending", "The function is being created.", "Creating")
    assert "LastUpdateStatus" not in created and "Layers" not in created and "Environment" not in created
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    assert created["RuntimeVersionConfig"]["RuntimeVersionArn"].startswith("arn:aws:lambda:us-east-1::runtime:")
    uuid.UUID(created["RevisionId"])
    refused = error_of(aws.lam.invoke, FunctionName=name)
    assert refused["Error"]["Code"] == "ResourceConflictException"
    assert refused["Error"]["Message"].endswith("The function is currently in the following state: Pending")

    aws.lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)
    active = aws.lam.get_function(FunctionName=name)["Configuration"]
    assert (active["State"], active["LastUpdateStatus"]) == ("Active", "Successful")
    assert "StateReason" not in active and active["RevisionId"] != created["RevisionId"]

    updated = aws.lam.update_function_configuration(FunctionName=name, Timeout=10, Environment={"Variables": {}})
    assert (updated["LastUpdateStatus"], updated["LastUpdateStatusReasonCode"]) == ("InProgress", "Creating")
    assert updated["Environment"] == {"Variables": {}}  # as given, empty too
    conflict = error_of(aws.lam.update_function_code, FunctionName=name, ZipFile=zipped())
    assert conflict["Error"]["Code"] == "ResourceConflictException"
    assert conflict["Error"]["Message"] == ("The operation cannot be performed at this time. An update is in progress "
                                            f"for resource: {aws.arn(name)}")
    aws.lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=FAST)
    done = aws.lam.get_function_configuration(FunctionName=name)
    assert (done["LastUpdateStatus"], done["Timeout"]) == ("Successful", 10)
    assert done["RevisionId"] not in (updated["RevisionId"], active["RevisionId"])


@pytest.mark.parametrize("operation", ["get_function", "invoke", "delete_function", "create_function"])
def test_names_and_qualifiers_are_validated_by_the_models_patterns(aws, operation):
    """Item 2. test_lambda_api.snapshot.json, TestLambdaFunction::test_function_name_and_qualifier_validation
    [invalid_characters_in_function_name / qualifier_too_long / invalid_region_in_arn]: 400
    ValidationException quoting the constraint of botocore's model (CreateFunction's FunctionName pattern
    is stricter than GetFunction's), and no Type in the body."""
    def call(**members):
        if operation == "create_function":
            name = members["FunctionName"] + (f":{members['Qualifier']}" if "Qualifier" in members else "")
            return aws.lam.create_function(FunctionName=name, Runtime="python3.13", Role=aws.role,
                                           Handler="app.handler", Code={"ZipFile": zipped()})
        return getattr(aws.lam, operation)(**members)

    pattern = ("(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
               "(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?")
    if operation == "create_function":
        pattern = pattern.replace("[a-zA-Z0-9-_\\.]+", "[a-zA-Z0-9-_]+").replace("(\\.PUBLISHED)?", "")
    bad_name = error_of(call, FunctionName="my-function!")
    assert bad_name["Error"] == {"Code": "ValidationException", "Message": (
        "1 validation error detected: Value 'my-function!' at 'functionName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern}")}
    assert "Type" not in bad_name and bad_name["ResponseMetadata"]["HTTPStatusCode"] == 400
    region_arn = f"arn:aws:lambda:invalid-region:{aws.account}:function:my-function"
    assert f"Value '{region_arn}' at 'functionName'" in error_of(call, FunctionName=region_arn)["Error"]["Message"]
    long_qualifier = error_of(call, FunctionName="my-function", Qualifier="a" * 129)["Error"]
    assert long_qualifier["Code"] == "ValidationException"
    if operation == "create_function":  # the qualifier is part of the name there
        assert "at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140" in (
            long_qualifier["Message"])
    else:
        assert long_qualifier["Message"] == (f"1 validation error detected: Value '{'a' * 129}' at 'qualifier' failed "
                                             "to satisfy constraint: Member must have length less than or equal to 128")


def test_a_full_arn_names_its_function_and_another_regions_arn_is_not_reachable(aws):
    """Item 2. test_lambda_api.snapshot.json, TestLambdaFunction::test_function_arns (a function created by
    its full ARN is named by the name; a 65-character name is InvalidParameterValueException) and
    ::test_get_function_wrong_region (ResourceNotFoundException "Functions from 'R' are not reachable in this
    region ('r')", Type User); UpdateFunctionConfiguration by full ARN works as by name."""
    name = f"rec-{uuid.uuid4().hex[:8]}"
    _, created = aws.create(FunctionName=aws.arn(name))
    assert created["FunctionName"] == name and created["FunctionArn"] == aws.arn(name)
    assert aws.lam.get_function(FunctionName=f"{aws.account}:function:{name}")["Configuration"]["FunctionName"] == name
    updated = aws.lam.update_function_configuration(FunctionName=aws.arn(name), Description="by ARN")
    assert updated["Description"] == "by ARN"
    too_long = error_of(aws.create, FunctionName="a" * 65)
    assert too_long["Error"]["Code"] == "InvalidParameterValueException" and too_long["Type"] == "User"
    assert too_long["Error"]["Message"].endswith("Member must have length less than or equal to 64")
    for call in (aws.lam.get_function, aws.lam.invoke, aws.lam.delete_function):
        other = error_of(call, FunctionName=aws.arn(name, "eu-central-1"))
        assert other["Error"] == {"Code": "ResourceNotFoundException",
                                  "Message": "Functions from 'eu-central-1' are not reachable in this region ('us-east-1')"}
        assert other["Type"] == "User" and other["ResponseMetadata"]["HTTPStatusCode"] == 404
    mismatch = error_of(aws.lam.get_function, FunctionName=aws.arn(name) + ":$LATEST", Qualifier="1")
    assert mismatch["Error"]["Message"] == "The derived qualifier from the function name does not match the specified qualifier."


def test_error_bodies_status_codes_and_request_ids_are_lambdas(aws):
    """Item 3. test_lambda_api.snapshot.json: ::test_function_lifecycle and ::test_ops_on_nonexisting_fn
    (not found: Type User, Message; Invoke names the qualified ARN ...:$LATEST),
    TestLambdaPermissions (AddPermission 201), TestLambdaTags (TagResource 204: the model's responseCode),
    ::test_lambda_code_location_s3_errors (code in a missing S3 object: InvalidParameterValueException "Error
    occurred while GetObject. S3 Error Code: NoSuchKey..."); test_lambda.snapshot.json,
    TestLambdaErrors::test_lambda_invoke_payload_encoding_error (invalid UTF-8: InvalidRequestContentException);
    x-amzn-RequestId of an invoke is the invocation's aws_request_id
    (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""
    missing = f"rec-missing-{uuid.uuid4().hex[:6]}"
    not_found = error_of(aws.lam.get_function, FunctionName=missing)
    assert not_found["Error"]["Message"] == f"Function not found: {aws.arn(missing)}" and not_found["Type"] == "User"
    assert error_of(aws.lam.invoke, FunctionName=missing)["Error"]["Message"] == f"Function not found: {aws.arn(missing)}:$LATEST"

    name, _ = aws.create()
    added = aws.lam.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                                   Principal="s3.amazonaws.com")
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    tagged = aws.lam.tag_resource(Resource=aws.arn(name), Tags={"workshop": "recordings"})
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 204
    invoked = aws.lam.invoke(FunctionName=name, Payload=b'{"n": 1}')
    assert invoked["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == json.load(invoked["Payload"])["request_id"]
    bad = error_of(aws.lam.invoke, FunctionName=name, Payload=b"n\x87r\x9e")
    assert bad["Error"]["Code"] == "InvalidRequestContentException" and bad["Type"] == "User"
    assert bad["Error"]["Message"].startswith("Could not parse request body into json: Could not parse payload into "
                                              "json: Invalid UTF-8 start byte 0x87")
    bucket = aws.bucket()
    no_key = error_of(aws.create, Code={"S3Bucket": bucket, "S3Key": "non/existent.zip"})
    assert no_key["Error"] == {"Code": "InvalidParameterValueException", "Message": (
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.")}
    no_bucket = error_of(aws.create, Code={"S3Bucket": f"rec-nobucket-{uuid.uuid4().hex[:8]}", "S3Key": "code.zip"})
    assert no_bucket["Error"]["Message"] == ("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error "
                                             "Message: The specified bucket does not exist")


def test_account_settings_and_the_recursion_config_exist(aws):
    """Item 4. test_lambda_api.snapshot.json, TestLambdaAccountSettings::test_account_settings (AccountLimit
    and AccountUsage with their members) and TestLambdaRecursion (Terminate by default; Allow stored and
    answered; an invalid value is ValidationException on 'recursiveLoop')."""
    settings = aws.lam.get_account_settings()
    assert set(settings["AccountLimit"]) == {"CodeSizeUnzipped", "CodeSizeZipped", "ConcurrentExecutions",
                                             "TotalCodeSize", "UnreservedConcurrentExecutions"}
    assert set(settings["AccountUsage"]) == {"FunctionCount", "TotalCodeSize"}
    assert settings["AccountLimit"]["CodeSizeZipped"] == 52428800
    name, _ = aws.create()
    assert aws.lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    assert aws.lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert aws.lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    invalid = error_of(aws.lam.put_function_recursion_config, FunctionName=name, RecursiveLoop="InvalidValue")
    assert invalid["Error"]["Code"] == "ValidationException"
    assert invalid["Error"]["Message"].startswith("1 validation error detected: Value 'InvalidValue' at 'recursiveLoop' "
                                                  "failed to satisfy constraint: Member must satisfy enum value set: [")


def test_limits_as_lambda_sets_them(aws):
    """Item 6. test_lambda.snapshot.json, TestLambdaBaseFeatures::test_lambda_large_response (a 6 MB response
    is returned) and ::test_lambda_too_large_response (over it: FunctionError Unhandled,
    Function.ResponseSizeTooLarge "... (6291556 bytes)."); test_lambda_api.snapshot.json,
    TestLambdaSizeLimits::test_large_environment_variables_fails (over 4 KB: InvalidParameterValueException
    "... exceeded the 4KB limit. String measured: {...}") and ::test_oversized_zipped_create_lambda
    (413 RequestEntityTooLargeException "Zipped size must be smaller than 52428800 bytes")."""
    sized = "def handler(event, context):\n    return 'a' * event['bytes']\n"
    name, _ = aws.create(Code={"ZipFile": zipped(sized)}, MemorySize=512)
    six = aws.lam.invoke(FunctionName=name, Payload=json.dumps({"bytes": 6 * 1024 * 1024}))
    assert "FunctionError" not in six and len(json.load(six["Payload"])) == 6 * 1024 * 1024
    seven = aws.lam.invoke(FunctionName=name, Payload=json.dumps({"bytes": 7 * 1024 * 1024}))
    assert seven["FunctionError"] == "Unhandled" and json.load(seven["Payload"]) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge"}
    large = error_of(aws.create, Environment={"Variables": {"LARGE_VAR": "x" * 4096}})
    assert large["Error"]["Code"] == "InvalidParameterValueException"
    assert large["Error"]["Message"] == ("Lambda was unable to configure your environment variables because the "
                                         "environment variables you have provided exceeded the 4KB limit. String "
                                         'measured: {"LARGE_VAR":"' + "x" * 4096 + '"}')
    oversized = error_of(aws.create, Code={"ZipFile": b"\0" * (52428800 + 1)})
    assert oversized["Error"] == {"Code": "RequestEntityTooLargeException",
                                  "Message": "Zipped size must be smaller than 52428800 bytes"}
    assert oversized["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_async_edges_as_recorded(aws):
    """Item 6. test_lambda.snapshot.json, TestLambdaConcurrency::test_reserved_concurrency (an async invoke
    of a function with reserved concurrency 0 goes to the on-failure destination: condition
    ZeroReservedConcurrency, approximateInvokeCount 0, the qualified functionArn);
    test_lambda_api.snapshot.json, TestLambdaEventInvokeConfig (PutFunctionEventInvokeConfig answers
    FunctionArn ...:$LATEST); test_lambda_destinations.snapshot.json, TestLambdaDLQ::test_dead_letter_queue
    (the dead-letter message's ErrorMessage is the exception's message alone)."""
    sqs = boto3.client("sqs", **aws.options)
    queue = sqs.create_queue(QueueName=f"rec-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def received() -> dict:
        for _ in range(40):
            messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1, MessageAttributeNames=["All"]).get("Messages")
            if messages:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
                return messages[0]
        raise AssertionError("nothing arrived in the queue")

    name, _ = aws.create()
    config = aws.lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    assert config["FunctionArn"] == aws.arn(name) + ":$LATEST"
    aws.lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert aws.lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    record = json.loads(received()["Body"])
    assert record["requestContext"]["condition"] == "ZeroReservedConcurrency"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestContext"]["functionArn"] == aws.arn(name) + ":$LATEST"
    assert "responseContext" not in record and record["requestPayload"] == {}

    failing = "def handler(event, context):\n    raise Exception('Test exception (this is intentional)')\n"
    dead, _ = aws.create(Code={"ZipFile": zipped(failing)}, DeadLetterConfig={"TargetArn": queue_arn})
    assert aws.lam.get_function_configuration(FunctionName=dead)["DeadLetterConfig"] == {"TargetArn": queue_arn}
    aws.lam.put_function_event_invoke_config(FunctionName=dead, MaximumRetryAttempts=0)
    aws.lam.invoke(FunctionName=dead, InvocationType="Event", Payload=b'{"raise_error": 1}')
    message = received()
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "Test exception (this is intentional)"
    assert message["MessageAttributes"]["ErrorCode"]["StringValue"] == "200"


def test_skip_destination_validation_and_aws_managed_policies(aws):
    """Item 7. PutBucketNotificationConfiguration with SkipDestinationValidation=True stores the
    notification without checking the destination's permission
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html); without
    it, S3 refuses a function that has not allowed it (InvalidArgument). AWS's managed policies exist
    (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html)."""
    name, _ = aws.create()
    bucket = aws.bucket()
    notification = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": aws.arn(name), "Events": ["s3:ObjectCreated:*"]}]}
    refused = error_of(aws.s3.put_bucket_notification_configuration, Bucket=bucket, NotificationConfiguration=notification)
    assert refused["Error"]["Code"] == "InvalidArgument"
    aws.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notification,
                                                 SkipDestinationValidation=True)
    stored = aws.s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert stored[0]["LambdaFunctionArn"] == aws.arn(name)
    for policy in ("service-role/AWSLambdaBasicExecutionRole", "AWSLambdaExecute"):
        found = aws.iam.get_policy(PolicyArn=f"arn:aws:iam::aws:policy/{policy}")["Policy"]
        assert found["PolicyName"] == policy.rsplit("/", 1)[-1]


def test_taken_bucket_names_are_the_obvious_ones_and_loopback_is_any_port(aws, emulator_url):
    """Item 8. Bucket names are global (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
    the tutorial's bare names are long taken on AWS (BucketAlreadyExists), a name of one's own is free, even
    the first one asked for. A request to the emulator by its loopback name through another port (a proxy,
    an SSH tunnel) is answered; one addressed to another host name is not."""
    import urllib.error
    import urllib.request

    for taken in ("day38-source", "day38-destination"):
        assert error_of(aws.s3.create_bucket, Bucket=taken)["Error"]["Code"] == "BucketAlreadyExists"
    aws.bucket(f"recordings-source-{uuid.uuid4().hex[:8]}")  # free, though it may be the first name asked for

    def status(host: str) -> int:
        request = urllib.request.Request(emulator_url + "/", headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert status("localhost:8443") == 200 and status("127.0.0.1:1") == 200
    assert status("evil.example:" + emulator_url.rsplit(":", 1)[-1]) == 403


INTROSPECTION = '''
import os, resource
def handler(event, context):
    limits = {name: list(resource.getrlimit(getattr(resource, name))) for name in ("RLIMIT_NOFILE", "RLIMIT_NPROC")}
    return {"env": dict(os.environ), "arn": context.invoked_function_arn, "limits": limits,
            "opt": os.listdir("/opt") if os.path.isdir("/opt") else None}
'''
WRAPPER = '#!/bin/sh\nexport WRAPPER_VAR=wrapped\nexec "$@"\n'


def test_the_runtime_environment_is_lambdas(aws, emulator_url):
    """Item 5. test_lambda_common.snapshot.json, TestLambdaRuntimesCommon::test_introspection_invoke[python3.13]
    (PATH, LD_LIBRARY_PATH, LC_CTYPE, SHLVL 0, the X-Ray variables; invoked_function_arn keeps the qualifier
    the caller gave) and ::test_runtime_wrapper_invoke (AWS_LAMBDA_EXEC_WRAPPER runs before the runtime);
    test_lambda.snapshot.json, TestLambdaBehavior::test_runtime_ulimits (NOFILE 1024, NPROC 742) and the log
    events of TestLambdaBaseFeatures (INIT_START names the runtime version and its ARN, the one
    RuntimeVersionConfig names; each event ends with a newline). /opt exists, empty, without layers
    (https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html). Each environment has keys of its own."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", INTROSPECTION)
        wrapper = zipfile.ZipInfo("environment_wrapper")
        wrapper.external_attr = 0o100755 << 16
        archive.writestr(wrapper, WRAPPER)
    name, created = aws.create(Code={"ZipFile": buffer.getvalue()},
                               Environment={"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/environment_wrapper"}})
    response = aws.lam.invoke(FunctionName=name)
    result = json.load(response["Payload"])
    assert "FunctionError" not in response, result
    env = result["env"]
    assert env["WRAPPER_VAR"] == "wrapped"
    task_root = env["LAMBDA_TASK_ROOT"]  # /var/task, or the real folder without a sandbox
    assert env["PATH"].startswith("/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:") and env["PATH"].endswith("/bin")
    assert env["LD_LIBRARY_PATH"].startswith("/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:"
                                             f"{task_root}:{task_root}/lib:")
    assert {k: env[k] for k in ("SHLVL", "LC_CTYPE", "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS",
                                "_AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_PORT")} == {
        "SHLVL": "0", "LC_CTYPE": "C.UTF-8", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.100.1:2000", "_AWS_XRAY_DAEMON_ADDRESS": "169.254.100.1",
        "_AWS_XRAY_DAEMON_PORT": "2000"}
    assert result["limits"] == {"RLIMIT_NOFILE": [1024, 1024], "RLIMIT_NPROC": [742, 742]}
    if task_root == "/var/task":  # in the sandbox (without, the function sees this computer's /opt: README)
        assert result["opt"] == []
    assert result["arn"] == aws.arn(name)
    qualified = json.load(aws.lam.invoke(FunctionName=name, Qualifier="$LATEST")["Payload"])
    assert qualified["arn"] == aws.arn(name) + ":$LATEST"

    logs = boto3.client("logs", **aws.options)
    group = f"/aws/lambda/{name}"
    messages = [event["message"] for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]
                for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]]
    assert messages and all(message.endswith("\n") for message in messages)
    arn = created["RuntimeVersionConfig"]["RuntimeVersionArn"]
    init = [m for m in messages if m.startswith("INIT_START")]
    assert init and init[0].startswith("INIT_START Runtime Version: python:3.13.v") and init[0].endswith(
        f"\tRuntime Version ARN: {arn}\n")

    # a second environment (a concurrent invocation) gets keys of its own
    import concurrent.futures

    slow, _ = aws.create(Code={"ZipFile": zipped(
        "import os, time\ndef handler(e, c):\n    time.sleep(1)\n    return os.environ['AWS_ACCESS_KEY_ID']\n")})
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        keys = list(pool.map(lambda _: json.load(aws.lam.invoke(FunctionName=slow)["Payload"]), range(2)))
    assert len(set(keys)) == 2
