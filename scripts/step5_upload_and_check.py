#!/usr/bin/env python3
"""Step 5: upload pictures, wait for the five outputs of each, show the function's log, download.

Usage: python scripts/step5_upload_and_check.py [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from pixelkit.commands.entry import run_script

if __name__ == "__main__":
    run_script("upload")
