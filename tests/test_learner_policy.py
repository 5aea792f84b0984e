"""policies/learner-policy.json is enough for everything the kit does, and the kit reads nothing else."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

from helpers import NOTHING
from learner_policy import LearnerPolicy, allows, load_statements
from pixelkit.tutorial import checks, pipeline, steps
from pixelkit.commands import cli
from pixelkit.teaching import notebook
from pixelkit.aws import functions
from pixelkit.context.paths import sample_images
from pixelkit.context.workshop import open_workshop


@pytest.fixture
def slept(monkeypatch):
    monkeypatch.setattr(functions, "retry_sleep", lambda _seconds: None)


def test_the_evaluator_allows_the_kits_resources_and_nothing_else():
    statements = load_statements()
    assert allows(statements, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:day38-image_pixelator")
    assert not allows(statements, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:payroll")
    assert allows(statements, "iam:ListRoles", "*")
    assert not allows(statements, "iam:ListRoleTags",
                      "arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport")
    assert not allows(statements, "s3:GetBucketTagging", "arn:aws:s3:::someone-elses-bucket")


def someone_elses_resources(ws) -> None:
    """What else lives in a shared account: a service-linked role, another team's bucket, function and log group."""
    tags = [{"Key": "workshop", "Value": "pixelation-workshop"}]  # even tagged alike, not the kit's: not day38-*
    ws.client("s3").create_bucket(Bucket="someone-elses-bucket")
    ws.client("s3").put_bucket_tagging(Bucket="someone-elses-bucket", Tagging={"TagSet": tags})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    ws.client("iam").create_role(RoleName="AWSServiceRoleForSupport", Path="/aws-service-role/support.amazonaws.com/",
                                 AssumeRolePolicyDocument=trust, Tags=tags)
    role = ws.client("iam").create_role(RoleName="payroll-role", AssumeRolePolicyDocument=trust)["Role"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    ws.client("lambda").create_function(FunctionName="payroll", Runtime="python3.13", Role=role["Arn"],
                                        Handler="app.handler", Code={"ZipFile": code.getvalue()},
                                        Tags={"workshop": "pixelation-workshop"})
    ws.client("logs").create_log_group(logGroupName="/aws/lambda/payroll", tags={"workshop": "pixelation-workshop"})


def test_cleanup_all_tagged_under_the_learner_policy_reads_no_one_elses_tags(moto_workshop, slept):
    someone_elses_resources(moto_workshop)
    steps.setup(moto_workshop)
    lost = open_workshop("aws")
    lost.state = None  # the state file is gone: only the tags say what is the kit's
    policy = LearnerPolicy.on(lost)
    # the control: the learner may not read another resource's tags
    with pytest.raises(ClientError, match="AccessDenied"):
        lost.client("iam").list_role_tags(RoleName="AWSServiceRoleForSupport")
    policy.denied.clear()
    found = steps.find_tagged(lost)
    assert found["functions"] == ["day38-image_pixelator"] and len(found["buckets"]) == 2
    steps.cleanup_tagged(lost)
    assert steps.find_tagged(lost) == NOTHING and steps.inventory(lost) == NOTHING
    assert policy.denied == []
    assert ("iam:ListRoleTags", "arn:aws:iam::123456789012:role/day38-role") in policy.checked
    # and someone else's resources are all still there
    assert "someone-elses-bucket" in [b["Name"] for b in moto_workshop.client("s3").list_buckets()["Buckets"]]
    assert moto_workshop.client("iam").get_role(RoleName="AWSServiceRoleForSupport")
    assert moto_workshop.client("lambda").get_function(FunctionName="payroll")


@pytest.mark.emulator
def test_the_learner_policy_allows_every_call_the_kit_makes(emulator_url, package_build_dir, monkeypatch, tmp_path, capsys):
    """Setup, upload, the notebooks' calls and checks, status, cleanup and cleanup --all-tagged, as a learner."""
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    policy = LearnerPolicy("us-east-1", deny=False)  # record all, to name every missing action at the end
    policy.on_every_workshop(monkeypatch)
    picture = sample_images()[0]
    assert cli.main(["setup"]) == 0
    assert cli.main(["upload", str(picture), "--out", str(tmp_path / "out")]) == 0
    assert cli.main(["status"]) == 0
    ws = open_workshop("local")
    for step in (1, 2, 3, 4, 5):
        assert checks.check_step(ws, step)
    assert notebook.show_function(ws) and notebook.show_trigger(ws)
    payload, _log = pipeline.invoke_with_s3_event(ws, ws.state.source_bucket, picture.name)  # notebook 04
    assert cli.main(["cleanup"]) == 0
    assert cli.main(["cleanup", "--all-tagged"]) == 0
    assert checks.check_step(open_workshop("local"), 6)
    actions = {action for action, _ in policy.checked}
    assert {"lambda:InvokeFunction", "s3:PutBucketNotification", "s3:DeleteObjectVersion", "iam:PassRole",
            "logs:FilterLogEvents", "s3:ListBucket", "s3:GetObject"} <= actions, actions
    missing = sorted(set(policy.denied))
    assert not missing, "policies/learner-policy.json does not allow:\n" + "\n".join(f"  {a} on {r}" for a, r in missing)
