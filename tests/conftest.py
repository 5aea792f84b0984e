"""Shared fixtures: fake credentials, moto in-process, and the real emulator in a child process."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(autouse=True)
def isolated_workshop(tmp_path, monkeypatch):
    """Every test gets its own state folder and fake credentials; nothing can reach real AWS."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    # set-then-delete records the original, so that what the kit sets in os.environ is undone after each test
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "WORKSHOP_TARGET", "WORKSHOP_ENDPOINT_URL",
                 "PIXELKIT_LOCAL_ENDPOINT", "WORKSHOP_STUDENT", "MOTO_ACCOUNT_ID"):
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)
    monkeypatch.setenv("WORKSHOP_DIR", str(tmp_path / ".workshop"))
    monkeypatch.setenv("WORKSHOP_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield tmp_path


@pytest.fixture(scope="session")
def package_build_dir(tmp_path_factory):
    """One deployment package build for the whole session (it fetches Pillow's Linux wheels once)."""
    return Path(os.environ.get("WORKSHOP_BUILD_DIR") or tmp_path_factory.mktemp("build"))


@pytest.fixture
def moto_workshop(monkeypatch, package_build_dir):
    """A Workshop on moto in this process (``mock_aws``), target 'aws' so no emulator is needed."""
    from moto import mock_aws

    from pixelkit.context.workshop import open_workshop

    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    with mock_aws():
        yield open_workshop("aws")


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory):
    """The real emulator, as `make emulator` runs it, on a free port of 127.0.0.1."""
    from pixelkit.emulator.server import EmulatorProcess

    log_path = tmp_path_factory.mktemp("emulator") / "emulator.log"
    process = EmulatorProcess(port=0, log_path=log_path)
    url = process.start()
    yield url
    process.stop()


@pytest.fixture
def emulator_workshop(emulator_url, monkeypatch, package_build_dir):
    """A Workshop pointed at the live emulator, through the same target switch a learner uses."""
    from pixelkit.context.workshop import open_workshop

    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    return open_workshop("local")


@pytest.fixture
def s3(monkeypatch):
    """The handler's buckets (helpers.SOURCE, helpers.DESTINATION) in moto, and destination_bucket set."""
    import boto3
    from moto import mock_aws

    import lambda_function
    from helpers import DESTINATION, SOURCE

    monkeypatch.setenv("destination_bucket", DESTINATION)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=SOURCE)
        client.create_bucket(Bucket=DESTINATION)
        monkeypatch.setattr(lambda_function, "_s3", None)  # a fresh client inside this mock
        yield client


@pytest.fixture
def kit_log(caplog):
    """The kit's progress lines, captured even when a CLI test has configured console logging."""
    kit_logger = logging.getLogger("pixelkit")
    kit_logger.addHandler(caplog.handler)
    level = kit_logger.level
    kit_logger.setLevel(logging.INFO)
    yield caplog
    kit_logger.removeHandler(caplog.handler)
    kit_logger.setLevel(level)
