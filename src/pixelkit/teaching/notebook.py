"""What the notebooks call to start and to show things.

A notebook is explanations, its step's boto3 calls (the same as its script in scripts/ makes),
and these display helpers. They render Markdown and PNG, which JupyterLab,
``jupyter nbconvert`` and nbclient all keep, so nothing depends on widgets or on
matplotlib's backend.
"""

from __future__ import annotations

import inspect
import io
import json
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path

from IPython import get_ipython
from IPython.display import Image, Markdown, display

from pixelkit.context import calls as aws_calls
from pixelkit.tutorial import checks, invocations
from pixelkit.aws import functions, s3
from pixelkit.context.errors import LEARNER_ERRORS, WorkshopError, explain
from pixelkit.context.paths import IMAGES_DIR, KIT_ROOT, output_dir, sample_images
from pixelkit.context.state import state_path
from pixelkit.context.workshop import Workshop, configure_console_logging, open_workshop


# The first cell ----------------------------------------------------------------------------------

def _short_error(shell, etype, value, tb, tb_offset=None):
    """Show a learner's error as its message alone (it says what to do), not as a stack trace."""
    lines = explain(value).splitlines() or [etype.__name__]
    stb = [f"\x1b[1;31m{etype.__name__}:\x1b[0m {lines[0]}", *lines[1:]]
    # IPython drops what a custom handler returns: the handler must show it itself.
    shell._showtraceback(etype, value, stb)
    return stb


# What the first cell says when the emulator does not answer: JupyterLab users start it with `make lab`.
START_EMULATOR_FROM_A_NOTEBOOK = (
    "Start JupyterLab with `make lab`: it starts the emulator and stops it when JupyterLab stops. "
    "Or run `make emulator` in a terminal and leave it running. Then run this cell again.\n"
    "(For a real AWS account instead: `make lab TARGET=aws`.)"
)


def show_errors_briefly() -> None:
    """Make the learner's errors (the kit's, AWS's answers, botocore's own) print their message only; the cell
    still fails (Run All stops)."""
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc(LEARNER_ERRORS, _short_error)


@dataclass
class CallRow:
    """One row of a call table: a call, or reads that differ in one parameter only (a poller's, a download's)."""

    calls: list[aws_calls.Call]
    varying: str | None = None  # the parameter whose values differ from call to call

    @property
    def first(self) -> aws_calls.Call:
        return self.calls[0]

    @property
    def count(self) -> int:
        return sum(call.count for call in self.calls)

    def values(self) -> list[str]:
        return list(dict.fromkeys(aws_calls.show_value(call.params[self.varying]) for call in self.calls))

    def boto3(self) -> str:
        """The call as boto3 takes it; the varying parameter as "<N values>" (listed under it)."""
        if self.varying is None:
            return str(self.first)
        params = {**self.first.params, self.varying: _Placeholder(f"<{len(self.values())} values>")}
        return str(aws_calls.Call(self.first.service, self.first.operation, params))

    def joins(self, call: aws_calls.Call) -> bool:
        """Whether ``call`` is the same read with another value of one parameter (the same one each time)."""
        first = self.first
        if call.writes or (call.service, call.operation, call.outcome) != (first.service, first.operation, first.outcome):
            return False
        if call.params.keys() != first.params.keys():
            return False
        differ = [name for name in first.params
                  if aws_calls.show_value(call.params[name]) != aws_calls.show_value(first.params[name])]
        if not differ:
            return True
        return len(differ) == 1 and self.varying in (None, differ[0])


class _Placeholder:
    def __init__(self, text: str):
        self.text = text

    def __repr__(self):
        return self.text


