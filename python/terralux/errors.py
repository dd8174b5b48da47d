"""The exceptions of terralux.

Every error of the library comes as a :class:`TerraluxError` carrying the
same one-line message as the binaries print (naming the file, band, layer,
field or zone at fault). Subclasses say what kind of fault it is, and also
derive from the built-in exception a Python user would catch for it.
"""

from __future__ import annotations


class TerraluxError(Exception):
    """Base class of every terralux error."""


class InputNotFoundError(TerraluxError, FileNotFoundError):
    """An input file (raster, zones, weights, population...) does not exist."""


class InvalidInputError(TerraluxError, ValueError):
    """A request or an input that cannot be run: an unknown statistic, a
    band, layer or field that does not exist, a missing or invalid CRS, a
    feature that is not a polygon, grids that do not match..."""


class ReadError(TerraluxError, OSError):
    """A file exists but cannot be opened or read."""


class OutputConflictError(TerraluxError, ValueError):
    """An output that is an input, or another output of the run."""


__all__ = [
    "TerraluxError",
    "InputNotFoundError",
    "InvalidInputError",
    "ReadError",
    "OutputConflictError",
]


class TerraluxWarning(UserWarning):
    """What a run has to tell that changes how its results read (zones
    measured as repaired, zones kept without cells, a masked product...):
    the lines the binaries print on stderr as warnings."""


__all__.append("TerraluxWarning")
