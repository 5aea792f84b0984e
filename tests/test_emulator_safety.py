"""The emulator is safe on a learner's laptop: no web page reaches it, no function finds its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator


def _raw_request(url: str, headers: dict[str, str], path: str = "/2015-03-31/functions/") -> tuple[int, dict]:
    import http.client
    from urllib.parse import urlparse

    parsed = urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    return response.status, dict(response.getheaders())


def test_requests_a_web_page_could_send_are_refused(emulator_url):
    port = emulator_url.rsplit(":", 1)[1]
    auth = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/lambda/aws4_request, "
                             "SignedHeaders=host, Signature=fake"}
    # DNS rebinding: the page's own name, resolved to 127.0.0.1
    assert _raw_request(emulator_url, {"Host": f"evil.example:{port}", **auth})[0] == 403
    assert _raw_request(emulator_url, {"Host": f"evil.example:{port}"}, "/_pixelkit/iam/used")[0] == 403
    # a cross-origin fetch from a page the learner visits
    assert _raw_request(emulator_url, {"Host": f"127.0.0.1:{port}", "Origin": "https://evil.example", **auth})[0] == 403
    # the emulator's own clients: the SDKs and the CLI, by its loopback name; and no CORS headers ever
    status, headers = _raw_request(emulator_url, {"Host": f"127.0.0.1:{port}", **auth})
    assert status == 200 and not any(name.lower().startswith("access-control-") for name in headers)
    assert _raw_request(emulator_url, {"Host": f"localhost:{port}", **auth})[0] == 200



def test_the_emulator_keeps_no_secret_of_the_shell_that_started_it(tmp_path):
    ready = tmp_path / "ready"
    env = dict(os.environ, AWS_SECRET_ACCESS_KEY="REAL-SECRET-KEY", AWS_SESSION_TOKEN="REAL-TOKEN",
               GITHUB_TOKEN="ghp_not_for_functions", AWS_PROFILE="stale-profile")
    process = subprocess.Popen([str(Path(sys.executable).parent / "pixelkit"), "emulator", "--port", "0",
                                "--ready-file", str(ready)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.read_text().startswith("http://127.0.0.1:")
        # what any process of this user (an unsandboxed function too) can read of it
        environ = Path(f"/proc/{process.pid}/environ").read_bytes()
        for secret in (b"REAL-SECRET-KEY", b"REAL-TOKEN", b"ghp_not_for_functions", b"stale-profile"):
            assert secret not in environ
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_stopping_the_emulator_mid_load_says_which_events_did_not_run_and_nothing_more(tmp_path):
    import io
    import json
    import signal
    import zipfile

    import boto3

    from pixelkit.emulator.server import EmulatorProcess

    log = tmp_path / "emulator.log"
    process = EmulatorProcess(port=0, log_path=log, strict=False)
    url = process.start()
    try:
        options = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
        iam, lam = boto3.client("iam", **options), boto3.client("lambda", **options)
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}
        role = iam.create_role(RoleName="slow", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", "import time\ndef handler(e, c):\n    time.sleep(5)\n")
        lam.create_function(FunctionName="slow", Runtime="python3.13", Handler="app.handler", Role=role,
                            Code={"ZipFile": code.getvalue()}, Timeout=30)
        lam.get_waiter("function_active_v2").wait(FunctionName="slow", WaiterConfig={"Delay": 0.2})  # as on AWS
        for n in range(6):
            assert lam.invoke(FunctionName="slow", InvocationType="Event", Payload=json.dumps({"n": n}))["StatusCode"] == 202
        time.sleep(2)  # some running, some queued
        process._process.send_signal(signal.SIGINT)  # Ctrl-C in the emulator's terminal
        process._process.wait(timeout=30)
    finally:
        process.stop()
    text = log.read_text()
    after = text.split("Emulator stopped; everything it held is gone.")
    assert len(after) == 2 and after[1].strip() == ""  # nothing after its last line
    assert "Traceback" not in text
    assert text.count("not run (emulator stopped") == 6


def test_an_emulator_killed_outright_leaves_nothing_after_the_next_start(tmp_path, monkeypatch):
    import signal

    from pixelkit.emulator.server import EmulatorProcess

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the emulators' own temp folder, to look into
    first = EmulatorProcess(port=0, log_path=tmp_path / "first.log")
    first.start()
    scratch = list(tmp_path.glob("pixelkit-lambda-envs-*"))
    assert len(scratch) == 1
    first._process.send_signal(signal.SIGKILL)  # no chance to clean up
    first._process.wait(timeout=10)
    assert scratch[0].exists()
    second = EmulatorProcess(port=0, log_path=tmp_path / "second.log")
    second.start()
    try:
        assert not scratch[0].exists()  # the dead emulator's folder is gone; the new one's is there
        assert len(list(tmp_path.glob("pixelkit-lambda-envs-*"))) == 1
    finally:
        second.stop()
    assert not list(tmp_path.glob("pixelkit-lambda-envs-*"))  # a clean stop removes its own
