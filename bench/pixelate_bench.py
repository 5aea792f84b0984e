"""``make bench``: the kit's handler against the tutorial's, side by side, in one run.

Each handler is called as Lambda calls it, ``lambda_handler(event, context)``
with an S3 event, while moto (``mock_aws``, in-process) answers its S3 calls.
Each (handler, input) pair runs in a subprocess of its own, so that the peak
memory read from /proc/self/status (VmHWM) is that handler's alone. The first
call of each is a cold start and not timed; the median of the next ``--repeat``
calls is.

The inputs: a generated 12-megapixel JPEG (a photo-like picture: gradients,
shapes and grain, saved at quality 90) and the sample pictures in images/.
The floor is the work no handler can skip: decoding the 12 MP JPEG at reduced
scale and encoding the five full-size outputs, once each, on one thread.

    python bench/pixelate_bench.py [--repeat 5] [--megapixels 12] [--images images/*.jpg]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = {
    "tutorial": ROOT / "bench" / "tutorial_lambda_function.py",
    "kit": ROOT / "handler" / "lambda_function.py",
}
SOURCE, DESTINATION = "bench-source", "bench-destination"


def photo_like_jpeg(path: Path, megapixels: float = 12.0) -> Path:
    """A 4:3 JPEG of about ``megapixels``, with smooth areas, edges and sensor-like grain."""
    from PIL import Image, ImageDraw

    width = int((megapixels * 1_000_000 * 4 / 3) ** 0.5) // 16 * 16
    height = width * 3 // 4
    red = Image.linear_gradient("L").rotate(30, expand=False).resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = Image.effect_mandelbrot((512, 384), (-2.2, -1.2, 1.0, 1.2), 64).resize((width, height), Image.BICUBIC)
    picture = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(picture)
    for i in range(24):  # hard edges, like objects in a photo
        x, y = (i * 7919) % width, (i * 104729) % height
        draw.ellipse((x, y, x + width // 6, y + height // 6), fill=((i * 40) % 256, (i * 90) % 256, (i * 150) % 256))
    grain = Image.effect_noise((width, height), 64)
    picture = Image.blend(picture, Image.merge("RGB", (grain, grain.transpose(Image.Transpose.ROTATE_180), grain.transpose(Image.Transpose.FLIP_LEFT_RIGHT))), 0.15)
    picture.save(path, "JPEG", quality=90)
    return path


def s3_event(bucket: str, key: str, size: int) -> dict:
    """An ObjectCreated:Put event as S3 sends it (the key URL-encoded)."""
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2024-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "bench",
               "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": urllib.parse.quote_plus(key), "size": size}},
    }]}


class LambdaContext:
    function_name = "day38-image_pixelator"
    memory_limit_in_mb = 1769
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def memory_status() -> dict[str, float]:
    """VmHWM (peak resident memory) and VmRSS of this process, in MB."""
    status = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            status[name] = int(value.split()[0]) / 1024
    return status


def run_worker(handler_name: str, image_path: Path, repeat: int) -> dict:
    """In a subprocess: one handler, one input, S3 in moto. Returns timings and peak memory."""
    import logging

    import boto3
    from moto import mock_aws

    logging.disable(logging.INFO)  # the handlers log; their log lines are not what is measured
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
                      AWS_DEFAULT_REGION="us-east-1", destination_bucket=DESTINATION)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws(), tempfile.TemporaryDirectory(prefix="pixelate-bench-") as tmp:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=SOURCE)
        s3.create_bucket(Bucket=DESTINATION)
        key = image_path.name
        s3.upload_file(str(image_path), SOURCE, key)
        size = image_path.stat().st_size
        spec = importlib.util.spec_from_file_location(f"bench_{handler_name}", HANDLERS[handler_name])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # after mock_aws: the tutorial makes its client at import
        if hasattr(module, "TMP_DIR"):
            module.TMP_DIR = tmp
        event, context = s3_event(SOURCE, key, size), LambdaContext()
        devnull = open(os.devnull, "w")
        before = memory_status()
        times = []
        for attempt in range(repeat + 1):
            stdout, sys.stdout = sys.stdout, devnull  # the tutorial prints the event
            try:
                started = time.perf_counter()
                module.lambda_handler(event, context)
                elapsed = time.perf_counter() - started
            finally:
                sys.stdout = stdout
            if attempt:  # the first call is the cold start
                times.append(elapsed * 1000)
        outputs = s3.list_objects_v2(Bucket=DESTINATION).get("KeyCount", 0)
    return {"times_ms": times, "outputs": outputs, "before": before, "after": memory_status()}


def run_floor(image_path: Path, repeat: int) -> dict:
    """The least work: decode at reduced scale, then encode five full-size outputs, on one thread."""
    from PIL import Image

    Image.core.set_block_size(4 * 1024 * 1024)  # the handler's allocator settings: memory reused, not page-faulted
    Image.core.set_blocks_max(32)
    data = image_path.read_bytes()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        image = Image.open(io.BytesIO(data))
        size = image.size
        image.draft(image.mode, (256, 256))
        image.load()
        for grid in (8, 16, 32, 48, 64):
            buffer = io.BytesIO()
            image.resize((grid, grid), Image.BILINEAR).resize(size, Image.NEAREST).save(buffer, "JPEG")
        times.append((time.perf_counter() - started) * 1000)
    return {"times_ms": times}


def in_subprocess(*args: str) -> dict:
    completed = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"bench worker {args} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per handler and input (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="subprocesses per handler and input, interleaved (default 3)")
    parser.add_argument("--megapixels", type=float, default=12.0, help="size of the generated JPEG (default 12)")
    parser.add_argument("--images", nargs="*", type=Path, default=None,
                        help="more pictures to time (default: images/*.jpg and *.png)")
    parser.add_argument("--worker", nargs=2, metavar=("HANDLER", "IMAGE"), help=argparse.SUPPRESS)
    parser.add_argument("--floor", metavar="IMAGE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker[0], Path(args.worker[1]), args.repeat)))
        return 0
    if args.floor:
        print(json.dumps(run_floor(Path(args.floor), args.repeat)))
        return 0

    samples = args.images if args.images is not None else sorted(
        p for p in (ROOT / "images").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="pixelate-bench-inputs-") as tmp:
        generated = photo_like_jpeg(Path(tmp) / f"generated-{args.megapixels:g}mp.jpg", args.megapixels)
        inputs = [generated, *samples]
        print(f"make bench: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
              f"median of {args.rounds} x {args.repeat} warm calls, S3 in moto (in-process)\n")
        header = f"{'input':34} {'pixels':>11} {'tutorial ms':>12} {'kit ms':>8} {'speed-up':>9} {'tutorial VmHWM':>15} {'kit VmHWM':>10}"
        print(header)
        print("-" * len(header))
        rows = []
        for path in inputs:
            with Image.open(path) as image:
                pixels = f"{image.width}x{image.height}"
            result = {name: {"times_ms": [], "outputs": [], "before": {"VmHWM": 0}, "after": {"VmHWM": 0}} for name in HANDLERS}
            for round_ in range(args.rounds):  # interleaved, so that a busy moment hits both handlers
                for name in (list(HANDLERS) if round_ % 2 == 0 else list(reversed(HANDLERS))):
                    outcome = in_subprocess("--worker", name, str(path), "--repeat", str(args.repeat))
                    if outcome["outputs"] != 5:
                        raise SystemExit(f"{name} wrote {outcome['outputs']} outputs for {path.name}, not 5")
                    result[name]["times_ms"] += outcome["times_ms"]
                    for when in ("before", "after"):
                        result[name][when]["VmHWM"] = max(result[name][when]["VmHWM"], outcome[when]["VmHWM"])
            tutorial_ms = statistics.median(result["tutorial"]["times_ms"])
            kit_ms = statistics.median(result["kit"]["times_ms"])
            rows.append((path, tutorial_ms, kit_ms, result))
            label = f"{path.name} ({path.stat().st_size / 1e6:.1f} MB)" if path == generated else path.name
            print(f"{label[:34]:34} {pixels:>11} {tutorial_ms:12.0f} {kit_ms:8.0f} {tutorial_ms / kit_ms:8.1f}x "
                  f"{result['tutorial']['after']['VmHWM']:12.0f} MB {result['kit']['after']['VmHWM']:7.0f} MB")
        floor_ms = statistics.median(in_subprocess("--floor", str(generated), "--repeat", str(args.repeat))["times_ms"])
        _, tutorial_ms, kit_ms, result = rows[0]
        print()
        print(f"On the {args.megapixels:g} MP JPEG: the kit's handler is {tutorial_ms / kit_ms:.1f}x as fast as the tutorial's "
              f"({kit_ms:.0f} ms against {tutorial_ms:.0f} ms), with a peak of {result['kit']['after']['VmHWM']:.0f} MB "
              f"against {result['tutorial']['after']['VmHWM']:.0f} MB "
              f"(both include Python, boto3 and moto: {result['kit']['before']['VmHWM']:.0f} MB before the first call).")
        print(f"Floor (decode at reduced scale + encode the five full-size outputs, one thread, no S3): {floor_ms:.0f} ms; "
              f"the handler takes {kit_ms / floor_ms:.2f}x the floor.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
