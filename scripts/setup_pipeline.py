#!/usr/bin/env python3
"""Steps 1 to 4 in one go.

Usage: python scripts/setup_pipeline.py [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from pixelkit.commands.entry import run_script

if __name__ == "__main__":
    run_script("setup")
