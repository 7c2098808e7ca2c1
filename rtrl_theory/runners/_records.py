"""Run records: JSON written atomically, with the configuration, seed and package versions.

A record is written to a temporary file in the destination folder, flushed and fsync'ed, then
moved over the destination with ``os.replace`` (atomic on POSIX), so a reader never sees half a
file and an interrupted run leaves the last complete record in place. The writing itself is
:mod:`rtrl_theory._outputs` (``atomic_path`` is re-exported from there): symbolic links, devices
and FIFOs are never renamed over.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import platform
import sys
from pathlib import Path

import numpy as np

from rtrl_theory._outputs import atomic_path, is_stdout, write_text

__all__ = ["atomic_path", "write_json_atomic", "environment_info", "to_jsonable"]


def to_jsonable(obj):
    """Convert numpy scalars/arrays (and non-finite floats, as strings) into JSON-safe values."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json_atomic(path, obj, *, indent: int | None = 1) -> Path:
    """Write ``obj`` as JSON to ``path`` by the rules of :mod:`rtrl_theory._outputs` (the one
    writer): atomically onto a regular file (temporary file, fsync, ``os.replace``), through a
    symbolic link onto its target, through a character device or FIFO, ``"-"`` to standard
    output."""
    text = json.dumps(to_jsonable(obj), indent=indent, allow_nan=False)
    write_text(path, text + "\n")
    return path if is_stdout(path) else Path(path)


def environment_info() -> dict:
    """Python, platform and versions of the packages that shape numerical results."""
    from rtrl_theory import __version__

    versions = {"rtrl_theory": __version__, "numpy": np.__version__}
    for dist in ("scipy", "numba", "POT", "sympy"):
        try:  # metadata only: no import of heavy packages
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": versions,
    }