def call_rows(calls: list[aws_calls.Call]) -> list[CallRow]:
    """The calls of a cell as rows: a write alone, each in its place; repeated reads since the last write in one row.

    A waiter's or a poller's reads of the same thing, or a download's reads of five keys, are one row with
    their count: the order of what changed stays, and a table for one upload stays short.
    """
    rows: list[CallRow] = []
    since_write = 0  # reads join rows after the last write only: nothing moves across a change
    for call in aws_calls.collapse(calls):
        if not call.writes:
            row = next((row for row in rows[since_write:] if row.joins(call)), None)
            if row is not None:
                differ = [name for name in call.params
                          if aws_calls.show_value(call.params[name]) != aws_calls.show_value(row.first.params[name])]
                if differ:
                    row.varying = differ[0]
                row.calls.append(call)
                continue
        rows.append(CallRow([call]))
        if call.writes:
            since_write = len(rows)
    return rows


# JupyterLab right-aligns table cells and keeps code on one line: the calls read better left-aligned and
# wrapped. A command wraps on screen only: copied, it is whole.
_TD = 'style="text-align:left;vertical-align:top"'
_CODE = 'style="white-space:pre-wrap;overflow-wrap:break-word;word-break:normal;font-size:90%"'
_SMALL = 'style="font-size:85%;color:#555;overflow-wrap:anywhere"'
_RESULT = 'style="text-align:left;vertical-align:top;overflow-wrap:anywhere"'  # an error code never hides under the next column


def calls_as_html(calls: list[aws_calls.Call], title: str) -> str:
    rows = call_rows(calls)
    writes = sum(call.writes for call in calls)
    body = []
    for number, row in enumerate(rows, 1):
        times = f" <b>×{row.count}</b>" if row.count > 1 else ""
        listed = (f"<div {_SMALL}>{escape(row.varying)}: {escape(', '.join(row.values()))}</div>"
                  if row.varying else "")
        cli = f"<code {_CODE}>{escape(row.first.cli(whole=True))}</code>"
        if row.varying:
            cli += f"<div {_SMALL}>(the first; the others with their {escape(row.varying)})</div>"
        body.append(
            f"<tr><td {_TD}>{number}</td><td {_TD}>{'write' if row.first.writes else 'read'}</td>"
            f"<td {_TD}><code {_CODE}>{escape(row.boto3())}</code>{times}{listed}</td>"
            f"<td {_RESULT}>{escape(row.first.outcome or '')}</td>"
            f"<td {_TD}>{cli}</td></tr>"
        )
    summary = (f"{title}: {len(calls)} call{'s' if len(calls) != 1 else ''} in {len(rows)} row{'s' if len(rows) != 1 else ''}, "
               f"{writes} that change{'s' if writes == 1 else ''} something")
    head = "".join(f"<th {_TD}>{name}</th>" for name in ("#", "", "call (boto3)", "result", "the same with the AWS CLI (v1)"))
    return (
        f'<details class="pixelkit-calls"{" open" if writes else ""}><summary><b>{escape(summary)}</b></summary>'
        f'<table style="font-size:85%;table-layout:fixed;width:100%"><colgroup><col style="width:2.5em">'
        '<col style="width:3.5em"><col style="width:40%"><col style="width:14em"><col></colgroup>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></details>"
    )


def calls_as_lines(calls: list[aws_calls.Call]) -> list[str]:
    lines = []
    for row in call_rows(calls):
        times = f" ×{row.count}" if row.count > 1 else ""
        lines.append(f"{row.boto3()}{times} -> {row.first.outcome}")
        if row.varying:
            lines.append(f"    {row.varying}: {', '.join(row.values())}")
        lines.append(f"    $ {row.first.cli(whole=True)}")
    return lines


class CallTable:
    """The AWS calls of one cell: a table in JupyterLab (HTML), lines where only text is kept."""

    def __init__(self, calls: list[aws_calls.Call], title: str = "AWS calls of this cell"):
        self.calls, self.title = calls, title

    def _repr_html_(self):
        return calls_as_html(self.calls, self.title)

    def __repr__(self):
        return self.title + ":\n" + "\n".join("  " + line for line in calls_as_lines(self.calls))


# The kernel's one "show the calls after each cell" hook, replaced when the first cell runs again.
_CALLS_HOOK: dict = {}


