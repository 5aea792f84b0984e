"""The pixelation workshop kit: the tutorial's pipeline as one importable package.

The step scripts in ``scripts/``, the notebooks in ``notebooks/`` and the tests
all call the functions here; nothing is written twice. Importing the package itself
imports nothing heavy, so that the ``pixelkit`` command can catch a Ctrl-C from its start.
"""

__all__ = ["WorkshopError"]


def __getattr__(name):
    if name == "WorkshopError":
        from pixelkit.context.errors import WorkshopError

        return WorkshopError
    raise AttributeError(f"module 'pixelkit' has no attribute {name!r}")
