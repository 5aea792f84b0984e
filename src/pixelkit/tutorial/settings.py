"""The tutorial's fixed choices that more than one step reads (the scripts in scripts/ pass them to AWS).

The timeout follows the tutorial (Lambda's default, 3 s, is too short for a large photo); the
memory gives the function one full vCPU (Lambda gives CPU in proportion to memory:
https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
"""

# Lambda stops a function after 3 s unless told otherwise: one minute, as the tutorial sets it.
TIMEOUT_SECONDS = 60
# One full vCPU at 1,769 MB. The handler is CPU-bound on one thread (`make bench`; docs/performance.md), so
# below 1,769 MB it runs proportionally slower for the same GB-seconds, and above it the extra vCPU would idle.
MEMORY_MB = 1769
# The ids of the kit's S3 trigger and of the statement that lets S3 invoke the function.
TRIGGER_ID = "pixelate-new-images"
PERMISSION_ID = "allow-s3-source-bucket"
# All object-creation events: a large upload from the CLI arrives as a multipart upload, not a PUT.
TRIGGER_EVENTS = ["s3:ObjectCreated:*"]
# CloudWatch Logs keeps a log group's events forever unless told otherwise.
LOG_RETENTION_DAYS = 7
# How many bucket-name suffixes step 1 tries before it suspects something other than a collision.
NAME_ATTEMPTS = 5
# The tutorial's name for the source bucket, which every learner of it asked for (step 1 shows that it is taken).
TUTORIAL_BUCKET = "day38-source"
