"""The emulator runs functions as Lambda does: met through boto3, as a learner's own code meets it.

Each test deploys a small function (a zip made here) to the running emulator and checks what Lambda
would answer: warm reuse, error shapes, isolation, limits, asynchronous invocation, S3 events.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
import uuid
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from pixelkit.emulator import runtimes

pytestmark = pytest.mark.emulator

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
EVERYTHING = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:*", "logs:*", "sqs:*", "sns:*"], "Resource": "*"}]}


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


class Lab:
    """Clients for the emulator and the functions a test deployed (deleted afterwards)."""

    def __init__(self, url: str):
        options = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing",
                       config=Config(retries={"max_attempts": 1}, read_timeout=120))
        self.url = url
        self.iam = boto3.client("iam", **options)
        self.lam = boto3.client("lambda", **options)
        self.logs = boto3.client("logs", **options)
        self.s3 = boto3.client("s3", **options)
        self.sqs = boto3.client("sqs", **options)
        self.functions: list[str] = []
        self.role_arn = self._role()

    def _role(self) -> str:
        try:
            return self.iam.get_role(RoleName="fidelity-role")["Role"]["Arn"]
        except ClientError:
            arn = self.iam.create_role(RoleName="fidelity-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
            self.iam.put_role_policy(RoleName="fidelity-role", PolicyName="all", PolicyDocument=json.dumps(EVERYTHING))
            time.sleep(float(os.environ.get("PIXELKIT_TEST_ROLE_WAIT", "0")))
            return arn

    def deploy(self, source: str | None = None, files: dict | None = None, handler: str = "app.handler",
               runtime: str = "python3.13", **options) -> str:
        name = f"fn-{uuid.uuid4().hex[:8]}"
        code = files if files is not None else {"app.py": source}
        for attempt in range(20):  # a new role propagates for a few seconds, as on AWS
            try:
                self.lam.create_function(FunctionName=name, Runtime=runtime, Handler=handler, Role=self.role_arn,
                                         Code={"ZipFile": zipped(code)}, **options)
                break
            except ClientError as error:
                if "cannot be assumed" not in str(error) or attempt == 19:
                    raise
                time.sleep(0.5)
        self.functions.append(name)
        # As on AWS, a new function is Pending for a moment and an invoke is refused until it is Active.
        self.lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
        return name

    def invoke(self, name: str, event: dict | None = None, **options) -> tuple[dict, object]:
        response = self.lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **options)
        body = response["Payload"].read()
        return response, (json.loads(body) if body else None)

    def streams(self, name: str) -> dict[str, list[str]]:
        """Each log stream of the function with its events, in order."""
        group = f"/aws/lambda/{name}"
        try:
            streams = self.logs.describe_log_streams(logGroupName=group)["logStreams"]
        except ClientError:
            return {}
        # each event ends with its newline, as CloudWatch keeps Lambda's (test_aws_recordings); compared without it
        return {s["logStreamName"]: [e["message"].removesuffix("\n") for e in self.logs.get_log_events(
            logGroupName=group, logStreamName=s["logStreamName"])["events"]] for s in streams}

    def lines(self, name: str) -> list[str]:
        return [line for stream in self.streams(name).values() for line in stream]

    def wait_for(self, condition, timeout: float = 30.0, what: str = "the function"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"waited {timeout:.0f} s for {what}")

    def cleanup(self) -> None:
        for name in self.functions:
            try:
                self.lam.delete_function(FunctionName=name)
                self.logs.delete_log_group(logGroupName=f"/aws/lambda/{name}")
            except ClientError:
                pass


@pytest.fixture
def lab(emulator_url):
    lab = Lab(emulator_url)
    yield lab
    lab.cleanup()


COUNTER = '''
import os
calls = 0
def handler(event, context):
    global calls
    calls += 1
    path = os.path.join(os.environ["TMPDIR"], "calls.txt")  # /tmp in a sandbox; a folder of its own without
    previous = open(path).read() if os.path.exists(path) else ""
    open(path, "a").write("x")
    return {"calls": calls, "tmp_before": len(previous)}
'''


def test_a_warm_environment_keeps_module_state_and_tmp(lab):
    name = lab.deploy(COUNTER)
    results = [lab.invoke(name)[1] for _ in range(3)]
    assert [r["calls"] for r in results] == [1, 2, 3]
    assert [r["tmp_before"] for r in results] == [0, 1, 2]
    [(stream, lines)] = lab.streams(name).items()  # one environment, one stream, named as Lambda names them
    assert "/[$LATEST]" in stream and len(stream.rsplit("]", 1)[1]) == 32
    reports = [line for line in lines if line.startswith("REPORT RequestId:")]
    assert len(reports) == 3 and "Init Duration" in reports[0]
    assert not any("Init Duration" in report for report in reports[1:])
    assert lines[0].startswith("INIT_START Runtime Version: python:3.13")


def test_a_configuration_change_starts_a_new_environment(lab):
    name = lab.deploy(COUNTER)
    lab.invoke(name)
    lab.invoke(name)
    lab.lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"CHANGED": "yes"}})
    lab.lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert lab.invoke(name)[1]["calls"] == 1
    assert len(lab.streams(name)) == 2


RAISES = '''
def handler(event, context):
    raise ValueError("asked to fail\\non two lines")
'''


def test_an_unhandled_error_is_shaped_as_lambda_shapes_it(lab):
    name = lab.deploy(RAISES)
    response, payload = lab.invoke(name)
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError" and payload["errorMessage"] == "asked to fail\non two lines"
    assert payload["requestId"] and any("/var/task/app.py" in frame or "app.py" in frame for frame in payload["stackTrace"])
    [error] = [line for line in lab.lines(name) if line.startswith("[ERROR]")]
    # one log event for the whole error, traceback included, as Lambda's runtime writes it
    assert error.startswith("[ERROR] ValueError: asked to fail\non two lines\nTraceback (most recent call last):")


@pytest.mark.parametrize("files, handler, error_type, message", [
    ({"app.py": "def handler(e, c): return 1"}, "app.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'"),
    ({"app.py": "def handler(e, c) return 1"}, "app.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'app'"),
    ({"app.py": "import requests\ndef handler(e, c): return 1"}, "app.handler", "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'requests'"),
    ({"app.py": "import PIL\ndef handler(e, c): return 1"}, "app.handler", "Runtime.ImportModuleError",
     "No module named 'PIL'"),
    ({"app.py": "import pixelkit\ndef handler(e, c): return 1"}, "app.handler", "Runtime.ImportModuleError",
     "No module named 'pixelkit'"),
    ({"app.py": "def handler(e, c): return object()"}, "app.handler", "Runtime.MarshalError", "Unable to marshal response"),
    ({"src/app.py": "def handler(e, c): return 'nested'"}, "src/app.handler", None, None),
])
def test_handler_resolution_and_errors_are_lambdas(lab, files, handler, error_type, message):
    name = lab.deploy(files=files, handler=handler)
    response, payload = lab.invoke(name)
    if error_type is None:
        assert "FunctionError" not in response and payload == "nested"
        return
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == error_type and message in payload["errorMessage"]


ENVIRONMENT = '''
import os, sys
def handler(event, context):
    return {"env": sorted(os.environ), "path": sys.path, "version": list(sys.version_info[:2]),
            "cwd": os.getcwd(), "task_root": os.environ["LAMBDA_TASK_ROOT"],
            "remaining": context.get_remaining_time_in_millis(), "arn": context.invoked_function_arn,
            "name": context.function_name, "greeting": os.environ.get("GREETING")}
'''
LAMBDA_VARIABLES = {
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER", "_X_AMZN_TRACE_ID", "TZ", "PATH",
    "LANG", "PYTHONPATH", "TMPDIR", "LD_LIBRARY_PATH", "AWS_ENDPOINT_URL",
    "PWD", "LC_CTYPE",  # set by the process itself: the shell convention and Python's UTF-8 locale coercion
    "SHLVL", "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_PORT",
}


def test_the_function_sees_lambdas_environment_and_nothing_of_the_emulators(lab):
    name = lab.deploy(ENVIRONMENT, Environment={"Variables": {"GREETING": "hello"}}, Timeout=30)
    _, result = lab.invoke(name)
    assert set(result["env"]) - {"GREETING"} <= LAMBDA_VARIABLES
    assert result["greeting"] == "hello" and result["name"] == name
    from pixelkit.context.paths import KIT_ROOT

    assert not any(entry.startswith(str(KIT_ROOT)) for entry in result["path"])  # nothing of the kit's .venv
    assert result["cwd"] == result["task_root"]
    assert 0 < result["remaining"] <= 30000
    assert result["arn"].endswith(f":function:{name}")


def test_reserved_variables_and_retired_runtimes_are_refused_as_lambda_refuses_them(lab):
    with pytest.raises(ClientError, match="Reserved keys used in this request: AWS_REGION"):
        lab.deploy(COUNTER, Environment={"Variables": {"AWS_REGION": "moon-1"}})
    with pytest.raises(ClientError, match="python3.9 is no longer supported") as refused:
        lab.deploy(COUNTER, runtime="python3.9")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    # AWS's recording (LocalStack's test_lambda_api.snapshot.json, test_create_lambda_exceptions): an unknown
    # runtime is InvalidParameterValueException "Value python9.99 at 'runtime' failed to satisfy constraint: ..."
    with pytest.raises(ClientError, match="Value python9.99 at 'runtime' failed to satisfy constraint") as invalid:
        lab.deploy(COUNTER, runtime="python9.99")
    assert invalid.value.response["Error"]["Code"] == "InvalidParameterValueException"


@pytest.mark.parametrize("runtime", sorted(runtimes.SUPPORTED))
def test_each_runtime_runs_on_its_own_python_when_the_machine_has_it(lab, runtime):
    wanted = runtimes.SUPPORTED[runtime]
    if wanted not in [i.version for i in runtimes.interpreters()]:
        pytest.skip(f"this machine has no Python {wanted[0]}.{wanted[1]}")
    name = lab.deploy(ENVIRONMENT, runtime=runtime)
    assert tuple(lab.invoke(name)[1]["version"]) == wanted


def test_a_timeout_stops_the_function_and_its_environment(lab):
    name = lab.deploy('import time\ndef handler(e, c):\n    time.sleep(e.get("sleep", 0))\n    print("woke up")\n    return "done"',
                      Timeout=1)
    response, payload = lab.invoke(name, {"sleep": 5})
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "Sandbox.Timedout"
    lines = lab.lines(name)
    assert any(line.endswith("Task timed out after 1.00 seconds") for line in lines)
    assert "woke up" not in lines
    assert any(line.startswith("REPORT") and "Duration: 1000.00 ms" in line and "Status: timeout" in line for line in lines)
    # the environment was destroyed: the next invocation initialises a new one
    assert lab.invoke(name)[1] == "done"
    assert sum("Init Duration" in line for line in lab.lines(name)) == 2


def test_memory_size_is_enforced_and_reported(lab):
    source = 'def handler(e, c):\n    block = bytearray(e["mb"] * 1024 * 1024)\n    block[::4096] = b"x" * len(block[::4096])\n    return len(block)'
    name = lab.deploy(source, MemorySize=128, Timeout=30)
    response, payload = lab.invoke(name, {"mb": 8})
    assert payload == 8 * 1024 * 1024
    small = [line for line in lab.lines(name) if line.startswith("REPORT")][-1]
    used = int(small.split("Max Memory Used: ")[1].split(" MB")[0])
    assert 8 < used < 128  # the function's own peak, not the emulator's
    response, payload = lab.invoke(name, {"mb": 400})
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "Runtime.OutOfMemory"
    report = [line for line in lab.lines(name) if line.startswith("REPORT")][-1]
    assert "Memory Size: 128 MB" in report and "Error Type: Runtime.OutOfMemory" in report


def test_event_invocations_are_queued_and_dry_runs_run_nothing(lab):
    name = lab.deploy(COUNTER)
    response, _ = lab.invoke(name, InvocationType="DryRun")
    assert response["StatusCode"] == 204
    response, _ = lab.invoke(name, InvocationType="Event")
    assert response["StatusCode"] == 202
    lab.wait_for(lambda: any(line.startswith("REPORT") for line in lab.lines(name)), what="the queued event")
    assert sum(line.startswith("START") for line in lab.lines(name)) == 1  # the dry run ran nothing
    assert lab.invoke(name)[1]["calls"] == 2


def test_failed_events_are_retried_with_the_same_request_id_then_sent_to_the_on_failure_destination(lab):
    queue_url = lab.sqs.create_queue(QueueName=f"failures-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = lab.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = lab.deploy(RAISES)
    lab.lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1,
                                             DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    lab.invoke(name, {"n": 1}, InvocationType="Event")
    messages = lab.wait_for(lambda: lab.sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages"),
                            what="the invocation record")
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == {"n": 1} and record["responsePayload"]["errorType"] == "ValueError"
    starts = [line for line in lab.lines(name) if line.startswith("START")]
    assert len(starts) == 2 and starts[0] == starts[1]  # Lambda retries with the same request id


def test_a_dead_letter_queue_receives_the_event_after_the_last_attempt(lab):
    queue_url = lab.sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = lab.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = lab.deploy(RAISES, DeadLetterConfig={"TargetArn": queue_arn})
    lab.lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    lab.invoke(name, {"lost": True}, InvocationType="Event")
    messages = lab.wait_for(lambda: lab.sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1,
                                                            MessageAttributeNames=["All"]).get("Messages"),
                            what="the dead-letter message")
    assert json.loads(messages[0]["Body"]) == {"lost": True}
    assert messages[0]["MessageAttributes"]["RequestID"]["StringValue"]
    # as AWS records it (LocalStack's test_lambda_destinations.snapshot.json, TestLambdaDLQ): the message alone
    assert messages[0]["MessageAttributes"]["ErrorMessage"]["StringValue"] == "asked to fail\non two lines"


def test_reserved_concurrency_throttles_synchronous_calls(lab):
    name = lab.deploy('import time\ndef handler(e, c):\n    time.sleep(e.get("sleep", 0))\n    return "ok"', Timeout=10)
    lab.invoke(name)  # warm
    lab.lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    results: list = []

    def call():
        try:
            results.append(lab.invoke(name, {"sleep": 3})[1])
        except ClientError as error:
            results.append(f'{error.response["Error"]["Code"]}: {error.response.get("Reason")}')

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.5)
    for thread in threads:
        thread.join()
    assert sorted(results) == ["TooManyRequestsException: ReservedFunctionConcurrentInvocationLimitExceeded", "ok"]


def test_oversized_packages_are_refused_before_they_are_unpacked(lab):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "def handler(e, c): return 1")
        with archive.open("zeros.bin", "w") as member:
            chunk = bytes(16 * 1024 * 1024)
            for _ in range(16):  # 256 MiB of zeros: over 250 MB unzipped, a few hundred KB zipped
                member.write(chunk)
    with pytest.raises(ClientError, match="Unzipped size must be smaller than 262144000 bytes"):
        lab.lam.create_function(FunctionName=f"bomb-{uuid.uuid4().hex[:6]}", Runtime="python3.13",
                                Handler="app.handler", Role=lab.role_arn, Code={"ZipFile": bomb.getvalue()})


LAYERED = '''
import greeting
def handler(event, context):
    return greeting.HELLO
'''


def test_layers_are_on_the_path_under_opt(lab):
    layer = lab.lam.publish_layer_version(LayerName=f"greeting-{uuid.uuid4().hex[:6]}",
                                          Content={"ZipFile": zipped({"python/greeting.py": "HELLO = 'from a layer'"})},
                                          CompatibleRuntimes=["python3.13"])
    name = lab.deploy(LAYERED, Layers=[layer["LayerVersionArn"]])
    assert lab.invoke(name)[1] == "from a layer"


SNOOP = '''
import os
def handler(event, context):
    found = {}
    for path in event["paths"]:
        try:
            with open(path, "rb") as file:
                found[path] = len(file.read())
        except OSError as error:
            found[path] = type(error).__name__
    found["processes"] = len([p for p in os.listdir("/proc") if p.isdigit()])
    return found
'''


def _emulator_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as file:
                    if b"pixelkit.emulator" in file.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


@pytest.mark.skipif(shutil.which("bwrap") is None or "sandbox" in os.environ.get("PIXELKIT_WITHOUT", ""),
                    reason="bubblewrap is not installed or PIXELKIT_WITHOUT names sandbox: functions run unsandboxed")
def test_a_sandboxed_function_cannot_read_the_emulator_or_the_learners_files(lab):
    from pixelkit.context.paths import KIT_ROOT

    secrets = [f"/proc/{pid}/environ" for pid in _emulator_pids()]
    assert secrets, "the emulator's process should be visible to the test"
    private = [str(KIT_ROOT / "README.md"), str(KIT_ROOT / "pyproject.toml"), "/etc/shadow"]
    assert all(os.path.exists(path) for path in private)  # there to be read, outside the sandbox
    name = lab.deploy(SNOOP)
    found = lab.invoke(name, {"paths": secrets + private + ["/var/task/app.py"]})[1]
    assert all(found[path] == "FileNotFoundError" for path in secrets + private)
    assert found["/var/task/app.py"] > 0  # its own code, read-only at Lambda's task root
    assert found["processes"] <= 3  # its own process namespace: no other process of this computer


MULTIPART_RECORDER = """
import json
def handler(event, context):
    for record in event["Records"]:
        print("EVENT", record["eventName"], record["s3"]["object"]["key"])
