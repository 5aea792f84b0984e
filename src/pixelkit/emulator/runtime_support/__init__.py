"""What the emulator puts in an execution environment beside AWS's runtime interface client.

These files run in the runtime's own interpreter (Python 3.10-3.14, the standard library only),
never imported by the emulator: ``pixelkit_launch.py`` starts awslambdaric's bootstrap as Lambda's
runtime does, and ``pixelkit_runtime_client.py`` stands in for awslambdaric's compiled
``runtime_client`` where pip could not build it (everywhere but Linux).
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
LAUNCHER = FOLDER / "pixelkit_launch.py"

