"""The tutorial's handler, kept as the benchmark's baseline.

A reconstruction of ``lambda_function.py`` in the tutorial's
``my-deployment-package.zip`` (the pixelator of the "Lambda and S3 Events" lab
it comes from), with the tutorial's environment variable ``destination_bucket``.
What it does is kept as written: it handles the first record only, does not
URL-decode the key, downloads the object to /tmp, then for each grid opens and
decodes the file again, resizes (BILINEAR down, NEAREST up), saves to /tmp, and
uploads each saved file with ``upload_file``. Nothing under /tmp is deleted.

Only one thing differs: ``TMP_DIR`` is a module constant, so that the benchmark
can point it at a folder it removes afterwards.
"""

import os
import uuid

import boto3
from PIL import Image

TMP_DIR = "/tmp"

# bucket name for pixelated images
destination_bucket = os.environ["destination_bucket"]

s3_client = boto3.client("s3")


def lambda_handler(event, context):
    print(event)

    # get bucket and object key from event object
    source_bucket = event["Records"][0]["s3"]["bucket"]["name"]
    key = event["Records"][0]["s3"]["object"]["key"]

    # generate a temp name, and set location for our original image
    object_key = str(uuid.uuid4()) + "-" + key
    img_download_path = "{}/{}".format(TMP_DIR, object_key)

    # download the source image from S3 to a temp location within the execution environment
    with open(img_download_path, "wb") as img_file:
        s3_client.download_fileobj(source_bucket, key, img_file)

    # biggify the pixels and store temp pixelated versions
    pixelate((8, 8), img_download_path, "{}/pixelated-8x8-{}".format(TMP_DIR, object_key))
    pixelate((16, 16), img_download_path, "{}/pixelated-16x16-{}".format(TMP_DIR, object_key))
    pixelate((32, 32), img_download_path, "{}/pixelated-32x32-{}".format(TMP_DIR, object_key))
    pixelate((48, 48), img_download_path, "{}/pixelated-48x48-{}".format(TMP_DIR, object_key))
    pixelate((64, 64), img_download_path, "{}/pixelated-64x64-{}".format(TMP_DIR, object_key))

    # upload the pixelated versions to the destination bucket
    s3_client.upload_file("{}/pixelated-8x8-{}".format(TMP_DIR, object_key), destination_bucket, "pixelated-8x8-{}".format(key))
    s3_client.upload_file("{}/pixelated-16x16-{}".format(TMP_DIR, object_key), destination_bucket, "pixelated-16x16-{}".format(key))
    s3_client.upload_file("{}/pixelated-32x32-{}".format(TMP_DIR, object_key), destination_bucket, "pixelated-32x32-{}".format(key))
    s3_client.upload_file("{}/pixelated-48x48-{}".format(TMP_DIR, object_key), destination_bucket, "pixelated-48x48-{}".format(key))
    s3_client.upload_file("{}/pixelated-64x64-{}".format(TMP_DIR, object_key), destination_bucket, "pixelated-64x64-{}".format(key))


def pixelate(pixelsize, image_path, pixelated_img_path):
    img = Image.open(image_path)
    temp_img = img.resize(pixelsize, Image.BILINEAR)
    new_img = temp_img.resize(img.size, Image.NEAREST)
    new_img.save(pixelated_img_path)
