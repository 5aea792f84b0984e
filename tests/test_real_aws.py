"""The whole flow and its cleanup on a real AWS account: opt-in, never in CI by default.

Run it with credentials for a sandbox account and an explicit opt-in:

    PIXELKIT_REAL_AWS=1 AWS_PROFILE=sandbox AWS_REGION=eu-west-1 .venv/bin/python -m pytest -m aws

It is skipped unless PIXELKIT_REAL_AWS=1 and credentials are found, because it creates (and then
deletes) real resources. The student name keeps it apart from anyone else's run in the account.
"""

from __future__ import annotations

import os

import pytest

# Read before the autouse fixture replaces the environment with fake credentials.
REAL_ENVIRONMENT = dict(os.environ)


def _real_credentials() -> bool:
    if REAL_ENVIRONMENT.get("PIXELKIT_REAL_AWS") != "1":
        return False
    import boto3

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(REAL_ENVIRONMENT)
        return boto3.Session().get_credentials() is not None
    finally:
        os.environ.clear()
        os.environ.update(saved)


pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(not _real_credentials(), reason="real AWS: set PIXELKIT_REAL_AWS=1 and credentials to run"),
]


def test_the_whole_flow_and_cleanup_on_a_real_account(monkeypatch, tmp_path):
    from pixelkit.tutorial import pipeline, steps
    from pixelkit.context.paths import sample_images
    from pixelkit.context.workshop import open_workshop

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        if name in REAL_ENVIRONMENT:
            monkeypatch.setenv(name, REAL_ENVIRONMENT[name])
        else:
            monkeypatch.delenv(name, raising=False)
    ws = open_workshop("aws", student="pytest")
    try:
        steps.setup(ws)
        uploads, log_lines = pipeline.run_pipeline_test(ws, sample_images()[:1], tmp_path / "out")
        assert len(uploads[0].outputs) == 5
        assert any(line.startswith("REPORT ") for line in log_lines)
    finally:
        steps.cleanup_tagged(ws, "pytest")
    assert steps.find_tagged(ws, "pytest") == {"buckets": [], "functions": [], "roles": [], "log groups": []}
