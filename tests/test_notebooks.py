"""The notebooks: committed clean, run in order headless (nbclient), and run in a real JupyterLab (Playwright)."""

from __future__ import annotations

import ast
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from helpers import NOTHING, free_port
from pixelkit.context.paths import KIT_ROOT
from pixelkit.context.state import state_path

NOTEBOOKS_DIR = KIT_ROOT / "notebooks"
STEP_NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("0*.ipynb"))
# The order their names sort in: "When it goes wrong" (07) after the cleanup (06) sets the pipeline up again
# itself (the README's order, 07 before 06, finds it there). 06 runs once more at the end.
RUN_ORDER = STEP_NOTEBOOKS
# Notebook 07's uploads, one name each (in its cells' s3.upload_file calls).
MISTAKE_UPLOAD = re.compile(r'upload_file\(.*?"([\w.-]+\.jpg)"\)')
REQUEST_ID = re.compile(r"RequestId: ([0-9a-f-]{36})")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = KIT_ROOT / "build" / "screenshots"
SCREENSHOT_COPY = SCREENSHOTS / "jupyterlab-05-upload-and-check.png"
CALLS_SCREENSHOT_COPY = SCREENSHOTS / "jupyterlab-01-create-buckets-calls.png"


def code_cells(path: Path) -> list:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def as_git_holds_it(path: Path) -> nbformat.NotebookNode:
    """The notebook as git's index holds it (what a commit takes), else the file (not a git checkout, or new)."""
    relative = path.relative_to(KIT_ROOT).as_posix()
    shown = subprocess.run(["git", "show", f":{relative}"], cwd=KIT_ROOT, capture_output=True, text=True)
    if shown.returncode == 0:
        return nbformat.reads(shown.stdout, as_version=4)
    return nbformat.read(path, as_version=4)


# Committed notebooks --------------------------------------------------------------------------------

def test_there_is_one_notebook_per_step_of_the_tutorial():
    assert [p.name[:3] for p in STEP_NOTEBOOKS] == ["01-", "02-", "03-", "04-", "05-", "06-", "07-"]
    assert [p.name[:2] for p in RUN_ORDER] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", STEP_NOTEBOOKS, ids=lambda p: p.stem)
def test_a_committed_notebook_holds_no_outputs_and_hides_nothing(path):
    notebook = as_git_holds_it(path)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        where = f"{path.name} cell {index}"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{where} holds outputs: clear them (Edit > Clear Outputs of All Cells) before committing"
            assert cell.execution_count is None, f"{where} has an execution count: clear outputs before committing"
        hidden = cell.metadata.get("jupyter", {})
        assert not hidden.get("source_hidden") and not hidden.get("outputs_hidden"), f"{where} is hidden"
        assert not {"hide-input", "hide_input", "remove-input", "remove-cell"} & set(cell.metadata.get("tags", [])), where
        assert "sys.path" not in cell.source and "import *" not in cell.source, where


@pytest.mark.parametrize("path", STEP_NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_imports_the_kit_plainly_and_starts_and_ends_as_every_other(path):
    """The learner's code is the notebook's own (its step's boto3 calls, which they may change); what it imports
    comes from the installed kit, by name: no sys.path or os.chdir trick, no ``import *``, no magic that hides code."""
    step = int(path.name[:2])
    cells = code_cells(path)
    for cell in cells:
        tree = ast.parse(cell.source)  # plain Python: no %magic or !shell line that the learner cannot read as code
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert all(alias.name != "*" for alias in node.names), (path.name, node.module)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert (node.value.id, node.attr) not in {("sys", "path"), ("os", "chdir"), ("importlib", "reload")}
    # the first cell connects to the target for this step; the last one proves the step worked
    assert f"notebook.start({step})" in cells[0].source
    assert cells[-1].source.strip() in (f"notebook.check(ws, {step})", f"notebook.check(ws, {step}, uploads)")


def test_make_lab_serves_copies_so_the_kits_notebooks_stay_clean(tmp_path):
    from pixelkit.commands.lab import working_copy

    first = NOTEBOOKS_DIR / "01-create-buckets.ipynb"
    before = first.read_bytes()
    copies = working_copy(tmp_path / "lab")
    assert sorted(p.name for p in copies.glob("*.ipynb")) == sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))
    # JupyterLab autosaves outputs into the copy; the next `make lab` keeps the learner's copy as it is
    (copies / first.name).write_text("the learner's work")
    working_copy(tmp_path / "lab")
    assert (copies / first.name).read_text() == "the learner's work"
    assert first.read_bytes() == before


