"""`make setup TARGET=aws` and `make cleanup TARGET=aws` against an endpoint as strict as AWS, in eu-west-1.

The endpoint is the emulator as it starts by default (as strict as AWS), in its own process; the kit reaches
it only through the standard AWS_ENDPOINT_URL, AWS_REGION and credential variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from pixelkit.emulator.server import EmulatorProcess

pytestmark = pytest.mark.emulator

PIXELKIT = str(Path(sys.executable).parent / "pixelkit")


@pytest.fixture
def strict_endpoint(tmp_path, monkeypatch):
    # Five seconds, more than a busy machine takes from step 2 to step 3: the kit is seen waiting.
    monkeypatch.setenv("WORKSHOP_EMULATOR_ROLE_PROPAGATION", "5")
    process = EmulatorProcess(port=0, log_path=tmp_path / "strict-emulator.log", strict=True)
    url = process.start()
    yield url, tmp_path / "strict-emulator.log"
    process.stop()


def aws_environment(url: str, tmp_path: Path, package_build_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WORKSHOP_", "PIXELKIT_"))}
    env.update(AWS_ENDPOINT_URL=url, AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1",
               AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
               WORKSHOP_DIR=str(tmp_path / ".workshop"), WORKSHOP_BUILD_DIR=str(package_build_dir))
    return env


def pixelkit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([PIXELKIT, *args, "--target", "aws"], env=env, capture_output=True, text=True, timeout=300)


def test_setup_and_cleanup_against_a_strict_endpoint_in_eu_west_1(strict_endpoint, tmp_path, package_build_dir):
    url, log = strict_endpoint
    env = aws_environment(url, tmp_path, package_build_dir)
    # The package first (a first build takes longer than a role is refused for): step 3 then reuses it.
    subprocess.run([PIXELKIT, "package"], env=env, check=True, capture_output=True, timeout=300)
    setup = pixelkit("setup", env=env)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    # what the endpoint refused, and how the kit answered
    assert "not usable by Lambda yet" in setup.stdout
    assert "strict: role" in log.read_text()

    state = json.loads((tmp_path / ".workshop" / "state.json").read_text())
    s3 = boto3.client("s3", endpoint_url=url, region_name="eu-west-1",
                      aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
    # bucket names are global: the tutorial's bare one is somebody else's (step 1 asks for it to show why it adds
    # a suffix), the kit's suffixed names are free
    assert "the tutorial's bucket name day38-source belongs to someone else (names are global)" in setup.stdout
    assert state["source_bucket"].startswith("day38-source-") and "  bucket name day38-source-" not in setup.stdout
    with pytest.raises(ClientError, match="BucketAlreadyExists"):
        s3.create_bucket(Bucket="day38-source", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert "strict: bucket name day38-source is taken" in log.read_text()
    assert s3.get_bucket_location(Bucket=state["source_bucket"])["LocationConstraint"] == "eu-west-1"
    # the endpoint really validates triggers: the destination bucket, whose trigger S3 may not call, is refused
    function_arn = boto3.client("lambda", endpoint_url=url, region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                                aws_secret_access_key="secret").get_function(
        FunctionName=state["function_name"])["Configuration"]["FunctionArn"]
    with pytest.raises(ClientError, match="Unable to validate the following destination configurations"):
        s3.put_bucket_notification_configuration(Bucket=state["destination_bucket"], NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}]})

    for _ in range(2):
        cleanup = pixelkit("cleanup", env=env)
        assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    status = pixelkit("status", env=env)
    assert status.returncode == 0
    for kind in ("buckets", "functions", "roles", "log groups"):
        assert f"  {kind}: -" in status.stdout
    assert s3.list_buckets()["Buckets"] == []
