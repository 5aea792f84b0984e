"""Where real AWS is stricter than moto: each behaviour reproduced in front of moto (see strict_aws.py)."""

from __future__ import annotations

import itertools
import os

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pixelkit.tutorial import steps
from pixelkit.aws import functions, s3
from pixelkit.context.state import load_state, state_path
from pixelkit.context.workshop import open_workshop
from helpers import NOTHING
from strict_aws import UNVALIDATED_DESTINATION, Interrupt, StrictAws



@pytest.fixture
def slept(monkeypatch):
    """The pauses the role-propagation retry asked for, instead of waiting them."""
    pauses: list[float] = []
    monkeypatch.setattr(functions, "retry_sleep", pauses.append)
    return pauses


@pytest.fixture
def suffixes(monkeypatch):
    """Predictable run suffixes, so that a test can say which bucket name is taken."""
    counter = itertools.count(1)
    monkeypatch.setattr("pixelkit.context.state.new_suffix", lambda: f"{next(counter):08x}")
    monkeypatch.setattr("pixelkit.tutorial.steps.step1_create_buckets.new_suffix", lambda: f"{next(counter):08x}")


@pytest.fixture
def eu_workshop(monkeypatch, package_build_dir):
    """A Workshop on moto in eu-west-1, where buckets need a LocationConstraint."""
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        yield open_workshop("aws")


# 1. A new role is not usable at once ----------------------------------------------------------

def test_create_function_retries_while_the_role_propagates(moto_workshop, slept, kit_log):
    strict = StrictAws.on(moto_workshop, role_not_ready=3)
    steps.setup(moto_workshop)
    assert strict.calls.count("lambda.CreateFunction") == 4
    assert strict.refused == [("lambda.CreateFunction", "InvalidParameterValueException")] * 3
    assert slept == [1, 2, 4]  # bounded exponential backoff
    assert "attempt 3 of 10" in kit_log.text
    assert moto_workshop.client("lambda").get_function(FunctionName=moto_workshop.state.function_name)


def test_create_function_gives_up_after_the_bound_with_a_clear_message(moto_workshop, slept):
    strict = StrictAws.on(moto_workshop, role_not_ready=1000)
    steps.create_buckets(moto_workshop)
    steps.create_role(moto_workshop)
    with pytest.raises(functions.RoleNotReady, match="cannot assume the role .* after 10 attempts.*run the step again"):
        steps.deploy_function(moto_workshop)
    assert strict.calls.count("lambda.CreateFunction") == 10
    assert len(slept) == 9 and sum(slept) <= 70
    steps.cleanup(moto_workshop)
    assert steps.inventory(moto_workshop) == NOTHING


def test_other_create_function_errors_are_not_retried(moto_workshop, slept):
    strict = StrictAws.on(moto_workshop, role_not_ready=0)
    steps.create_buckets(moto_workshop)
    steps.create_role(moto_workshop)
    moto_workshop.state.role_arn = "not-an-arn"
    with pytest.raises(ClientError, match="ValidationException.*not-an-arn") as raised:
        steps.deploy_function(moto_workshop)
    assert raised.value.operation_name == "CreateFunction"
    assert strict.calls.count("lambda.CreateFunction") == 1 and slept == []


# 2. S3 validates a notification's destination ---------------------------------------------------

def test_the_strict_layer_refuses_a_trigger_without_the_permission(moto_workshop, slept):
    """The control: without the invoke permission, S3 (as AWS) refuses the trigger."""
    strict = StrictAws.on(moto_workshop)
    steps.create_buckets(moto_workshop)
    steps.create_role(moto_workshop)
    function_arn = steps.deploy_function(moto_workshop)["function_arn"]
    state = moto_workshop.state
    with pytest.raises(ClientError, match=UNVALIDATED_DESTINATION):
        moto_workshop.client("s3").put_bucket_notification_configuration(
            Bucket=state.source_bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [
                {"Id": steps.TRIGGER_ID, "LambdaFunctionArn": function_arn, "Events": steps.TRIGGER_EVENTS}]})
    assert ("s3.PutBucketNotificationConfiguration", "InvalidArgument") in strict.refused