# Executed headless, in order ------------------------------------------------------------------------

def kernel_env(emulator_url: str, package_build_dir: Path) -> dict[str, str]:
    """What a learner's kernel gets from `make lab`: the target switch, and here a test's own state folder."""
    env = dict(os.environ)
    env.update(
        WORKSHOP_TARGET="local",
        WORKSHOP_ENDPOINT_URL=emulator_url,
        WORKSHOP_DIR=os.environ["WORKSHOP_DIR"],
        WORKSHOP_BUILD_DIR=str(package_build_dir),
        MPLBACKEND="Agg",
    )
    return env


def execute(path: Path, env: dict[str, str], call_log: Path | None = None) -> nbformat.NotebookNode:
    """Run All in a fresh kernel whose working directory is the notebook's folder, as JupyterLab does.

    With ``call_log``, every AWS call the kernel makes is written there (``WORKSHOP_CALL_LOG``, pixelkit.context.calls).
    """
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    env = {**env, "WORKSHOP_CALL_LOG": str(call_log)} if call_log else env
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    return notebook


# The calls that teach: every one that changes something, and the reads of step 5's results (its log, its outputs).
TAUGHT_READS = {"FilterLogEvents", "GetObject"}
# What a notebook shows beyond its script: 04 calls the function directly, to show that it refuses to loop.
NOTEBOOK_ONLY = {"04": {("lambda", "Invoke")}}
# Made by a helper both call, not the step's lesson: step 1 gives the tutorial's own name back when it was free.
NOT_SPELLED_OUT = {"01": {"DeleteBucket"}}


def taught_calls(call_log: Path) -> set[tuple[str, str, tuple[str, ...]]]:
    """The (service, operation, parameter names) of the calls in a WORKSHOP_CALL_LOG file that teach the step."""
    import json

    from pixelkit.context.calls import is_write

    calls = [json.loads(line) for line in call_log.read_text().splitlines()] if call_log.exists() else []
    return {(c["service"], c["operation"], tuple(c["params"])) for c in calls
            if is_write(c["operation"]) or c["operation"] in TAUGHT_READS}


def script_calls(tmp_path: Path, monkeypatch) -> dict[str, set]:
    """Steps 1 to 6 as their scripts make them (the functions `make setup`, `make upload` and `make cleanup` run)."""
    from pixelkit.context.paths import sample_images
    from pixelkit.context.workshop import open_workshop
    from pixelkit.tutorial.steps import (
        step1_create_buckets, step2_create_role, step3_deploy_function, step4_configure_function,
        step5_upload_and_check, step6_cleanup,
    )

    monkeypatch.setenv("WORKSHOP_DIR", str(tmp_path / "scripts-run"))
    ws = open_workshop("local")
    runs = {
        "01": lambda: step1_create_buckets.create_buckets(ws),
        "02": lambda: step2_create_role.create_role(ws),
        "03": lambda: step3_deploy_function.deploy_function(ws),
        "04": lambda: step4_configure_function.configure_function(ws),
        "05": lambda: step5_upload_and_check.upload_and_check(ws, [KIT_ROOT / "images" / "grace_hopper.jpg"],
                                                              tmp_path / "scripts-out"),
        "06": lambda: step6_cleanup.cleanup(ws),
    }
    found = {}
    for step, run in runs.items():
        log = tmp_path / f"script-{step}.jsonl"
        monkeypatch.setenv("WORKSHOP_CALL_LOG", str(log))
        run()
        found[step] = taught_calls(log)
    monkeypatch.delenv("WORKSHOP_CALL_LOG")
    return found


def outputs_of(notebook, mime: str) -> list:
    return [o["data"][mime] for c in notebook.cells if c.cell_type == "code" for o in c.outputs if mime in o.get("data", {})]


def printed(notebook) -> str:
    return "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)


def call_tables(notebook) -> str:
    """The AWS call tables under the cells, as text (the HTML table's plain form)."""
    return "\n".join(o["data"]["text/plain"] for c in notebook.cells if c.cell_type == "code" for o in c.outputs
                     if "text/html" in o.get("data", {}) and "AWS calls of this cell" in o["data"]["text/plain"])


