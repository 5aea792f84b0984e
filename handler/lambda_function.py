"""The tutorial's Lambda function: pixelate each image put into the source bucket.

S3 calls ``lambda_handler`` with an event that names the bucket and the key of
each new object. For every image, five pictures go to the bucket named by the
environment variable ``destination_bucket``: the image shrunk to N x N pixels
(BILINEAR) and blown back up to its own size (NEAREST), for N in 8, 16, 32, 48
and 64. 8x8 is the coarsest. Each output keeps the source's format and size
(upright, as its EXIF orientation says).

What it does with each record, in one log line each:
- pixelates it (INFO);
- skips it, permanently, when it is not something to pixelate: not an image,
  empty, corrupt, too large, gone, or one of this function's own outputs
  (WARNING). These are not raised, because a retry could only fail again;
- raises when S3 fails in a way a retry can fix (throttling, a network error,
  any other ClientError), so that Lambda retries the whole event. Outputs have
  fixed names, so a retry or a second delivery overwrites, never duplicates.

Why it is fast: the object is read into memory once (no /tmp) and decoded once;
a JPEG is decoded at 1/2, 1/4 or 1/8 scale (``draft``) and any other image is
reduced once, since the largest grid is 64 x 64; only the five outputs are made
at full size, one after another, each uploaded on a thread while the next is
made (Pillow releases the GIL while it resizes and encodes).

This file is deployed as it is (``lambda_function.lambda_handler``), so it
depends on nothing but boto3 (in the Lambda runtime) and Pillow (in the
deployment package).
"""

import io
import json
import logging
import os
import threading
import time
import urllib.parse
import warnings
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, ImageOps, UnidentifiedImageError

GRIDS = (8, 16, 32, 48, 64)
OUTPUT_PREFIX = "pixelated-"

# The largest picture it takes: Pillow's own decompression-bomb limit (about 89
# megapixels, a 10,000 x 8,900 photo). Checked from the header, before decoding.
MAX_PIXELS = 89_478_485
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# The largest object it reads into memory. A 89-megapixel JPEG is about 30 MB;
# only uncompressed TIFF or BMP files come near this.
MAX_OBJECT_BYTES = 256 * 1024 * 1024
# The small pictures are computed from a copy whose shorter side keeps at least
# this many pixels: 4 source pixels per cell of the 64 x 64 grid. bench/ and
# tests/ check that this stays within 40 dB PSNR of the tutorial's pictures.
THUMBNAIL_SOURCE_MIN_SIDE = 256
# The outputs are made one at a time (each holds width x height x 4 bytes) and
# uploaded on threads while the next is made. Two at a time on 2 cores was
# measured about 5% faster but 70 MB higher at peak (docs/performance.md).
UPLOAD_THREADS = len(GRIDS)
# Each full-size output is a fresh allocation. By default Pillow gives freed memory
# back to the system, and the next output page-faults it all in again: measured,
# that makes the NEAREST enlargement 3-4 times as slow. Freed blocks are kept for
# reuse instead, up to 128 MB (one 32-megapixel output).
Image.core.set_block_size(4 * 1024 * 1024)
Image.core.set_blocks_max(32)

