#!/usr/bin/env python3
"""Step 6: delete every resource the kit made (safe to run twice, and after a half-finished setup).

Usage: python scripts/step6_cleanup.py [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from pixelkit.commands.entry import run_script

if __name__ == "__main__":
    run_script("cleanup")
