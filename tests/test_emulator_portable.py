"""The emulator's fallbacks for computers that are not Lambda's Linux, each run here with the Linux path off.

``PIXELKIT_WITHOUT`` makes the emulator treat a capability as absent (capabilities.py): no prctl
(macOS, Windows), no compiled runtime_client (pip builds awslambdaric's sdist off Linux), no
bubblewrap, no fd passing, no process groups, no select on pipes (Windows), no Python of the
runtime's version. Every test meets the emulator through boto3 or step 5, as a learner would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from pixelkit.tutorial import invocations, pipeline, steps
from pixelkit.emulator.server import EmulatorProcess
from pixelkit.context.errors import WorkshopError
from pixelkit.context.paths import sample_images
from test_lambda_fidelity import Lab

# Everything the emulator can do without: a Mac's conditions and a Windows laptop's, on Linux.
EVERY_FALLBACK = "pdeathsig,native-runtime-client,sandbox,fd-passing,process-groups,select-pipes"
# What .ci/run turns off for the demo and the fidelity tests.
CI_FALLBACKS = "pdeathsig,native-runtime-client,sandbox"
on_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reproduces another computer on Linux")


@contextlib.contextmanager
def emulator(log_path: Path, **environment: str):
    """An emulator of the test's own, started with these variables (it reads them at start)."""
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    process = EmulatorProcess(port=0, log_path=log_path)
    try:
        url = process.start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        yield url, process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def portable(tmp_path_factory):
    """One emulator with every Linux-only path turned off; its console log beside it."""
    log_path = tmp_path_factory.mktemp("portable") / "emulator.log"
    with emulator(log_path, PIXELKIT_WITHOUT=EVERY_FALLBACK) as (url, _):
        yield url, log_path


@pytest.fixture
def lab(portable):
    lab = Lab(portable[0])
    yield lab
    lab.cleanup()


def _reports(lab: Lab, name: str) -> list[str]:
    return [line for line in lab.lines(name) if line.startswith("REPORT")]


def _max_memory_used(report: str) -> int:
    return int(report.split("Max Memory Used: ")[1].split(" MB")[0])


HELLO = '''
import logging
print("loaded")
def handler(event, context):
    print("first line")
    logging.getLogger().warning("a warning")
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"request": context.aws_request_id, "left_ms": context.get_remaining_time_in_millis()}
'''


def test_functions_run_through_awslambdaric_with_the_pure_client_and_no_linux_only_path(lab, portable):
    name = lab.deploy(HELLO, Timeout=10)
    response, payload = lab.invoke(name)
    assert "FunctionError" not in response and payload["request"] and 0 < payload["left_ms"] <= 10000
    response, payload = lab.invoke(name, {"fail": True})
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "ValueError"
    lines = lab.lines(name)
    assert lines[0].startswith("INIT_START") and "loaded" in lines and "first line" in lines
    assert any(line.startswith("[WARNING]\t") and line.endswith("a warning") for line in lines)
    # without the telemetry fd, awslambdaric writes an error to stdout with its lines joined: still one event
    [error] = [line for line in lines if line.startswith("[ERROR]")]
    assert error.startswith("[ERROR] ValueError: asked to fail\nTraceback (most recent call last):")
    assert len(_reports(lab, name)) == 2
    console = portable[1].read_text()
    assert console.count("pure-Python client") == 1  # said once, however many environments
    assert console.count("Functions run unsandboxed") == 1 and "/tmp is this computer's" in console


MEMORY = '''
import time
def handler(event, context):
    block = bytearray(event["mb"] * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1  # touched: resident, not only reserved
    time.sleep(0.3)
    return len(block)
'''


def test_max_memory_used_is_the_peak_and_memory_size_is_enforced_with_psutil(lab):
    name = lab.deploy(MEMORY, MemorySize=128, Timeout=30)
    _, payload = lab.invoke(name, {"mb": 60})
    assert payload == 60 * 1024 * 1024
    used = _max_memory_used(_reports(lab, name)[-1])
    assert 60 < used < 128  # the function's own peak: the 60 MB it held and the interpreter
    response, payload = lab.invoke(name, {"mb": 300})
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "Runtime.OutOfMemory"
    report = _reports(lab, name)[-1]
    assert "Error Type: Runtime.OutOfMemory" in report
    assert _max_memory_used(report) == 128  # stopped at its limit: never more than MemorySize, as on Lambda
    _, payload = lab.invoke(name, {"mb": 1})  # a new environment after the one that ran out
    assert payload == 1024 * 1024


