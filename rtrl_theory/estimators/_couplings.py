r"""Couplings of the joint process block by block (Proposition 3.1, Proposition 3.10 of [P1]).

Proposition 3.1 / Theorem 3.11 bound the contraction of :math:`Z_t = (X_t, \eta_t, S_t, J_t, H_t)`
by :math:`\bar\rho = \max(\lambda, \rho)`, where :math:`\lambda` is the data chain's contraction
(2.6) and :math:`\rho` the largest of the six Lipschitz constants in :math:`y = (S, J, H)` of one
step of the recursions (Assumption 2.10, Lemmas 3.8-3.9). Two synchronous couplings separate the
two mechanisms:

* the **y-coupling**: same inputs and noise, different (S, J, H); the data part coincides, and
  each block of :math:`\Delta y` obeys, pathwise, :math:`\|\Delta y'_b\| \le \rho_b \|\Delta y\|`;
* the **x-coupling**: same (S, J, H) at the start, different inputs, same noise; pathwise
  :math:`\|\Delta X_{t+1}\| \le \lambda \|\Delta X_t\|` (Example 2.4, (2.9)-(2.11)) and the
  network responds through the input weights.

:func:`coupled_block_distances` records the per-particle max-norm distance of every block along a
synchronous coupling. :func:`one_step_w1_bracket` brackets :math:`W_1(\mu P, \nu P)` for the
statement of Proposition 3.10 (one step of the kernel is a W1 contraction with constant
:math:`\bar\rho`): an exact lower bound from the input marginals and a Monte Carlo upper bound
from the synchronous coupling along the optimal plan of :math:`W_1(\mu, \nu)`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rtrl_theory._validate import as_rng, positive_int

__all__ = [
    "COUPLING_BLOCKS",
    "W1Bracket",
    "coupled_block_distances",
    "one_step_w1_bracket",
    "example_chain_marginal_w1",
    "kr_lower_bound",
]

#: Blocks of :func:`coupled_block_distances`: the input, S, J^W, J^B, H^WW, H^WB, H^BB and the
#: whole network part y = (S, J, H).
COUPLING_BLOCKS = ("X", "S", "W", "B", "WW", "WB", "BB", "y")


def _block_dist(jp, za, zb) -> dict:
    N, d = jp.n_hidden, jp.n_input
    nW = N * d
    out = {
        "X": np.abs(za.X - zb.X).max(axis=1),
        "S": np.abs(za.S - zb.S).max(axis=1),
    }
    dJ = np.abs(za.Jt - zb.Jt)
    out["W"] = dJ[:, :nW].reshape(dJ.shape[0], -1).max(axis=1)
    out["B"] = dJ[:, nW:].reshape(dJ.shape[0], -1).max(axis=1)
    y = np.maximum(out["S"], np.maximum(out["W"], out["B"]))
    if za.Ht is not None:
        dH = np.abs(za.Ht - zb.Ht)
        K = dH.shape[0]
        out["WW"] = dH[:, :nW, :nW].reshape(K, -1).max(axis=1)
        out["WB"] = np.maximum(
            dH[:, :nW, nW:].reshape(K, -1).max(axis=1), dH[:, nW:, :nW].reshape(K, -1).max(axis=1)
        )
        out["BB"] = dH[:, nW:, nW:].reshape(K, -1).max(axis=1)
        y = np.maximum(y, np.maximum(out["WW"], np.maximum(out["WB"], out["BB"])))
    out["y"] = y
    return out


def coupled_block_distances(jp, z_a, z_b, n_steps: int, rng=None) -> dict:
    r"""Per-particle block distances along the synchronous coupling of two ensembles.

    Parameters
    ----------
    jp : JointProcess
    z_a, z_b : ParticleState
        The two ensembles (same number of particles K); particle i of ``z_a`` is coupled with
        particle i of ``z_b``: both draw the same input noise and target noise at every step.
    n_steps : int
    rng : Generator, int or None
        Seeds the common noise.

    Returns
    -------
    dict
        ``block -> (n_steps + 1, K)`` array of max-norm distances
        :math:`\|\Delta Z_{t,b}\|_\infty` for block in :data:`COUPLING_BLOCKS` (the H blocks
        only for second-order states), t = 0..n_steps.
    """
    n_steps = positive_int(n_steps, "n_steps")
    if z_a.n_particles != z_b.n_particles:
        raise ValueError(
            f"z_b: expected {z_a.n_particles} particles like z_a, got {z_b.n_particles}"
        )
    seed = as_rng(rng).bit_generator.seed_seq.spawn(1)[0]
    ga, gb = np.random.default_rng(seed), np.random.default_rng(seed)
    rows = [_block_dist(jp, z_a, z_b)]
    for _ in range(n_steps):
        z_a, z_b = jp.step(z_a, ga), jp.step(z_b, gb)
        rows.append(_block_dist(jp, z_a, z_b))
    return {k: np.stack([r[k] for r in rows]) for k in rows[0]}


def example_chain_marginal_w1(chain, xa, xb, *, n_grid: int = 20001) -> np.ndarray:
    r"""Exact W1 of each input coordinate after one step of Example 2.4 from two atom sets.

    From the empirical laws of ``xa`` and ``xb`` (K_a, d), (K_b, d), one step
    :math:`X' = \varphi(X) + \varepsilon`, :math:`\varepsilon\sim U[-a, a]^d`, gives in
    coordinate j a mixture of uniform laws; its CDF is piecewise linear, and
    :math:`W_1 = \int |F_a - F_b|` is integrated by the trapezoid rule on ``n_grid`` points
    (exact up to the rule's error at the kinks, below ``(range / n_grid)^2``).

    Returns
    -------
    ndarray, shape (d,)
    """
    a = float(chain.noise)
    if a <= 0:
        raise ValueError("chain: the exact marginal W1 needs uniform noise of positive width")
    ma, mb = chain.phi(np.asarray(xa, float)), chain.phi(np.asarray(xb, float))
    out = np.empty(ma.shape[1])
    for j in range(ma.shape[1]):
        lo = min(ma[:, j].min(), mb[:, j].min()) - a
        hi = max(ma[:, j].max(), mb[:, j].max()) + a
        t = np.linspace(lo, hi, n_grid)

        def cdf(m, t=t):
            acc = np.zeros_like(t)
            for c in np.array_split(m, max(1, m.size // 256)):
                acc += np.clip((t[None, :] - c[:, None] + a) / (2 * a), 0.0, 1.0).sum(axis=0)
            return acc / m.size

        out[j] = float(np.trapezoid(np.abs(cdf(ma[:, j]) - cdf(mb[:, j])), t))
    return out


@dataclass(frozen=True)
class W1Bracket:
    r"""Bracket of :math:`W_1(\mu P, \nu P)` from two empirical laws (Proposition 3.10).

    Attributes
    ----------
    w1_start : float
        :math:`W_1(\mu, \nu)`, exact (POT, max-norm cost on the flattened Z).
    lower : float
        Exact lower bound: the largest W1 of one input coordinate after one step (the max-norm
        cost dominates every coordinate, and the input step does not depend on y).
    upper : float
        Monte Carlo estimate of an upper bound: the mean cost after one synchronous step along
        the optimal plan of ``w1_start``.
    upper_se : float
        Its standard error (over the K coupled pairs).
    """

    w1_start: float
    lower: float
    upper: float
    upper_se: float


def one_step_w1_bracket(jp, z_a, z_b, rng=None) -> W1Bracket:
    r"""Bracket :math:`W_1(\mu P, \nu P)` for the empirical laws of two ensembles.

    Parameters
    ----------
    jp : JointProcess
        With an Example 2.4 input chain (``phi``, uniform ``noise``).
    z_a, z_b : ParticleState
        K particles each (the atoms of :math:`\mu` and :math:`\nu`).
    rng : Generator, int or None

    Returns
    -------
    W1Bracket
    """
    import ot

    from ._wasserstein import cost_matrix

    K = z_a.n_particles
    if z_b.n_particles != K:
        raise ValueError(f"z_b: expected {K} particles like z_a, got {z_b.n_particles}")
    A, B = jp.flatten(z_a), jp.flatten(z_b)
    M = cost_matrix(A, B)
    w = np.full(K, 1.0 / K)
    plan = ot.emd(w, w, M, numItermax=max(10**6, 20 * K * K))
    w1_0 = float(np.sum(plan * M))
    # the optimal plan of two uniform K-point laws can be taken a permutation (Birkhoff)
    perm = np.argmax(plan, axis=1)
    if np.unique(perm).size != K:  # pragma: no cover - emd returns a vertex of the polytope
        raise RuntimeError("one_step_w1_bracket: the optimal plan is not a permutation")
    zb = z_b.subset(perm)
    zb = replace(zb, t=z_a.t)
    seed = as_rng(rng).bit_generator.seed_seq.spawn(1)[0]
    za1 = jp.step(z_a, np.random.default_rng(seed))
    zb1 = jp.step(zb, np.random.default_rng(seed))
    c = np.abs(jp.flatten(za1) - jp.flatten(zb1)).max(axis=1)
    lower = float(example_chain_marginal_w1(jp.process.chain, z_a.X, z_b.X).max())
    return W1Bracket(w1_0, lower, float(c.mean()), float(c.std(ddof=1) / np.sqrt(K)))


def kr_lower_bound(jp, z_a, z_b, rng=None, *, block: str = "S", alpha: float = 1e-3) -> tuple:
    r"""Statistical lower bound on :math:`W_1(\mu P, \nu P)` by Kantorovich-Rubinstein duality.

    For the max-norm ground cost every coordinate :math:`f(z) = z_k` is 1-Lipschitz, so
    :math:`W_1(\mu P, \nu P) \ge |E_{\mu P} z_k - E_{\nu P} z_k|`. With :math:`\mu, \nu` the
    empirical laws of ``z_a``, ``z_b`` (particle i of each paired), one step with common noise per
    pair gives independent unbiased differences; the bound is
    :math:`\max_k (|\bar d_k| - z_c\, se_k)` with :math:`z_c` the two-sided Bonferroni
    critical value at family level ``alpha`` over the block's coordinates (so it holds with
    probability at least 1 - alpha).

    Returns
    -------
    (lower, k, mean_diff (n,), stderr (n,))
    """
    from scipy.stats import norm

    K = z_a.n_particles
    if z_b.n_particles != K:
        raise ValueError(f"z_b: expected {K} particles like z_a, got {z_b.n_particles}")
    seed = as_rng(rng).bit_generator.seed_seq.spawn(1)[0]
    a1 = jp.flatten(jp.step(z_a, np.random.default_rng(seed)), block)
    b1 = jp.flatten(jp.step(z_b, np.random.default_rng(seed)), block)
    diff = a1 - b1
    m = diff.mean(axis=0)
    se = diff.std(axis=0, ddof=1) / np.sqrt(K)
    zc = float(norm.isf(alpha / (2 * m.size)))
    lb = np.abs(m) - zc * se
    k = int(np.argmax(lb))
    return float(lb[k]), k, m, se
