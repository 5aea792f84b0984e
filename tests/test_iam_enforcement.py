"""IAM in the emulator: the function runs as its role, and its role's policy decides what it may do.

Everything goes through boto3 against the running emulator, as a learner's code meets it:
the kit's pipeline for the least-privilege policy, and small probe functions (a zip built
here, whose handler makes one boto3 call and returns AWS's answer) for the deny cases.
"""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import free_port
from pixelkit.commands import cli
from pixelkit.tutorial import pipeline, steps
from pixelkit.aws import functions
from pixelkit.context.paths import sample_images
from pixelkit.tutorial.policies import render_policy, trust_policy

pytestmark = pytest.mark.emulator

PROBE = '''
import boto3

def handler(event, context):
    """Make one AWS call with the function's own credentials; return AWS's answer."""
    client = boto3.client(event["service"])
    try:
        getattr(client, event["call"])(**event.get("params", {}))
        return {"ok": True}
    except client.exceptions.ClientError as error:
        return {"ok": False, "code": error.response["Error"]["Code"], "message": error.response["Error"]["Message"],
                "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
'''


def probe_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probe.py", PROBE)
    return buffer.getvalue()


@pytest.fixture
def aws(emulator_workshop):
    """boto3 clients with the learner's (administrator's) keys, as the kit makes them."""
    return emulator_workshop.client


