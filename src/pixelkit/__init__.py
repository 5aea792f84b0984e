"""The pixelation workshop kit: the tutorial's pipeline as one importable package.

The step scripts in ``scripts/``, the notebooks in ``notebooks/`` and the tests
all call the functions here; nothing is written twice.
"""

from pixelkit.errors import WorkshopError

__all__ = ["WorkshopError"]