EXITS_AT_IMPORT = '''
import os
print("configuring, then leaving")
os._exit(3)
def handler(event, context):
    return "never"
'''


def test_a_function_that_exits_at_import_gets_lambdas_exit_lines(lab):
    name = lab.deploy(EXITS_AT_IMPORT)
    response, payload = lab.invoke(name)
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    lines = lab.lines(name)
    assert "configuring, then leaving" in lines
    assert any(line.startswith("INIT_REPORT Init Duration: ") and line.endswith("Status: error\tError Type: Runtime.ExitError")
               for line in lines)
    exits = [line for line in lines if invocations.EXITED.match(line)]
    assert exits == [f"{payload['errorMessage']}\nRuntime.ExitError"]
    [attempt] = invocations.parse_attempts([{"message": line, "logStreamName": "s"} for line in lines])
    assert attempt.failed and attempt.exited_in_init and "configuring, then leaving" in attempt.init_output
    assert "while it started" in attempt.cause() and "exit status 3" in attempt.cause()


def test_a_function_that_exits_cleanly_or_crashes_at_import_gets_lambdas_words(lab):
    name = lab.deploy("import sys\nsys.exit(0)\n")
    _, payload = lab.invoke(name)
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Error: Runtime exited without providing a reason")
    name = lab.deploy("import ctypes\nctypes.string_at(0)\n")  # a crash in native code, as a bad wheel gives
    _, payload = lab.invoke(name)
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Error: Runtime exited with error: signal: segmentation fault")



def test_a_crash_on_windows_is_told_in_the_words_lambda_uses_for_it():
    """Windows reports a crash as an NTSTATUS exit status (ctypes.string_at(0) exits 0xC0000005 there): the log
    says what Lambda says of the same fault on Linux, and an ordinary exit status stays one."""
    from pixelkit.emulator.invocation.execution_environment import _exited

    assert _exited(0xC0000005) == "Runtime exited with error: signal: segmentation fault"
    assert _exited(0xC00000FD) == "Runtime exited with error: signal: segmentation fault"  # stack overflow
    assert _exited(0xC0000409) == "Runtime exited with error: signal: aborted"
    assert _exited(-signal.SIGSEGV) == "Runtime exited with error: signal: segmentation fault"
    assert _exited(3) == "Runtime exited with error: exit status 3"

def test_step_5_on_a_macs_conditions_leaves_all_five_pictures(portable, monkeypatch, package_build_dir, tmp_path):
    from pixelkit.context.workshop import open_workshop

    monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", portable[0])
    monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
    ws = open_workshop("local")
    steps.setup(ws)
    try:
        [upload], _ = pipeline.run_pipeline_test(ws, sample_images()[:1], tmp_path)
        assert len(upload.outputs) == 5 and upload.problem is None
        # then a function that dies as it is imported: step 5 names that, with what it printed, in seconds
        _deploy_module(ws, "leaves", EXITS_AT_IMPORT)
        started = time.monotonic()
        with pytest.raises(WorkshopError) as raised:
            pipeline.run_pipeline_test(ws, sample_images()[:1], tmp_path / "again")
        message = str(raised.value)
        assert ("all 3 attempts failed, the last with: the function's runtime exited while it started (INIT, as its "
                "module was imported): Runtime exited with error: exit status 3") in message
        assert "It printed while it started:\n    configuring, then leaving" in message
        assert "S3" not in message
        assert time.monotonic() - started < 30  # Lambda's retries (1 s and 2 s here), not step 5's deadline
    finally:
        steps.cleanup(ws)


def _deploy_module(ws, module: str, source: str) -> None:
    """The kit's package with one module more, which becomes the handler's."""
    import io
    import zipfile

    from pixelkit.tutorial import package as packaging
    from pixelkit.aws import functions

    buffer = io.BytesIO(packaging.build_package(packaging.RUNTIME, "x86_64").path.read_bytes())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(f"{module}.py", source)
    lam = ws.client("lambda")
    functions.update_function_code(lam, ws.state.function_name, buffer.getvalue())
    functions.update_function_configuration(lam, ws.state.function_name, Handler=f"{module}.handler")


SLEEPS_WITH_A_CHILD = '''
import subprocess, sys, time
def handler(event, context):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    time.sleep(120)
'''



