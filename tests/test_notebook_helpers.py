"""pixelkit.tutorial.checks and pixelkit.teaching.notebook: what the notebooks' first and last cells rely on."""

from __future__ import annotations

import datetime
import io

import pytest
from IPython.display import Image, Markdown

from helpers import free_port
from pixelkit.tutorial import checks, pipeline, steps
from pixelkit.teaching import notebook
from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import KIT_ROOT, sample_images
from pixelkit.teaching.pictures import variants_figure


@pytest.fixture
def shown(monkeypatch):
    """What the helpers display, instead of printing it."""
    displayed = []
    monkeypatch.setattr(notebook, "display", lambda obj, **kwargs: displayed.append(obj))
    return displayed


# checks.check_step --------------------------------------------------------------------------------

def test_every_check_fails_with_a_fix_before_anything_is_set_up(moto_workshop):
    for step in range(1, 6):
        with pytest.raises(WorkshopError, match="To fix it: run the notebooks from 01 on"):
            checks.check_step(moto_workshop, step)
    assert checks.check_step(moto_workshop, 6)  # nothing set up is clean
    with pytest.raises(WorkshopError, match="steps 1 to 6"):
        checks.check_step(moto_workshop, 7)


def test_checks_pass_after_each_step_and_name_what_they_verified(moto_workshop):
    ws = moto_workshop
    steps.create_buckets(ws)
    assert any(ws.state.source_bucket in fact for fact in checks.check_step(ws, 1))
    with pytest.raises(WorkshopError, match="(?s)role day38-role does not exist.*notebook 02"):
        checks.check_step(ws, 2)
    steps.create_role(ws)
    assert checks.check_step(ws, 2)
    with pytest.raises(WorkshopError, match="(?s)function day38-image_pixelator does not exist.*notebook 03"):
        checks.check_step(ws, 3)
    steps.deploy_function(ws)
    assert checks.check_step(ws, 3)
    with pytest.raises(WorkshopError, match="To fix it: run notebook 04"):
        checks.check_step(ws, 4)
    steps.configure_function(ws)
    assert "timeout 60 s" in checks.check_step(ws, 4)
    with pytest.raises(WorkshopError, match="nothing was uploaded"):
        checks.check_step(ws, 5)
    with pytest.raises(WorkshopError, match="still there: buckets: day38-"):
        checks.check_step(ws, 6)
    steps.cleanup(ws)
    assert checks.check_step(ws, 6) == ["no bucket, function, role or log group of the kit is left", "state.json is gone"]


def test_the_check_catches_a_destination_set_to_the_source_bucket(moto_workshop):
    ws = moto_workshop
    steps.setup(ws)
    ws.client("lambda").update_function_configuration(
        FunctionName=ws.state.function_name, Environment={"Variables": {"destination_bucket": ws.state.source_bucket}}
    )
    with pytest.raises(WorkshopError, match="(?s)names the SOURCE bucket.*forever.*To fix it: run notebook 04 again"):
        checks.check_step(ws, 4)
    steps.configure_function(ws)  # what the message says to do
    assert checks.check_step(ws, 4)


def test_the_output_check_names_the_missing_outputs(moto_workshop):
    ws = moto_workshop
    steps.setup(ws)
    ws.client("s3").put_object(Bucket=ws.state.source_bucket, Key="cat.jpg", Body=b"x")
    for key in pipeline.expected_outputs("cat.jpg")[:4]:
        ws.client("s3").put_object(Bucket=ws.state.destination_bucket, Key=key, Body=b"x")
    with pytest.raises(WorkshopError, match="cat.jpg has no pixelated-64x64-cat.jpg"):
        checks.check_step(ws, 5)
    ws.client("s3").put_object(Bucket=ws.state.destination_bucket, Key="pixelated-64x64-cat.jpg", Body=b"x")
    assert checks.check_step(ws, 5) == [f"cat.jpg: all 5 outputs are in s3://{ws.state.destination_bucket}"]


# pixelkit.teaching.notebook --------------------------------------------------------------------------------

def test_start_says_how_to_start_the_emulator_when_none_listens(monkeypatch):
    port = free_port()
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(WorkshopError, match=r"(?s)not running at .*:%d.*`make lab`.*`make emulator`" % port):
        notebook.start(1)


class RecordingShell:
    """Stands in for IPython's shell: records what the handler shows."""

    def __init__(self):
        self.shown = []

    def _showtraceback(self, etype, value, stb):
        self.shown.append(stb)


