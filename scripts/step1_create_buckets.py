#!/usr/bin/env python3
"""Step 1: create the source and destination S3 buckets.

Usage: python scripts/step1_create_buckets.py [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from pixelkit.commands.entry import run_script

if __name__ == "__main__":
    run_script("create-buckets")