def test_setup_adds_the_permission_before_the_trigger(moto_workshop, slept):
    strict = StrictAws.on(moto_workshop)
    steps.setup(moto_workshop)
    assert strict.calls.index("lambda.AddPermission") < strict.calls.index("s3.PutBucketNotificationConfiguration")
    assert not [r for r in strict.refused if r[0].startswith("s3.")]


def test_cleanup_removes_the_trigger_before_the_function(moto_workshop, slept):
    strict = StrictAws.on(moto_workshop)
    steps.setup(moto_workshop)
    strict.calls.clear()
    steps.cleanup(moto_workshop)
    last_trigger_change = max(i for i, c in enumerate(strict.calls) if c == "s3.PutBucketNotificationConfiguration")
    assert last_trigger_change < strict.calls.index("lambda.DeleteFunction")
    assert strict.calls.index("lambda.RemovePermission") < strict.calls.index("lambda.DeleteFunction")
    # a still-running invocation recreates its log group while it may use the role: the role goes first
    assert strict.calls.index("iam.DeleteRole") < strict.calls.index("logs.DeleteLogGroup")
    assert steps.inventory(moto_workshop) == NOTHING


# 3. Outside us-east-1, buckets need a LocationConstraint ------------------------------------------

def test_moto_itself_enforces_the_location_constraint_in_eu_west_1(eu_workshop):
    with pytest.raises(ClientError, match="IllegalLocationConstraintException"):
        eu_workshop.client("s3").create_bucket(Bucket="day38-without-constraint")


def test_setup_in_eu_west_1_creates_buckets_there(eu_workshop, slept):
    strict = StrictAws.on(eu_workshop)
    summary = steps.setup(eu_workshop)
    client = eu_workshop.client("s3")
    for bucket in (eu_workshop.state.source_bucket, eu_workshop.state.destination_bucket):
        assert client.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "eu-west-1"
    assert summary["function_arn"].startswith("arn:aws:lambda:eu-west-1:")
    assert not strict.refused[3:]  # only the role-propagation refusals (2 by default)
    steps.cleanup(eu_workshop)
    assert steps.inventory(eu_workshop) == NOTHING


def test_us_east_1_gets_no_location_constraint(moto_workshop, slept):
    strict = StrictAws.on(moto_workshop)  # refuses LocationConstraint=us-east-1, as AWS does
    steps.create_buckets(moto_workshop)
    assert not strict.refused


# 4. Bucket names are global ------------------------------------------------------------------------

def test_a_bucket_name_someone_else_owns_gets_a_new_suffix_and_says_so(moto_workshop, suffixes, slept, kit_log):
    strict = StrictAws.on(moto_workshop, taken={"day38-source-00000001"})
    result = steps.create_buckets(moto_workshop)
    # both buckets share the new suffix, as the notebooks' `<suffix>` says
    assert result == {"source_bucket": "day38-source-00000002", "destination_bucket": "day38-destination-00000002"}
    assert ("day38-source-00000001 belongs to someone else (names are global); using day38-source-00000002 and "
            "day38-destination-00000002") in kit_log.text
    assert load_state().source_bucket == "day38-source-00000002" and load_state().suffix == "00000002"
    assert "s3.PutPublicAccessBlock" in strict.calls  # on our bucket only
    steps.cleanup(moto_workshop)
    assert steps.inventory(moto_workshop) == NOTHING


def test_a_taken_destination_name_renames_both_buckets(moto_workshop, suffixes, slept, kit_log):
    """BucketAlreadyExists on either name: one new suffix for both, and the source made a moment ago goes."""
    StrictAws.on(moto_workshop, taken={"day38-destination-00000001"})
    result = steps.create_buckets(moto_workshop)
    assert result == {"source_bucket": "day38-source-00000002", "destination_bucket": "day38-destination-00000002"}
    assert not s3.bucket_exists(moto_workshop.client("s3"), "day38-source-00000001")
    assert "using day38-source-00000002 and day38-destination-00000002" in kit_log.text
    steps.cleanup(moto_workshop)
    assert steps.inventory(moto_workshop) == NOTHING