def test_a_learners_error_shows_as_its_message_not_a_stack_trace():
    shell = RecordingShell()
    lines = notebook._short_error(shell, WorkshopError, WorkshopError("Nothing yet.\nRun step 1 first."), None)
    assert shell.shown == [lines]  # shown by the handler itself: IPython drops what it returns
    assert "WorkshopError" in lines[0] and "Nothing yet." in lines[0] and lines[1:] == ["Run step 1 first."]
    assert not any("Traceback" in line for line in lines)


def test_show_figure_displays_a_png_whatever_the_backend(shown):
    original = sample_images()[0]
    notebook.show_figure(variants_figure([(original, [original] * 5)]))
    [image] = shown
    assert isinstance(image, Image) and image.format == "png" and image.data.startswith(b"\x89PNG")


def test_show_refusal_shows_the_message_and_complains_when_nothing_refuses(shown):
    message = notebook.show_refusal(steps.check_distinct_buckets, "day38-source-x", "day38-source-x")
    assert "trigger itself forever" in message and "The kit refuses" in shown[0].data
    with pytest.raises(AssertionError, match="accepted what it should refuse"):
        notebook.show_refusal(steps.check_distinct_buckets, "day38-source-x", "day38-destination-x")


def test_the_picture_to_upload_is_the_sample_or_the_learners_own(tmp_path, monkeypatch):
    assert notebook.pictures_to_upload(None) == [KIT_ROOT / "images" / "grace_hopper.jpg"]  # the portrait
    mine = tmp_path / "mine.png"
    mine.write_bytes(sample_images()[0].read_bytes())
    assert notebook.pictures_to_upload(str(mine)) == [mine]
    monkeypatch.chdir(KIT_ROOT / "notebooks")  # a kernel's working directory
    assert notebook.pictures_to_upload("images/grace_hopper.jpg") == [KIT_ROOT / "images" / "grace_hopper.jpg"]
    with pytest.raises(WorkshopError, match="(?s)There is no file nowhere.jpg.*MY_PICTURE"):
        notebook.pictures_to_upload("nowhere.jpg")


