"""The emulator's Lambda runtime: handler, environment, timeout and errors, as Lambda reports them."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from pixelkit.aws import functions, logs
from pixelkit.policies import trust_policy

pytestmark = pytest.mark.emulator

CODE = '''
import os, time
def handler(event, context):
    print("sees", os.environ.get("GREETING"), context.function_name, context.get_remaining_time_in_millis() > 0)
    if event.get("sleep"):
        time.sleep(event["sleep"])
        print("woke up after", event["sleep"], "seconds")
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
'''


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


@pytest.fixture
def probe_function(emulator_workshop):
    ws = emulator_workshop
    iam = ws.client("iam")
    # A role Lambda may assume (AWS refuses any other), new: the kit's create_function waits while it propagates.
    role = iam.create_role(RoleName="probe-role", AssumeRolePolicyDocument=json.dumps(trust_policy()))["Role"]
    # What AWSLambdaBasicExecutionRole grants: without it Lambda could not write the function's logs.
    iam.put_role_policy(RoleName="probe-role", PolicyName="logs", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}))
    lam = ws.client("lambda")
    functions.create_function(lam, dict(
        FunctionName="probe", Runtime="python3.13", Handler="app.handler", Role=role["Arn"],
        Code={"ZipFile": zipped(CODE)}, Timeout=1, Environment={"Variables": {"GREETING": "hello"}},
    ), first_delay=0.5)
    yield lam
    lam.delete_function(FunctionName="probe")
    ws.client("logs").delete_log_group(logGroupName="/aws/lambda/probe")
    iam.delete_role_policy(RoleName="probe-role", PolicyName="logs")
    iam.delete_role(RoleName="probe-role")


def log_lines(ws) -> list[str]:
    return [e["message"] for e in logs.read_log_events(ws.client("logs"), "/aws/lambda/probe")]


def test_runs_the_configured_handler_with_its_environment(emulator_workshop, probe_function):
    response = probe_function.invoke(FunctionName="probe", Payload=b"{}")
    assert json.loads(response["Payload"].read()) == {"ok": True}
    lines = log_lines(emulator_workshop)
    assert "sees hello probe True" in lines
    assert lines[0].startswith("INIT_START Runtime Version: python:3.13") and lines[1].startswith("START RequestId:")
    assert lines[-1].startswith("REPORT RequestId:") and "Init Duration" in lines[-1]


def test_a_timeout_is_logged_as_lambda_logs_it(emulator_workshop, probe_function):
    response = probe_function.invoke(FunctionName="probe", Payload=json.dumps({"sleep": 5}))
    assert response.get("FunctionError")
    lines = log_lines(emulator_workshop)
    assert any("Task timed out after 1.00 seconds" in line for line in lines)
    assert not any("woke up" in line for line in lines)  # stopped at its timeout: it never finished its sleep


def test_an_error_is_logged_with_its_type(emulator_workshop, probe_function):
    response = probe_function.invoke(FunctionName="probe", Payload=json.dumps({"fail": True}))
    assert json.loads(response["Payload"].read())["errorType"] == "ValueError"
    assert any(line.startswith("[ERROR] ValueError: asked to fail") for line in log_lines(emulator_workshop))