def show_calls_after_each_cell(ws: Workshop) -> None:
    """After every cell, a table of the AWS calls it made (none: no table). The step's code stays as it is."""
    ws.calls.echo = False  # a table instead of the scripts' lines
    shell = get_ipython()
    if shell is None:
        return
    previous = _CALLS_HOOK.pop("post_run_cell", None)
    if previous is not None:
        shell.events.unregister("post_run_cell", previous)
    mark = [ws.calls.mark()]

    def after_cell(result=None):
        made = ws.calls.since(mark[0])
        mark[0] = ws.calls.mark()
        if made:
            display(CallTable(made))

    shell.events.register("post_run_cell", after_cell)
    _CALLS_HOOK["post_run_cell"] = after_cell


def start(step: int, target: str | None = None) -> Workshop:
    """The first cell of every notebook: the target (WORKSHOP_TARGET, default local), its check, this run's state."""
    configure_console_logging()
    show_errors_briefly()
    ws = open_workshop(target, how_to_start=START_EMULATOR_FROM_A_NOTEBOOK)
    show_calls_after_each_cell(ws)
    run = f"run `{ws.state.suffix}`" if ws.state else "no run yet (step 1 starts one)"
    display(Markdown(
        f"**Step {step}** on **{ws.target.describe()}**  \n"
        f"State file: `{state_path(ws.student)}`: {run}"
    ))
    return ws


# Showing what exists -----------------------------------------------------------------------------

def _cell(value) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return f"`{value}`".replace("|", "\\|") if value not in (None, "", []) else "–"


def show_table(rows: dict, title: str | None = None) -> None:
    lines = [f"**{title}**", ""] if title else []
    lines += ["| | |", "|---|---|"] + [f"| {key} | {_cell(value)} |" for key, value in rows.items()]
    display(Markdown("\n".join(lines)))


def show_json(document: dict, title: str | None = None, save_as: str | None = None) -> Path | None:
    """A JSON document as a code block; with ``save_as``, also written to out/ under that name, for the CLI's
    ``file://`` arguments (notebook 02: ``--policy-document file://…/day38-inline.json``), and the cell says where."""
    heading = f"**{title}**\n\n" if title else ""
    saved = None
    where = ""
    if save_as:
        saved = output_dir() / save_as
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(document, indent=2) + "\n")
        where = (f"\n\nSaved as `{where_to_find(saved)}`; the AWS CLI reads it from any folder as "
                 f"`file://{saved.resolve().as_posix()}`.")
    display(Markdown(f"{heading}```json\n{json.dumps(document, indent=2)}\n```{where}"))
    return saved


def function_configuration(ws: Workshop) -> dict:
    """The function's settings as the Lambda console's Configuration tab lists them."""
    state = ws.require_state()
    found = functions.get_function(ws.client("lambda"), state.function_name)
    if found is None:
        raise WorkshopError(f"There is no function {state.function_name} yet: run notebook 03 first.")
    config = found["Configuration"]
    return {
        "name": config["FunctionName"],
        "runtime": config["Runtime"],
        "handler": config["Handler"],
        "architecture": ", ".join(config.get("Architectures", ["x86_64"])),
        "role": config["Role"],
        "timeout (s)": config["Timeout"],
        "memory (MB)": config["MemorySize"],
        "environment": config.get("Environment", {}).get("Variables", {}),
        "code size (bytes)": config["CodeSize"],
        "state": config.get("State", "Active"),
    }


def show_function(ws: Workshop) -> dict:
    config = function_configuration(ws)
    show_table(config, f"Function {config['name']}")
    return config


def show_trigger(ws: Workshop) -> list[dict]:
    """The source bucket's event notifications, as the console's Triggers box shows them."""
    state = ws.require_state()
    triggers = s3.get_lambda_triggers(ws.client("s3"), state.source_bucket) or []
    for trigger in triggers:
        show_table(
            {"bucket": state.source_bucket, "events": trigger["Events"], "function": trigger["LambdaFunctionArn"],
             "id": trigger.get("Id")},
            "Trigger",
        )
    if not triggers:
        display(Markdown(f"**No trigger** on `{state.source_bucket}` yet."))
    return triggers