"""


def _bucket_with_trigger(lab, name: str, events=("s3:ObjectCreated:*",)) -> str:
    bucket = f"fidelity-{uuid.uuid4().hex[:10]}"
    lab.s3.create_bucket(Bucket=bucket)
    arn = lab.lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lab.lam.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")
    lab.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": list(events)}]})
    return bucket


def _empty(lab, bucket: str) -> None:
    for item in lab.s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        lab.s3.delete_object(Bucket=bucket, Key=item["Key"])
    lab.s3.delete_bucket(Bucket=bucket)


def test_a_multipart_upload_gives_one_event(lab, tmp_path):
    from boto3.s3.transfer import TransferConfig

    name = lab.deploy(MULTIPART_RECORDER)
    bucket = _bucket_with_trigger(lab, name)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(6 * 1024 * 1024))
    lab.s3.upload_file(str(big), bucket, "big.bin", Config=TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                                                        multipart_chunksize=5 * 1024 * 1024))
    lab.s3.put_object(Bucket=bucket, Key="marker", Body=b"after")
    def events():
        return [line for line in lab.lines(name) if line.startswith("EVENT")]

    lab.wait_for(lambda: any("marker" in e for e in events()) and any("big.bin" in e for e in events()),
                 what="both objects' events")
    time.sleep(1)  # a second event for big.bin would be delivered by now
    assert sorted(events()) == ["EVENT ObjectCreated:CompleteMultipartUpload big.bin", "EVENT ObjectCreated:Put marker"]
    _empty(lab, bucket)


LOOP = """
import boto3
s3 = boto3.client("s3")
def handler(event, context):
    record = event["Records"][0]["s3"]
    key = record["object"]["key"]
    s3.put_object(Bucket=record["bucket"]["name"], Key=key + "x", Body=b"again")
