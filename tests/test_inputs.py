"""Every kind of upload a class makes, through lambda_handler with S3 in moto.

Each test checks what a learner would: the outputs (count, names, size, format,
ContentType), or their absence and the one log line that says why.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from botocore.exceptions import ClientError
from PIL import Image

import lambda_function
from helpers import DESTINATION, SOURCE, destination_keys, s3_event

ROOT = Path(__file__).resolve().parent.parent
GRIDS = (8, 16, 32, 48, 64)
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp",
        "BMP": "image/bmp", "TIFF": "image/tiff"}


def picture(size=(120, 90), mode="RGB") -> Image.Image:
    """A picture with detail, in any mode: a gradient and a circle."""
    base = Image.radial_gradient("L").resize(size)
    rgb = Image.merge("RGB", (base, Image.linear_gradient("L").resize(size), base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    if mode == "RGBA":
        return Image.merge("RGBA", (*rgb.split(), base))
    if mode == "P":
        return rgb.quantize(64)
    if mode == "I;16":
        return Image.linear_gradient("L").resize(size).convert("I").point(lambda v: v * 256).convert("I;16")
    return rgb.convert(mode)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def outputs_of(key: str) -> list[str]:
    folder, _, name = key.rpartition("/")
    return sorted(f"{folder + '/' if folder else ''}pixelated-{n}x{n}-{name}" for n in GRIDS)


def assert_five_outputs(s3, key: str, size: tuple[int, int], fmt: str) -> list[Image.Image]:
    assert destination_keys(s3) == outputs_of(key)
    pictures = []
    for output in outputs_of(key):
        obj = s3.get_object(Bucket=DESTINATION, Key=output)
        assert obj["ContentType"] == MIME[fmt], output
        image = Image.open(io.BytesIO(obj["Body"].read()))
        assert image.format == fmt, output
        assert image.size == size, output
        pictures.append(image)
    return pictures


def upload_and_run(s3, key: str, body: bytes, caplog) -> dict:
    s3.put_object(Bucket=SOURCE, Key=key, Body=body)
    with caplog.at_level(logging.INFO):
        return lambda_function.lambda_handler(s3_event(key), None)


def skipped_line(caplog, key: str) -> str:
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and key in r.getMessage()]
    assert len(lines) == 1, lines
    return lines[0]


# --- every mode and format -------------------------------------------------------------

@pytest.mark.parametrize("fmt, mode, options", [
    ("JPEG", "RGB", {}),
    ("JPEG", "RGB", {"progressive": True}),
    ("JPEG", "L", {}),
    ("JPEG", "CMYK", {}),
    ("PNG", "RGB", {}),
    ("PNG", "RGBA", {}),
    ("PNG", "P", {}),
    ("PNG", "L", {}),
    ("PNG", "I;16", {}),
    ("PNG", "1", {}),
    ("GIF", "P", {}),
    ("WEBP", "RGB", {}),
    ("WEBP", "RGBA", {}),
    ("BMP", "RGB", {}),
    ("BMP", "P", {}),
    ("TIFF", "RGB", {}),
    ("TIFF", "CMYK", {}),
])
def test_every_mode_and_format_gives_five_outputs_in_that_format(s3, caplog, fmt, mode, options):
    key = f"{fmt.lower()}-{mode.replace(';', '')}.img"
    upload_and_run(s3, key, encoded(picture((150, 100), mode), fmt, **options), caplog)
    pictures = assert_five_outputs(s3, key, (150, 100), fmt)
    assert any(m.startswith(f"Pixelated s3://{SOURCE}/{key} ({fmt}, ") for m in caplog.messages)
    if mode == "RGBA":
        assert pictures[0].mode == "RGBA"  # transparency kept


def test_a_palette_png_with_transparency_keeps_it(s3, caplog):
    image = picture((64, 64), "P")
    image.info["transparency"] = 0
    upload_and_run(s3, "sticker.png", encoded(image, "PNG", transparency=0), caplog)
    pictures = assert_five_outputs(s3, "sticker.png", (64, 64), "PNG")
    assert "A" in pictures[-1].getbands()


def test_an_animated_gif_is_pixelated_from_its_first_frame(s3, caplog):
    frames = [picture((80, 60), "P"), Image.new("P", (80, 60), 3)]
    upload_and_run(s3, "anim.gif", encoded(frames[0], "GIF", save_all=True, append_images=frames[1:]), caplog)
    assert_five_outputs(s3, "anim.gif", (80, 60), "GIF")


# --- keys -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [
    "my holiday photo.jpg",
    "a+b=c.jpg",
    "café/ñandú 東京.jpg",
    "class/2024/week 1/photo.jpg",
    "photo",
    "PHOTO.JPG",
    "really-a-jpeg.png",  # the format comes from the content, not the name
])
def test_keys_of_every_shape_keep_their_folder_and_name(s3, caplog, key):
    upload_and_run(s3, key, encoded(picture(), "JPEG"), caplog)
    assert_five_outputs(s3, key, (120, 90), "JPEG")


# --- sizes and orientation --------------------------------------------------------------

def test_a_phone_photo_comes_out_upright(s3, caplog):
    """EXIF orientation 6 (rotated 90 degrees): stored 300x200, shown 200x300."""
    exif = Image.Exif()
    exif[0x0112] = 6
    upload_and_run(s3, "phone.jpg", encoded(picture((300, 200)), "JPEG", exif=exif), caplog)
    pictures = assert_five_outputs(s3, "phone.jpg", (200, 300), "JPEG")
    assert pictures[0].getexif().get(0x0112, 1) == 1  # no viewer rotates it again


def test_an_image_smaller_than_the_grid(s3, caplog):
    upload_and_run(s3, "icon.png", encoded(picture((5, 3)), "PNG"), caplog)
    assert_five_outputs(s3, "icon.png", (5, 3), "PNG")


def test_a_very_large_photo_keeps_its_full_size(s3, caplog):
    upload_and_run(s3, "big.jpg", encoded(picture((6000, 4000)), "JPEG"), caplog)
    assert_five_outputs(s3, "big.jpg", (6000, 4000), "JPEG")


# --- what is not a picture --------------------------------------------------------------

def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height: a decompression bomb's first bytes."""
    data = bytearray(encoded(Image.new("L", (1, 1)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize("key, body, reason", [
    ("notes.txt", b"these are my notes, not a picture", "not an image"),
    ("empty.jpg", b"", "empty"),
    ("truncated.jpg", encoded(picture((400, 300)), "JPEG")[:2000], "corrupt"),
    ("garbled.png", encoded(picture(), "PNG")[:40] + b"\x00" * 200, "corrupt"),
    ("bomb.png", png_claiming(100_000, 100_000), "too large"),
    ("just-over.png", png_claiming(10_000, 9_000), "too large"),
])
def test_what_is_not_a_picture_gets_one_line_and_no_output(s3, caplog, key, body, reason):
    result = upload_and_run(s3, key, body, caplog)  # not raised: a retry could only fail again
    assert result["written"] == [] and result["skipped"] == [key]
    assert destination_keys(s3) == []
    line = skipped_line(caplog, key)
    assert reason in line and line.startswith(f"Skipped s3://{SOURCE}/{key}: ")


def test_a_good_upload_after_each_bad_one_still_works(s3, caplog):
    bad = {"a.txt": b"text", "b.jpg": b"", "c.png": png_claiming(100_000, 100_000),
           "d.jpg": encoded(picture(), "JPEG")[:300]}
    for key, body in bad.items():
        upload_and_run(s3, key, body, caplog)
    upload_and_run(s3, "good.jpg", encoded(picture(), "JPEG"), caplog)
    assert_five_outputs(s3, "good.jpg", (120, 90), "JPEG")


# --- events -----------------------------------------------------------------------------

def test_s3_test_event_is_acknowledged(s3, caplog):
    event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2024-01-01T00:00:00.000Z",
             "Bucket": SOURCE, "RequestId": "1", "HostId": "2"}
    with caplog.at_level(logging.INFO):
        assert lambda_function.lambda_handler(event, None)["written"] == []
    assert any("test event" in m for m in caplog.messages)
    assert destination_keys(s3) == []


def test_several_records_good_and_bad_in_one_event(s3, caplog):
    s3.put_object(Bucket=SOURCE, Key="one.jpg", Body=encoded(picture(), "JPEG"))
    s3.put_object(Bucket=SOURCE, Key="junk.bin", Body=b"\x00\x01junk")
    s3.put_object(Bucket=SOURCE, Key="two/three.png", Body=encoded(picture(), "PNG"))
    with caplog.at_level(logging.INFO):
        result = lambda_function.lambda_handler(s3_event("one.jpg", "junk.bin", "two/three.png"), None)
    assert sorted(result["written"]) == sorted(outputs_of("one.jpg") + outputs_of("two/three.png"))
    assert result["skipped"] == ["junk.bin"]
    assert destination_keys(s3) == sorted(outputs_of("one.jpg") + outputs_of("two/three.png"))


def test_its_own_outputs_are_skipped(s3, caplog):
    key = "holiday/pixelated-8x8-beach.jpg"
    result = upload_and_run(s3, key, encoded(picture(), "JPEG"), caplog)
    assert result["written"] == [] and destination_keys(s3) == []
    assert "output of this function" in skipped_line(caplog, key)


def test_a_second_delivery_gives_the_same_outputs_and_no_duplicates(s3, caplog):
    s3.put_object(Bucket=SOURCE, Key="photo.jpg", Body=encoded(picture(), "JPEG"))
    lambda_function.lambda_handler(s3_event("photo.jpg"), None)
    first = {k: s3.get_object(Bucket=DESTINATION, Key=k)["Body"].read() for k in destination_keys(s3)}
    lambda_function.lambda_handler(s3_event("photo.jpg"), None)
    second = {k: s3.get_object(Bucket=DESTINATION, Key=k)["Body"].read() for k in destination_keys(s3)}
    assert first == second and len(second) == 5


def test_an_object_deleted_before_the_function_ran_is_skipped(s3, caplog):
    with caplog.at_level(logging.INFO):
        result = lambda_function.lambda_handler(s3_event("gone.jpg"), None)
    assert result["skipped"] == ["gone.jpg"]
    assert "gone" in skipped_line(caplog, "gone.jpg")


# --- transient failures are raised, so that Lambda retries -----------------------------

def throttled(operation):
    def fail(**kwargs):
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, operation)
    return fail


@pytest.mark.parametrize("operation", ["get_object", "put_object"])
def test_a_throttled_s3_call_is_raised_for_a_retry_and_the_retry_works(s3, caplog, monkeypatch, operation):
    s3.put_object(Bucket=SOURCE, Key="photo.jpg", Body=encoded(picture(), "JPEG"))
    client = lambda_function.s3_client()
    with monkeypatch.context() as patch:
        patch.setattr(client, operation, throttled(operation))
        with caplog.at_level(logging.INFO), pytest.raises(ClientError, match="SlowDown"):
            lambda_function.lambda_handler(s3_event("photo.jpg"), None)
    assert any("SlowDown" in m and "retries" in m for m in caplog.messages)
    lambda_function.lambda_handler(s3_event("photo.jpg"), None)  # Lambda's retry
    assert_five_outputs(s3, "photo.jpg", (120, 90), "JPEG")


# --- faithful to the tutorial's pictures --------------------------------------------------

def tutorial_handler(tmp_path):
    spec = importlib.util.spec_from_file_location("tutorial_lambda_function", ROOT / "bench" / "tutorial_lambda_function.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.TMP_DIR = str(tmp_path)
    return module


def psnr(a: Image.Image, b: Image.Image) -> float:
    x = np.asarray(a.convert("RGB"), dtype=np.float64)
    y = np.asarray(b.convert("RGB"), dtype=np.float64)
    mse = ((x - y) ** 2).mean()
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


@pytest.mark.parametrize("key, fmt", [("photo.jpg", "JPEG"), ("scan.png", "PNG")])
def test_outputs_match_the_tutorial_handler_within_40_db(s3, tmp_path, key, fmt):
    """The tutorial's handler and ours, on the same 3000 x 2000 picture: same size, PSNR >= 40 dB."""
    sys.path.insert(0, str(ROOT / "bench"))
    from pixelate_bench import photo_like_jpeg

    source = Image.open(photo_like_jpeg(tmp_path / "source.jpg", 6.0))
    s3.put_object(Bucket=SOURCE, Key=key, Body=encoded(source, fmt))
    tutorial_handler(tmp_path).lambda_handler(s3_event(key), None)
    theirs = {k: Image.open(io.BytesIO(s3.get_object(Bucket=DESTINATION, Key=k)["Body"].read())) for k in outputs_of(key)}
    lambda_function.lambda_handler(s3_event(key), None)
    for output in outputs_of(key):
        ours = Image.open(io.BytesIO(s3.get_object(Bucket=DESTINATION, Key=output)["Body"].read()))
        assert ours.size == theirs[output].size == source.size
        assert psnr(ours, theirs[output]) >= 40, output


def test_bench_runs_on_a_tiny_input():
    """make bench's script end to end on a tiny picture: it prints the comparison (no timing asserted)."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pixelate_bench.py"), "--megapixels", "0.05",
         "--repeat", "1", "--rounds", "1", "--images"],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert "as fast as the tutorial's" in completed.stdout and "Floor" in completed.stdout


def xbm_bytes(width: int = 96, height: int = 80) -> bytes:
    """An X bitmap: Pillow reads it but writes it only in mode 1, which the grid pictures are not."""
    buffer = io.BytesIO()
    Image.new("1", (width, height), 1).save(buffer, format="XBM")
    return buffer.getvalue()


def test_a_format_pillow_cannot_write_back_comes_out_as_png(s3, caplog):
    s3.put_object(Bucket=SOURCE, Key="icon.xbm", Body=xbm_bytes())
    with caplog.at_level(logging.INFO):
        result = lambda_function.lambda_handler(s3_event("icon.xbm"), None)
    assert len(result["written"]) == 5
    for key in result["written"]:
        obj = s3.get_object(Bucket=DESTINATION, Key=key)
        assert obj["ContentType"] == "image/png"
        picture = Image.open(io.BytesIO(obj["Body"].read()))
        assert picture.format == "PNG" and picture.size == (96, 80)
    assert any("as PNG" in r.getMessage() for r in caplog.records)


def test_an_unforeseen_error_skips_that_record_and_the_others_still_count(s3, monkeypatch, caplog):
    original = lambda_function.Picture

    def picky_picture(body):
        if body.startswith(b"\xff\xd8") and len(body) < 2000:
            raise RuntimeError("something nobody foresaw")
        return original(body)

    monkeypatch.setattr(lambda_function, "Picture", picky_picture)
    tiny = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(tiny, format="JPEG")
    s3.put_object(Bucket=SOURCE, Key="odd.jpg", Body=tiny.getvalue())
    fine = io.BytesIO()
    Image.new("RGB", (300, 200), "teal").save(fine, format="PNG")
    s3.put_object(Bucket=SOURCE, Key="fine.png", Body=fine.getvalue())
    with caplog.at_level(logging.INFO):
        result = lambda_function.lambda_handler(s3_event("odd.jpg", "fine.png"), None)
    assert result["skipped"] == ["odd.jpg"] and len(result["written"]) == 5
    [record] = [r for r in caplog.records if "odd.jpg" in r.getMessage() and r.levelno == logging.ERROR]
    assert "unexpected error" in record.getMessage() and record.exc_info  # the traceback is kept for whoever fixes it