def test_a_picture_from_the_upload_button_comes_first(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_OUT_DIR", str(tmp_path / "out"))
    button = notebook.picture_upload()
    assert button.accept == "image/*" and not button.multiple
    assert notebook.pictures_to_upload(None, button) == [KIT_ROOT / "images" / "grace_hopper.jpg"]  # nothing chosen yet
    data = sample_images()[0].read_bytes()
    # what ipywidgets 8 holds after the learner chose a file in the browser
    button.set_trait("value", ({"name": "my cat.png", "type": "image/png", "size": len(data),
                                "content": memoryview(data), "last_modified": datetime.datetime.now(datetime.timezone.utc)},))
    [chosen] = notebook.pictures_to_upload("images/grace_hopper.jpg", button)
    assert chosen == tmp_path / "out" / "uploads" / "my cat.png" and chosen.read_bytes() == data


def test_the_check_of_step_5_names_a_refused_picture_and_what_to_do():
    from pixelkit.tutorial.pipeline import Upload

    refused = Upload(KIT_ROOT / "notes.txt", "notes.txt", problem="The function did not pixelate notes.txt:\n  not an image")
    with pytest.raises(WorkshopError, match="(?s)not an image.*MY_PICTURE"):
        notebook.check(None, 5, [refused])


def test_progress_updates_one_display_in_place(monkeypatch):
    updates = []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    monkeypatch.setattr(notebook, "display", lambda obj, **kwargs: Handle())
    progress = notebook.Progress(5)
    for found in range(1, 6):
        progress("cat.jpg", found, 5)
    assert len(updates) == 5
    assert repr(updates[-1]).startswith("[#####] 5/5 outputs") and 'value="5" max="5"' in updates[-1]._repr_html_()
    assert repr(updates[1]).startswith("[##...] 2/5")
    assert "waiting up to 90 s" in repr(updates[1]) and "waiting up to" not in repr(updates[-1])


def test_a_wait_says_what_it_waits_for_and_how_long_then_how_long_it_took(monkeypatch):
    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    monkeypatch.setattr(notebook, "display", lambda obj, **kwargs: shown.append(obj) or Handle())
    waiting = notebook.Waiting("Lambda's attempts at cat.jpg", 15)
    assert repr(shown[0]).startswith("waiting up to 15 s for Lambda's attempts at cat.jpg")
    waiting(3.5, "no invocation in the function's log yet")
    assert "3.5 s, no invocation" in repr(updates[-1]) and 'value="3.5" max="15"' in updates[-1]._repr_html_()
    waiting(15.2, "no invocation in the function's log: S3 called nothing", True)
    assert repr(updates[-1]) == ("waited 15.2 s (up to 15 s) for Lambda's attempts at cat.jpg: "
                                 "no invocation in the function's log: S3 called nothing")


def test_the_event_record_is_read_from_the_log():
    lines = ["START RequestId: 1", '[INFO]\tt\t1\tReceived event: {"Records": [{"s3": {"object": {"key": "cat.jpg"}}}]}']
    assert notebook.event_record(lines)["Records"][0]["s3"]["object"]["key"] == "cat.jpg"
    assert notebook.event_record(["START RequestId: 1"]) is None


def test_show_table_and_json_render_markdown(shown):
    notebook.show_table({"timeout (s)": 60, "environment": {"destination_bucket": "b"}, "none": None}, "Function")
    notebook.show_json({"a": 1}, "Doc")
    table, document = shown
    assert isinstance(table, Markdown) and '| environment | `{"destination_bucket": "b"}` |' in table.data
    assert "| none | – |" in table.data
    assert document.data.startswith("**Doc**") and '"a": 1' in document.data


def test_a_connection_failure_or_a_waiter_timeout_shows_as_a_message_too(monkeypatch):
    from botocore.exceptions import EndpointConnectionError, WaiterError

    registered = {}

    class Shell:
        def set_custom_exc(self, types, handler):
            registered.update(types=types, handler=handler)

    monkeypatch.setattr(notebook, "get_ipython", lambda: Shell())
    notebook.show_errors_briefly()
    for error in (EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"),
                  WaiterError(name="FunctionActiveV2", reason="Max attempts exceeded", last_response={})):
        assert isinstance(error, registered["types"])
        lines = registered["handler"](RecordingShell(), type(error), error, None)
        assert type(error).__name__ in lines[0] and not any("Traceback" in line for line in lines)
        assert lines[0].split(":", 1)[1].strip()  # a message follows the name


def test_the_pictures_are_saved_where_the_file_browser_finds_them_and_the_cell_says_where(tmp_path, monkeypatch, shown):
    from PIL import Image as PILImage

    from pixelkit.commands.lab import outputs_beside

    monkeypatch.delenv("WORKSHOP_OUT_DIR", raising=False)
    assert outputs_beside(tmp_path) == tmp_path / "out"  # make lab: out/ in JupyterLab's root
    monkeypatch.setenv("WORKSHOP_OUT_DIR", str(tmp_path / "mine"))
    assert outputs_beside(tmp_path) == tmp_path / "mine"  # the learner's own choice is kept
    out = tmp_path / "out"
    out.mkdir()
    original = tmp_path / "cat.jpg"
    PILImage.new("RGB", (64, 64)).save(original)
    outputs = [out / f"pixelated-{n}x{n}-cat.jpg" for n in (8, 16, 32, 48, 64)]
    for path in outputs:
        PILImage.new("RGB", (64, 64)).save(path)
    monkeypatch.chdir(tmp_path)  # the kernel's folder is the notebook's
    notebook.show_pictures([pipeline.Upload(original, "cat.jpg", outputs=outputs)])
    [figure, where] = shown
    assert isinstance(figure, Image) and PILImage.open(io.BytesIO(figure.data)).size[0] >= 900
    assert (out / "pictures-cat.png").is_file()
    assert "`out/`" in where.data and "`out/pixelated-64x64-cat.jpg`" in where.data and "file browser" in where.data


def test_a_call_table_groups_repeated_reads_and_shows_commands_whole():
    from pixelkit.context.calls import Call

    policy = "{" + ", ".join(f'"Sid{n}": "{"x" * 20}"' for n in range(20)) + "}"  # longer than the echo's cut
    keys = [f"pixelated-{n}x{n}-cat.jpg" for n in (8, 16, 32, 48, 64)]
    calls = [Call("lambda", "GetFunction", {"FunctionName": "f"}, "200"),
             Call("iam", "PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": policy}, "200")]
    for _ in range(3):  # a poller: the log, then each output, again and again
        calls.append(Call("logs", "FilterLogEvents", {"logGroupName": "g", "startTime": 1}, "200"))
        calls += [Call("s3", "HeadObject", {"Bucket": "b", "Key": key}, "404") for key in keys]
    calls += [Call("s3", "HeadObject", {"Bucket": "b", "Key": key}, "200") for key in keys]
    calls.append(Call("lambda", "GetPolicy", {"FunctionName": "f"}, "404 ResourceNotFoundException"))
    table = notebook.CallTable(calls)
    rows = notebook.call_rows(calls)
    assert [(r.first.operation, r.count, r.varying) for r in rows] == [
        ("GetFunction", 1, None), ("PutRolePolicy", 1, None), ("FilterLogEvents", 3, None),
        ("HeadObject", 15, "Key"), ("HeadObject", 5, "Key"), ("GetPolicy", 1, None)]
    text, page = repr(table), table._repr_html_()
    assert "s3.head_object(Bucket='b', Key=<5 values>) ×15 -> 404" in text
    assert "Key: 'pixelated-8x8-cat.jpg', 'pixelated-16x16-cat.jpg'" in text
    assert "$ aws s3api head-object --bucket b --key pixelated-8x8-cat.jpg" in text
    assert "x" * 20 + '"}' in text and "…'" not in text.split("$ aws iam")[1]  # the policy whole in the command
    assert "404 ResourceNotFoundException" in page and "26 calls in 6 rows" in page
    # a read after a write stays after it: nothing moves across a change
    again = notebook.call_rows(calls[:1] + calls[1:2] + calls[:1])
    assert [r.first.operation for r in again] == ["GetFunction", "PutRolePolicy", "GetFunction"]


