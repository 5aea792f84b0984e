"""The ``pixelkit`` command's entry point: a Ctrl-C at any moment, imports included, ends in one line.

Importing boto3 takes a moment; a Ctrl-C then would print a bare KeyboardInterrupt
traceback if the handler were in ``pixelkit.commands.cli`` itself. So this module imports
nothing heavy (``pixelkit/__init__.py`` neither) and catches it around everything.
"""

import sys

INTERRUPTED = "Interrupted. Every step is safe to run again; `make cleanup` removes what was made."


def main(argv=None) -> int:
    try:
        from pixelkit.commands.cli import main as cli_main

        return cli_main(argv)
    except KeyboardInterrupt:
        from pixelkit.context.paths import as_typed_here  # light: the words of this computer (make, or kit.py)

        print("\n" + as_typed_here(INTERRUPTED), file=sys.stderr)
        return 130


def run_script(command: str) -> None:
    """What each file in ``scripts/`` does: run one command with the script's own arguments."""
    sys.exit(main([command, *sys.argv[1:]]))