def execute_with(path: Path, env: dict[str, str], old: str, new: str) -> nbformat.NotebookNode:
    """Run All on a copy of the notebook with one edit, as a learner would make it; a failing cell does not stop it."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    [cell] = [c for c in notebook.cells if c.cell_type == "code" and old in c.source]
    cell.source = cell.source.replace(old, new)
    NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    return notebook


def errors_of(notebook) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


def check_result(notebook) -> str:
    """The check cell's verdict (the last code cell's Markdown)."""
    last = [c for c in notebook.cells if c.cell_type == "code"][-1]
    [verdict] = [o["data"]["text/markdown"] for o in last.outputs if "text/markdown" in o.get("data", {})]
    return verdict


def current_inventory(env: dict[str, str]) -> dict:
    from pixelkit.tutorial import steps
    from pixelkit.context.workshop import open_workshop

    return steps.inventory(open_workshop("local"))


def assert_the_function_ran_for_each_run(first_started: float, second_started: float) -> None:
    """Notebook 05's second Run All pixelated the picture again: not a pass on the first run's outputs."""
    from pixelkit.tutorial import pipeline
    from pixelkit.aws import s3
    from pixelkit.context.workshop import open_workshop

    ws = open_workshop("local")
    reports = [line for line in pipeline.function_log(ws, int(first_started * 1000)) if line.startswith("REPORT ")]
    assert len(reports) == 2, reports  # one invocation per run (notebook 04's direct calls came before)
    [uploaded] = s3.list_keys(ws.client("s3"), ws.state.source_bucket)
    for key in pipeline.expected_outputs(uploaded):
        modified = ws.client("s3").head_object(Bucket=ws.state.destination_bucket, Key=key)["LastModified"]
        # S3 keeps whole seconds: every output was written again during the second run
        assert modified.timestamp() >= int(second_started), (key, modified, second_started)


@pytest.mark.emulator
def test_the_notebooks_run_in_order_each_twice_and_leave_nothing(emulator_url, package_build_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    env = kernel_env(emulator_url, package_build_dir)
    results, logs = {}, {}
    for path in RUN_ORDER:
        if path.name.startswith("07"):
            results["07"] = execute(path, env)  # once: it breaks and fixes five things, which takes a while
            assert check_result(results["07"]).startswith("**Everything is restored.**")
            assert "s3.create_bucket(" in call_tables(results["07"])  # after 06, it set the pipeline up again
            assert_each_mistake_shows_its_own_symptom(results["07"])
            execute(NOTEBOOKS_DIR / "06-cleanup.ipynb", env)  # 07 after 06 set the pipeline up again
            continue
        # each notebook twice, each time in a new kernel: Run All again gives the same result
        first_started = time.time()
        logs[path.name[:2]] = tmp_path / f"notebook-{path.name[:2]}.jsonl"
        first = execute(path, env, call_log=logs[path.name[:2]])
        second_started = time.time()
        second = execute(path, env)
        results[path.name[:2]] = first
        assert check_result(first).startswith(f"**Step {int(path.name[:2])} works.**")
        assert check_result(second) == check_result(first), path.name
        if path.name.startswith("05"):
            assert_the_function_ran_for_each_run(first_started, second_started)
            assert_a_bad_upload_then_a_good_one(path, env, tmp_path)
    # each step shows its calls to AWS: notebook 01's with this run's values, in order
    tables = call_tables(results["01"])
    source = ws_state_of(results["01"])
    for call in (f"s3.create_bucket(Bucket='{source}')", f"s3.put_bucket_tagging(Bucket='{source}'",
                 f"s3.put_public_access_block(Bucket='{source}'", f"$ aws s3api create-bucket --bucket {source}"):
        assert call in tables, call
    assert tables.index("s3.create_bucket(") < tables.index("s3.put_bucket_tagging(") < tables.index("s3.put_public_access_block(")
    # step 7: each mistake broken with one visible call, seen, fixed
    tables, shown = call_tables(results["07"]), printed(results["07"])
    assert "lambda.remove_permission(FunctionName='day38-image_pixelator', StatementId='allow-s3-source-bucket')" in tables
    assert "lambda.update_function_configuration(FunctionName='day38-image_pixelator', Timeout=3, MemorySize=128)" in tables
    assert "lambda.put_function_event_invoke_config(FunctionName='day38-image_pixelator', MaximumRetryAttempts=0)" in tables
    assert "lambda.delete_function_event_invoke_config(FunctionName='day38-image_pixelator')" in tables
    assert "iam.put_role_policy(RoleName='day38-role'" in tables and "lambda.update_function_code(" in tables
    assert "destination_bucket is not set" in shown and "Refused s3://" in shown
    assert "Memory Size: 128 MB" in shown
    # step 4 taught the recursion guard with the kit's refusal and the deployed handler's own
    markdown = "\n".join(outputs_of(results["04"], "text/markdown"))
    assert "The kit refuses" in markdown and "trigger itself forever" in markdown
    assert "Refused s3://" in printed(results["04"]) and "every output would trigger this function again" in printed(results["04"])
    # step 5: the event record, and the plot inline as a PNG
    assert '"eventSource": "aws:s3"' in "\n".join(outputs_of(results["05"], "text/markdown"))
    assert "Received event" in "".join(o.get("text", "") for c in results["05"].cells for o in c.get("outputs", []))
    [png] = outputs_of(results["05"], "image/png")
    assert len(png) > 10_000
    # step 6: nothing of the kit left, before-and-after shown
    assert current_inventory(env) == NOTHING
    assert not state_path().exists()
    # each notebook makes the calls its script makes: the same services, operations and parameter names
    import re

    from botocore import xform_name

    scripts = script_calls(tmp_path, monkeypatch)
    for step, calls in scripts.items():
        in_notebook = {call for call in taught_calls(logs[step]) if call[:2] not in NOTEBOOK_ONLY.get(step, set())}
        assert calls, step
        assert in_notebook == calls, (step, "only in the notebook:", in_notebook - calls, "only in the script:", calls - in_notebook)
        # and each is there as code to read: `client.create_bucket(...)`, or a paginator's "filter_log_events"
        script = next((KIT_ROOT / "scripts").glob(f"step{int(step)}_*.py"))
        for source in (script.read_text(), "\n".join(c.source for c in code_cells(next(NOTEBOOKS_DIR.glob(f"{step}-*.ipynb"))))):
            written = {n.attr for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Attribute)} | set(
                re.findall(r'get_paginator\("(\w+)"\)', source))
            spelled_out = {xform_name(op) for _, op, _ in calls if op not in NOT_SPELLED_OUT.get(step, set())}
            assert not spelled_out - written, (step, script.name)


@pytest.mark.emulator
def test_a_learners_edit_in_notebook_04_takes_effect(emulator_url, package_build_dir, monkeypatch):
    """Timeout=30 in notebook 04's cell, Run All after 01 to 03: the function's configuration says 30."""
    import boto3

    from pixelkit.context.workshop import open_workshop
    from pixelkit.tutorial import steps

    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    env = kernel_env(emulator_url, package_build_dir)
    for path in RUN_ORDER[:3]:
        execute(path, env)
    edited = execute_with(NOTEBOOKS_DIR / "04-configure-function.ipynb", env, "Timeout=60,", "Timeout=30,")
    ws = open_workshop("local")
    lam = boto3.client("lambda", endpoint_url=emulator_url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    assert lam.get_function_configuration(FunctionName=ws.state.function_name)["Timeout"] == 30
    [error] = errors_of(edited)  # the check says the learner's timeout is not the tutorial's, and what to do
    assert "The timeout is 30 s, not 60 s" in error and "notebook 04" in error
    steps.cleanup(ws)


def sections_of(notebook) -> dict[str, list]:
    """A notebook's code cells by the "## N." section they are in (the cells before the first: "")."""
    sections, current = {}, ""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and re.match(r"## \d\.", cell.source):
            current = cell.source.split("\n", 1)[0]
        elif cell.cell_type == "code":
            sections.setdefault(current, []).append(cell)
    return sections


