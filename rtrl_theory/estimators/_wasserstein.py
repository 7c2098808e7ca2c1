r"""Exact W1 between empirical laws, its finite-sample floor and bootstrap intervals.

The distance of THEORY.md section 1 and of (2.6), (2.16) and (3.45) of [P1]: the 1-Wasserstein
distance with the max-norm ground cost :math:`\|z - z'\| = \max_i |z_i - z'_i|`,

.. math::

    W_1(\mu, \nu) = \min_{\gamma \in \Gamma(\mu, \nu)} \int \|z - z'\|_\infty \, d\gamma(z, z'),

computed exactly between two empirical laws :math:`\mu_K = \sum_i a_i \delta_{x_i}` and
:math:`\nu_K = \sum_j b_j \delta_{y_j}` as the linear programme of POT's network simplex
(``ot.emd2``) on the cost matrix ``ot.dist(x, y, metric="chebyshev")``.

Particle arrays are flattened: rows are particles, columns coordinates, and named column ranges
("X", "eta", "S", "J", "H" for the RNN of [P1]) are picked with :func:`select_block`. W1 of a
block is a lower bound on the joint W1, because projecting on a block is 1-Lipschitz for the
max-norm.

Glossary: ``x``, ``y`` are particle arrays of shape ``(n_particles, dim)``; ``a``, ``b`` the
weights of :math:`\mu_K, \nu_K`.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import ot
from scipy.stats import wasserstein_distance

from rtrl_theory._progress import tqdm_class
from rtrl_theory._validate import as_array, as_rng, in_open_interval, positive_int

tqdm = tqdm_class()  # rtrl_theory._progress: the text bar where a notebook bar cannot draw

__all__ = [
    "ALL",
    "MIN_PARTICLES_FLOOR",
    "W1Bootstrap",
    "W1Floor",
    "cost_matrix",
    "select_block",
    "w1_1d",
    "w1_bootstrap",
    "w1_empirical",
    "w1_floor",
    "w1_floor_pair",
]

ALL = "all"
"""Block name meaning every column of a particle array."""

MIN_PARTICLES_FLOOR = 20
"""Fewest particles for which :func:`w1_floor` estimates a floor (two halves of 10)."""

_METRICS = ("chebyshev", "cityblock", "euclidean")
_SOLVERS = ("emd", "auto")
# Cost matrices are built in square tiles: a tile of 256 rows of both ensembles stays in cache
# even at dim ~ 1300 (2 x 2.7 MB), which makes cdist about 1.6 times faster than one call at
# K = 2000; tiles run on threads because scipy's cdist releases the GIL.
_TILE = 256
_THREAD_MIN_WORK = 20_000_000  # n1 * n2 * dim below which threads cost more than they save
_EMD_RETRY_FACTOR = 10


# ----------------------------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------------------------


def _block_columns(blocks: Mapping[str, slice] | None, block, dim: int):
    """Validate ``blocks`` and ``block``; return a slice or an integer index array of columns."""
    if blocks is not None and isinstance(blocks, Mapping) and ALL in blocks:
        raise ValueError(f"blocks: the name {ALL!r} is reserved for every column")
    if isinstance(block, str) and block == ALL:
        return slice(0, dim)
    if blocks is None:
        raise ValueError(f"block: got {block!r} but no blocks were given; the only name is {ALL!r}")
    if not isinstance(blocks, Mapping):
        raise TypeError(
            f"blocks: expected a mapping of names to slices, got {type(blocks).__name__}"
        )
    known = ", ".join(repr(k) for k in blocks) + f" (or {ALL!r})"
    names = [block] if isinstance(block, str) else block
    if not isinstance(names, Sequence) or isinstance(names, str) or len(names) == 0:
        raise ValueError(
            f"block: expected a name, a non-empty list of names or {ALL!r}; known: {known}"
        )
    if ALL in names:
        if len(names) > 1:
            raise ValueError(f"block: {ALL!r} cannot be combined with other names")
        return slice(0, dim)
    if len(set(names)) != len(names):
        raise ValueError(f"block: repeated name in {list(names)!r}")
    pieces = []
    for name in names:
        if name not in blocks:
            raise ValueError(f"block: unknown block {name!r}; known blocks: {known}")
        sl = blocks[name]
        if not isinstance(sl, slice):
            raise TypeError(f"blocks[{name!r}]: expected a slice, got {type(sl).__name__}")
        start, stop, step = sl.indices(dim)
        if step != 1 or stop <= start:
            raise ValueError(
                f"blocks[{name!r}]: expected a non-empty contiguous slice of {dim} columns, got {sl}"
            )
        if (sl.stop is not None and sl.stop > dim) or (sl.start is not None and sl.start >= dim):
            raise ValueError(f"blocks[{name!r}]: slice {sl} exceeds the {dim} columns of the array")
        pieces.append((start, stop))
    if len(pieces) == 1:
        return slice(*pieces[0])
    return np.concatenate([np.arange(s, e) for s, e in pieces])


def select_block(Z, blocks: Mapping[str, slice] | None, block="all") -> np.ndarray:
    """Columns of a flattened particle array that belong to one or several named blocks.

    Parameters
    ----------
    Z : array_like, shape (..., dim)
        Flattened particles, coordinates on the last axis (e.g. ``(n_particles, dim)``).
    blocks : mapping of str to slice, or None
        Named contiguous column ranges, e.g. ``{"X": slice(0, 3), "S": slice(4, 14)}``.
    block : str or sequence of str
        A name of ``blocks``, a list of names (their columns are concatenated in that order) or
        ``"all"`` for every column.

    Returns
    -------
    ndarray, shape (..., dim_block)
        A view for a single block or ``"all"``, a copy for a list of names.

    Raises
    ------
    ValueError
        Unknown or repeated name (the message lists the known blocks), empty or out-of-range slice.

    Examples
    --------
    >>> Z = np.arange(12.0).reshape(2, 6)
    >>> select_block(Z, {"X": slice(0, 2), "S": slice(2, 5)}, "S")
    array([[ 2.,  3.,  4.],
           [ 8.,  9., 10.]])
    >>> select_block(Z, {"X": slice(0, 2), "S": slice(2, 5)}, ["X", "S"]).shape
    (2, 5)
    """
    Z = as_array(Z, "Z", finite=False)
    if Z.ndim < 1:
        raise ValueError(
            f"Z: expected an array with coordinates on the last axis, got shape {Z.shape}"
        )
    return Z[..., _block_columns(blocks, block, Z.shape[-1])]


# ----------------------------------------------------------------------------------------------
# exact W1
# ----------------------------------------------------------------------------------------------


def _particles(x, name: str) -> np.ndarray:
    """Return a finite float64 particle array of shape (n, dim); 1-D input is n points of R^1."""
    arr = as_array(x, name, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(
            f"{name}: expected at least one particle and one coordinate, got shape {arr.shape}"
        )
    return arr


def _weights(w, n: int, name: str) -> np.ndarray:
    if w is None:
        return np.full(n, 1.0 / n)
    w = as_array(w, name, shape=(n,))
    if np.any(w < 0):
        raise ValueError(f"{name}: weights must be non-negative")
    total = w.sum()
    if total <= 0:
        raise ValueError(f"{name}: weights must have a positive sum")
    return w / total


def _metric(metric: str) -> str:
    if metric not in _METRICS:
        raise ValueError(f"metric: expected one of {_METRICS}, got {metric!r}")
    return metric


def _n_threads(n_threads) -> int:
    if n_threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)
    return positive_int(n_threads, "n_threads")


def cost_matrix(x, y, *, metric: str = "chebyshev", n_threads: int | None = None) -> np.ndarray:
    """Ground-cost matrix ``M[i, j] = ||x_i - y_j||`` built with ``ot.dist`` (scipy's cdist).

    Parameters
    ----------
    x : array_like, shape (n1, dim) or (n1,)
    y : array_like, shape (n2, dim) or (n2,)
    metric : {"chebyshev", "cityblock", "euclidean"}
        ``"chebyshev"`` is the max-norm of THEORY.md.
    n_threads : int, optional
        Threads over tiles (default: the CPUs available to this process). Small problems use one.

    Returns
    -------
    M : ndarray, shape (n1, n2)

    Notes
    -----
    The matrix is assembled from ``ot.dist`` calls on 256 x 256 tiles (exactly the same numbers
    as one call: each entry is computed independently), which keeps both operands in cache.
    """
    x = _particles(x, "x")
    y = _particles(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x, y: particles must have the same dimension, got {x.shape[1]} and {y.shape[1]}"
        )
    metric = _metric(metric)
    n1, n2 = x.shape[0], y.shape[0]
    tiles = [(i, j) for i in range(0, n1, _TILE) for j in range(0, n2, _TILE)]
    M = np.empty((n1, n2))

    def fill(ij):
        i, j = ij
        M[i : i + _TILE, j : j + _TILE] = ot.dist(
            x[i : i + _TILE], y[j : j + _TILE], metric=metric, backend="scipy"
        )

    threads = _n_threads(n_threads)
    if threads == 1 or len(tiles) == 1 or n1 * n2 * x.shape[1] < _THREAD_MIN_WORK:
        for ij in tiles:
            fill(ij)
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(tiles))) as pool:
            list(pool.map(fill, tiles))
    return M


_POT_STATUS_MESSAGES = ("numItermax reached", "Problem infeasible", "Problem unbounded")


def _emd2(a: np.ndarray, b: np.ndarray, M: np.ndarray, num_iter_max: int | None) -> float:
    """``ot.emd2`` with POT's status warnings turned into a retry or a clear error."""
    auto = num_iter_max is None
    n_iter = max(1_000_000, 20 * M.shape[0] * M.shape[1]) if auto else num_iter_max
    for attempt in range(2 if auto else 1):
        with warnings.catch_warnings():
            # POT reports the solver status as a UserWarning; the status code in the log is
            # checked below instead, so that a non-optimal value is never returned silently.
            for msg in _POT_STATUS_MESSAGES:
                warnings.filterwarnings("ignore", message=msg, category=UserWarning)
            value, log = ot.emd2(a, b, M, numItermax=n_iter, log=True)
        code = log["result_code"]
        if code == 1:  # OPTIMAL
            return float(value)
        if code != 3 or attempt == (1 if auto else 0):
            break
        n_iter *= _EMD_RETRY_FACTOR
    hint = " pass a larger num_iter_max" if code == 3 else ""
    raise RuntimeError(
        f"w1_empirical: POT's network simplex stopped without an optimal plan "
        f"(status {code}: {log['warning']!s}, num_iter_max={n_iter});{hint}"
    )


def w1_empirical(
    x,
    y,
    *,
    a=None,
    b=None,
    metric: str = "chebyshev",
    solver: str = "emd",
    num_iter_max: int | None = None,
    n_threads: int | None = None,
) -> float:
    r"""Exact W1 between two empirical laws with the max-norm ground cost (THEORY.md section 1).

    .. math::

        W_1(\mu_K, \nu_K) = \min_{\gamma 1 = a,\ \gamma^T 1 = b,\ \gamma \ge 0}
            \sum_{i,j} \gamma_{ij} \|x_i - y_j\|_\infty

    Parameters
    ----------
    x : array_like, shape (n1, dim) or (n1,)
        Particles of the first law (1-D input means ``dim = 1``).
    y : array_like, shape (n2, dim) or (n2,)
    a, b : array_like, shape (n1,) and (n2,), optional
        Non-negative weights, normalised to sum 1 (default uniform).
    metric : {"chebyshev", "cityblock", "euclidean"}
        Ground cost; ``"chebyshev"`` (max-norm) is the one of [P1].
    solver : {"emd", "auto"}
        ``"emd"``: POT's exact network simplex (``ot.emd2``) on an ``ot.dist`` cost matrix.
        ``"auto"``: for ``dim == 1`` the exact 1-D formula of :func:`w1_1d` (all three metrics
        are ``|x - y|`` there), otherwise ``"emd"``.
    num_iter_max : int, optional
        Cap on simplex iterations. Default: ``max(10**6, 20 n1 n2)``, raised tenfold once if it
        is reached. An explicit value is used as is. Either way a non-optimal solve raises.
    n_threads : int, optional
        Threads for the cost matrix (see :func:`cost_matrix`).

    Returns
    -------
    float
        The optimal transport cost.

    Raises
    ------
    ValueError
        Non-finite particles or weights, mismatched dimensions, unknown metric or solver.
    RuntimeError
        The network simplex did not reach optimality.

    Notes
    -----
    Cost: the cost matrix takes ``O(n1 n2 dim)`` and the simplex roughly ``O(n^2)`` to
    ``O(n^3)``; at ``n1 = n2 = 2000`` and ``dim = 1313`` (an (X, S, J) block with d = 3,
    N = 10) about 1 s for each on two cores (``benchmarks/bench_w1.py``).

    References
    ----------
    [P1] Assumption 2.3 (2.6), (2.16), (3.45).

    Examples
    --------
    >>> w1_empirical([[0.0, 0.0], [1.0, 0.0]], [[0.0, 3.0], [1.0, 3.0]])
    3.0
    """
    x = _particles(x, "x")
    y = _particles(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x, y: particles must have the same dimension, got {x.shape[1]} and {y.shape[1]}"
        )
    metric = _metric(metric)
    if solver not in _SOLVERS:
        raise ValueError(f"solver: expected one of {_SOLVERS}, got {solver!r}")
    if num_iter_max is not None:
        num_iter_max = positive_int(num_iter_max, "num_iter_max")
    a = _weights(a, x.shape[0], "a")
    b = _weights(b, y.shape[0], "b")
    if solver == "auto" and x.shape[1] == 1:
        return float(wasserstein_distance(x[:, 0], y[:, 0], a, b))
    M = cost_matrix(x, y, metric=metric, n_threads=n_threads)
    return _emd2(a, b, M, num_iter_max)


def w1_1d(x, y, *, a=None, b=None) -> float:
    r"""Exact W1 between two empirical laws on the line, by scipy's quantile formula.

    .. math:: W_1(\mu, \nu) = \int_{\mathbb{R}} |F_\mu(s) - F_\nu(s)| \, ds

    An independent implementation used to cross-check :func:`w1_empirical` when ``dim = 1``.

    Parameters
    ----------
    x : array_like, shape (n1,) or (n1, 1)
    y : array_like, shape (n2,) or (n2, 1)
    a, b : array_like, optional
        Non-negative weights (default uniform).

    Returns
    -------
    float

    Examples
    --------
    >>> w1_1d([0.0, 1.0], [2.0, 3.0])
    2.0
    """
    x = _particles(x, "x")
    y = _particles(y, "y")
    if x.shape[1] != 1 or y.shape[1] != 1:
        raise ValueError(
            f"x, y: w1_1d needs one coordinate, got dimensions {x.shape[1]} and {y.shape[1]}"
        )
    a = _weights(a, x.shape[0], "a")
    b = _weights(b, y.shape[0], "b")
    return float(wasserstein_distance(x[:, 0], y[:, 0], a, b))


# ----------------------------------------------------------------------------------------------
# finite-sample floor
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class W1Floor:
    r"""The finite-sample floor of W1: what an ensemble shows against its own law.

    Attributes
    ----------
    value : float
        Mean of ``values``.
    std : float or None
        Standard deviation of ``values`` over the random splits (``None`` for one pair: no spread).
    values : ndarray, shape (n_splits,)
        W1 between the two samples of each split (one value for :func:`w1_floor_pair`).
    sample_size : int
        Size of each of the two samples compared (``K // 2`` for halves, ``K`` for a pair).
    n_particles : int
        Size of the ensemble(s) the floor is meant for (``K``).
    method : {"halves", "pair"}

    Notes
    -----
    ``pair_range`` brackets the floor of two independent ``K``-ensembles,
    :math:`E\, W_1(\mu_K, \mu'_K)`. For ``"pair"`` it is ``(value, value)``. For ``"halves"``
    it is ``(value / sqrt(2), value)``: :math:`E\, W_1` between two independent n-samples
    decreases with n (convexity of W1), and it decays like :math:`n^{-1/2}` in dimension 1 and
    like :math:`n^{-1/p}` with :math:`p \ge 2` in higher (effective) dimension, so halving n
    multiplies it by a factor between 1 and :math:`\sqrt2` (asymptotically).
    """

    value: float
    std: float | None
    values: np.ndarray
    sample_size: int
    n_particles: int
    method: str

    @property
    def pair_range(self) -> tuple[float, float]:
        """Bracket for the floor of two independent K-ensembles (see Notes)."""
        if self.method == "halves":
            return (self.value / math.sqrt(2.0), self.value)
        return (self.value, self.value)


def _check_floor_size(K: int, name: str) -> None:
    if K < MIN_PARTICLES_FLOOR:
        raise ValueError(
            f"{name}: a W1 floor estimate needs at least {MIN_PARTICLES_FLOOR} particles "
            f"(two samples of {MIN_PARTICLES_FLOOR // 2}), got {K}; use more particles"
        )


def w1_floor(
    x,
    *,
    n_splits: int = 8,
    metric: str = "chebyshev",
    solver: str = "emd",
    rng=None,
) -> W1Floor:
    r"""Finite-sample floor of W1 for an ensemble: W1 between two disjoint random halves.

    .. math::

        \hat f = \frac1{n_{\rm splits}} \sum_{s} W_1\big(\mu^{(s,1)}_{K/2}, \mu^{(s,2)}_{K/2}\big)

    where each split is a uniformly random partition of the K particles into two halves (one
    particle is left out when K is odd).

    Parameters
    ----------
    x : array_like, shape (K, dim) or (K,)
        One ensemble, i.i.d. draws from a law :math:`\mu`; ``K >= 20``.
    n_splits : int
        Random splits averaged; their spread is returned as ``std``.
    metric, solver
        As in :func:`w1_empirical`.
    rng : Generator, int or None

    Returns
    -------
    W1Floor
        ``value`` estimates :math:`E\, W_1` between two independent samples of size ``K // 2``.

    Notes
    -----
    This is the level a distance between two ensembles of this size cannot go below even when
    the laws coincide: a W1 between a K-ensemble of :math:`\mu` and one of :math:`\nu` is
    within about twice the one-sample error :math:`E\, W_1(\mu_K, \mu)` of
    :math:`W_1(\mu, \nu)`, and :math:`E\, W_1(\mu_K, \mu) \le E\, W_1(\mu_K, \mu'_K)`
    (convexity). Halves are smaller samples than the two K-ensembles being compared, so
    ``value`` over-estimates their floor by a factor in :math:`[1, \sqrt2]` (``pair_range``):
    compare a distance between two K-ensembles with ``value`` for a conservative test, or use
    :func:`w1_floor_pair` when a second independent sample of the same law is available.
    In dimension 1 the floor decays like :math:`K^{-1/2}`; in dimension :math:`p \ge 3` like
    :math:`K^{-1/p}`, so high-dimensional blocks have a high floor.

    Examples
    --------
    >>> f = w1_floor(np.linspace(0.0, 1.0, 40), n_splits=2, rng=0)
    >>> f.sample_size, f.method, 0.0 < f.value < 0.5
    (20, 'halves', True)
    """
    x = _particles(x, "x")
    K = x.shape[0]
    _check_floor_size(K, "x")
    n_splits = positive_int(n_splits, "n_splits")
    rng = as_rng(rng)
    half = K // 2
    values = np.empty(n_splits)
    for s in range(n_splits):
        perm = rng.permutation(K)
        values[s] = w1_empirical(
            x[perm[:half]], x[perm[half : 2 * half]], metric=metric, solver=solver
        )
    std = float(values.std(ddof=1)) if n_splits > 1 else None
    values.flags.writeable = False
    return W1Floor(float(values.mean()), std, values, half, K, "halves")


def w1_floor_pair(x1, x2, *, metric: str = "chebyshev", solver: str = "emd") -> W1Floor:
    r"""Finite-sample floor of W1 from two independent K-samples of the same law.

    .. math:: \hat f = W_1(\mu_K, \mu'_K)

    This is directly the floor of a distance between two K-ensembles (no size correction),
    but a single draw: ``std`` is ``None``.

    Parameters
    ----------
    x1, x2 : array_like, shape (K, dim)
        Independent samples of one law (e.g. two ensembles run from the same start with
        independent noise); ``K >= 20`` and equal sizes.
    metric, solver
        As in :func:`w1_empirical`.

    Returns
    -------
    W1Floor
    """
    x1 = _particles(x1, "x1")
    x2 = _particles(x2, "x2")
    if x1.shape != x2.shape:
        raise ValueError(f"x1, x2: expected equal shapes, got {x1.shape} and {x2.shape}")
    _check_floor_size(x1.shape[0], "x1")
    v = w1_empirical(x1, x2, metric=metric, solver=solver)
    values = np.array([v])
    values.flags.writeable = False
    return W1Floor(v, None, values, x1.shape[0], x1.shape[0], "pair")


# ----------------------------------------------------------------------------------------------
# bootstrap
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class W1Bootstrap:
    """Percentile bootstrap interval for W1 between two empirical laws.

    Attributes
    ----------
    estimate : float
        W1 between the two ensembles as given.
    ci : tuple of float
        Percentile interval of ``samples`` at ``level``.
    samples : ndarray, shape (n_boot,)
        W1 between the resampled ensembles.
    level : float
    std : float
        Bootstrap standard error (standard deviation of ``samples``).
    bias : float
        ``mean(samples) - estimate``: resampling duplicates particles, which moves mass apart
        and biases W1 upward, strongly when the true W1 is near the floor; a large value
        relative to ``std`` says the interval is not trustworthy there.
    """

    estimate: float
    ci: tuple[float, float]
    samples: np.ndarray
    level: float
    std: float
    bias: float


def w1_bootstrap(
    x,
    y,
    *,
    n_boot: int = 200,
    level: float = 0.95,
    metric: str = "chebyshev",
    solver: str = "emd",
    rng=None,
    progress: bool = False,
) -> W1Bootstrap:
    r"""Percentile bootstrap confidence interval for :math:`W_1(\mu, \nu)` from two ensembles.

    Each replicate resamples both ensembles with replacement (independently) and recomputes
    the exact W1. A resample is represented by multinomial counts used as weights on the
    original particles, so the cost matrix is computed once and each replicate costs one
    network-simplex solve.

    Parameters
    ----------
    x : array_like, shape (n1, dim)
    y : array_like, shape (n2, dim)
    n_boot : int
        Number of replicates (at least 20; a few hundred for a 95% percentile interval).
    level : float
        Confidence level in (0, 1).
    metric, solver
        As in :func:`w1_empirical`.
    rng : Generator, int or None
    progress : bool
        Show a progress bar.

    Returns
    -------
    W1Bootstrap

    Notes
    -----
    The percentile interval is honest when W1 is well above the floor (:func:`w1_floor`);
    near the floor the upward bias of resampled W1 (``bias``) dominates and the interval
    can miss the truth from above.
    """
    x = _particles(x, "x")
    y = _particles(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x, y: particles must have the same dimension, got {x.shape[1]} and {y.shape[1]}"
        )
    n_boot = positive_int(n_boot, "n_boot")
    if n_boot < 20:
        raise ValueError(
            f"n_boot: expected at least 20 replicates for a percentile interval, got {n_boot}"
        )
    level = in_open_interval(level, "level", 0.0, 1.0)
    metric = _metric(metric)
    if solver not in _SOLVERS:
        raise ValueError(f"solver: expected one of {_SOLVERS}, got {solver!r}")
    rng = as_rng(rng)
    n1, n2 = x.shape[0], y.shape[0]
    one_d = solver == "auto" and x.shape[1] == 1
    M = None if one_d else cost_matrix(x, y, metric=metric)
    u1, u2 = np.full(n1, 1.0 / n1), np.full(n2, 1.0 / n2)
    estimate = w1_1d(x, y) if one_d else _emd2(u1, u2, M, None)
    samples = np.empty(n_boot)
    for r in tqdm(range(n_boot), disable=not progress, desc="W1 bootstrap"):
        a = rng.multinomial(n1, u1) / n1
        b = rng.multinomial(n2, u2) / n2
        samples[r] = w1_1d(x, y, a=a, b=b) if one_d else _emd2(a, b, M, None)
    alpha = 1.0 - level
    lo, hi = np.quantile(samples, [alpha / 2, 1 - alpha / 2])
    samples.flags.writeable = False
    return W1Bootstrap(
        estimate=float(estimate),
        ci=(float(lo), float(hi)),
        samples=samples,
        level=level,
        std=float(samples.std(ddof=1)),
        bias=float(samples.mean() - estimate),
    )