def test_a_bucket_created_by_another_account_is_refused_by_create_bucket_too(eu_workshop, suffixes, monkeypatch, kit_log):
    """The race: HEAD said 404, then someone else's CreateBucket won. moto answers BucketAlreadyExists itself."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "210987654321")
    eu_workshop.client("s3").create_bucket(
        Bucket="day38-source-00000001", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    original = s3.bucket_exists
    monkeypatch.setattr(s3, "bucket_exists", lambda client, bucket: False if bucket.endswith("00000001") else original(client, bucket))
    result = steps.create_buckets(eu_workshop)
    assert result["source_bucket"] == "day38-source-00000002"
    assert "belongs to someone else" in kit_log.text


def test_a_bucket_we_already_own_is_reused(eu_workshop, suffixes, monkeypatch, kit_log):
    state_first = steps.create_buckets(eu_workshop)
    # Setup again from a lost state file: same names, the buckets are already ours.
    client = eu_workshop.client("s3")
    client.put_object(Bucket=state_first["source_bucket"], Key="kept.jpg", Body=b"x")
    # The race again: HEAD said 404, so CreateBucket runs and says BucketAlreadyOwnedByYou.
    monkeypatch.setattr(s3, "bucket_exists", lambda client, bucket: False)
    kit_log.clear()
    again = steps.create_buckets(eu_workshop)
    assert again == state_first
    assert "already there, kept: bucket " + state_first["source_bucket"] in kit_log.text
    assert s3.list_keys(client, state_first["source_bucket"]) == ["kept.jpg"]


def test_too_many_taken_names_end_with_one_clear_message(moto_workshop, monkeypatch):
    from pixelkit.context.errors import WorkshopError

    monkeypatch.setattr(s3, "bucket_exists", lambda client, bucket: (_ for _ in ()).throw(s3.BucketNameTaken(bucket)))
    with pytest.raises(WorkshopError, match="5 bucket names in a row belong to someone else"):
        steps.create_buckets(moto_workshop)


# A setup interrupted halfway, then cleanup ------------------------------------------------------

INTERRUPTION_POINTS = [
    "s3.CreateBucket",  # before the bucket is even tagged
    "s3.PutBucketTagging",
    "iam.CreateRole",
    "iam.PutRolePolicy",
    "logs.CreateLogGroup",
    "lambda.CreateFunction",  # the function exists, its ARN is not in the state yet
    "lambda.UpdateFunctionConfiguration",
    "lambda.AddPermission",
    "s3.PutBucketNotificationConfiguration",
]


@pytest.mark.parametrize("point", INTERRUPTION_POINTS)
def test_setup_interrupted_then_cleanup_leaves_nothing(moto_workshop, slept, point):
    strict = StrictAws.on(moto_workshop, interrupt_after=point)
    with pytest.raises(Interrupt):
        steps.setup(moto_workshop)
    assert point in strict.calls
    steps.cleanup(moto_workshop)
    assert steps.inventory(moto_workshop) == NOTHING
    assert not state_path().exists()


@pytest.mark.parametrize("point", INTERRUPTION_POINTS[1:])
def test_setup_interrupted_and_state_lost_then_cleanup_all_tagged_leaves_nothing(moto_workshop, slept, point):
    StrictAws.on(moto_workshop, interrupt_after=point)
    with pytest.raises(Interrupt):
        steps.setup(moto_workshop)
    state_path().unlink()
    ws = open_workshop("aws")
    assert ws.state is None
    steps.cleanup_tagged(ws)
    assert steps.inventory(ws) == NOTHING
    assert steps.find_tagged(ws) == NOTHING


# Student isolation ---------------------------------------------------------------------------------

def test_students_get_their_own_names_tags_and_state(moto_workshop, slept):
    alice = open_workshop("aws", student="alice")
    bob = open_workshop("aws", student="bob")
    alice_arn = steps.setup(alice)["function_arn"]
    steps.setup(bob)
    assert alice.state.role_name == "day38-alice-role" and bob.state.role_name == "day38-bob-role"
    assert alice.state.function_name == "day38-alice-image_pixelator"
    assert alice.state.source_bucket.startswith("day38-alice-source-")
    assert state_path("alice").name == "state-alice.json" and state_path("alice").exists()
    assert not state_path().exists()
    tags = alice.client("lambda").list_tags(Resource=alice_arn)["Tags"]
    assert tags["workshop"] == "pixelation-workshop" and tags["student"] == "alice"
    assert set(steps.find_tagged(alice, "alice")["functions"]) == {"day38-alice-image_pixelator"}
    # Alice's cleanup, even by tags, leaves Bob's run alone.
    state_path("alice").unlink()
    steps.cleanup_tagged(open_workshop("aws", student="alice"), "alice")
    assert steps.find_tagged(alice, "alice") == NOTHING
    left = steps.inventory(bob)
    assert left["functions"] == ["day38-bob-image_pixelator"] and len(left["buckets"]) == 2


def test_a_students_cleanup_check_passes_while_a_classmate_still_has_resources(moto_workshop, slept, capsys):
    from pixelkit.tutorial import checks
    from pixelkit.commands import cli

    alice = open_workshop("aws", student="alice")
    bob = open_workshop("aws", student="bob")
    # alice's names begin every name of alice-b's: names alone cannot tell them apart
    alice_b = open_workshop("aws", student="alice-b")
    for student in (alice, bob, alice_b):
        steps.setup(student)
    steps.cleanup(alice)
    assert steps.inventory(alice) == NOTHING
    assert checks.check_step(alice, 6) == ["no bucket, function, role or log group of the kit is left",
                                           "state-alice.json is gone"]
    capsys.readouterr()  # only what status prints counts (setup's lines may have reached stdout too)
    assert cli.main(["status", "--target", "aws", "--student", "alice"]) == 0
    assert "day38-bob" not in capsys.readouterr().out
    # Bob's run and alice-b's are untouched, and their own check says so
    assert steps.inventory(bob)["functions"] == ["day38-bob-image_pixelator"]
    assert steps.inventory(alice_b)["functions"] == ["day38-alice-b-image_pixelator"]
    from pixelkit.context.errors import WorkshopError

    with pytest.raises(WorkshopError, match="still there: buckets: day38-bob-"):
        checks.check_step(bob, 6)
    # without a student, the check still sees every day38-* resource (the tutorial's own names)
    assert set(steps.inventory(open_workshop("aws", student=""))["functions"]) == {
        "day38-bob-image_pixelator", "day38-alice-b-image_pixelator"}


def test_a_student_name_that_cannot_be_in_a_bucket_name_is_refused(moto_workshop):
    from pixelkit.context.errors import WorkshopError

    with pytest.raises(WorkshopError, match="lowercase letters"):
        open_workshop("aws", student="Alice Smith")


def test_the_student_comes_from_the_environment(moto_workshop, monkeypatch):
    monkeypatch.setenv("WORKSHOP_STUDENT", "carol")
    ws = open_workshop("aws")
    steps.create_buckets(ws)
    assert ws.state.source_bucket.startswith("day38-carol-source-")
    tag_set = ws.client("s3").get_bucket_tagging(Bucket=ws.state.source_bucket)["TagSet"]
    assert {"Key": "student", "Value": "carol"} in tag_set
    assert os.path.basename(state_path("carol")) == "state-carol.json"


def test_a_trigger_on_the_destination_bucket_is_refused(moto_workshop, slept):
    from pixelkit.context.errors import WorkshopError

    function_arn = steps.setup(moto_workshop)["function_arn"]
    state = moto_workshop.state
    moto_workshop.client("s3").put_bucket_notification_configuration(
        Bucket=state.destination_bucket,
        NotificationConfiguration={"LambdaFunctionConfigurations": [
            {"Id": "loop", "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}
        ]},
    )
    with pytest.raises(WorkshopError, match="would call it again, forever"):
        steps.configure_function(moto_workshop)


@pytest.mark.parametrize("statement, bucket, allowed", [
    ({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
      "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::day38-source-1"}}}, "day38-source-1", True),
    ({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
      "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::day38-source-1"}}}, "day38-destination-1", False),
    ({"Effect": "Allow", "Principal": {"Service": ["s3.amazonaws.com"]},
      "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::day38-*"}}}, "day38-source-1", True),
    ({"Effect": "Allow", "Principal": "*"}, "any-bucket", True),
    ({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}, "day38-source-1", False),
    ({"Effect": "Deny", "Principal": {"Service": "s3.amazonaws.com"}}, "day38-source-1", False),
])
def test_whether_s3_may_invoke_is_read_as_aws_reads_it(statement, bucket, allowed):
    from pixelkit.aws.functions import s3_may_invoke

    assert s3_may_invoke([statement], bucket) is allowed
