#!/usr/bin/env python3
"""Show what of the kit exists on the target right now (`make status`).

Usage: python scripts/status.py [--target local|aws] [--student NAME] [-v] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

if __name__ == "__main__":
    from pixelkit.commands.entry import run_script  # the command line: --target, --student, --help, errors

    run_script("status")
