#!/usr/bin/env python3
"""Step 4: set destination_bucket and the one-minute timeout, and add the S3 trigger.

Usage: python scripts/step4_configure_function.py [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from pixelkit.commands.entry import run_script

if __name__ == "__main__":
    run_script("configure-function")