def test_a_shown_policy_can_be_saved_for_the_clis_file_argument(tmp_path, monkeypatch, shown):
    monkeypatch.setenv("WORKSHOP_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.chdir(tmp_path)
    saved = notebook.show_json({"Version": "2012-10-17"}, "The inline policy", save_as="day38-inline.json")
    assert saved == tmp_path / "out" / "day38-inline.json" and '"2012-10-17"' in saved.read_text()
    [markdown] = shown
    assert "`out/day38-inline.json`" in markdown.data and f"file://{saved.resolve().as_posix()}" in markdown.data
    assert notebook.show_json({"a": 1}) is None


def _attempt_events(request_id: str, stream: str, lines: list[str], at_ms: int) -> list[dict]:
    lines = [f"START RequestId: {request_id} Version: $LATEST", *lines, f"END RequestId: {request_id}",
             f"REPORT RequestId: {request_id}\tDuration: 5 ms"]
    return [{"message": line, "logStreamName": stream, "timestamp": at_ms + n} for n, line in enumerate(lines)]


def test_watching_an_upload_waits_for_every_attempt_and_leaves_out_the_previous_sections(moto_workshop, monkeypatch, tmp_path):
    """Notebook 07's "see it": Lambda's three attempts at this upload (one request id), not the last section's."""
    from pixelkit.teaching import mistakes

    ws = moto_workshop
    steps.create_buckets(ws)
    ws.client("s3").put_object(Bucket=ws.state.source_bucket, Key="no-put-object.jpg", Body=b"picture")
    event = '[INFO]\tt\t{id}\tReceived event: {{"Records": [{{"s3": {{"object": {{"key": "{key}"}}}}}}]}}'
    denied = "[ERROR] AccessDenied: An error occurred (AccessDenied) when calling the PutObject operation"
    previous = _attempt_events("a" * 8, "env-1", [event.format(id="a" * 8, key="large-photo.jpg")], 0)
    mine = [_attempt_events("b" * 8, f"env-{n}", [event.format(id="b" * 8, key="no-put-object.jpg"), denied], 100 * n)
            for n in (2, 3, 4)]
    looks = []

    def log_so_far(ws, since_ms):  # one more attempt each time the log is read
        looks.append(since_ms)
        return previous + [e for attempt in mine[:len(looks)] for e in attempt]

    monkeypatch.setattr(mistakes.pipeline, "function_log_events", log_so_far)
    monkeypatch.setattr(mistakes, "LOOK_EVERY", 0)
    seen = []
    symptom = mistakes.watch_upload(ws, "no-put-object.jpg", wait_seconds=30,
                                    progress=lambda elapsed, what, over: seen.append((what, over)))
    assert (symptom.attempts, symptom.of, symptom.request_ids) == (3, 3, ["b" * 8])  # no invoke config: 2 retries
    assert "large-photo.jpg" not in "\n".join(symptom.log_lines) and symptom.outputs == []
    assert seen[-1] == ("attempt 3 of at most 3 finished: Lambda makes no other", True)
    assert [over for _, over in seen] == [False, False, True]
