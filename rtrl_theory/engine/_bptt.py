r"""Backpropagation through time: the reverse-mode gradient of :math:`L_T` for any cell.

With the adjoint :math:`\lambda_t = \partial (T L_T)/\partial S_t`, going backward from
:math:`\lambda_T = \partial_S\ell_{T-1}`,

.. math::

    \lambda_t = \partial_S\ell_{t-1} + \Big(\frac{\partial S_{t+1}}{\partial S_t}\Big)^\top
    \lambda_{t+1}, \qquad
    \nabla_\vartheta (T L_T) = \sum_t \Big(\frac{\partial S_{t+1}}{\partial\vartheta}\Big)^\top
    \lambda_{t+1},

using the same structured cell Jacobians as the forward engine but accumulated in the opposite
order; it is the reverse-mode counterpart of (2.22)-(2.23) of [P1]. Truncated BPTT (TBPTT) runs this
on blocks of :math:`\tau` steps starting from a carried state with zero sensitivity.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bptt_sequences"]


def bptt_sequences(model, theta, X, Y, *, S0: np.ndarray | None = None):
    r"""Loss and gradient of K sequences by BPTT over the whole sequence.

    Parameters
    ----------
    model : RNNModel
    theta : ndarray, shape (P,)
    X : ndarray, shape (K, T, d)
    Y : ndarray, shape (K, T)
    S0 : ndarray, shape (K, N), optional
        Initial state, treated as a constant (default 0).

    Returns
    -------
    loss : ndarray, shape (K,)
        :math:`L_T` per chain (mean over the T steps).
    grad : ndarray, shape (K, P)
    S_T : ndarray, shape (K, N)
        Final state (TBPTT carries it to the next block).
    """
    cell, head = model.cell, model.head
    K, T, _ = X.shape
    th, tc = model.split(theta)
    prep = cell.prepare(tc)
    N = cell.n_state
    S = np.empty((T + 1, K, N))
    S[0] = cell.initial_state(K) if S0 is None else S0
    for t in range(T):
        S[t + 1] = cell.step(prep, S[t], X[:, t])

    loss = np.zeros(K)
    g_h = np.zeros((K, th.shape[0]))
    g_c = np.zeros((K, tc.shape[0]))
    lam = np.zeros((K, N))
    for t in range(T - 1, -1, -1):
        hd = head.derivatives(th, S[t + 1], Y[:, t])
        loss += hd.loss
        g_h += hd.dtheta
        lam += hd.dS
        lin = cell.linearize(prep, S[t], X[:, t])
        for term in lin.param_terms:
            # sum over the neuron i of lam_i a_i u_j w_ij, column-stacked: index j N + i.
            v = (lam * term.a)[:, None, :] * term.u[:, :, None]
            if term.w is not None:
                v = v * term.w.T[None, :, :]
            g_c[:, term.offset : term.offset + v.shape[1] * N] += v.reshape(K, -1)
        lam = _vjp_state(lin.state_jac, lam)
    grad = np.concatenate([g_h, g_c], axis=1) / T
    return loss / T, grad, S[T].copy()


def _vjp_state(sj, lam: np.ndarray) -> np.ndarray:
    r""":math:`\lambda^\top \partial S_{t+1}/\partial S_t` with the structured Jacobian."""
    out = np.zeros_like(lam) if sj.diag is None else sj.diag * lam
    for c, m in zip(sj.coefs, sj.mats, strict=True):
        out += (c * lam) @ m
    return out
