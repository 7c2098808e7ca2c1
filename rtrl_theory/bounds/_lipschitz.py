r"""Measured one-step Lipschitz constants of the map :math:`y \mapsto y'` on the a-priori box.

Lemmas 3.8-3.9 of [P1] bound the Lipschitz constant, in :math:`y = (S, J, H)` and the max-norm,
of one step of the recursions (2.17), (2.20)-(2.21) and Section 2.4 at fixed data x and
parameters :math:`\theta`, uniformly over the box of Lemmas 3.5 and 3.7 (THEORY.md section 6
gives the six components :math:`\rho_S, \dots, \rho_{BB}`).

On a convex set the Lipschitz constant of a smooth map in the max-norm is the supremum of the
operator norm :math:`\|DF(y)\|_{\infty\to\infty}` (the largest absolute row sum of the Jacobian),
attained along the direction :math:`\mathrm{sign}(\nabla F_i)`. This module estimates it from
below: at sampled points (inputs at :math:`\pm C_x`, random parameters of several scales, states
in the box, many at its corners) the Jacobian is computed by central differences, and the largest
row sum of each output block is recorded. A measured value above a claimed constant refutes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_rng, positive, positive_int
from rtrl_theory.engine import SensitivityState, advance_second_order

from ._apriori import apriori_bounds

__all__ = ["LipschitzEstimate", "one_step_lipschitz", "BLOCKS"]

BLOCKS = ("S", "W", "B", "WW", "WB", "BB")


@dataclass(frozen=True)
class LipschitzEstimate:
    """Largest measured local Lipschitz constant (max-norm) of each output block.

    Measured by :func:`one_step_lipschitz` at random points of the a-priori box, to set beside
    the claimed constants of Lemmas 3.8-3.9 of [P1] (:class:`ContractionConstants`).

    Attributes
    ----------
    values : dict of str to float
        ``values[block]`` for block in ``BLOCKS`` (S, J^W, J^B, H^WW, H^WB, H^BB): the largest
        Jacobian row sum of that output block found (a lower bound on the true constant).
    n_points : int
        Points of the box sampled.
    fd_step : float
        The central-difference step of the Jacobians.
    """

    values: dict
    n_points: int
    fd_step: float


def _sample_points(model, C_x, n, rng, corner_fraction=0.5):
    """States in the box (a fraction at its corners), inputs at +-C_x."""
    N, d = model.n_hidden, model.n_input
    P = model.cell.n_params
    nW = N * d
    b = apriori_bounds(model, C_x)
    S = rng.uniform(0.0, 1.0, (n, N))
    radius_J = np.concatenate([np.full(nW, b.K_W), np.full(P - nW, b.K_B)])
    rJ = radius_J[None, :, None]
    Jt = rng.uniform(-1.0, 1.0, (n, P, N))
    rH = np.empty((P, P))
    rH[:nW, :nW], rH[:nW, nW:], rH[nW:, :nW], rH[nW:, nW:] = b.K_WW, b.K_WB, b.K_WB, b.K_BB
    Ht = rng.uniform(-1.0, 1.0, (n, P, P, N))
    Ht = 0.5 * (Ht + Ht.transpose(0, 2, 1, 3))  # H^k slices are symmetric
    corners = rng.random(n) < corner_fraction
    Jt[corners] = np.sign(Jt[corners])
    Ht[corners] = np.sign(Ht[corners])
    X = C_x * rng.choice([-1.0, 1.0], size=(n, d))
    return X, SensitivityState(S, Jt * rJ, Ht * rH[None, :, :, None])


def _flatten(state: SensitivityState) -> np.ndarray:
    n = state.S.shape[0]
    return np.concatenate([state.S, state.Jt.reshape(n, -1), state.Ht.reshape(n, -1)], axis=1)


def _unflatten(y: np.ndarray, N: int, P: int) -> SensitivityState:
    n = y.shape[0]
    S = y[:, :N]
    Jt = y[:, N : N + P * N].reshape(n, P, N)
    Ht = y[:, N + P * N :].reshape(n, P, P, N)
    return SensitivityState(
        np.ascontiguousarray(S), np.ascontiguousarray(Jt), np.ascontiguousarray(Ht)
    )


def _block_rows(N, d, P):
    """Index arrays of the flattened output y' for each block."""
    nW = N * d
    idx_S = np.arange(N)
    J = np.arange(P * N).reshape(P, N) + N
    H = np.arange(P * P * N).reshape(P, P, N) + N + P * N
    return {
        "S": idx_S,
        "W": J[:nW].ravel(),
        "B": J[nW:].ravel(),
        "WW": H[:nW, :nW].ravel(),
        "WB": H[:nW, nW:].ravel(),
        "BB": H[nW:, nW:].ravel(),
    }


def one_step_lipschitz(
    model,
    C_x: float,
    *,
    n_points: int = 40,
    n_params: int = 4,
    rng=None,
    fd_step: float = 1e-6,
    chunk: int = 4,
) -> LipschitzEstimate:
    r"""Measure the one-step Lipschitz constants in y of a :class:`~rtrl_theory.PaperRNN`.

    Parameters
    ----------
    model : PaperRNN
        Supplies the bounded maps (their constants enter the box radii).
    C_x : float
        Input bound; inputs are drawn at :math:`\pm C_x` (where the forcing terms are largest).
    n_points : int
        Points per parameter draw.
    n_params : int
        Parameter draws (raw-weight scales spread from 0.1 to 5, since the lemmas hold uniformly
        in :math:`\theta`).
    rng : Generator, int or None
    fd_step : float
        Central-difference step; the Jacobian entries are accurate to about ``fd_step^2``.
    chunk : int
        Points differentiated per batch (memory: ``chunk * 2 * dim(y)`` states).

    Returns
    -------
    LipschitzEstimate
    """
    rng = as_rng(rng)
    C_x = positive(C_x, "C_x")
    n_points = positive_int(n_points, "n_points")
    n_params = positive_int(n_params, "n_params")
    h = positive(fd_step, "fd_step")
    cell = model.cell
    N, d, P = model.n_hidden, model.n_input, cell.n_params
    rows = _block_rows(N, d, P)
    best = dict.fromkeys(BLOCKS, 0.0)
    scales = np.geomspace(0.1, 5.0, n_params)
    for scale in scales:
        params = model.init_params(rng, scale=float(scale))
        prep = cell.prepare(model.split(model.flatten(params))[1], second_order=True)
        X, state = _sample_points(model, C_x, n_points, rng)
        Y = _flatten(state)
        dim = Y.shape[1]
        for a in range(0, n_points, chunk):
            y0 = Y[a : a + chunk]
            x0 = X[a : a + chunk]
            m = y0.shape[0]
            # 2 * dim perturbed copies of each point: +h e_j and -h e_j.
            pert = np.repeat(y0[:, None, :], 2 * dim, axis=1)
            j = np.arange(dim)
            pert[:, j, j] += h
            pert[:, dim + j, j] -= h
            xs = np.repeat(x0[:, None, :], 2 * dim, axis=1).reshape(-1, d)
            new, _ = advance_second_order(cell, prep, _unflatten(pert.reshape(-1, dim), N, P), xs)
            out = _flatten(new).reshape(m, 2, dim, -1)
            jac = (out[:, 0] - out[:, 1]) / (2.0 * h)  # (m, dim_in, dim_out)
            row_sums = np.abs(jac).sum(axis=1)  # (m, dim_out): sum over inputs j
            for name, idx in rows.items():
                best[name] = max(best[name], float(row_sums[:, idx].max()))
    return LipschitzEstimate(best, n_points * n_params, h)