def test_without_process_groups_a_timed_out_function_is_ended_with_what_it_started(lab):
    """Windows has no sessions to kill at once: the environment's process tree, listed through psutil, is."""
    import uuid

    marker = f"child-{uuid.uuid4().hex[:8]}"
    source = SLEEPS_WITH_A_CHILD.replace("time.sleep(120)\"]", f"time.sleep(120)  # {marker}\"]")
    assert marker in source
    name = lab.deploy(source, Timeout=3)

    def children():
        found = []
        for process in psutil.process_iter(["cmdline"]):
            if marker in " ".join(process.info["cmdline"] or []):
                found.append(process)
        return found

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        invoked = pool.submit(lab.invoke, name)
        assert lab.wait_for(children, timeout=20, what="the function's child to start")
        response, payload = invoked.result(timeout=30)
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "Sandbox.Timedout"
    assert lab.wait_for(lambda: not children() or None, timeout=10, what="the function's child to end")

@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL here")
def test_environments_die_with_a_killed_emulator_without_pdeathsig(tmp_path):
    with emulator(tmp_path / "emulator.log", PIXELKIT_WITHOUT=CI_FALLBACKS) as (url, process):
        lab = Lab(url)
        name = lab.deploy(SLEEPS_WITH_A_CHILD, Timeout=300)
        lab.lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
        server = psutil.Process(process._process.pid)

        def runtime_and_child():
            tree = server.children(recursive=True)
            sleepers = [p for p in tree if "time.sleep(120)" in " ".join(p.cmdline())]
            return tree if sleepers else None

        tree = lab.wait_for(runtime_and_child, what="the function and its child to run")
        assert any("pixelkit_launch.py" in " ".join(p.cmdline()) for p in tree)
        server.send_signal(signal.SIGKILL)  # no shutdown, no cleanup: only the environments' own watch
        server.wait(10)
        gone, alive = psutil.wait_procs(tree, timeout=15)
        assert not alive, f"still running after the emulator was killed: {[p.cmdline() for p in alive]}"


def test_an_environment_that_cannot_start_is_named_with_its_cause_in_the_log_and_step_5(
        tmp_path, monkeypatch, package_build_dir):
    from pixelkit.context.workshop import open_workshop

    # no Python 3.10+ for the runtimes: what a machine with a broken pyenv would give
    with emulator(tmp_path / "emulator.log", PIXELKIT_PYTHONS=str(tmp_path / "no-python")) as (url, _):
        monkeypatch.setenv("WORKSHOP_ENDPOINT_URL", url)
        monkeypatch.setenv("WORKSHOP_BUILD_DIR", str(package_build_dir))
        ws = open_workshop("local")
        steps.setup(ws)
        started = time.monotonic()
        with pytest.raises(WorkshopError) as raised:
            pipeline.run_pipeline_test(ws, sample_images()[:1], tmp_path / "out")
        message = str(raised.value)
        assert "the emulator could not start the function's execution environment: no Python 3.10 or newer" in message
        assert "S3" not in message and "restart the emulator" in message
        assert time.monotonic() - started < 30  # at once, not after step 5's wait
        events = ws.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{ws.state.function_name}")["events"]
        assert any(e["message"].startswith("EMULATOR ERROR: the emulator could not start an execution environment "
                                           "for this function: no Python 3.10 or newer") for e in events)
        steps.cleanup(ws)


READS_PILLOW = '''
import PIL, PIL.Image
def handler(event, context):
    return {"version": PIL.__version__, "imaging": PIL.Image.core.__file__}
'''


@on_linux
def test_a_linux_pillow_is_replaced_for_this_machine_when_the_runtimes_python_is_missing(tmp_path):
    import io
    import zipfile

    from pixelkit.tutorial import package as packaging

    with zipfile.ZipFile(io.BytesIO(packaging.build_package(packaging.RUNTIME, "x86_64").path.read_bytes())) as built:
        files = {entry: built.read(entry) for entry in built.namelist()}  # the kit's package: Lambda's Pillow for 3.13
    files["reads_pillow.py"] = READS_PILLOW
    with emulator(tmp_path / "emulator.log", PIXELKIT_WITHOUT="python3.13") as (url, _):
        lab = Lab(url)
        name = lab.deploy(files=files, handler="reads_pillow.handler", Timeout=30)
        response, payload = lab.invoke(name)
        assert "FunctionError" not in response, payload
        assert payload["version"] == "13.0.0" and "cpython-313" not in payload["imaging"]
        notes = [line for line in lab.lines(name) if line.startswith("EMULATOR NOTE:") and "pillow" in line.lower()]
        assert len(notes) == 1 and "cannot load here: this machine has no Python 3.13" in notes[0]
        assert "not Lambda's Linux" not in notes[0]


