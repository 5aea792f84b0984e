"""Step 5's verdicts through Lambda's retries, a run the emulator forgot, and bad settings: one message each."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import free_port
from pixelkit.tutorial import checks, invocations, pipeline, steps
from pixelkit.commands import cli
from pixelkit.aws import functions, s3
from pixelkit.context.errors import WorkshopError, explain
from pixelkit.context.paths import KIT_ROOT, sample_images, venv_scripts_dir
from pixelkit.context.state import load_state, state_path
from pixelkit.context.workshop import open_workshop

RID = "8f5c2b1e-1111-4222-8333-944455556666"


def _events(*messages: str, stream: str = "2025/01/01/[$LATEST]" + "a" * 32) -> list[dict]:
    return [{"message": m, "logStreamName": stream, "timestamp": i} for i, m in enumerate(messages)]


def _attempt(request_id: str, *middle: str) -> list[str]:
    return [f"START RequestId: {request_id} Version: $LATEST", *middle, f"END RequestId: {request_id}",
            f"REPORT RequestId: {request_id}\tDuration: 3.00 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB"]


RAISED = "[ERROR] ValueError: boom\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 3, in handler\n    raise ValueError(\"boom\")"
EVENT = '[INFO]\t2025-01-01T00:00:00.000Z\t{rid}\tReceived event: {{"Records": [{{"s3": {{"object": {{"key": "{key}"}}}}}}]}}'


# The log parser: Lambda's format, retries with one request id or one each -----------------------

def test_retries_that_keep_the_request_id_are_counted_as_attempts_of_one_event():
    lines = []
    for _ in range(3):
        lines += _attempt(RID, EVENT.format(rid=RID, key="cat.jpg"), RAISED)
    progress = invocations.progress_of("cat.jpg", invocations.parse_attempts(_events(*lines)), ["cat.jpg"])
    assert (progress.number, progress.of, progress.gave_up) == (3, 3, True)
    assert progress.last.cause() == "the function raised ValueError: boom"
    assert progress.last.error_event[1] == "Traceback (most recent call last):"


def test_a_first_failed_attempt_is_not_a_verdict_and_a_retry_that_works_is_success():
    first = _attempt(RID, EVENT.format(rid=RID, key="cat.jpg"),
                     f"RequestId: {RID} Error: Runtime exited with error: signal: killed")
    progress = invocations.progress_of("cat.jpg", invocations.parse_attempts(_events(*first)), ["cat.jpg"])
    assert progress.will_retry and not progress.gave_up and progress.number == 1
    assert progress.last.cause().startswith("the function's runtime exited")
    both = first + _attempt(RID, EVENT.format(rid=RID, key="cat.jpg"))
    progress = invocations.progress_of("cat.jpg", invocations.parse_attempts(_events(*both)), ["cat.jpg"])
    assert progress.last.succeeded and progress.number == 2 and not progress.gave_up


def test_attempts_with_their_own_request_ids_are_told_apart_by_the_key_they_name():
    lines = []
    for n in range(3):
        rid = f"{n}" * 8 + RID[8:]
        lines += _attempt(rid, EVENT.format(rid=rid, key="a.jpg"), RAISED)
    rid = "f" * 8 + RID[8:]
    lines += _attempt(rid, EVENT.format(rid=rid, key="my+photo.jpg"))
    attempts = invocations.parse_attempts(_events(*lines))
    assert invocations.progress_of("a.jpg", attempts, ["a.jpg", "my photo.jpg"]).gave_up
    other = invocations.progress_of("my photo.jpg", attempts, ["a.jpg", "my photo.jpg"])
    assert other.last.succeeded and other.number == 1


def test_interleaved_streams_keep_each_invocations_lines_apart():
    one, two = "1" * 8 + RID[8:], "2" * 8 + RID[8:]
    a, b = "2025/01/01/[$LATEST]" + "a" * 32, "2025/01/01/[$LATEST]" + "b" * 32
    events = [
        {"message": f"START RequestId: {one} Version: $LATEST", "logStreamName": a},
        {"message": f"START RequestId: {two} Version: $LATEST", "logStreamName": b},
        {"message": RAISED, "logStreamName": b},
        {"message": f"END RequestId: {one}", "logStreamName": a},
        {"message": f"REPORT RequestId: {one}\tDuration: 1 ms", "logStreamName": a},
        {"message": f"END RequestId: {two}", "logStreamName": b},
        {"message": f"REPORT RequestId: {two}\tDuration: 1 ms", "logStreamName": b},
    ]
    first, second = invocations.parse_attempts(events)
    assert first.succeeded and second.failed


def test_a_timeout_and_an_init_error_are_named_as_such():
    timed_out = _attempt(RID, f"2025-01-01T00:01:00.000Z {RID} Task timed out after 3.00 seconds")
    [attempt] = invocations.parse_attempts(_events(*timed_out))
    assert attempt.cause() == "the function timed out after 3 s"
    init = _attempt(RID, "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'PIL'")
    [attempt] = invocations.parse_attempts(_events(*init))
    assert attempt.cause().startswith("the function could not start: Runtime.ImportModuleError")
    assert "step 3" in attempt.fix()


# Step 5 against moto, with the function's log written as Lambda writes it ---------------------

def _deployed(ws) -> None:
    steps.create_buckets(ws)
    steps.create_role(ws)
    steps.deploy_function(ws)


def test_access_denied_in_every_attempt_is_named_at_once(moto_workshop, kit_log):
    ws = moto_workshop
    _deployed(ws)
    ws.client("s3").put_object(Bucket=ws.state.source_bucket, Key="cat.jpg", Body=b"x")
    since = int(time.time() * 1000) - 1000
    denied = (f"[ERROR]\t2025-01-01T00:00:00.000Z\t{RID}\tFailed on s3://{ws.state.source_bucket}/cat.jpg: S3 said "
              "AccessDenied: User is not authorized to perform: s3:PutObject. Raising so that Lambda retries.")
    lines = []
    for _ in range(3):
        lines += _attempt(RID, EVENT.format(rid=RID, key="cat.jpg"), denied,
                          "[ERROR] ClientError: An error occurred (AccessDenied) when calling the PutObject operation")
    logs = ws.client("logs")
    stream = "2025/01/01/[$LATEST]" + "c" * 32
    logs.create_log_stream(logGroupName=ws.state.log_group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=ws.state.log_group, logStreamName=stream,
                        logEvents=[{"timestamp": now, "message": line} for line in lines])
    started = time.monotonic()
    with pytest.raises(WorkshopError) as raised:
        pipeline.wait_for_outputs(ws, "cat.jpg", since, timeout=120)
    message = str(raised.value)
    assert "did not pixelate cat.jpg: all 3 attempts failed" in message
    assert "access denied: Failed on s3://" in message and "role" in message
    assert time.monotonic() - started < 60  # the log explained it: no waiting for the deadline


def test_step_5_before_steps_3_and_4_says_which_step_and_uploads_nothing(moto_workshop, tmp_path):
    ws = moto_workshop
    steps.create_buckets(ws)
    picture = sample_images()[0]
    with pytest.raises(WorkshopError, match=r"run step 3"):
        pipeline.run_pipeline_test(ws, [picture], tmp_path)
    steps.create_role(ws)
    steps.deploy_function(ws)
    with pytest.raises(WorkshopError, match=r"does not trigger .*Run step 4"):
        pipeline.run_pipeline_test(ws, [picture], tmp_path)
    assert s3.list_keys(ws.client("s3"), ws.state.source_bucket) == []


def test_a_stale_permission_of_a_lost_run_is_replaced_so_s3_accepts_the_trigger(moto_workshop, slept, kit_log):
    from strict_aws import StrictAws

    ws = moto_workshop
    StrictAws.on(ws)
    steps.setup(ws)
    old_bucket = ws.state.source_bucket
    state_path().unlink()  # the state file is lost; the function and its permission stay
    ws.state = None
    steps.setup(ws)  # new buckets, same function: S3 validates the permission for the new one
    statements = functions.get_policy_statements(ws.client("lambda"), ws.state.function_name)
    assert functions.s3_may_invoke(statements, ws.state.source_bucket)
    assert not functions.s3_may_invoke(statements, old_bucket)
    assert f"replacing permission {steps.PERMISSION_ID}" in kit_log.text
    assert checks.check_step(ws, 4)


@pytest.fixture
def slept(monkeypatch):
    monkeypatch.setattr(functions, "retry_sleep", lambda seconds: None)


# Step 5 on the emulator: a raising handler, a first attempt killed ----------------------------

WRAPPER = '''
import os
import boto3
import lambda_function

def raising(event, context):
    raise ValueError("boom: the learner's bug")

def killed_once(event, context):
    """The first attempt dies (as out of memory would); the retry pixelates."""
    s3 = boto3.client("s3")
    key = "attempted-" + event["Records"][0]["s3"]["object"]["key"]
    bucket = os.environ["destination_bucket"]
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except Exception:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
        os._exit(1)
    return lambda_function.lambda_handler(event, context)
'''


def _deploy_wrapper(ws, handler: str) -> None:
    from pixelkit.tutorial import package as packaging

    buffer = io.BytesIO(packaging.build_package(packaging.RUNTIME, "x86_64").path.read_bytes())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("wrapper.py", WRAPPER)
    lam = ws.client("lambda")
    functions.update_function_code(lam, ws.state.function_name, buffer.getvalue())
    functions.update_function_configuration(lam, ws.state.function_name, Handler=f"wrapper.{handler}")


@pytest.mark.emulator
def test_a_raising_handler_is_reported_with_its_error_after_the_last_retry(emulator_workshop, tmp_path, kit_log):
    ws = emulator_workshop
    steps.setup(ws)
    _deploy_wrapper(ws, "raising")
    started = time.monotonic()
    with pytest.raises(WorkshopError) as raised:
        pipeline.run_pipeline_test(ws, sample_images()[:1], tmp_path)
    message = str(raised.value)
    assert "all 3 attempts failed, the last with: the function raised ValueError: boom: the learner's bug" in message
    assert "attempt 1 of 3 failed: the function raised ValueError: boom: the learner's bug; Lambda retries" in kit_log.text
    assert "((" not in message and "))" not in kit_log.text
    assert time.monotonic() - started < 60  # not the 90 s deadline: the log said it
    steps.cleanup(ws)


@pytest.mark.emulator
def test_a_first_attempt_killed_and_a_retry_that_works_is_success(emulator_workshop, tmp_path, kit_log):
    ws = emulator_workshop
    steps.setup(ws, policy="tutorial")  # the wrapper reads its marker back from the destination bucket
    _deploy_wrapper(ws, "killed_once")
    picture = sample_images()[0]
    [upload], _ = pipeline.run_pipeline_test(ws, [picture], tmp_path)
    assert len(upload.outputs) == 5 and upload.problem is None
    assert f"{picture.name}: attempt 1 of 3 failed" in kit_log.text
    assert f"{picture.name}: attempt 2 of 3 worked" in kit_log.text
    steps.cleanup(ws)


# A run the emulator forgot: every command says so, one way ------------------------------------

@pytest.fixture
def restartable(monkeypatch, tmp_path):
    """An emulator of this test's own, on a port it keeps across a restart."""
    from pixelkit.emulator.server import EmulatorProcess

    port = free_port()
    # lenient: AWS's "the first bucket name is taken" would rename the run's bucket after the restart
    process = EmulatorProcess(port=port, log_path=tmp_path / "emulator.log", strict=False)
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", process.start())

    def restart():
        process.stop()
        process.start()

    yield restart
    process.stop()


