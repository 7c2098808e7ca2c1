r"""Adversarial search for the one-step Lipschitz constants in y of Lemmas 3.8-3.9 of [P1].

:func:`~rtrl_theory.bounds.one_step_lipschitz` measures the Lipschitz constant of the map
:math:`y = (S, J, H) \mapsto y'` ((2.17), (2.20)-(2.21), Section 2.4) at random points of the
a-priori box; random points rarely come near the worst case (the measured ratios to the claimed
constants of THEORY.md section 6 are 0.1-0.6), so a claimed constant that is too small by a factor
of two can pass. This module *searches* for the worst case.

What is maximised. For a smooth map on a convex set, the max-norm Lipschitz constant of output
block b is :math:`\sup_y \max_{i\in b} \sum_j |\partial F_i/\partial y_j|` (the largest absolute
row sum of the Jacobian; it is attained by the pair :math:`y, y + \delta\,\mathrm{sign}(\nabla F_i)`
as :math:`\delta\to0`). The search runs over everything the constants are claimed uniform in:
the raw cell parameters :math:`\vartheta = (W, B)` in :math:`[-R, R]` (R = 10 saturates both
bounded maps to within 1e-4), the consumed input :math:`x\in[-C_x, C_x]^d`, and the state
:math:`S\in[0,1]^N`, :math:`J`, :math:`H` (symmetric slices) in the box of Lemmas 3.5 and 3.7.

How. The Jacobian is taken by central differences of the engine's own step (the compiled particle
kernel when available, else :func:`~rtrl_theory.engine.advance_second_order`), compressed by a
column colouring (Curtis-Powell-Reid): the sparsity pattern of the Jacobian is *measured* (union
of the exact-zero patterns of two full difference Jacobians at random points, where an output that
a column does not reach is bitwise unchanged), and columns that reach disjoint rows are perturbed
together. The search itself, seeded:

1. random search: ``n_random`` points (half with J and H at box corners, raw weights at mixed
   scales); every point gives all six blocks at once;
2. restarts + local ascent: for each block the ``n_restarts`` best points are improved by a
   (1+1) evolution strategy (sparse Gaussian moves of a random subset of coordinates, step halved
   on failure and enlarged on success, projection onto the box) for ``n_ascent`` rounds.

The result is a LOWER bound on each true Lipschitz constant: any value above a claimed constant
refutes the claim (up to the difference error, about ``fd_step^2`` relative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_rng, positive, positive_int

from ._apriori import apriori_bounds
from ._lipschitz import BLOCKS, _block_rows

__all__ = ["AdversarialLipschitz", "adversarial_lipschitz", "input_lipschitz_constant"]

#: Range of the raw cell parameters searched: tanh(10) and 2 sigma(10) - 1 are within 1e-4 of 1.
RAW_RANGE = 10.0


def input_lipschitz_constant(model) -> float:
    r"""Max-norm Lipschitz constant in the consumed input x of :math:`S' = \sigma(f(B) S + g(W) x)`.

    :math:`\max_k \sigma'(z_k) \sum_j |g(W_{kj})| \le d\, C_g / 4` (THEORY.md section 9 item 1,
    note-9.1): it does not shrink with f, so rho < 1 does not make the joint map contract in x.

    Parameters
    ----------
    model : PaperRNN
        Supplies d (``n_input``) and the sup-norm C_g of the bounded map g of (2.17).

    Returns
    -------
    float
        The bound :math:`d\, C_g/4`, attained as :math:`W` saturates g and :math:`z_k \to 0`.

    See Also
    --------
    adversarial_lipschitz : the constants in y = (S, J, H), searched for.
    rtrl_theory.bounds.contraction_constants : the claimed constants in y (Assumption 2.10).
    """
    return model.n_input * model.constants()["C_g"] / 4.0


@dataclass(frozen=True)
class AdversarialLipschitz:
    """Largest one-step Lipschitz constant (max-norm) found per output block.

    Attributes
    ----------
    values : dict
        ``values[block]`` for block in ``BLOCKS`` (S, W, B, WW, WB, BB): the largest Jacobian
        row sum of that output block found (a lower bound on the Lipschitz constant).
    random_values : dict
        The same after the random phase only (before the ascent): what plain sampling finds.
    argmax : dict
        ``argmax[block] = (theta_cell_raw (P_c,), x (d,), y (dim_y,))`` of the best point.
    n_evaluations : int
        Jacobians evaluated.
    n_colors : int
        Column groups of the compressed difference Jacobian (``dim_y`` without compression).
    dim_y : int
    fd_step : float
    """

    values: dict
    random_values: dict
    argmax: dict
    n_evaluations: int
    n_colors: int
    dim_y: int
    fd_step: float


class _Problem:
    """One model: box radii, Jacobian evaluation, projection of search points."""

    def __init__(self, model, C_x, fd_step, rng):
        from rtrl_theory.engine import numba_available
        from rtrl_theory.engine._numba_particles import particles_fast_supported

        self.model = model
        self.cell = model.cell
        self.N, self.d, self.P = model.n_hidden, model.n_input, model.cell.n_params
        self.C_x = C_x
        self.h = fd_step
        N, P, d = self.N, self.P, self.d
        self.nJ, self.nH = P * N, P * P * N
        self.dim = N + self.nJ + self.nH
        self.fast = numba_available() and particles_fast_supported(model)
        b = apriori_bounds(model, C_x)
        nW = N * d
        rJ = np.concatenate([np.full(nW, b.K_W), np.full(P - nW, b.K_B)])
        rH = np.empty((P, P))
        rH[:nW, :nW], rH[nW:, nW:] = b.K_WW, b.K_BB
        rH[:nW, nW:] = rH[nW:, :nW] = b.K_WB
        # radius of every coordinate of y (engine layout Jt[p, k], Ht[p, q, k])
        self.radius = np.concatenate([np.full(N, 0.5), np.repeat(rJ, N), np.repeat(rH.ravel(), N)])
        self.center = np.concatenate([np.full(N, 0.5), np.zeros(self.nJ + self.nH)])
        self.rows = _block_rows(N, d, P)
        self.colors = self._coloring(rng)

    # -- the step on flattened states, for one parameter vector --------------------------
    def _advance(self, prep, Y, x):
        N, P = self.N, self.P
        K = Y.shape[0]
        S = np.ascontiguousarray(Y[:, :N])
        Jt = np.ascontiguousarray(Y[:, N : N + self.nJ]).reshape(K, P, N)
        Ht = np.ascontiguousarray(Y[:, N + self.nJ :]).reshape(K, P, P, N)
        X = np.broadcast_to(x, (K, self.d))
        if self.fast:
            from rtrl_theory.engine._numba_particles import advance_particles_fast

            X = np.ascontiguousarray(X)
            advance_particles_fast(
                prep,
                S,
                Jt,
                X,
                Ht,
                state_start=self.cell.state_cols.start,
                activation=self.cell.activation.name,
            )
        else:
            from rtrl_theory.engine import SensitivityState, advance_second_order

            new, _ = advance_second_order(self.cell, prep, SensitivityState(S, Jt, Ht), X)
            S, Jt, Ht = new.S, new.Jt, new.Ht
        return np.concatenate([S, Jt.reshape(K, -1), Ht.reshape(K, -1)], axis=1)

    def _prep(self, theta):
        return self.cell.prepare(theta, second_order=True)

    def full_jacobian(self, theta, x, y):
        """Central-difference Jacobian (dim_out, dim_in) without compression."""
        prep = self._prep(theta)
        n = self.dim
        pert = np.repeat(y[None, :], 2 * n, axis=0)
        j = np.arange(n)
        pert[j, j] += self.h
        pert[n + j, j] -= self.h
        out = self._advance(prep, pert, x)
        return ((out[:n] - out[n:]) / (2.0 * self.h)).T

    def _coloring(self, rng):
        pattern = np.zeros((self.dim, self.dim), dtype=bool)
        for _ in range(2):
            theta, x, y = self.random_points(1, rng)
            pattern |= self.full_jacobian(theta[0], x[0], y[0]) != 0.0
        # greedy colouring of the columns: a column joins the first group whose rows it misses
        colors, used = [], []
        for c in range(self.dim):
            rows_c = pattern[:, c]
            for g, u in enumerate(used):
                if not (u & rows_c).any():
                    colors[g].append(c)
                    u |= rows_c
                    break
            else:
                colors.append([c])
                used.append(rows_c.copy())
        self.pattern = pattern
        groups = [np.asarray(g) for g in colors]
        # rows reached by each group (each reached row is reached by exactly one column of it)
        self.reach = np.stack([pattern[:, g].any(axis=1) for g in groups])
        return groups

    def _compressed(self, theta, x, y):
        prep = self._prep(theta)
        G = len(self.colors)
        pert = np.repeat(y[None, :], 2 * G, axis=0)
        for g, cols in enumerate(self.colors):
            pert[g, cols] += self.h
            pert[G + g, cols] -= self.h
        out = self._advance(prep, pert, x)
        return (out[:G] - out[G:]) / (2.0 * self.h)  # (G, dim_out)

    def jacobian(self, theta, x, y):
        """Compressed central-difference Jacobian (dim_out, dim_in)."""
        diff = self._compressed(theta, x, y)
        jac = np.zeros((self.dim, self.dim))
        for g, cols in enumerate(self.colors):
            sub = self.pattern[:, cols]  # (dim_out, |cols|): at most one True per row
            r, k = np.nonzero(sub)
            jac[r, cols[k]] = diff[g, r]
        return jac

    def block_values(self, theta, x, y):
        rs = (np.abs(self._compressed(theta, x, y)) * self.reach).sum(axis=0)
        return {b: float(rs[idx].max()) for b, idx in self.rows.items()}

    # -- search points -------------------------------------------------------------------
    def project(self, theta, x, y):
        theta = np.clip(theta, -RAW_RANGE, RAW_RANGE)
        x = np.clip(x, -self.C_x, self.C_x)
        y = np.clip(y, self.center - self.radius, self.center + self.radius)
        # symmetric H slices (the box of Lemma 3.7 holds symmetric second derivatives)
        N, P, K = self.N, self.P, y.shape[0]
        H = y[:, N + self.nJ :].reshape(K, P, P, N)
        y[:, N + self.nJ :] = (0.5 * (H + H.transpose(0, 2, 1, 3))).reshape(K, -1)
        return theta, x, y

    def random_points(self, n, rng):
        scales = np.exp(rng.uniform(np.log(0.1), np.log(RAW_RANGE), (n, 1)))
        theta = rng.standard_normal((n, self.P)) * scales
        x = self.C_x * np.where(
            rng.random((n, 1)) < 0.5,
            rng.choice([-1.0, 1.0], (n, self.d)),
            rng.uniform(-1, 1, (n, self.d)),
        )
        u = rng.uniform(-1, 1, (n, self.dim))
        corners = rng.random(n) < 0.5
        u[corners, self.N :] = np.sign(u[corners, self.N :])
        y = self.center + u * self.radius
        return self.project(theta, x, y)


def adversarial_lipschitz(
    model,
    C_x: float,
    *,
    n_random: int = 64,
    n_restarts: int = 4,
    n_ascent: int = 40,
    rng=None,
    fd_step: float = 1e-6,
) -> AdversarialLipschitz:
    r"""Search for the largest one-step Lipschitz constant in y of each block (Lemmas 3.8-3.9).

    Parameters
    ----------
    model : PaperRNN
        Its bounded maps and N C_f < 4 fix the box (Lemmas 3.5, 3.7).
    C_x : float
        Input bound: the consumed input ranges over :math:`[-C_x, C_x]^d`.
    n_random : int
        Points of the random phase.
    n_restarts : int
        Best random points improved by local ascent, per block.
    n_ascent : int
        Rounds of the (1+1) evolution strategy per restart.
    rng : Generator, int or None
    fd_step : float
        Central-difference step (entries accurate to about ``fd_step^2`` relative).

    Returns
    -------
    AdversarialLipschitz
        Lower bounds on the six Lipschitz constants of THEORY.md section 6.

    Raises
    ------
    ValueError
        For a non-positive C_x or counts, or N C_f >= 4 (no box).
    """
    C_x = positive(C_x, "C_x")
    n_random = positive_int(n_random, "n_random")
    n_restarts = positive_int(n_restarts, "n_restarts")
    n_ascent = int(n_ascent)
    if n_ascent < 0:
        raise ValueError(f"n_ascent: expected a non-negative integer, got {n_ascent}")
    h = positive(fd_step, "fd_step")
    if not getattr(model.cell, "has_second_order", False):
        raise ValueError("model: the search needs a cell with a second-order recursion")
    rng = as_rng(rng)
    prob = _Problem(model, C_x, h, rng)
    theta, x, y = prob.random_points(n_random, rng)
    vals = [prob.block_values(theta[i], x[i], y[i]) for i in range(n_random)]
    n_eval = n_random + 2
    best, argmax, random_best = {}, {}, {}
    for b in BLOCKS:
        v = np.array([r[b] for r in vals])
        order = np.argsort(v)[::-1][: min(n_restarts, n_random)]
        random_best[b] = float(v[order[0]])
        top_v, top_p = float(v[order[0]]), (theta[order[0]], x[order[0]], y[order[0]])
        for i in order:
            cur = (theta[i].copy(), x[i].copy(), y[i].copy())
            cur_v = float(v[i])
            step = 0.3
            for _ in range(n_ascent):
                t_new, x_new, y_new = (a.copy() for a in cur)
                if rng.random() < 0.5:
                    # move the low-dimensional part: raw weights, input, S (each coordinate w.p. 1/2)
                    m = rng.random(prob.P) < 0.5
                    t_new[m] += step * RAW_RANGE * rng.standard_normal(int(m.sum()))
                    m = rng.random(prob.d) < 0.5
                    x_new[m] += step * C_x * rng.standard_normal(int(m.sum()))
                    m = np.zeros(prob.dim, dtype=bool)
                    m[: prob.N] = rng.random(prob.N) < 0.5
                else:
                    # sparse move of the sensitivities J, H (about 8 coordinates)
                    m = rng.random(prob.dim) < min(1.0, 8.0 / (prob.dim - prob.N))
                    m[: prob.N] = False
                y_new[m] += step * prob.radius[m] * rng.standard_normal(int(m.sum()))
                tp, xp, yp = prob.project(t_new[None], x_new[None], y_new[None])
                nv = prob.block_values(tp[0], xp[0], yp[0])[b]
                n_eval += 1
                if nv > cur_v:
                    cur, cur_v = (tp[0], xp[0], yp[0]), nv
                    step = min(1.0, step * 1.5)
                else:
                    step = max(1e-3, step * 0.85)
            if cur_v > top_v:
                top_v, top_p = cur_v, cur
        best[b], argmax[b] = top_v, top_p
    return AdversarialLipschitz(best, random_best, argmax, n_eval, len(prob.colors), prob.dim, h)
