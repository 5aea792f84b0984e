#!/usr/bin/env python3
"""Step 2: create the IAM role for Lambda and its inline policy.

Usage: python scripts/step2_create_role.py [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from pixelkit.commands.entry import run_script

if __name__ == "__main__":
    run_script("create-role")
