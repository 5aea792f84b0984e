"""Each step shows its AWS calls: recorded by botocore hooks on the Workshop's session, on any target."""

from __future__ import annotations

import pytest

from pixelkit.context import calls
from pixelkit.commands import cli
from pixelkit.tutorial import steps
from pixelkit.context.calls import Call


def test_step_1_records_its_calls_in_order_with_this_runs_values(moto_workshop):
    ws = moto_workshop
    mark = ws.calls.mark()
    steps.create_buckets(ws)
    made = ws.calls.since(mark)
    source = ws.state.source_bucket
    shown = [str(c) for c in made]
    create = shown.index(f"s3.create_bucket(Bucket='{source}')")
    tagging = next(i for i, s in enumerate(shown) if s.startswith(f"s3.put_bucket_tagging(Bucket='{source}'"))
    block = next(i for i, s in enumerate(shown) if s.startswith(f"s3.put_public_access_block(Bucket='{source}'"))
    assert create < tagging < block
    assert made[create].outcome == "200" and made[create].writes
    # the first look finds no bucket: AWS's answer is shown as it came
    assert made[create - 1].method == "s3.head_bucket" and made[create - 1].outcome.startswith("404")
    assert made[create].cli() == f"aws s3api create-bucket --bucket {source}"
    assert "'workshop', 'Value': 'pixelation-workshop'" in shown[tagging]


def test_bytes_are_abbreviated_and_the_cli_reads_the_zip_from_a_file():
    zip_bytes = b"PK" + bytes(2_000_000)
    call = Call("lambda", "CreateFunction", {"FunctionName": "f", "Code": {"ZipFile": zip_bytes}, "Architectures": ["arm64"],
                                             "Timeout": 60, "Publish": False})
    assert "<2.0 MB, sha256 " in str(call) and len(str(call)) < 200
    assert call.cli() == ("aws lambda create-function --function-name f --zip-file fileb://deployment-package.zip "
                          "--architectures arm64 --timeout 60 --no-publish")
    invoke = Call("lambda", "Invoke", {"FunctionName": "f", "Payload": '{"a": 1}'})
    assert invoke.cli() == "aws lambda invoke --function-name f --payload '{\"a\": 1}'"


def test_a_waiters_polls_show_once_with_their_count():
    polls = [Call("s3", "HeadObject", {"Bucket": "b", "Key": "k"}, "404") for _ in range(3)]
    done = Call("s3", "HeadObject", {"Bucket": "b", "Key": "k"}, "200")
    shown = calls.collapse(polls + [done])
    assert [(c.outcome, c.count) for c in shown] == [("404", 3), ("200", 1)]


def test_a_step_script_prints_each_call_and_its_cli_form(moto_workshop, capsys):
    assert cli.main(["create-buckets", "--target", "aws"]) == 0
    out = capsys.readouterr().out
    assert "AWS s3.create_bucket(Bucket='day38-source-" in out and "-> 200" in out
    assert "$ aws s3api put-public-access-block --bucket day38-source-" in out
    # in the order they were made: the bucket, then its tags
    assert out.index("AWS s3.create_bucket(") < out.index("AWS s3.put_bucket_tagging(")


def test_a_failed_connection_is_recorded_too(monkeypatch):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    from helpers import free_port

    session = boto3.Session(region_name="us-east-1")
    recorder = calls.attach_recorder(session, echo=False)
    client = session.client("s3", endpoint_url=f"http://127.0.0.1:{free_port()}",
                            config=Config(retries={"max_attempts": 1}, connect_timeout=1))
    with pytest.raises(EndpointConnectionError):
        client.head_bucket(Bucket="nobody")
    [call] = recorder.calls
    assert call.outcome == "failed: EndpointConnectionError"