def test_on_a_mac_a_linux_wheel_is_replaced_because_this_is_not_lambdas_linux(tmp_path, monkeypatch):
    """The decision from the interpreter's own tags: an Intel Mac's x86_64 does not make a manylinux wheel load."""
    import io
    import zipfile

    from pixelkit.emulator import deployment_packages, runtimes

    wheel = "Tag: cp313-cp313-manylinux_2_28_x86_64\n"
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("pillow-13.0.0.dist-info/WHEEL", wheel)
        archive.writestr("pillow-13.0.0.dist-info/RECORD", "PIL/_imaging.so,,\n")
        archive.writestr("PIL/_imaging.so", b"\x7fELF")
        archive.writestr("app.py", "")
    intel_mac = ("cp313-cp313-macosx_13_0_x86_64", "cp313-abi3-macosx_13_0_x86_64", "py3-none-any")
    monkeypatch.setattr(runtimes, "_tags_of", lambda python: intel_mac)
    asked = []
    monkeypatch.setattr(runtimes, "substitute", lambda env, project, version: asked.append((project, version)) or tmp_path)
    interpreter = runtimes.Interpreter("/usr/bin/python3.13", (3, 13), "3.13.1", "/usr")
    environment = runtimes.RuntimeEnvironment("python3.13", interpreter, tmp_path / "venv", None)
    target = tmp_path / "code"
    target.mkdir()
    notes = deployment_packages._extract(package.getvalue(), target, environment, "x86_64")
    assert asked == [("pillow", "13.0.0")]
    assert not (target / "PIL" / "_imaging.so").exists() and (target / "app.py").exists()
    [note] = [n for n in notes if not n.startswith("SUBSTITUTE\t")]
    assert "cannot load here: this is not Lambda's Linux (this computer loads macosx_13_0_x86_64 wheels)" in note


def test_unsandboxed_advice_fits_the_computer(monkeypatch):
    from pixelkit.emulator import sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    mac = sandbox.unsandboxed_advice()
    assert "macOS has no bubblewrap" in mac and "apt" not in mac
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: "/usr/bin/apt-get" if name == "apt-get" else None)
    monkeypatch.setattr(sandbox.sys, "platform", "linux")
    assert "`sudo apt install bubblewrap`" in sandbox.unsandboxed_advice()
    # Windows with MSYS2 has a pacman on PATH, and no bubblewrap to get from it
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: "C:\\msys64\\usr\\bin\\pacman.exe" if name == "pacman" else None)
    monkeypatch.setattr(sandbox.sys, "platform", "win32")
    monkeypatch.setattr(sandbox.os, "name", "nt")
    windows = sandbox.unsandboxed_advice()
    assert "Windows has no bubblewrap" in windows and "pacman" not in windows and "WSL2" in windows


def test_a_stale_scratch_folder_is_told_from_a_live_one_without_signalling_anyone(tmp_path, monkeypatch):
    import tempfile

    from pixelkit.emulator.invocation import lambda_service

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    me = psutil.Process()
    folders = {}
    for label, owner in {"live": f"{me.pid} {me.create_time()}", "reused pid": f"{me.pid} {me.create_time() - 3600}",
                         "gone": "4194303 1.0", "older kit": str(me.pid)}.items():
        folders[label] = Path(tempfile.mkdtemp(prefix=lambda_service.SCRATCH_PREFIX, dir=tmp_path))
        (folders[label] / "pid").write_text(owner)
    lambda_service.clean_stale_scratch()
    assert {label: folder.exists() for label, folder in folders.items()} == {
        "live": True, "reused pid": False, "gone": False, "older kit": True}


@on_linux
def test_capabilities_are_detected_and_switched_off_by_name(monkeypatch):
    from pixelkit.emulator import capabilities, runtimes

    monkeypatch.delenv("PIXELKIT_WITHOUT", raising=False)
    found = capabilities.summary()
    assert found == {"pdeathsig": True, "fd-passing": True, "process-groups": True, "select-pipes": True}  # Linux
    monkeypatch.setenv("PIXELKIT_WITHOUT", "pdeathsig, fd-passing,process-groups,select-pipes,python3.12")
    assert not any(capabilities.summary().values())
    assert (3, 12) not in [i.version for i in runtimes.interpreters()]



