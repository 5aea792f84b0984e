"""The dry run, the tag-based cleanup, the classroom commands and the cost estimate, through the CLI."""

from __future__ import annotations

import time

import pytest

from helpers import NOTHING, free_port
from pixelkit.commands import cli
from pixelkit.tutorial import steps
from pixelkit.teaching.cost import estimate_run_cost
from pixelkit.context.state import state_path, students_with_state
from pixelkit.context.workshop import open_workshop



@pytest.fixture
def closed_port_endpoint(monkeypatch):
    """A target endpoint where nothing listens: any request to it would fail the command."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


def test_setup_dry_run_prints_every_call_and_sends_none(closed_port_endpoint, package_build_dir, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    assert cli.main(["setup", "--dry-run", "--target", "aws", "--student", "alice"]) == 0
    out = capsys.readouterr().out
    assert "DRY RUN of setup on AWS, region eu-west-1" in out
    for call in ("s3.create_bucket(Bucket='day38-alice-source-", "'LocationConstraint': 'eu-west-1'",
                 "iam.create_role(RoleName='day38-alice-role'", "iam.put_role_policy(", "logs.create_log_group(",
                 "lambda.add_permission(", "s3.put_bucket_notification_configuration(", "s3.put_public_access_block("):
        assert call in out
    # the zip is abbreviated, not printed
    assert "lambda.create_function(" in out and "'ZipFile': <" in out and "MB, sha256" in out
    # each with the AWS CLI command that does the same
    assert "$ aws s3api create-bucket --bucket day38-alice-source-" in out
    assert "$ aws lambda create-function --function-name day38-alice-image_pixelator" in out
    assert "--zip-file fileb://deployment-package.zip" in out
    assert out.index("lambda.add_permission(") < out.index("s3.put_bucket_notification_configuration(")
    assert "{'Key': 'student', 'Value': 'alice'}" in out
    # the plan said nothing was created, and it did not save a run
    assert "created" not in out
    assert not state_path("alice").exists()


@pytest.mark.emulator
def test_cleanup_dry_run_names_the_real_run_and_deletes_nothing(emulator_workshop, capsys):
    ws = emulator_workshop
    steps.setup(ws)
    before = steps.inventory(ws)
    assert cli.main(["cleanup", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"lambda.delete_function(FunctionName='{ws.state.function_name}')" in out
    assert f"s3.delete_bucket(Bucket='{ws.state.source_bucket}')" in out
    assert "iam.delete_role(RoleName='day38-role')" in out
    assert out.index("s3.put_bucket_notification_configuration(") < out.index("lambda.delete_function(")
    assert steps.inventory(ws) == before  # nothing reached the emulator
    assert state_path().exists()
    # and the dry run of the tag sweep only reads
    assert cli.main(["cleanup", "--all-tagged", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would delete function {ws.state.function_name}" in out
    assert steps.inventory(ws) == before
    steps.cleanup(ws)


@pytest.mark.emulator
def test_cleanup_all_tagged_finds_earlier_runs_without_a_state_file(emulator_workshop, capsys):
    ws = emulator_workshop
    steps.setup(ws)
    first_run = ws.state.source_bucket
    state_path().unlink()  # the state file is lost
    assert cli.main(["cleanup"]) == 0
    assert "Nothing to clean up" in capsys.readouterr().out
    assert first_run in steps.inventory(ws)["buckets"]
    assert cli.main(["cleanup", "--all-tagged"]) == 0
    assert steps.inventory(ws) == NOTHING


def test_class_setup_and_cleanup_with_a_summary_table(moto_workshop, capsys, monkeypatch):
    from pixelkit.aws import functions

    # short waits: the emulator itself refuses a new role for two seconds, as AWS does while IAM propagates
    monkeypatch.setattr(functions, "retry_sleep", lambda seconds: time.sleep(0.5))
    assert cli.main(["class", "setup", "--students", "alice,bob", "--target", "aws"]) == 0
    out = capsys.readouterr().out
    assert "[1/2] student alice" in out and "[2/2] student bob" in out
    table = out[out.index("student  status"):]
    assert "alice    ready   day38-alice-source-" in table and "day38-bob-image_pixelator" in table
    assert "2 of 2 ready." in table
    assert students_with_state() == ["alice", "bob"]
    found = steps.inventory(moto_workshop)
    assert found["functions"] == ["day38-alice-image_pixelator", "day38-bob-image_pixelator"]
    assert len(found["buckets"]) == 4
    assert cli.main(["class", "cleanup", "--target", "aws"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 clean" not in out and "3 of 3 clean." in out  # two students and the final sweep
    assert steps.inventory(moto_workshop) == NOTHING
    assert students_with_state() == []


def test_class_count_names_students_and_bad_input_gets_one_message(moto_workshop, capsys):
    from pixelkit.commands.classroom import student_names

    assert student_names(count=3) == ["student01", "student02", "student03"]
    assert cli.main(["class", "setup", "--target", "aws"]) == 2
    assert "--students alice,bob or --count 30" in capsys.readouterr().err
    assert cli.main(["class", "setup", "--students", "alice,Bob!", "--target", "aws"]) == 2
    assert "cannot be part of a bucket name" in capsys.readouterr().err


def test_a_failed_student_is_reported_and_the_class_goes_on(moto_workshop, monkeypatch):
    from pixelkit.commands import classroom
    from pixelkit.context.errors import WorkshopError

    real_setup = steps.setup

    def setup(ws, *args):
        if ws.student == "bob":
            raise WorkshopError("bob's quota is exhausted")
        return real_setup(ws, *args)

    monkeypatch.setattr(steps, "setup", setup)
    monkeypatch.setattr("pixelkit.aws.functions.retry_sleep", lambda seconds: None)
    rows = classroom.class_setup("aws", ["alice", "bob", "carol"])
    assert [r.status for r in rows] == ["ready", "FAILED: bob's quota is exhausted", "ready"]
    assert "2 of 3 ready." in classroom.format_table(rows)


def test_cost_estimate_from_report_lines():
    lines = [
        "START RequestId: 1 Version: $LATEST",
        "REPORT RequestId: 1\tDuration: 999.20 ms\tBilled Duration: 1000 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB",
        "REPORT RequestId: 2\tDuration: 1999.20 ms\tBilled Duration: 2000 ms\tMemory Size: 1024 MB\tMax Memory Used: 90 MB",
    ]
    estimate = estimate_run_cost(lines, pictures=2)
    assert estimate.invocations == 2
    assert estimate.gb_seconds == pytest.approx(0.5 + 2.0)
    assert estimate.lambda_dollars == pytest.approx(2.5 * 0.0000166667 + 2 * 0.2e-6)
    assert (estimate.s3_writes, estimate.s3_reads) == (12, 22)
    assert estimate.s3_dollars == pytest.approx(12 * 0.005 / 1000 + 22 * 0.0004 / 1000)
    text = "\n".join(estimate.lines())
    assert "2.500 GB-seconds" in text and "2025-01-01" in text
    arm = estimate_run_cost(lines, pictures=2, architecture="arm64")
    assert arm.lambda_dollars < estimate.lambda_dollars


@pytest.mark.emulator
def test_setup_and_cleanup_with_target_aws_against_a_strict_endpoint_in_eu_west_1(emulator_url, package_build_dir, monkeypatch, capsys):
    """Done-when: `make setup TARGET=aws` against an endpoint that behaves like AWS in the four ways, in
    eu-west-1, through AWS_ENDPOINT_URL/AWS_REGION and the credential variables; cleanup leaves nothing."""
    import boto3

    from pixelkit.context import workshop
    from pixelkit.aws import functions
    from strict_aws import StrictAws

    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_url)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASTRICTTEST000000")
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    # short waits: the emulator itself refuses a new role for two seconds, as AWS does while IAM propagates
    monkeypatch.setattr(functions, "retry_sleep", lambda seconds: time.sleep(0.5))
    monkeypatch.setattr("pixelkit.context.state.new_suffix", iter(["5e1ec7ed", "5e1ec7ee"]).__next__)
    monkeypatch.setattr("pixelkit.tutorial.steps.step1_create_buckets.new_suffix", iter(["5e1ec7ee", "5e1ec7ef"]).__next__)
    stricts = []

    def strict_session(target):
        session = boto3.Session(region_name=target.region)
        stricts.append(StrictAws(session, target.region, role_not_ready=2, taken={"day38-source-5e1ec7ed"}))
        return session

    monkeypatch.setattr(workshop, "new_session", strict_session)
    assert cli.main(["setup", "--target", "aws"]) == 0
    out = capsys.readouterr().out
    assert "AWS, region eu-west-1 via " + emulator_url in out
    assert "day38-source-5e1ec7ed belongs to someone else" in out
    refused = [code for _, code in stricts[0].refused]
    assert refused[:3] == ["403", "InvalidParameterValueException", "InvalidParameterValueException"]
    assert set(refused[3:]) <= {"InvalidParameterValueException"}  # the emulator's own propagation delay
    ws = open_workshop("aws")
    assert ws.state.source_bucket == "day38-source-5e1ec7ee"
    assert ws.client("s3").get_bucket_location(Bucket=ws.state.source_bucket)["LocationConstraint"] == "eu-west-1"
    assert cli.main(["cleanup", "--target", "aws"]) == 0
    assert steps.inventory(open_workshop("aws")) == NOTHING
    assert not state_path().exists()
