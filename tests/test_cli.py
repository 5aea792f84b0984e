"""The commands a learner types: one clear message and exit status 2 when something is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pixelkit.commands.cli import main

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def test_without_an_emulator_the_message_says_how_to_start_it(monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    assert main(["setup"]) == 2
    err = capsys.readouterr().err
    assert "make emulator" in err and "Traceback" not in err
    # `make emulator` alone listens on 4566: for another port, the message names it.
    assert "`make emulator WORKSHOP_EMULATOR_PORT=9`" in err


def test_on_the_default_port_the_message_says_make_emulator_alone(monkeypatch, capsys):
    from pixelkit.context.errors import WorkshopError
    from pixelkit.context.target import DEFAULT_ENDPOINT, START_EMULATOR, Target, emulator_is_listening, \
        require_emulator

    if emulator_is_listening(DEFAULT_ENDPOINT):
        return  # someone's emulator is on 4566: nothing to say
    try:
        require_emulator(Target("local", "us-east-1", DEFAULT_ENDPOINT))
    except WorkshopError as error:
        assert str(error).endswith(START_EMULATOR)
    else:
        raise AssertionError("no emulator listens, yet require_emulator passed")


def test_an_unknown_target_is_explained(monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_TARGET", "moon")
    assert main(["status"]) == 2
    assert "Unknown target 'moon'" in capsys.readouterr().err


def test_cleanup_with_nothing_set_up_is_fine(emulator_url, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    assert main(["cleanup"]) == 0
    assert "Nothing to clean up" in capsys.readouterr().out


def test_every_script_runs_and_shows_its_help():
    scripts = sorted(p for p in SCRIPTS.glob("*.py") if p.name != "__init__.py")  # __init__: the package's index
    assert len(scripts) >= 7
    for script in scripts:
        result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "--target" in result.stdout


def test_switching_from_local_to_aws_forgets_the_emulator(monkeypatch):
    from pixelkit.context.target import use_target

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    local = use_target("local")
    assert os.environ["AWS_ENDPOINT_URL"] == local.endpoint_url
    aws = use_target("aws")
    assert aws.endpoint_url is None and "AWS_ENDPOINT_URL" not in os.environ
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_the_emulator_command_passes_its_options_through(tmp_path):
    import time

    from pixelkit.context.target import emulator_is_listening

    ready = tmp_path / "ready"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pixelkit"), "emulator", "--port", "0", "--ready-file", str(ready)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text()) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert process.poll() is None, process.stdout.read()
        assert emulator_is_listening(ready.read_text())
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_upload_reports_each_picture_and_goes_on_after_a_bad_one(emulator_url, monkeypatch, capsys, tmp_path):
    from pixelkit.context.paths import sample_images

    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    assert main(["setup"]) == 0
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    good = sample_images()[0]
    out = tmp_path / "out"
    assert main(["upload", str(notes), str(good), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "notes.txt -> no pictures" in captured.out
    assert "not an image" in captured.err and "Traceback" not in captured.err
    assert len(list(out.glob(f"pixelated-*-{good.name}"))) == 5
    assert main(["cleanup"]) == 0


def test_a_taken_port_gets_the_kits_message(emulator_url):
    from urllib.parse import urlparse

    port = urlparse(emulator_url).port
    result = subprocess.run([sys.executable, "-m", "pixelkit.emulator", "--port", str(port)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"Port {port} on 127.0.0.1 is taken" in result.stderr and "WORKSHOP_ENDPOINT_URL" in result.stderr


def test_status_shows_the_trigger_and_the_permission(emulator_url, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    assert main(["setup"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "s3:ObjectCreated:* -> day38-image_pixelator" in out
    assert "permission for s3://day38-source-" in out and "to invoke day38-image_pixelator: yes" in out
    # and says so when they are gone
    from pixelkit.tutorial import steps
    from pixelkit.aws import functions, s3
    from pixelkit.context.workshop import open_workshop

    ws = open_workshop("local")
    s3.remove_lambda_trigger(ws.client("s3"), ws.state.source_bucket, steps.TRIGGER_ID)
    functions.remove_permission(ws.client("lambda"), ws.state.function_name, steps.PERMISSION_ID)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"trigger on s3://{ws.state.source_bucket}: -" in out and "to invoke day38-image_pixelator: -" in out
    assert main(["cleanup"]) == 0


def test_a_step_script_run_as_a_program_makes_its_calls_and_shows_them(emulator_url, tmp_path):
    """`python scripts/step1_create_buckets.py`: the file a learner reads is the code that runs, calls echoed."""
    env = {**os.environ, "WORKSHOP_ENDPOINT_URL": emulator_url, "WORKSHOP_DIR": str(tmp_path / ".workshop")}
    made = subprocess.run([sys.executable, str(SCRIPTS / "step1_create_buckets.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "AWS s3.create_bucket(Bucket='day38-source-" in made.stdout and "$ aws s3api create-bucket" in made.stdout
    again = subprocess.run([sys.executable, str(SCRIPTS / "step1_create_buckets.py")], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "already there, kept: bucket day38-source-" in again.stdout
    assert "AWS s3.create_bucket(" not in again.stdout  # safe to run twice: nothing made the second time
    gone = subprocess.run([sys.executable, str(SCRIPTS / "step6_cleanup.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert gone.returncode == 0 and "AWS s3.delete_bucket(Bucket='day38-source-" in gone.stdout, gone.stdout + gone.stderr