# Codes of a get_object that a retry cannot fix: the object is gone.
GONE_CODES = {"NoSuchKey", "NotFound", "404"}
# Pillow reads these but writes them under another name.
WRITE_AS = {"MPO": "JPEG"}
# Formats whose magic bytes are distinctive enough to call a file that has them but
# does not open "corrupt" rather than "not an image".
MAGIC_CHECKED = {"JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "MPO"}

logger = logging.getLogger()
logger.setLevel(logging.INFO)
# boto3 logs "Found credentials in environment variables." at INFO: noise in a learner's log.
logging.getLogger("botocore").setLevel(logging.WARNING)

_s3 = None
_pool = None
_lock = threading.Lock()


def s3_client():
    """One client per execution environment: made on first use, reused after."""
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3")
    return _s3


def output_pool():
    """One thread pool per execution environment, like the client."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=UPLOAD_THREADS, thread_name_prefix="put-object")
    return _pool


class Refused(Exception):
    """A permanent reason not to pixelate an object; its message says what to do."""


def pixelate(image, grid):
    """Shrink to grid x grid with BILINEAR, enlarge back to the original size with NEAREST."""
    small = image.resize((grid, grid), Image.BILINEAR)
    return small.resize(image.size, Image.NEAREST)


def output_key(key, grid):
    """``photos/cat.jpg`` -> ``photos/pixelated-8x8-cat.jpg``: the folder is kept."""
    folder, _, name = key.rpartition("/")
    new_name = f"{OUTPUT_PREFIX}{grid}x{grid}-{name}"
    return f"{folder}/{new_name}" if folder else new_name


def is_output_key(key):
    return key.rpartition("/")[2].startswith(OUTPUT_PREFIX)


def encode(image, image_format, options=None):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **(options or {}))
    return buffer.getvalue()


def signature_format(body):
    """The format whose magic bytes ``body`` starts with, if any: to tell corrupt from not-an-image."""
    Image.init()
    for image_format, (_, accept) in Image.OPEN.items():
        try:
            if accept and accept(body[:16]) and image_format in MAGIC_CHECKED:
                return image_format
        except Exception:
            continue
    return None


class Picture:
    """A decoded source: its upright full size, its format, and the small copy the grids come from."""

    def __init__(self, body):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(body))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise Refused(f"it is too large to pixelate ({error}). Upload a picture under {MAX_PIXELS // 1_000_000} megapixels.")
        except UnidentifiedImageError:
            looks_like = signature_format(body)
            if looks_like:
                raise Refused(f"it starts like a {looks_like} file, but the image is corrupt. Upload an intact copy.")
            raise Refused("not an image Pillow can read. Upload a JPEG, PNG, GIF, WebP, BMP or TIFF file.")
        except Exception as error:  # Pillow's plugins raise many kinds on broken headers
            raise Refused(f"the image is corrupt ({type(error).__name__}: {error}). Upload an intact copy.")
        width, height = image.size
        if width * height > MAX_PIXELS:  # Pillow only raises above twice its limit
            raise Refused(
                f"it is too large to pixelate ({width}x{height} = {width * height:,} pixels). "
                f"Upload a picture under {MAX_PIXELS // 1_000_000} megapixels."
            )
        if width == 0 or height == 0:
            raise Refused(f"the image has no pixels ({width}x{height}). Upload an intact copy.")
        self.read_format = image.format
        self.format = WRITE_AS.get(image.format, image.format)
        self.mode = image.mode
        self.icc_profile = image.info.get("icc_profile")
        try:
            orientation = image.getexif().get(0x0112, 1)
            if image.format in ("JPEG", "MPO"):
                # Decode at 1/2, 1/4 or 1/8 scale: libjpeg then skips most of the work.
                image.draft(image.mode, (THUMBNAIL_SOURCE_MIN_SIDE, THUMBNAIL_SOURCE_MIN_SIDE))
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
        except Exception as error:
            raise Refused(f"the image is corrupt ({type(error).__name__}: {error}). Upload an intact copy.")
        # The outputs have the source's full size, upright.
        self.size = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
        self.thumbnail_source = self._reduced(self._resizable(image))

    @staticmethod
    def _resizable(image):
        """Palette and 1-bit images resize with NEAREST only: give BILINEAR colours to work with."""
        if image.mode in ("P", "PA"):
            return image.convert("RGBA" if image.has_transparency_data else "RGB")
        if image.mode == "1":
            return image.convert("L")
        return image

    @staticmethod
    def _reduced(image):
        """Any image not drafted: one cheap box reduction, keeping 4 source pixels per 64x64 cell."""
        factor = min(image.size) // THUMBNAIL_SOURCE_MIN_SIDE
        return image.reduce(factor) if factor >= 2 else image

    def small(self, grid):
        return self.thumbnail_source.resize((grid, grid), Image.BILINEAR)


def writable(small, image_format):
    """The grid picture in a mode and format that can be written, as (picture, format).

    A trial encode of the small picture costs nothing and tells whether the
    format takes this mode. GIF gets its palette here, from at most 64 x 64
    colours, instead of quantizing the full-size output. A format Pillow reads
    but cannot write in any usable mode (XBM, for one) is written as PNG.
    """
    if image_format not in Image.SAVE:
        image_format = "PNG"
    if image_format == "GIF" and small.mode not in ("P", "L", "1"):
        small = small.convert("RGBA" if "A" in small.getbands() else "RGB").quantize(256)
    try:
        encode(small, image_format)
        return small, image_format
    except (OSError, KeyError, ValueError, TypeError):
        pass
    converted = small.convert("RGBA" if "A" in small.getbands() and image_format != "JPEG" else "RGB")
    try:
        encode(converted, image_format)
        return converted, image_format
    except (OSError, KeyError, ValueError, TypeError):
        return converted, "PNG"


def process_object(source_bucket, key, destination_bucket):
    """Pixelate one object; return the keys written. Raises Refused for a permanent failure."""
    started = time.perf_counter()
    response = s3_client().get_object(Bucket=source_bucket, Key=key)
    length = response.get("ContentLength", 0)
    if length == 0:
        response["Body"].close()
        raise Refused("the object is empty (0 bytes). Upload the picture again.")
    if length > MAX_OBJECT_BYTES:
        response["Body"].close()
        raise Refused(f"the object is {length:,} bytes, over {MAX_OBJECT_BYTES:,}. Upload a smaller or compressed picture.")
    picture = Picture(response["Body"].read())
    write_format = picture.format
    uploads = []
    try:
        for grid in GRIDS:
            small, write_format = writable(picture.small(grid), picture.format)
            options = {}
            if picture.icc_profile and write_format in ("JPEG", "PNG", "WEBP", "TIFF"):
                options["icc_profile"] = picture.icc_profile
            # Made on this thread, one at a time: a full-size output is the largest thing in memory,
            # and one thread keeps reusing the same freed blocks. Uploads overlap the next output.
            data = encode(small.resize(picture.size, Image.NEAREST), write_format, options)
            uploads.append(output_pool().submit(
                s3_client().put_object, Bucket=destination_bucket, Key=output_key(key, grid), Body=data,
                ContentType=Image.MIME.get(write_format, "application/octet-stream"),
            ))
    finally:
        # Every upload started finishes before this returns or raises: Lambda freezes the
        # environment after the handler returns, and a retry should start from a quiet bucket.
        futures.wait(uploads)
    for upload in uploads:
        upload.result()  # re-raises a failed put_object here
    written = [output_key(key, grid) for grid in GRIDS]
    note = "" if write_format == picture.format else f" (as {write_format}: Pillow cannot write {picture.format})"
    logger.info(
        "Pixelated s3://%s/%s (%s, %s, %dx%d) into %d pictures s3://%s/%s%s in %.0f ms",
        source_bucket, key, picture.read_format, picture.mode, *picture.size, len(written),
        destination_bucket, output_key(key, "N").replace("NxN", "{N}x{N}"), note,
        (time.perf_counter() - started) * 1000,
    )
    return written


def lambda_handler(event, context):
    # Step 5 of the tutorial reads this line in CloudWatch Logs.
    logger.info("Received event: %s", json.dumps(event))
    if event.get("Event") == "s3:TestEvent":
        logger.info("S3's test event for bucket %s: the notification is set up. Nothing to pixelate.", event.get("Bucket"))
        return {"written": [], "skipped": []}
    destination_bucket = os.environ.get("destination_bucket")
    if not destination_bucket:
        logger.error(
            "The environment variable destination_bucket is not set. "
            "Set it to the name of the destination bucket (step 4) and upload again."
        )
        return {"written": [], "refused": "destination_bucket is not set"}

    written, skipped, retryable = [], [], []
    for record in event.get("Records", []):
        source_bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        where = f"s3://{source_bucket}/{key}"
        if source_bucket == destination_bucket:
            logger.error(
                "Refused %s: destination_bucket names the bucket the image came from, "
                "so every output would trigger this function again. Set destination_bucket "
                "to the destination bucket (step 4).",
                where,
            )
            skipped.append(key)
            continue
        if not record.get("eventName", "ObjectCreated").startswith("ObjectCreated"):
            logger.info("Skipped %s: the event is %s, not a new object.", where, record["eventName"])
            skipped.append(key)
            continue
        if is_output_key(key):
            logger.warning(
                "Skipped %s: its name starts with %r, so it is an output of this function. "
                "Rename the file if it is a picture of yours.",
                where, OUTPUT_PREFIX,
            )
            skipped.append(key)
            continue
        try:
            written += process_object(source_bucket, key, destination_bucket)
        except Refused as reason:
            logger.warning("Skipped %s: %s", where, reason)
            skipped.append(key)
        except ClientError as error:
            code, message = error.response["Error"].get("Code"), error.response["Error"].get("Message")
            if code in GONE_CODES:
                logger.warning("Skipped %s: the object is gone (%s: %s); it was deleted after the upload.", where, code, message)
                skipped.append(key)
            else:
                logger.error("Failed on %s: S3 said %s: %s. Raising so that Lambda retries.", where, code, message)
                retryable.append(error)
        except BotoCoreError as error:
            logger.error("Failed on %s: %s. Raising so that Lambda retries.", where, error)
            retryable.append(error)
        except Exception:  # a case nobody foresaw: a retry would meet it again, and the other records still count
            logger.exception("Skipped %s: unexpected error while pixelating it (a bug: please report it).", where)
            skipped.append(key)
    if retryable:
        raise retryable[0]
    return {"written": written, "skipped": skipped}