def everything_shown(cells) -> str:
    """What the cells showed: printed lines, Markdown, the call tables and the progress lines, as text."""
    texts = []
    for cell in cells:
        for output in cell.outputs:
            texts.append(output.get("text", ""))
            data = output.get("data", {})
            texts += [data.get("text/markdown", ""), data.get("text/plain", "")]
    return "\n".join(texts)


def assert_each_mistake_shows_its_own_symptom(notebook) -> None:
    """Notebook 07: no section's log, outputs or calls show another section's upload or request id; and no retry
    of a mistake's upload ran after the fix and wrote the outputs."""
    from pixelkit.aws import s3
    from pixelkit.context.workshop import open_workshop

    mistakes = {title: cells for title, cells in sections_of(notebook).items() if title}
    assert len(mistakes) == 5, list(mistakes)
    uploads = {title: MISTAKE_UPLOAD.findall("\n".join(c.source for c in cells)) for title, cells in mistakes.items()}
    shown = {title: everything_shown(cells) for title, cells in mistakes.items()}
    request_ids = {title: set(REQUEST_ID.findall(text)) for title, text in shown.items()}
    assert all(uploads.values()), uploads
    assert [len(ids) for ids in request_ids.values()] == [0, 2, 1, 1, 1], request_ids  # mistake 1 calls nothing
    for title, text in shown.items():
        for other in mistakes:
            if other == title:
                continue
            for key in uploads[other]:
                assert key not in text, f"{title!r} shows {key}, the upload of {other!r}"
            assert not request_ids[other] & request_ids[title], f"{title!r} shows a request id of {other!r}"
    assert "S3 called nothing" in shown["## 1. The trigger without its permission"]
    assert "waiting up to" not in "".join(shown.values())  # every wait line ends saying how long it waited
    assert "waited" in shown["## 1. The trigger without its permission"]
    # Lambda would retry a failed upload 1 and 2 s later (2 retries): none did, so no upload has outputs
    time.sleep(4)
    ws = open_workshop("local")
    written = s3.list_keys(ws.client("s3"), ws.state.destination_bucket)
    for key in [key for keys in uploads.values() for key in keys]:
        assert not [name for name in written if name.endswith("-" + key)], (key, written)


