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

from dataclasses import dataclass

import numpy as np

from rtrl_theory.cells._base import IndexedRowLocalTerm

__all__ = ["BPTTResult", "bptt_sequences"]


@dataclass(frozen=True)
class BPTTResult:
    r"""Result of :func:`bptt_sequences`: ``loss`` (K,), ``grad`` (K, P), ``S_T`` (K, N), ``step_losses`` (K, T).

    Unpacks as ``loss, grad, S_T = bptt_sequences(...)`` (``step_losses`` by attribute only).

    Parameters
    ----------
    loss : ndarray, shape (K,)
        :math:`L_T(\theta)` of (1.2) of [P1] per sequence, averaged over the T steps.
    grad : ndarray, shape (K, P)
        :math:`\nabla_\theta L_T` per sequence, (2.22)-(2.23), averaged over T; flat, in the
        order of Notation 2.11.
    S_T : ndarray, shape (K, N)
        The final states.
    step_losses : ndarray, shape (K, T)
        The per-step losses :math:`\tfrac12(Y_t - \alpha\cdot S_{t+1})^2` (or the head's loss).

    See Also
    --------
    SequenceResult : the forward route's result.
    """

    loss: np.ndarray
    grad: np.ndarray
    S_T: np.ndarray
    step_losses: np.ndarray

    def __iter__(self):  # ``loss, grad, S_T = bptt_sequences(...)``
        return iter((self.loss, self.grad, self.S_T))


def bptt_sequences(model, theta, X, Y, *, S0: np.ndarray | None = None):
    r"""Compute the loss and gradient of K sequences by BPTT over the whole sequence.

    The same :math:`L_T` of (1.2) of [P1] and gradient (2.22)-(2.23) as the forward
    recursions, accumulated in reverse mode through the stored states :math:`S_0, \dots, S_T`.

    Parameters
    ----------
    model : RNNModel
    theta : ndarray, shape (P,)
    X : ndarray, shape (K, T, d), or (K, T) of int for a cell with one-hot inputs
    Y : ndarray, shape (K, T)
        Targets (float, or int class labels for a classification head).
    S0 : ndarray, shape (K, N), optional
        Initial state, treated as a constant (default 0).

    Returns
    -------
    BPTTResult
        ``loss`` (K,): :math:`L_T` per chain (mean over the T steps); ``grad`` (K, P);
        ``S_T`` (K, N), the final state (TBPTT carries it to the next block); ``step_losses``
        (K, T). Unpacks as ``loss, grad, S_T``.

    See Also
    --------
    rtrl_sequences : The same gradient by the forward recursions (2.20)-(2.23).
    loss_and_grad : One sequence, either method, on the compiled engine when available.
    """
    cell, head = model.cell, model.head
    K, T = X.shape[:2]
    th, tc = model.split(theta)
    prep = cell.prepare(tc)
    N = cell.n_state
    S = np.empty((T + 1, K, N))
    S[0] = cell.initial_state(K) if S0 is None else S0
    for t in range(T):
        S[t + 1] = cell.step(prep, S[t], X[:, t])

    step_losses = np.empty((K, T))
    g_h = np.zeros((K, th.shape[0]))
    g_c = np.zeros((K, tc.shape[0]))
    lam = np.zeros((K, N))
    for t in range(T - 1, -1, -1):
        hd = head.derivatives(th, S[t + 1], Y[:, t])
        step_losses[:, t] = hd.loss
        g_h += hd.dtheta
        lam += hd.dS
        lin = cell.linearize(prep, S[t], X[:, t])
        for term in lin.param_terms:
            n, R, r0 = term.a.shape[1], term.block_rows, term.row0
            lam_t = lam[:, term.state0 : term.state0 + n]  # the state entries the term drives
            if isinstance(term, IndexedRowLocalTerm):
                # one-hot input: only column j = x_c, at offset + x_c R + row0 + i (distinct per c).
                g_c[np.arange(K)[:, None], term.rows()] += lam_t * term.coefficients()
                continue
            # sum over the neuron i of lam_i a_i u_j w_ij, column-stacked: index j R + row0 + i.
            v = (lam_t * term.a)[:, None, :] * term.u[:, :, None]
            if term.w is not None:
                v = v * term.w.T[None, :, :]
            m = v.shape[1]
            g_c[:, term.offset : term.offset + m * R].reshape(K, m, R)[:, :, r0 : r0 + n] += v
        lam = _vjp_state(lin.state_jac, lam)
    grad = np.concatenate([g_h, g_c], axis=1) / T
    return BPTTResult(step_losses.mean(axis=1), grad, S[T].copy(), step_losses)


def _vjp_state(sj, lam: np.ndarray) -> np.ndarray:
    r""":math:`\lambda^\top \partial S_{t+1}/\partial S_t` with the structured Jacobian."""
    out = np.zeros_like(lam) if sj.diag is None else sj.diag * lam
    for c, m in zip(sj.coefs, sj.mats, strict=True):
        out += (c * lam) @ m
    return out
