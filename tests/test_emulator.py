"""End to end against the real emulator process: the deployed function really runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from pixelkit.tutorial import pipeline, steps
from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import sample_images
from pixelkit.aws import s3 as s3_wrapper
from pixelkit.emulator import runtimes

pytestmark = pytest.mark.emulator

NOTHING = {"buckets": [], "functions": [], "roles": [], "log groups": []}


def test_an_upload_gives_five_pictures_of_the_right_size_and_a_log(emulator_workshop, tmp_path):
    ws = emulator_workshop
    steps.setup(ws)
    original = sample_images()[0]
    uploads, log_lines = pipeline.run_pipeline_test(ws, [original], tmp_path / "out")
    [upload] = uploads
    assert [p.name for p in upload.outputs] == [f"pixelated-{n}x{n}-{original.name}" for n in (8, 16, 32, 48, 64)]
    with Image.open(original) as source:
        for path in upload.outputs:
            with Image.open(path) as output:
                assert output.size == source.size and output.format == source.format
    # step 5 of the tutorial: the event record, in the function's CloudWatch log group
    events = [line for line in log_lines if "Received event" in line]
    assert events and json.loads(events[0].split("Received event: ", 1)[1])["Records"][0]["s3"]["object"]["key"] == original.name
    assert any(line.startswith("REPORT RequestId:") and "Max Memory Used" in line for line in log_lines)
    if (3, 13) in [i.version for i in runtimes.interpreters()]:  # the package's Pillow for 3.13, on 3.13
        assert any(line.startswith("INIT_START Runtime Version: python:3.13.v") for line in log_lines)
        assert not any("EMULATOR NOTE" in line for line in log_lines)
    steps.cleanup(ws)
    assert steps.inventory(ws) == NOTHING


def test_setup_twice_upload_cleanup_twice_leaves_nothing(emulator_workshop, tmp_path):
    ws = emulator_workshop
    steps.setup(ws)
    steps.setup(ws)
    pipeline.run_pipeline_test(ws, sample_images()[:1], tmp_path / "out")
    steps.cleanup(ws)
    steps.cleanup(ws)
    assert steps.inventory(ws) == NOTHING


def test_a_text_file_is_explained_and_the_next_picture_still_works(emulator_workshop, tmp_path):
    ws = emulator_workshop
    steps.setup(ws)
    text = tmp_path / "notes.txt"
    text.write_text("this is not a picture")
    since = int(time.time() * 1000) - 1000
    pipeline.upload_image(ws, text)
    with pytest.raises(WorkshopError, match="not an image"):
        pipeline.wait_for_outputs(ws, "notes.txt", since, timeout=20)
    uploads, _ = pipeline.run_pipeline_test(ws, sample_images()[:1], tmp_path / "out")
    assert len(uploads[0].outputs) == 5
    steps.cleanup(ws)


def test_a_failing_function_is_logged_and_the_emulator_keeps_serving(emulator_workshop, monkeypatch):
    ws = emulator_workshop
    steps.setup(ws)
    lam = ws.client("lambda")
    # an invocation straight through the Lambda API, with an event the handler cannot read
    response = lam.invoke(FunctionName=ws.state.function_name, Payload=json.dumps({"Records": [{"s3": {}}]}), LogType="Tail")
    assert response.get("FunctionError")
    lines = pipeline.wait_for_reports(ws, 1, 0)
    assert any(line.startswith("[ERROR] KeyError") for line in lines)
    assert ws.client("s3").list_buckets()["Buckets"]  # still serving
    steps.cleanup(ws)


@pytest.mark.skipif(shutil.which("aws", path=str(Path(sys.executable).parent)) is None, reason="AWS CLI not installed")
def test_the_aws_cli_talks_to_the_emulator(emulator_workshop):
    ws = emulator_workshop
    steps.create_buckets(ws)
    aws = shutil.which("aws", path=str(Path(sys.executable).parent))
    listing = subprocess.run([aws, "s3", "ls"], capture_output=True, text=True, env=dict(os.environ), check=True)
    assert ws.state.source_bucket in listing.stdout
    steps.cleanup(ws)


def test_outputs_of_an_earlier_upload_are_not_taken_for_new_ones(emulator_workshop, tmp_path):
    ws = emulator_workshop
    steps.setup(ws)
    picture = sample_images()[0]
    pipeline.run_pipeline_test(ws, [picture], tmp_path / "out")
    # Without its trigger the function no longer runs: a new upload of the same name gets no new outputs.
    s3_wrapper.remove_lambda_trigger(ws.client("s3"), ws.state.source_bucket, steps.TRIGGER_ID)
    time.sleep(2.1)  # Last-Modified has one-second resolution: let the old outputs be clearly older
    since = int(time.time() * 1000)
    pipeline.upload_image(ws, picture)
    with pytest.raises(WorkshopError, match="Only 0 of the 5 outputs"):
        pipeline.wait_for_outputs(ws, picture.name, since, timeout=4)
    steps.cleanup(ws)


def test_without_the_runtimes_python_the_pipeline_runs_on_the_closest_and_says_so(tmp_path, monkeypatch, package_build_dir):
    """A machine without Python 3.13: the closest Python runs the function, and its log says so once."""
    from pixelkit.emulator.server import EmulatorProcess
    from pixelkit.context.workshop import open_workshop

    here = [i for i in runtimes.interpreters() if i.version != (3, 13)]
    if not here:
        pytest.skip("no Python other than 3.13 here")
    monkeypatch.setenv("PIXELKIT_PYTHONS", here[-1].path)
    process = EmulatorProcess(port=0, log_path=tmp_path / "emulator.log")
    url = process.start()
    try:
        monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", url)
        monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
        ws = open_workshop("local")
        steps.setup(ws)
        uploads, log_lines = pipeline.run_pipeline_test(ws, sample_images()[:1], tmp_path / "out")
        assert len(uploads[0].outputs) == 5
        notes = [line for line in log_lines if line.startswith("EMULATOR NOTE: python3.13 runs here on")]
        assert len(notes) == 1 and "pyenv install 3.13" in notes[0]
        steps.cleanup(ws)
    finally:
        process.stop()