@on_linux
def test_select_on_pipes_is_tried_not_taken_from_a_registration(monkeypatch):
    """Windows' selector records a pipe without complaint and fails only at select(): the probe must select."""
    import selectors

    from pixelkit.emulator import capabilities

    class RecordsThenFails(selectors.SelectSelector):
        def select(self, timeout=None):
            raise OSError(10038, "An operation was attempted on something that is not a socket")

    capabilities._select_on_pipes_works.cache_clear()
    try:
        assert capabilities._select_on_pipes_works()  # Linux: a pipe selects
        capabilities._select_on_pipes_works.cache_clear()
        monkeypatch.setattr(selectors, "DefaultSelector", RecordsThenFails)
        assert not capabilities._select_on_pipes_works()
    finally:
        capabilities._select_on_pipes_works.cache_clear()

def test_a_missing_stand_in_for_a_linux_wheel_is_blamed_on_this_computer_not_the_package():
    lines = ["INIT_START Runtime Version: python:3.13",
             "EMULATOR NOTE: pillow 13.0.0 in the package is built for cp313-cp313-manylinux_2_28_x86_64, which loads on "
             "Lambda but not here: this is not Lambda's Linux (this computer loads macosx_14_0_arm64 wheels). No copy "
             "for this computer could be fetched: connect to the network once and run `make prepare` (it keeps one "
             "for offline use), then restart the emulator.",
             "[ERROR] Runtime.ImportModuleError: Unable to import module 'lambda_function': cannot import name "
             "'_imaging' from 'PIL'",
             "INIT_REPORT Init Duration: 80.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError",
             "START RequestId: r1 Version: $LATEST", "END RequestId: r1", "REPORT RequestId: r1\tDuration: 1.00 ms"]
    [attempt] = invocations.parse_attempts([{"message": line, "logStreamName": "s"} for line in lines])
    assert attempt.failed and "make prepare" in attempt.fix() and "deploy the function again" not in attempt.fix()


def test_a_bubblewrap_that_fails_to_start_is_detected_and_functions_still_run(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    log_path = tmp_path / "emulator.log"
    with emulator(log_path, PATH=f"{fake}{os.pathsep}{os.environ['PATH']}") as (url, _):
        lab = Lab(url)
        name = lab.deploy(HELLO)
        response, payload = lab.invoke(name)
        assert "FunctionError" not in response and payload["request"]
    console = log_path.read_text()
    assert console.count("Functions run unsandboxed: bubblewrap is installed but cannot make a sandbox here "
                         "(bwrap: No permissions to creating new namespace)") == 1


@on_linux
def test_the_interpreters_windows_py_launcher_knows_run_the_runtimes(tmp_path, monkeypatch):
    """python.org's Windows installer puts no python3.X on PATH: the runtimes' interpreters are asked of `py -3.X`
    (met here with a stand-in launcher in front of pyenv's interpreters, and nothing else to find)."""
    from pixelkit.emulator import runtimes

    real = {minor: Path.home() / ".pyenv" / "versions" / version / "bin" / f"python3.{minor}"
            for minor, version in ((12, "3.12.1"), (13, "3.13.0"))}
    if not all(path.exists() for path in real.values()):
        pytest.skip("needs pyenv's Python 3.12.1 and 3.13.0")
    launcher = tmp_path / "launcher"
    launcher.mkdir()
    cases = "".join(f'  -3.{minor}) shift; exec "{path}" "$@";;\n' for minor, path in real.items())
    (launcher / "py").write_text(f'#!/bin/sh\ncase "$1" in\n{cases}  *) echo "Python not found" >&2; exit 103;;\nesac\n')
    (launcher / "py").chmod(0o755)
    monkeypatch.setenv("PATH", str(launcher))
    monkeypatch.delenv("PIXELKIT_PYTHONS", raising=False)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "no-uv"))
    runtimes._found_interpreters.cache_clear()
    try:
        found = {i.version: i.path for i in runtimes._found_interpreters()}
    finally:
        runtimes._found_interpreters.cache_clear()
    assert set(found) == {(3, 12), (3, 13), sys.version_info[:2]}
    assert found[(3, 13)] == str(real[13])


def test_the_emulator_is_stopped_cleanly_without_a_signal(tmp_path, monkeypatch):
    """Windows' terminate() kills outright; EmulatorProcess.stop() asks through standard input, on every OS,
    and the emulator stops as Ctrl-C stops it: its last line written, its temp folder removed."""
    import subprocess

    def refused(self):
        raise AssertionError("stop() signalled the emulator")

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    process = EmulatorProcess(port=0, log_path=tmp_path / "emulator.log")
    process.start()
    assert len(list(tmp_path.glob("pixelkit-lambda-envs-*"))) == 1
    monkeypatch.setattr(subprocess.Popen, "terminate", refused)
    monkeypatch.setattr(subprocess.Popen, "kill", refused)
    process.stop()
    assert process._process.returncode == 0
    assert (tmp_path / "emulator.log").read_text().rstrip().endswith("Emulator stopped; everything it held is gone.")
    assert not list(tmp_path.glob("pixelkit-lambda-envs-*"))


