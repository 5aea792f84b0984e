"""The tutorial's Lambda function: pixelate each image put into the source bucket.

S3 calls ``lambda_handler`` with an event that names the bucket and the key of
each new object. For every image, five pictures go to the bucket named by the
environment variable ``destination_bucket``: the image shrunk to N x N pixels
(BILINEAR) and blown back up to its own size (NEAREST), for N in 8, 16, 32, 48
and 64. 8x8 is the coarsest.

This file is deployed as it is (``lambda_function.lambda_handler``), so it
depends on nothing but boto3 (in the Lambda runtime) and Pillow (in the
deployment package).
"""

import io
import json
import logging
import os
import urllib.parse

import boto3
from PIL import Image, UnidentifiedImageError

GRIDS = (8, 16, 32, 48, 64)
OUTPUT_PREFIX = "pixelated-"

logger = logging.getLogger()
logger.setLevel(logging.INFO)

_s3 = None


def s3_client():
    """One client per execution environment: made on first use, reused after."""
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3")
    return _s3


def pixelate(image, grid):
    """Shrink to grid x grid with BILINEAR, enlarge back to the original size with NEAREST."""
    small = image.resize((grid, grid), Image.BILINEAR)
    return small.resize(image.size, Image.NEAREST)


def output_key(key, grid):
    """``photos/cat.jpg`` -> ``photos/pixelated-8x8-cat.jpg``: the folder is kept."""
    folder, _, name = key.rpartition("/")
    new_name = f"{OUTPUT_PREFIX}{grid}x{grid}-{name}"
    return f"{folder}/{new_name}" if folder else new_name


def encode(image, image_format):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def process_object(source_bucket, key, destination_bucket):
    """Pixelate one object; return the keys written, or [] when it is not an image."""
    body = s3_client().get_object(Bucket=source_bucket, Key=key)["Body"].read()
    try:
        image = Image.open(io.BytesIO(body))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        logger.warning(
            "Skipped s3://%s/%s: not an image Pillow can read (%s). "
            "Upload a JPEG, PNG, GIF, WebP, BMP or TIFF file.",
            source_bucket, key, error,
        )
        return []
    image_format = image.format
    content_type = Image.MIME.get(image_format, "application/octet-stream")
    written = []
    for grid in GRIDS:
        target = output_key(key, grid)
        data = encode(pixelate(image, grid), image_format)
        s3_client().put_object(
            Bucket=destination_bucket, Key=target, Body=data, ContentType=content_type
        )
        logger.info("Wrote s3://%s/%s (%dx%d grid, %d bytes)", destination_bucket, target, grid, grid, len(data))
        written.append(target)
    return written


def lambda_handler(event, context):
    # Step 5 of the tutorial reads this line in CloudWatch Logs.
    logger.info("Received event: %s", json.dumps(event))
    destination_bucket = os.environ.get("destination_bucket")
    if not destination_bucket:
        logger.error(
            "The environment variable destination_bucket is not set. "
            "Set it to the name of the destination bucket (step 4) and upload again."
        )
        return {"written": [], "refused": "destination_bucket is not set"}

    written = []
    for record in event.get("Records", []):
        source_bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        if source_bucket == destination_bucket:
            logger.error(
                "Refused s3://%s/%s: destination_bucket names the bucket the image came from, "
                "so every output would trigger this function again. Set destination_bucket "
                "to the destination bucket (step 4).",
                source_bucket, key,
            )
            continue
        written += process_object(source_bucket, key, destination_bucket)
    return {"written": written}