def show_inventory(found: dict[str, list[str]], title: str) -> None:
    show_table({kind: ", ".join(names) if names else None for kind, names in found.items()}, title)


def show_refusal(action, *args, **kwargs) -> str:
    """Run something the kit must refuse, and show its message; it is a mistake if it does not refuse."""
    try:
        action(*args, **kwargs)
    except WorkshopError as error:
        display(Markdown("**The kit refuses:**\n\n> " + str(error).replace("\n", "\n> ")))
        return str(error)
    raise AssertionError(f"{getattr(action, '__name__', action)} accepted what it should refuse.")


NOTEBOOK_07 = 7
DEFAULT_RETRIES = invocations.DEFAULT_RETRIES


class Waiting:
    """One line that says what a cell waits for and for how long, updated in place: pass it as ``progress=``."""

    def __init__(self, what: str, seconds: float):
        self.what, self.seconds = what, seconds
        self._handle = display(self._render(0.0, "starting", False), display_id=True)

    def _render(self, elapsed: float, seen: str, over: bool) -> "_Both":
        if over:
            text = f"waited {elapsed:.1f} s (up to {self.seconds:.0f} s) for {self.what}: {seen}"
        else:
            text = f"waiting up to {self.seconds:.0f} s for {self.what}: {elapsed:.1f} s, {seen}"
        value = self.seconds if over else min(elapsed, self.seconds)
        html = (f'<progress value="{value:.1f}" max="{self.seconds:.0f}" style="width:12em"></progress> '
                f"<code>{escape(text)}</code>")
        return _Both(text, html)

    def __call__(self, elapsed: float, seen: str, over: bool = False) -> None:
        self._handle.update(self._render(elapsed, seen, over))


def watch_upload(ws: Workshop, key: str, wait_seconds: float = 20):
    """Notebook 07's "see it": follow the upload of ``key`` through Lambda's attempts, saying what it waits for."""
    from pixelkit.teaching import mistakes

    waiting = Waiting(f"Lambda's attempts at {key} (read in the function's log)", wait_seconds)
    return mistakes.watch_upload(ws, key, wait_seconds, progress=waiting)


def show_symptom(symptom, width: int = 180) -> None:
    """What the learner sees after an upload in notebook 07: Lambda's attempts, the outputs that came, the log."""
    came = f"{len(symptom.outputs)} of {symptom.wanted}"
    if symptom.ran:
        ran = f"Lambda ran the function **{symptom.attempts} time{'s' if symptom.attempts > 1 else ''}** (of at most {symptom.of})"
    else:
        ran = "**the function never ran** (no START/REPORT in its log)"
    display(Markdown(f"**Uploaded `{symptom.key}`:** {ran}; outputs in the destination bucket: **{came}**."))
    show_function_log(symptom.log_lines or ["(nothing: the log is empty)"], heading="The function's log", width=width)


def show_answers(answers: list[str], title: str = "What AWS answers") -> None:
    display(Markdown(f"**{title}:**\n\n" + "\n".join(f"- `{answer}`" for answer in answers)))


def check(ws: Workshop, step: int, uploads: list | None = None) -> None:
    """The last cell of every notebook: prove the step worked, or say what to fix (the error's message).

    Step 5 judges this run's pictures (``uploads``), not older uploads still in the bucket.
    """
    refused = [upload for upload in uploads or [] if upload.problem]
    if refused:
        raise WorkshopError(
            "\n".join(upload.problem for upload in refused)
            + "\nTo fix it: choose a picture (JPEG, PNG, GIF, WebP, BMP or TIFF) in MY_PICTURE or with the upload "
            "button, then run the notebook again from there (Run > Run Selected Cell and All Below)."
        )
    keys = [upload.key for upload in uploads] if uploads else None
    if step == NOTEBOOK_07:
        # "When it goes wrong" ends with everything restored: steps 1 to 4 check green again.
        facts = [fact for restored in (1, 2, 3, 4) for fact in checks.check_step(ws, restored)]
        name = ws.require_state().function_name
        retries = functions.max_retry_attempts(ws.client("lambda"), name)
        if retries != DEFAULT_RETRIES:
            raise WorkshopError(f"Lambda still retries a failed event of {name} {retries} times, not twice: run the "
                                "cell above (delete_function_event_invoke_config) again.")
        facts.append(f"Lambda retries a failed event of {name} twice again (its default)")
        display(Markdown("**Everything is restored.** Checked on " + ws.target.describe() + ":\n\n"
                         + "\n".join(f"- ✓ {f}" for f in facts)))
        return
    facts = checks.check_step(ws, step, keys=keys) if keys else checks.check_step(ws, step)
    display(Markdown(f"**Step {step} works.** Checked on {ws.target.describe()}:\n\n" + "\n".join(f"- ✓ {f}" for f in facts)))


