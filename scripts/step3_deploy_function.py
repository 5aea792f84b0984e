#!/usr/bin/env python3
"""Step 3: build the deployment package and create the Lambda function.

Usage: python scripts/step3_deploy_function.py [--target local|aws] [--help]
The local emulator is the default target; `--target aws` uses your AWS credentials.
"""

from pixelkit.commands.entry import run_script

if __name__ == "__main__":
    run_script("deploy-function")