def ws_state_of(notebook) -> str:
    """The source bucket's name, as notebook 01's table of this run's buckets shows it."""
    import re

    [name] = set(re.findall(r"day38-source-[0-9a-f]+", "\n".join(outputs_of(notebook, "text/markdown"))))
    return name


def assert_a_bad_upload_then_a_good_one(path: Path, env: dict[str, str], tmp_path: Path) -> None:
    """Notebook 05 with a file that is not a picture: no NameError, the check says why; then a picture passes."""
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: milk, eggs")
    bad = execute_with(path, env, "MY_PICTURE = None", f"MY_PICTURE = {str(notes)!r}")
    [error] = errors_of(bad)  # the check cell alone fails, with the function's reason and what to do
    assert "not an image" in error and "MY_PICTURE" in error and "NameError" not in error
    assert "Received event" in printed(bad)  # the log cell ran
    good = execute(path, env)
    assert check_result(good).startswith("**Step 5 works.**")
    assert "notes.txt" not in check_result(good)  # this run's picture is judged, not the old upload


# In a real JupyterLab, in Chromium ------------------------------------------------------------------

def wait_for_server(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterLab exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer {url} within {timeout:.0f} s")


def sync_api_timeout():
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    return PlaywrightTimeout


def run_all_cells(page) -> None:
    """Run > Run All Cells, through the menu bar as a learner would."""
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def accept_kernel_dialog(page) -> bool:
    """Answer JupyterLab's "Select Kernel" dialog with its default (the notebook's own kernel), if it is up."""
    dialog = page.locator(".jp-Dialog").filter(has_text="Select Kernel")
    if not dialog.count():
        return False
    dialog.locator("button.jp-mod-accept").click()
    dialog.wait_for(state="detached", timeout=10_000)
    return True


def run_all(page, url: str, step: int) -> None:
    """Open the notebook, Run > Run All Cells, and wait for the check cell's verdict."""
    page.goto(url)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    # JupyterLab asks once about its news feed: answer it, as a learner would, so it covers nothing
    news = page.get_by_text("Would you like to get notified about official Jupyter news?")
    try:
        news.wait_for(timeout=5_000)
        page.get_by_role("button", name="No", exact=True).click()
    except sync_api_timeout():
        pass
    # Run All only once the notebook's kernel is up: the status bar says "Python 3 (ipykernel) | Idle"
    page.get_by_text("| Idle").first.wait_for(timeout=90_000)
    accept_kernel_dialog(page)
    run_all_cells(page)
    verdict = page.get_by_text(f"Step {step} works.")
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]', has_text="Error")
    deadline = time.monotonic() + 240
    while not verdict.count():
        if accept_kernel_dialog(page):
            # JupyterLab asked which kernel to use and dropped the Run All that made it ask: run all again
            # (the notebook gives the same result run twice)
            run_all_cells(page)
        assert not errors.count(), f"a cell failed in JupyterLab: {errors.first.inner_text()}"
        assert time.monotonic() < deadline, f"notebook 0{step} did not finish within 240 s in JupyterLab"
        page.wait_for_timeout(500)