def test_a_runtime_package_that_pypi_has_as_source_only_is_kept_as_a_wheel_and_installs_offline(tmp_path, monkeypatch):
    """awslambdaric has wheels for Linux only: on a Mac or Windows pip gets its sdist. What the runtime cache keeps
    must install again with --no-index, where pip's build isolation cannot fetch setuptools (met here with a
    source-only package of the test's own)."""
    import io
    import subprocess
    import tarfile

    from pixelkit.emulator import runtimes

    index = tmp_path / "index"
    index.mkdir()
    files = {"setup.py": 'from setuptools import setup\nsetup(name="sourceonly", version="1.0", py_modules=["sourceonly"])\n',
             "sourceonly.py": "ANSWER = 42\n", "PKG-INFO": "Metadata-Version: 2.1\nName: sourceonly\nVersion: 1.0\n"}
    with tarfile.open(index / "sourceonly-1.0.tar.gz", "w:gz") as sdist:
        for name, text in files.items():
            info = tarfile.TarInfo(f"sourceonly-1.0/{name}")
            info.size = len(text.encode())
            sdist.addfile(info, io.BytesIO(text.encode()))
    interpreter = runtimes.interpreters()[-1]
    monkeypatch.setattr(runtimes, "wheel_cache", lambda _: tmp_path / "kept")

    def runtime_environment(name):
        venv = tmp_path / name
        subprocess.run([interpreter.path, "-m", "venv", str(venv)], check=True, capture_output=True)
        return runtimes.RuntimeEnvironment("python3.13", interpreter, venv, None)

    monkeypatch.setenv("PIP_FIND_LINKS", " ".join(filter(None, [os.environ.get("PIP_FIND_LINKS"), str(index)])))
    online = runtime_environment("online")
    assert runtimes._install(online, ["sourceonly"]).returncode == 0  # fetched (and built) with the network
    monkeypatch.delenv("PIP_FIND_LINKS")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no other links: only the kept cache
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # and no network
    offline = runtime_environment("offline")
    done = runtimes._install(offline, ["sourceonly"])
    assert done.returncode == 0, done.stderr
    assert subprocess.run([str(offline.python), "-c", "import sourceonly; print(sourceonly.ANSWER)"],
                          capture_output=True, text=True).stdout.strip() == "42"


@on_linux
def test_a_python_that_cannot_make_a_venv_is_said_so_with_what_to_install(tmp_path, monkeypatch):
    """Debian's and Ubuntu's pythonX.Y come without venv's pip (pythonX.Y-venv): the runtime cannot be prepared,
    and the message says that and what to install, not a CalledProcessError."""
    from pixelkit.emulator import runtimes

    real = [i for i in runtimes.interpreters() if "python%d.%d" % i.version in runtimes.SUPPORTED][-1]
    major, minor = real.version
    stand_in = tmp_path / f"python{major}.{minor}"
    stand_in.write_text('#!/bin/sh\nif [ "$1" = -m ] && [ "$2" = venv ]; then\n'
                        '  echo "The virtual environment was not created successfully because ensurepip is not available." >&2\n'
                        f'  exit 1\nfi\nexec "{real.path}" "$@"\n')
    stand_in.chmod(0o755)
    interpreter = runtimes.Interpreter(str(stand_in), real.version, real.full_version, real.prefix, real.scripts,
                                       real.purelib, real.exe_suffix)
    monkeypatch.setattr(runtimes, "interpreter_for", lambda runtime: (interpreter, None))
    monkeypatch.setenv("PIXELKIT_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(WorkshopError) as refused:
        runtimes.prepare([f"python{major}.{minor}"])
    message = str(refused.value)
    assert f"cannot make a virtual environment (on Debian and Ubuntu: `sudo apt install python{major}.{minor}-venv`)" in message
    assert message.endswith("venv said: The virtual environment was not created successfully because ensurepip is "
                            "not available.")
    assert not (tmp_path / "cache" / "runtimes" / f"python{major}.{minor}-on-{real.full_version}").exists()