"""


def test_a_recursive_s3_loop_is_stopped_as_lambda_stops_it(lab):
    name = lab.deploy(LOOP, Timeout=10)
    bucket = _bucket_with_trigger(lab, name)
    lab.s3.put_object(Bucket=bucket, Key="k", Body=b"start")
    note = lab.wait_for(lambda: [l for l in lab.lines(name) if "recursive loop detected and stopped" in l],
                        timeout=90, what="the loop to be stopped")
    assert bucket in note[0]
    time.sleep(2)
    keys = [o["Key"] for o in lab.s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 17  # the upload and 16 rounds of the function, then nothing more
    _empty(lab, bucket)


def test_s3_does_not_invoke_a_function_without_its_permission(lab):
    name = lab.deploy(MULTIPART_RECORDER)
    bucket = _bucket_with_trigger(lab, name)
    lab.lam.remove_permission(FunctionName=name, StatementId="s3")
    lab.s3.put_object(Bucket=bucket, Key="unseen", Body=b"x")
    time.sleep(3)
    assert not [l for l in lab.lines(name) if l.startswith("EVENT")]
    # the control: with the permission back, the next upload is delivered
    lab.lam.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")
    lab.s3.put_object(Bucket=bucket, Key="seen", Body=b"x")
    events = lab.wait_for(lambda: [l for l in lab.lines(name) if l.startswith("EVENT")], what="the event")
    assert events == ["EVENT ObjectCreated:Put seen"]
    _empty(lab, bucket)


def test_init_has_its_own_time_the_timeout_counts_the_invocation_only(lab):
    name = lab.deploy('import time\ntime.sleep(2)  # a slow import\ndef handler(e, c):\n'
                      '    before = c.get_remaining_time_in_millis()\n    time.sleep(1.5)\n    return before', Timeout=3)
    response, remaining = lab.invoke(name)
    assert "FunctionError" not in response and 2500 < remaining <= 3000
    report = [line for line in lab.lines(name) if line.startswith("REPORT")][0]
    assert float(report.split("Init Duration: ")[1].split(" ms")[0]) >= 2000


def test_a_throttled_functions_events_wait_without_holding_up_other_functions(lab):
    throttled = lab.deploy('import time\ndef handler(e, c):\n    time.sleep(e.get("sleep", 0))\n    return "ok"', Timeout=10)
    lab.lam.put_function_concurrency(FunctionName=throttled, ReservedConcurrentExecutions=1)
    busy = threading.Thread(target=lab.invoke, args=(throttled, {"sleep": 4}))
    busy.start()  # its one environment is in use
    lab.wait_for(lambda: any(line.startswith("START") for line in lab.lines(throttled)), what="the busy invocation")
    for _ in range(3):
        assert lab.invoke(throttled, InvocationType="Event")[0]["StatusCode"] == 202
    other = lab.deploy(COUNTER)
    lab.invoke(other, InvocationType="Event")
    lab.wait_for(lambda: any(line.startswith("REPORT") for line in lab.lines(other)), what="the other function")
    assert not any(line.startswith("REPORT") for line in lab.lines(throttled))  # its events wait in the queue
    with pytest.raises(ClientError, match="TooManyRequestsException"):
        lab.invoke(throttled)
    busy.join()
    lab.wait_for(lambda: sum(line.startswith("REPORT") for line in lab.lines(throttled)) == 4,
                 what="the waiting events, once the function's concurrency is free")


def test_a_package_whose_entries_point_outside_it_is_refused(lab, tmp_path):
    with pytest.raises(ClientError, match="points outside the package"):
        lab.deploy(files={"app.py": "def handler(e, c): return 1", "../../escaped.sh": "#!/bin/sh"})


def test_a_layer_that_unpacks_to_more_than_lambda_allows_is_refused(lab):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("python/zeros.bin", "w") as member:
            for _ in range(17):
                member.write(bytes(16 * 1024 * 1024))
    with pytest.raises(ClientError, match="Unzipped size must be smaller than 262144000 bytes"):
        lab.lam.publish_layer_version(LayerName=f"bomb-{uuid.uuid4().hex[:6]}", Content={"ZipFile": bomb.getvalue()})


def test_a_package_built_for_another_python_fails_to_import_as_on_lambda(lab, package_build_dir, monkeypatch):
    from pixelkit.tutorial.package import HANDLER, build_package

    if (3, 13) not in [i.version for i in runtimes.interpreters()]:
        pytest.skip("no Python 3.13 here: the emulator would stand in another Pillow, and say so")
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    package = build_package("python3.12", "x86_64")  # Pillow for Python 3.12 ...
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lab.lam.create_function(FunctionName=name, Runtime="python3.13", Handler=HANDLER, Role=lab.role_arn,  # ... on 3.13
                            Code={"ZipFile": package.path.read_bytes()}, Environment={"Variables": {"destination_bucket": "x"}})
    lab.functions.append(name)
    lab.lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    response, payload = lab.invoke(name)
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError" and "_imaging" in payload["errorMessage"]