@pytest.fixture
def probe(aws, request):
    """A function named after the test, with a role of its own and the policy the test gives it."""
    name = "probe-" + request.node.name.removeprefix("test_")[:40].replace("_", "-")
    iam, lambda_client = aws("iam"), aws("lambda")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy()))["Role"]["Arn"]
    functions.create_function(lambda_client, {
        "FunctionName": name, "Runtime": "python3.13", "Role": role, "Handler": "probe.handler",
        "Code": {"ZipFile": probe_zip()}, "Timeout": 30,
    }, first_delay=0.5)

    class Probe:
        role_name = name

        @staticmethod
        def allow(*statements):
            iam.put_role_policy(RoleName=name, PolicyName="probe", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": list(statements)}))

        @staticmethod
        def call(service, call, **params):
            answer = lambda_client.invoke(FunctionName=name, Payload=json.dumps(
                {"service": service, "call": call, "params": params}))
            return json.loads(answer["Payload"].read())

    yield Probe
    lambda_client.delete_function(FunctionName=name)
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


def test_a_role_without_any_policy_cannot_list_buckets(probe):
    answer = probe.call("s3", "list_buckets")
    assert answer["ok"] is False and answer["code"] == "AccessDenied" and answer["status"] == 403
    assert answer["message"] == (
        f"User: arn:aws:sts::123456789012:assumed-role/{probe.role_name}/{probe.role_name} is not authorized to "
        'perform: s3:ListAllMyBuckets on resource: "*" because no identity-based policy allows the s3:ListAllMyBuckets action'
    )


def test_an_explicit_deny_beats_an_allow(probe):
    probe.allow({"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
    answer = probe.call("s3", "list_buckets")
    assert answer["code"] == "AccessDenied"
    assert "s3:ListAllMyBuckets" in answer["message"] and "with an explicit deny in an identity-based policy" in answer["message"]
    probe.allow({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert probe.call("s3", "list_buckets") == {"ok": True}


def test_the_function_cannot_call_iam_unless_its_policy_allows_it(probe, aws):
    probe.allow({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})  # much, but nothing of IAM
    answer = probe.call("iam", "create_user", UserName="intruder")
    assert answer["code"] == "AccessDenied" and answer["status"] == 403
    assert "iam:CreateUser on resource: arn:aws:iam::123456789012:user/intruder because no identity-based policy" in answer["message"]
    with pytest.raises(ClientError):
        aws("iam").get_user(UserName="intruder")
    denied = probe.call("iam", "put_role_policy", RoleName=probe.role_name, PolicyName="escalate",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    assert denied["code"] == "AccessDenied"
    assert aws("iam").list_role_policies(RoleName=probe.role_name)["PolicyNames"] == ["probe"]

    probe.allow({"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "arn:aws:iam::*:user/intruder"})
    assert probe.call("iam", "create_user", UserName="intruder") == {"ok": True}
    aws("iam").delete_user(UserName="intruder")


def test_lambda_and_logs_deny_with_access_denied_exception(probe):
    probe.allow({"Effect": "Allow", "NotAction": ["lambda:*", "logs:*"], "Resource": "*"})
    answer = probe.call("lambda", "list_functions")
    assert answer["code"] == "AccessDeniedException" and answer["status"] == 403
    answer = probe.call("logs", "delete_log_group", logGroupName="/aws/lambda/someone-else")
    assert answer["code"] == "AccessDeniedException"
    assert "logs:DeleteLogGroup on resource: arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/someone-else" in answer["message"]
    assert probe.call("s3", "list_buckets") == {"ok": True}  # NotAction allows the rest


def test_create_function_refuses_a_role_lambda_may_not_assume(aws):
    iam = aws("iam")
    ec2_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="probe-ec2-role", AssumeRolePolicyDocument=json.dumps(ec2_only))["Role"]["Arn"]
    try:
        with pytest.raises(ClientError) as refused:
            aws("lambda").create_function(FunctionName="probe-ec2", Runtime="python3.13", Role=role,
                                          Handler="probe.handler", Code={"ZipFile": probe_zip()})
        assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert refused.value.response["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."
    finally:
        iam.delete_role(RoleName="probe-ec2-role")


def test_removing_put_object_breaks_the_pipeline_and_step_5_says_what_to_add(emulator_workshop, tmp_path):
    ws = emulator_workshop
    steps.setup(ws)
    state = ws.state
    first, second, third = sample_images()[:3]
    [upload], _ = pipeline.run_pipeline_test(ws, [first], tmp_path / "out")
    assert len(upload.outputs) == 5  # the kit's least-privilege policy is enough

    policy = render_policy(state)
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "WritePixelatedImages"]
    ws.client("iam").put_role_policy(RoleName=state.role_name, PolicyName=state.policy_name, PolicyDocument=json.dumps(policy))
    [upload], log_lines = pipeline.run_pipeline_test(ws, [second], tmp_path / "out", keep_going=True)
    assert upload.outputs == []
    message = (f"is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::{state.destination_bucket}/"
               f"pixelated-8x8-{second.name}\" because no identity-based policy allows the s3:PutObject action")
    assert any("AccessDenied" in line and message in line for line in log_lines)
    # step 5 names the action, the resource, the file to edit and the step to rerun
    assert '"Action": "s3:PutObject", "Resource": "arn:${partition}:s3:::${destination_bucket}/*"' in upload.problem
    assert "policies/least-privilege-policy.json" in upload.problem and "step 2" in upload.problem

    steps.create_role(ws)  # step 2 again puts the policy back
    [upload], _ = pipeline.run_pipeline_test(ws, [third], tmp_path / "out")
    assert len(upload.outputs) == 5
    steps.cleanup(ws)


def test_an_s3_event_without_the_functions_permission_does_not_run_it(emulator_workshop, tmp_path):
    ws = emulator_workshop
    steps.setup(ws)
    state = ws.state
    lambda_client, s3 = ws.client("lambda"), ws.client("s3")
    statements = functions.get_policy_statements(lambda_client, state.function_name)
    for statement in statements:
        lambda_client.remove_permission(FunctionName=state.function_name, StatementId=statement["Sid"])
    s3.put_object(Bucket=state.source_bucket, Key="unpermitted.jpg", Body=sample_images()[0].read_bytes())
    steps.configure_function(ws)  # puts the permission back
    [upload], log_lines = pipeline.run_pipeline_test(ws, [sample_images()[1]], tmp_path / "out")
    assert len(upload.outputs) == 5
    every_line = pipeline.function_log(ws, 0)
    assert not any("unpermitted.jpg" in line for line in every_line)
    steps.cleanup(ws)


def test_policy_used_after_a_demo_prints_exactly_what_the_function_needed(tmp_path, monkeypatch, package_build_dir, capsys):
    from pixelkit.commands.demo import run_demo

    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    run_demo(tmp_path / "out")
    capsys.readouterr()
    assert cli.main(["policy", "used"]) == 0
    report = capsys.readouterr().out
    needed = json.loads(report.split("(least privilege):\n", 1)[1].split("\n}\n", 1)[0] + "\n}")
    resources = {s["Resource"]: s["Action"] for s in needed["Statement"]}
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/day38-image_pixelator"
    buckets = sorted(r for r in resources if r.startswith("arn:aws:s3:::"))
    assert len(resources) == 4 and len(buckets) == 2
    assert {resources[b] for b in buckets} == {"s3:GetObject", "s3:PutObject"}
    source = next(b for b in buckets if resources[b] == "s3:GetObject")
    destination = next(b for b in buckets if resources[b] == "s3:PutObject")
    assert source.startswith("arn:aws:s3:::day38-source-") and source.endswith("/*")
    assert destination.startswith("arn:aws:s3:::day38-destination-") and destination.endswith("/*")
    assert resources[log_group] == "logs:CreateLogGroup"
    assert resources[log_group + ":*"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    # the role's own (least-privilege) policy grants nothing more; the tutorial's grants far more
    assert "Granted and never used, role's policy: nothing" in report
    tutorial = report.split("Granted and never used, tutorial's policy:", 1)[1].split("Used and denied", 1)[0]
    assert f"s3:* on {destination.removesuffix('/*')}: never used" in tutorial
    assert f"s3:* on {destination}: every action it matches, but only s3:PutObject used" in tutorial
    assert "Used and denied: nothing" in report


def test_lenient_with_enforce_learner_holds_the_learners_keys_to_the_learner_policy(tmp_path):
    from pixelkit.emulator.server import EmulatorProcess

    process = EmulatorProcess(port=0, log_path=tmp_path / "emulator.log", strict=False, enforce_learner=True)
    url = process.start()
    try:
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="day38-learners-own")  # lenient: the first name is free; the policy allows day38-*
        with pytest.raises(ClientError) as denied:
            s3.create_bucket(Bucket="not-the-workshops")
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        assert 'perform: s3:CreateBucket on resource: "arn:aws:s3:::not-the-workshops"' in denied.value.response["Error"]["Message"]
        assert "IAM denied" in (tmp_path / "emulator.log").read_text()
    finally:
        process.stop()
