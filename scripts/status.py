#!/usr/bin/env python3
"""Show what of the kit exists on the target right now.

Usage: python scripts/status.py [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from pixelkit.commands.entry import run_script

if __name__ == "__main__":
    run_script("status")
