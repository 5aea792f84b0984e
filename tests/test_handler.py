"""The Lambda handler on synthetic S3 events, with S3 mocked by moto."""

from __future__ import annotations

import io
import logging

from PIL import Image

import lambda_function
from helpers import DESTINATION, SOURCE, destination_keys, s3_event


def image_bytes(size=(300, 200), fmt="JPEG", mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal").save(buffer, format=fmt)
    return buffer.getvalue()


def test_five_outputs_with_the_source_size_format_and_content_type(s3):
    s3.put_object(Bucket=SOURCE, Key="photo.jpg", Body=image_bytes((300, 200)))
    result = lambda_function.lambda_handler(s3_event("photo.jpg"), None)
    expected = [f"pixelated-{n}x{n}-photo.jpg" for n in (8, 16, 32, 48, 64)]
    assert sorted(result["written"]) == sorted(expected)
    assert destination_keys(s3) == sorted(expected)
    for key in expected:
        obj = s3.get_object(Bucket=DESTINATION, Key=key)
        assert obj["ContentType"] == "image/jpeg"
        picture = Image.open(io.BytesIO(obj["Body"].read()))
        assert picture.format == "JPEG"
        assert picture.size == (300, 200)


def test_8x8_output_has_8x8_blocks_of_one_colour(s3):
    """The coarsest output is made of 8 x 8 flat blocks: what a learner sees as 'pixelated'."""
    gradient = Image.linear_gradient("L").resize((256, 256)).convert("RGB")
    buffer = io.BytesIO()
    gradient.save(buffer, format="PNG")
    s3.put_object(Bucket=SOURCE, Key="gradient.png", Body=buffer.getvalue())
    lambda_function.lambda_handler(s3_event("gradient.png"), None)
    body = s3.get_object(Bucket=DESTINATION, Key="pixelated-8x8-gradient.png")["Body"].read()
    picture = Image.open(io.BytesIO(body)).convert("L")
    assert picture.size == (256, 256)
    rows = {picture.getpixel((0, y)) for y in range(256)}
    assert len(rows) == 8  # eight bands down the gradient, 32 pixels each


def test_url_encoded_keys_are_decoded(s3):
    s3.put_object(Bucket=SOURCE, Key="holiday/my photo+1.png", Body=image_bytes(fmt="PNG"))
    lambda_function.lambda_handler(s3_event("holiday/my+photo%2B1.png", encode=False), None)  # as S3 sends it
    assert "holiday/pixelated-8x8-my photo+1.png" in destination_keys(s3)
    assert s3.head_object(Bucket=DESTINATION, Key="holiday/pixelated-64x64-my photo+1.png")["ContentType"] == "image/png"


def test_every_record_is_handled(s3):
    for key in ("a.jpg", "b.jpg"):
        s3.put_object(Bucket=SOURCE, Key=key, Body=image_bytes())
    lambda_function.lambda_handler(s3_event("a.jpg", "b.jpg"), None)
    assert len(destination_keys(s3)) == 10


def test_a_text_file_gets_one_clear_line_and_no_output(s3, caplog):
    s3.put_object(Bucket=SOURCE, Key="notes.txt", Body=b"not a picture")
    s3.put_object(Bucket=SOURCE, Key="next.jpg", Body=image_bytes())
    with caplog.at_level(logging.INFO):
        result = lambda_function.lambda_handler(s3_event("notes.txt"), None)
    assert result["written"] == []
    assert destination_keys(s3) == []
    assert any("notes.txt" in r.getMessage() and "not an image" in r.getMessage() for r in caplog.records)
    # the function stays healthy for the next upload
    assert len(lambda_function.lambda_handler(s3_event("next.jpg"), None)["written"]) == 5


def test_refuses_to_write_into_the_bucket_it_reads(s3, monkeypatch, caplog):
    monkeypatch.setenv("destination_bucket", SOURCE)
    s3.put_object(Bucket=SOURCE, Key="photo.jpg", Body=image_bytes())
    with caplog.at_level(logging.INFO):
        result = lambda_function.lambda_handler(s3_event("photo.jpg"), None)
    assert result["written"] == []
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=SOURCE)["Contents"]) == ["photo.jpg"]
    assert any("Refused" in r.getMessage() and "destination_bucket" in r.getMessage() for r in caplog.records)


def test_logs_the_event_it_received(s3, caplog):
    s3.put_object(Bucket=SOURCE, Key="photo.jpg", Body=image_bytes())
    with caplog.at_level(logging.INFO):
        lambda_function.lambda_handler(s3_event("photo.jpg"), None)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("Received event: {\"Records\"") for m in messages)
    # one line per upload, naming the source and where its five pictures went
    done = [m for m in messages if m.startswith("Pixelated ")]
    assert len(done) == 1
    assert f"s3://{SOURCE}/photo.jpg" in done[0] and "pixelated-{N}x{N}-photo.jpg" in done[0]
