"""Input checks shared by the public functions: each error names the argument and what is expected.

Kept apart from the mathematics (STYLE.md section 3) so that public bodies read like the equations.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["as_array", "positive", "nonnegative", "in_open_interval", "positive_int", "as_rng"]


def as_array(
    x,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple | None = None,
    finite: bool = True,
    copy: bool = False,
) -> np.ndarray:
    """Return ``x`` as a float64 array after checking dtype, dimensions, shape and finiteness.

    ``shape`` may contain ``None`` for a free axis. Integer and boolean inputs are converted;
    complex, object and string inputs are refused.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{name}: expected a real array, got {type(x).__name__}") from exc
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name}: expected a real (float) array, got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64, copy=True) if copy else arr.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name}: expected a {want}-D array, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            items = ["*" if s is None else str(s) for s in shape]
            want = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
            raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name}: contains {bad} non-finite value(s) (NaN or inf); expected finite"
        )
    return arr


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return v


def positive(value, name: str) -> float:
    """Return ``value`` as a float, refusing non-finite and non-positive values."""
    v = _number(value, name)
    if v <= 0.0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return v


def nonnegative(value, name: str) -> float:
    """Return ``value`` as a float, refusing non-finite and negative values."""
    v = _number(value, name)
    if v < 0.0:
        raise ValueError(f"{name}: expected a non-negative number, got {value!r}")
    return v


def in_open_interval(value, name: str, lo: float, hi: float) -> float:
    """Return ``value`` as a float, refusing values outside ``(lo, hi)``."""
    v = _number(value, name)
    if not lo < v < hi:
        raise ValueError(f"{name}: expected a number in ({lo}, {hi}), got {value!r}")
    return v


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int, refusing booleans, non-integers and values below 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def as_rng(rng) -> np.random.Generator:
    """Normalise ``rng`` (Generator, SeedSequence, int or None) with ``np.random.default_rng``."""
    if isinstance(rng, np.random.RandomState):
        raise TypeError("rng: legacy RandomState is not accepted; pass a numpy Generator or a seed")
    return np.random.default_rng(rng)