def screenshot_call_table(page, screenshot: Path) -> None:
    """Notebook 01's table of the calls that created the buckets, as the learner sees it under the cell."""
    table = page.locator("details.pixelkit-calls[open]", has_text="s3.create_bucket(Bucket='day38-source-").first
    table.wait_for(timeout=10_000)
    text = table.inner_text()
    assert "s3.create_bucket(Bucket='day38-source-" in text, text[:500]
    assert page.locator("details.pixelkit-calls[open]", has_text="s3.put_public_access_block(").count()
    assert "aws s3api create-bucket --bucket day38-source-" in text
    # the cell that created the buckets, and its table below it
    cell = page.locator(".jp-Cell", has=table).first
    page.evaluate("el => el.scrollIntoView({block: 'start'})", cell.element_handle())
    page.screenshot(path=str(screenshot))


def screenshot_pictures(page, screenshot: Path) -> None:
    """Notebook 05's figure, and the cells around it, as the learner sees them."""
    pictures = page.locator(".jp-OutputArea-output img")
    assert pictures.count() >= 1
    picture = pictures.first
    assert picture.get_attribute("src").startswith("data:image/png")
    picture.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth >= 900", arg=picture.element_handle())
    # the figure, and the cells around it, as the learner sees them
    page.evaluate("img => img.scrollIntoView({block: 'center'})", picture.element_handle())
    page.screenshot(path=str(screenshot))


@pytest.mark.emulator
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium): "
                    "`apt-get install -y chromium` (.ci/run installs it)")
def test_notebook_05_runs_in_jupyterlab_and_shows_the_pictures(emulator_url, package_build_dir, monkeypatch, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extras: make .venv/.installed")
    from pixelkit.tutorial import steps
    from pixelkit.commands.lab import lab_command
    from pixelkit.context.workshop import open_workshop

    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", emulator_url)
    env = kernel_env(emulator_url, package_build_dir)
    # A copy: JupyterLab saves what it runs, and the committed notebooks must stay without outputs.
    served = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, served)
    jupyter_dirs = {name: tmp_path / name.lower() for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR")}
    env.update({name: str(path) for name, path in jupyter_dirs.items()})
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyterlab.log", "w")
    lab = subprocess.Popen(
        lab_command(port, root_dir=served, extra=[
            "--no-browser", f"--IdentityProvider.token={token}", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        ]),
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    screenshot, calls_screenshot = tmp_path / "jupyterlab-05.png", tmp_path / "jupyterlab-01-calls.png"
    try:
        wait_for_server(f"{base}/api/status?token={token}", lab)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            try:
                run_all(page, f"{base}/lab/tree/01-create-buckets.ipynb?token={token}", 1)
                screenshot_call_table(page, calls_screenshot)
                for path in sorted(served.glob("0[2-4]-*.ipynb")):
                    execute(path, env)
                run_all(page, f"{base}/lab/tree/05-upload-and-check.ipynb?token={token}", 5)
                screenshot_pictures(page, screenshot)
            except Exception:
                page.screenshot(path=str(tmp_path / "failure.png"))
                raise
            finally:
                browser.close()
    finally:
        lab.send_signal(signal.SIGTERM)
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait()
        log.close()
        ws = open_workshop("local")
        if ws.state is not None:
            steps.cleanup(ws)
    assert screenshot.stat().st_size > 20_000 and calls_screenshot.stat().st_size > 20_000
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot, SCREENSHOT_COPY)
    shutil.copy(calls_screenshot, CALLS_SCREENSHOT_COPY)


def test_a_learners_error_shows_in_the_notebook_as_its_message(tmp_path, package_build_dir):
    """No emulator: the first cell fails with the kit's message in the cell's output, not a blank or a stack trace."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from pixelkit.teaching import notebook\nws = notebook.start(1)")])
    env = kernel_env("http://127.0.0.1:9", package_build_dir)  # nothing listens on the discard port
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    [error] = [o for o in notebook.cells[0].outputs if o.output_type == "error"]
    text = "\n".join(error.traceback)
    assert "make lab" in text and "not running" in text
    assert "Traceback" not in text and "File " not in text