# Step 5 ------------------------------------------------------------------------------------------

# The portrait: a face shows best what each grid size keeps.
DEFAULT_PICTURE = IMAGES_DIR / "grace_hopper.jpg"


def picture_upload():
    """An upload button (ipywidgets' FileUpload) for a picture from the learner's computer."""
    from ipywidgets import FileUpload

    return FileUpload(accept="image/*", multiple=False, description="Your picture")


def _uploaded_file(widget) -> Path | None:
    """The file chosen with the upload button, saved under out/uploads/ (ipywidgets 8 and 7)."""
    value = getattr(widget, "value", None) if widget is not None else None
    if not value:
        return None
    if isinstance(value, dict):  # ipywidgets 7: {name: {"content": ..., ...}}
        value = [{"name": name, **meta} for name, meta in value.items()]
    item = value[0]
    path = output_dir() / "uploads" / Path(item["name"]).name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(item["content"]))
    return path


def pictures_to_upload(my_picture: str | Path | None, upload_button=None) -> list[Path]:
    """The picture chosen with the upload button, else MY_PICTURE (absolute, or relative to notebooks/ or the kit),
    else the kit's portrait."""
    uploaded = _uploaded_file(upload_button)
    if uploaded is not None:
        return [uploaded]
    if my_picture in (None, ""):
        return [DEFAULT_PICTURE] if DEFAULT_PICTURE.is_file() else sample_images()[:1]
    path = Path(my_picture).expanduser()
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, KIT_ROOT / path]
    for candidate in candidates:
        if candidate.is_file():
            return [candidate.resolve()]
    raise WorkshopError(
        f"There is no file {my_picture} (looked in {', '.join(str(c.parent) for c in candidates)}). "
        "Give the full path of a picture, e.g. MY_PICTURE = '/home/me/Pictures/cat.jpg', or None for the sample."
    )


class Progress:
    """A progress bar that updates in place: pass it as ``progress=`` to ``steps.upload_and_check``.

    It says what it waits for and for how long at most (step 5's ``UPLOAD_WAIT_SECONDS``), as each output comes.
    """

    def __init__(self, total_per_picture: int, pictures: int = 1, up_to: float | None = None):
        from pixelkit.tutorial.pipeline import UPLOAD_WAIT_SECONDS

        self.total = total_per_picture * pictures
        self.up_to = UPLOAD_WAIT_SECONDS if up_to is None else up_to
        self.done = 0
        self.started = time.monotonic()
        self._handle = display(self._render("uploading, then waiting for the function's outputs"), display_id=True)

    def _render(self, note: str):
        elapsed = time.monotonic() - self.started
        bar = "#" * self.done + "." * (self.total - self.done)
        limit = "" if self.done >= self.total else f" (waiting up to {self.up_to:.0f} s)"
        text = f"[{bar}] {self.done}/{self.total} outputs  {elapsed:4.1f} s{limit}  {note}"
        html = (f'<progress value="{self.done}" max="{self.total}" style="width:20em"></progress> '
                f"<code>{self.done}/{self.total} outputs · {elapsed:.1f} s{escape(limit)} · {escape(note)}</code>")
        return _Both(text, html)

    def __call__(self, key: str, found: int, wanted: int) -> None:
        self.done += 1
        self._handle.update(self._render(f"{key}: {found} of {wanted} in the destination bucket"))