FORGOTTEN = "the emulator was restarted"


@pytest.mark.emulator
def test_every_command_names_a_run_the_emulator_forgot(restartable, capsys, tmp_path):
    assert cli.main(["create-buckets"]) == 0
    assert cli.main(["create-role"]) == 0
    restartable()
    capsys.readouterr()
    picture = sample_images()[0]
    assert cli.main(["upload", str(picture), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert FORGOTTEN in err and "make setup" in err and "NoSuchBucket" not in err and "Traceback" not in err
    assert cli.main(["status"]) == 0
    assert FORGOTTEN in capsys.readouterr().out
    with pytest.raises(WorkshopError, match=FORGOTTEN):
        checks.check_step(open_workshop("local"), 1)
    suffix = load_state().suffix
    assert cli.main(["create-buckets"]) == 0  # setup says so and makes the run again, same names
    out = capsys.readouterr().out
    assert FORGOTTEN in out and f"created bucket day38-source-{suffix}" in out
    restartable()
    assert cli.main(["cleanup"]) == 0
    assert FORGOTTEN in capsys.readouterr().out and not state_path().exists()


# Bad settings --------------------------------------------------------------------------------

@pytest.mark.parametrize("region, said", [("moon-1", "not one of the regions AWS has"), ("", "empty"),
                                          ("US-EAST-1", "lowercase, e.g. 'us-east-1'")])
def test_a_region_aws_does_not_have_is_refused_before_anything_is_made(monkeypatch, capsys, region, said):
    from moto import mock_aws

    monkeypatch.setenv("AWS_REGION", region)
    for target in ("aws", "local"):
        with mock_aws():
            assert cli.main(["setup", "--target", target]) == 2
            err = capsys.readouterr().err
            assert said in err and "Nothing was created" in err and "Traceback" not in err
            import boto3

            assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []
            assert boto3.client("iam", region_name="us-east-1").list_roles()["Roles"] == []
    assert not state_path().exists()


def test_a_stale_profile_is_ignored_by_the_local_target_and_explained_for_aws(emulator_url, monkeypatch, capsys):
    monkeypatch.setenv("AWS_PROFILE", "gone-since-last-term")
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    assert cli.main(["status"]) == 0
    monkeypatch.setenv("AWS_PROFILE", "gone-since-last-term")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert cli.main(["status", "--target", "aws"]) == 2
    err = capsys.readouterr().err
    assert "AWS_PROFILE=gone-since-last-term names no profile" in err and "make emulator" not in err


GOOD_STATE = {"target": "local", "region": "us-east-1", "endpoint_url": "http://127.0.0.1:4566", "suffix": "0123abcd",
              "source_bucket": "day38-source-0123abcd", "destination_bucket": "day38-destination-0123abcd",
              "role_name": "day38-role", "policy_name": "day38-inline", "function_name": "day38-image_pixelator"}


@pytest.mark.parametrize("content, said", [
    ("null", "it holds null"),
    ("[1, 2]", "it holds list"),
    ("{not json", "it is not JSON"),
    (json.dumps({**GOOD_STATE, "source_bucket": 42}), "source_bucket is 42, not a non-empty text"),
    (json.dumps({**GOOD_STATE, "function_name": ""}), 'function_name is "", not a non-empty text'),
    (json.dumps({**GOOD_STATE, "region": None}), "region is null"),
    (json.dumps({**GOOD_STATE, "region": "moon-1"}), "not one of the regions AWS has"),
    (json.dumps({**GOOD_STATE, "source_bucket": "family-photos"}), "'family-photos', not a name the kit makes"),
    (None, "it is a folder"),
])
def test_a_broken_state_file_gets_one_message_with_the_way_out(capsys, content, said):
    path = state_path()
    path.parent.mkdir(parents=True)
    if content is None:
        path.mkdir()
    else:
        path.write_text(content)
    with pytest.raises(WorkshopError, match="To recover: delete it") as raised:
        load_state()
    assert said in str(raised.value) and "make orphans" in str(raised.value)
    for command in (["status"], ["cleanup", "--all-tagged"], ["setup"]):
        assert cli.main([*command, "--target", "aws"]) == 2
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err


def test_cleanup_leaves_a_bucket_without_the_kits_tag_for_this_run(moto_workshop, kit_log):
    ws = moto_workshop
    steps.create_buckets(ws)
    client = ws.client("s3")
    # the state file names a bucket with a kit-like name that the kit did not make for this run
    client.delete_bucket_tagging(Bucket=ws.state.destination_bucket)
    client.put_object(Bucket=ws.state.destination_bucket, Key="family.jpg", Body=b"precious")
    source, destination = ws.state.source_bucket, ws.state.destination_bucket
    steps.cleanup(ws)
    assert s3.list_keys(client, destination) == ["family.jpg"]
    assert not s3.bucket_exists(client, source)
    assert f"left bucket {destination}" in kit_log.text and "does not carry the kit's tags" in kit_log.text
    assert not state_path().exists()  # and the kit forgets it


def test_status_marks_look_alikes_and_resources_of_a_lost_state_file(moto_workshop, capsys):
    ws = moto_workshop
    ws.client("s3").create_bucket(Bucket="day38-lookalike")
    steps.create_buckets(ws)
    state_path().unlink()
    capsys.readouterr()
    assert cli.main(["status", "--target", "aws"]) == 0
    out = capsys.readouterr().out
    assert "day38-lookalike (not the kit's" in out
    assert "belong to a run whose state file is gone" in out and "make orphans" in out
    assert "nothing set up" not in out.lower()


def test_images_a_folder_a_path_with_spaces_and_what_is_not_a_picture(tmp_path, monkeypatch):
    folder = tmp_path / "holiday photos"
    folder.mkdir()
    spaced = folder / "my photo.jpg"
    shutil.copy(sample_images()[0], spaced)
    monkeypatch.setenv("IMAGES", str(spaced))
    assert pipeline.pictures(cli.images_from_environment()) == [spaced]
    monkeypatch.setenv("IMAGES", f'"{spaced}" {sample_images()[1]}')
    assert pipeline.pictures(cli.images_from_environment()) == [spaced, sample_images()[1]]
    assert pipeline.pictures([folder]) == [spaced]
    assert pipeline.pictures([KIT_ROOT / "images"]) == sample_images()
    with pytest.raises(WorkshopError, match="not a picture file but a device"):
        pipeline.pictures(["/dev/null"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WorkshopError, match="is a folder with no pictures"):
        pipeline.pictures([empty])
    with pytest.raises(WorkshopError, match="There is no file"):
        pipeline.pictures([tmp_path / "nope.jpg"])


def test_make_passes_images_whole(tmp_path):
    """`make upload IMAGES="my photo.jpg"`: the command gets one path, not two words."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "kit.py", "pyproject.toml"):
        shutil.copy(KIT_ROOT / name, tmp_path / name)
    # An installed .venv whose Python answers kit.py's checks and prints what `upload` was given.
    python = venv_scripts_dir(tmp_path / ".venv") / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!{sys.executable}\nimport os, sys\n"
                      "if sys.argv[1:3] == ['-m', 'pixelkit']: print(repr(sys.argv[3:]), repr(os.environ['IMAGES']))\n")
    python.chmod(0o755)
    digest = hashlib.sha256((tmp_path / "pyproject.toml").read_bytes()).hexdigest()
    (tmp_path / ".venv" / ".installed-kit").write_text(digest + "\n")
    result = subprocess.run(["make", "-s", "-C", str(tmp_path), "upload", "IMAGES=my photo.jpg"],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "['upload'] 'my photo.jpg'", result.stderr


def test_a_bad_endpoint_port_and_another_web_server_get_a_message(monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", "http://127.0.0.1:notaport")
    assert cli.main(["status"]) == 2
    assert "port that is not a number" in capsys.readouterr().err

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self._answer()

        def do_POST(self):
            self._answer()

        def _answer(self):
            body = b"<html><body>My blog</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
        assert cli.main(["status"]) == 2
        err = capsys.readouterr().err
        assert "it is not the kit's emulator" in err and "Traceback" not in err
    finally:
        server.shutdown()


def test_the_kits_clients_give_up_on_a_silent_endpoint_and_hints_fit_the_target(moto_workshop, monkeypatch):
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    config = moto_workshop.client("s3").meta.config
    assert (config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]) == (5, 30, 3)
    assert moto_workshop.client("lambda").meta.config.read_timeout > steps.TIMEOUT_SECONDS
    monkeypatch.setenv("WORKSHOP_TARGET", "aws")
    for error in (EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"),
                  ConnectTimeoutError(endpoint_url="https://s3.amazonaws.com")):
        said = explain(error)
        assert "make emulator" not in said and "network" in said
    monkeypatch.setenv("WORKSHOP_TARGET", "local")
    assert "make emulator" in explain(EndpointConnectionError(endpoint_url="http://127.0.0.1:4566"))


# Ctrl-C ---------------------------------------------------------------------------------------

def _console_script() -> str:
    return str(Path(sys.executable).parent / "pixelkit")


@pytest.mark.parametrize("delay", [0.05, 0.1, 0.2, 0.3, 0.6])
def test_ctrl_c_in_the_first_moments_of_a_command_prints_no_traceback(tmp_path, delay):
    env = {**os.environ, "WORKSHOP_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    process = subprocess.Popen([_console_script(), "status"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    # Python's own start is out of any program's reach: site, which reads the .pth files (the editable install's
    # imports setuptools' finder), and the console script pip wrote, whose first line imports the kit. From the
    # kit's first line on, a Ctrl-C is the kit's to catch: no traceback through its code or boto3's.
    frames = [line.strip() for line in err.splitlines() if line.strip().startswith("File ")]
    ours = [f for f in frames if not f.startswith(('File "<frozen ', 'File "<string>"', f'File "{_console_script()}"'))
            and "__editable__" not in f and "/lib/python3" not in f]
    assert not ours and not any(name in err for name in ("boto3", "botocore", "argparse")), err
    in_pythons_start = (bool(frames) and not ours) or "init_import_site" in err  # Python's own site import
    # 130 and "Interrupted." once the kit runs; killed by the signal before its handler exists; done already;
    # or stopped in Python's own start (above)
    assert process.returncode in (130, -signal.SIGINT, 2) or in_pythons_start, err
    if process.returncode == 130:
        assert "Interrupted." in err


@pytest.mark.emulator
def test_ctrl_c_during_make_demo_ends_in_interrupted_and_stops_its_emulator(tmp_path, package_build_dir):
    port = free_port()
    env = {**os.environ, "WORKSHOP_ENDPOINT_URL": f"http://127.0.0.1:{port}", "WORKSHOP_BUILD_DIR": str(package_build_dir),
           "WORKSHOP_OUT_DIR": str(tmp_path / "out"), "PYTHONUNBUFFERED": "1"}
    # its own process group, as a terminal's foreground job: the Ctrl-C goes to the whole group
    process = subprocess.Popen([_console_script(), "demo"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env, start_new_session=True)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("Step 2"):
            break
    os.killpg(process.pid, signal.SIGINT)
    seen += process.stdout.read()
    process.wait(timeout=120)
    out = "".join(seen)
    assert process.returncode == 130, out
    assert "Interrupted." in out and "Could not connect" not in out and "Traceback" not in out
    assert "deleted bucket day38-source-" in out  # the demo cleaned up on its emulator before stopping it
    from pixelkit.context.target import emulator_is_listening

    assert not emulator_is_listening(f"http://127.0.0.1:{port}")


def test_an_init_error_written_before_start_belongs_to_that_attempt():
    """As on AWS, what INIT wrote comes before START; a tail of an earlier invocation does not count."""
    from pixelkit.tutorial.invocations import parse_attempts

    def event(message):
        return {"message": message, "logStreamName": "2026/01/01/[$LATEST]abc"}

    attempts = parse_attempts([event(m) for m in (
        "an earlier invocation's line", "END RequestId: 0", "REPORT RequestId: 0",
        "INIT_START Runtime Version: python:3.13",
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'lambda_function': No module named 'PIL'",
        "INIT_REPORT Init Duration: 12.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError",
        "START RequestId: 1 Version: $LATEST", "END RequestId: 1", "REPORT RequestId: 1\tStatus: error")])
    [attempt] = attempts
    assert attempt.failed and "No module named 'PIL'" in attempt.error
    assert attempt.cause().startswith("the function could not start: Runtime.ImportModuleError")
    assert "an earlier invocation's line" not in attempt.text
