"""``python -m pixelkit``: the same as the ``pixelkit`` command."""

import sys

from pixelkit.commands.entry import main

sys.exit(main())