class _Both:
    """One display object with an HTML and a plain-text form (the plain one is what nbconvert keeps as text)."""

    def __init__(self, text: str, html: str):
        self.text, self.html = text, html

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        return self.text


def event_record(log_lines: list[str]) -> dict | None:
    """The event S3 sent, from the function's 'Received event: {...}' log line."""
    for line in log_lines:
        if "Received event: " in line:
            return json.loads(line.split("Received event: ", 1)[1])
    return None


def show_function_log(log_lines: list[str], heading: str = "The function's log (CloudWatch Logs)", width: int = 180) -> None:
    """The function's log lines, and the event record in full, as the tutorial reads it in CloudWatch."""
    print(heading + ":")
    for line in log_lines:
        # the event line is long and shown in full, indented, below
        shorten = "Received event: " in line and len(line) > width
        print("  " + (line[: width - 3] + "..." if shorten else line))
    event = event_record(log_lines)
    if event is not None:
        show_json(event, "The event record (the 'Received event' line in full)")


# Notebook 05's pictures: two lines of three, 3.2 inches each, a PNG 960 pixels wide at 100 dpi (it fits the
# output area of JupyterLab at 1400 px with the file browser open, unscaled),
# so that a 48x48 and a 64x64 output differ at a glance (in one line of six they looked alike).
PICTURES_PER_LINE = 3
PICTURE_INCHES = 3.2


def where_to_find(path: Path) -> str:
    """A path as JupyterLab's file browser shows it: relative to the notebook's folder (the kernel's) if inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def show_pictures(uploads: list) -> None:
    """Each uploaded picture and its five outputs, large enough to compare; a refused picture is named with the reason.

    The figure is saved beside the outputs too, and the cell says where (``out/`` beside the notebook
    under ``make lab``), so the learner opens them full size from JupyterLab's file browser.
    """
    from pixelkit.teaching.pictures import variants_figure

    done = [(upload.original, upload.outputs) for upload in uploads if upload.outputs]
    for upload in uploads:
        if not upload.outputs:
            display(Markdown(f"**No pictures for `{upload.key}`:**\n\n> " + (upload.problem or "no outputs").replace("\n", "\n> ")))
    if not done:
        return
    figure = variants_figure(done, width_per_picture=PICTURE_INCHES, per_row=PICTURES_PER_LINE)
    show_figure(figure)
    outputs = [path for _, paths in done for path in paths]
    saved = Path(outputs[0]).parent / f"pictures-{Path(done[0][0]).stem}.png"
    figure.savefig(saved, dpi=100)
    lines = [f"**Full size:** the outputs are in `{where_to_find(saved.parent)}/`; in JupyterLab's file browser "
             "(left), open that folder and double-click a picture:", ""]
    lines += [f"- `{where_to_find(path)}`" for path in outputs] + [f"- this figure: `{where_to_find(saved)}`"]
    display(Markdown("\n".join(lines)))


def show_policy_used(ws: Workshop) -> None:
    """What the function's role was used for, beside what its policy and the tutorial's grant (as `pixelkit policy used`)."""
    from IPython.display import HTML

    from pixelkit.teaching.iam_advice import policy_used

    try:
        report = policy_used(ws.target, ws.state, ws.state.role_name if ws.state else None)
    except WorkshopError as error:  # a real account: IAM Access Analyzer does this there
        report = str(error)
    # Its comparison is columns of text: kept on one line each (scrolling sideways if need be), never wrapped.
    display(HTML(f'<pre style="white-space:pre;overflow-x:auto;font-size:75%">{escape(report)}</pre>'))


def show_figure(figure) -> None:
    """Show a matplotlib Figure inline as a PNG, whatever matplotlib's backend is."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    display(Image(data=buffer.getvalue(), format="png"))


def show_code(function) -> None:
    """The source of a function, e.g. the deployed handler's ``pixelate``, to read beside the explanation."""
    display(Markdown(f"```python\n{inspect.getsource(function).rstrip()}\n```"))
