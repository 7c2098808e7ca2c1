r"""Exact loss, gradient and Hessian of :math:`L_T` by forward accumulation (RTRL), K chains at once.

.. math::

    L_T(\theta) = \frac1T\sum_{t=0}^{T-1} \ell(\theta_h, S_{t+1}, Y_t), \qquad
    \nabla_\vartheta L_T = \frac1T\sum_t J_{t+1}^\top\, \partial_S\ell,

(2.22)-(2.23) of [P1] with the array time index of THEORY.md section 2, and the Hessian (3.56)-(3.57)

.. math::

    \nabla^2_{\vartheta\vartheta} L_T = \frac1T\sum_t \Big( J^\top \partial^2_{SS}\ell\, J
        + \sum_k \partial_{S^k}\ell\; H^k \Big),\quad
    \nabla^2_{\theta_h\vartheta} L_T = \frac1T\sum_t \partial^2_{\theta_h S}\ell\, J .

For the paper's head :math:`\ell = \tfrac12(\alpha\cdot S - Y)^2` these are exactly
:math:`\frac1T\sum_t[\nabla\hat Y\nabla\hat Y^\top + (\hat Y - Y)\nabla^2\hat Y]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._forward import (
    SensitivityState,
    advance_first_order,
    advance_second_order,
    initial_sensitivities,
)

__all__ = ["SequenceResult", "rtrl_sequences"]


@dataclass(frozen=True)
class SequenceResult:
    r"""Per-chain results of :func:`rtrl_sequences` over a sequence.

    Parameters
    ----------
    loss : ndarray, shape (K,)
        :math:`L_T(\theta)` of (1.2) of [P1] per chain, averaged over the T steps.
    grad : ndarray, shape (K, P)
        :math:`\nabla_\theta L_T` per chain by the forward sensitivities, (2.20)-(2.23); flat,
        in the order of Notation 2.11.
    hess : ndarray, shape (K, P, P), or None
        :math:`\nabla^2_\theta L_T` per chain, (3.56), for ``order=2``; None for ``order=1``.
    state : SensitivityState
        The final state: ``S`` (K, N), ``Jt`` (K, P_c, N) and ``Ht`` or None, from which a
        later call can continue (``state=``).

    See Also
    --------
    BPTTResult : the reverse route's result.
    """

    loss: np.ndarray
    grad: np.ndarray
    hess: np.ndarray | None
    state: SensitivityState


def rtrl_sequences(model, theta, X, Y, *, order: int = 1, state=None) -> SequenceResult:
    r"""Run the forward recursions over K sequences sharing :math:`\theta` (NumPy reference path).

    Parameters
    ----------
    model : RNNModel
    theta : ndarray, shape (P,)
        Flat parameters ``(theta_head, theta_cell)``.
    X : ndarray, shape (K, T, d), or (K, T) of int for a cell with one-hot inputs
    Y : ndarray, shape (K, T)
        Targets (float, or int class labels for a classification head).
    order : {1, 2}
        2 also runs the second-order recursion and returns the Hessian.
    state : SensitivityState, optional
        Starting state (default: S_0 = 0 and zero derivatives).

    Returns
    -------
    SequenceResult
        Losses, gradients and Hessians are averages over the T steps (the :math:`1/T` of (1.2)):
        ``loss`` (K,), ``grad`` (K, P) by (2.22)-(2.23), ``hess`` (K, P, P) by (3.56)-(3.57)
        when ``order=2`` (else None), and the final :class:`SensitivityState`.

    See Also
    --------
    bptt_sequences : The same loss and gradient by reverse mode.
    loss_and_grad : One sequence, either method, on the compiled engine when available.
    advance_first_order : One step of the first-order recursion (2.20)-(2.21).
    """
    if order not in (1, 2):
        raise ValueError(f"order: expected 1 or 2, got {order!r}")
    cell, head = model.cell, model.head
    if order == 2 and not cell.has_second_order:
        raise ValueError(f"order: {type(cell).__name__} has no second-order recursion")
    K, T = X.shape[:2]
    th, tc = model.split(theta)
    if order == 2:
        prep = cell.prepare(tc, second_order=True)
    else:
        prep = cell.prepare(tc)
    st = initial_sensitivities(cell, K, order=order) if state is None else state
    Ph, Pc = th.shape[0], tc.shape[0]
    loss = np.zeros(K)
    g_h = np.zeros((K, Ph))
    g_c = np.zeros((K, Pc))
    if order == 2:
        h_hh = np.zeros((K, Ph, Ph))
        h_hc = np.zeros((K, Ph, Pc))
        h_cc = np.zeros((K, Pc, Pc))
    for t in range(T):
        if order == 1:
            st, _ = advance_first_order(cell, prep, st, X[:, t])
        else:
            st, _ = advance_second_order(cell, prep, st, X[:, t])
        hd = head.derivatives(th, st.S, Y[:, t], order=order)
        loss += hd.loss
        g_h += hd.dtheta
        g_c += np.matmul(st.Jt, hd.dS[:, :, None])[:, :, 0]
        if order == 2:
            JtT = st.Jt.transpose(0, 2, 1)
            h_cc += np.matmul(np.matmul(st.Jt, hd.dSS), JtT)
            h_cc += np.matmul(st.Ht.reshape(K, Pc * Pc, -1), hd.dS[:, :, None]).reshape(K, Pc, Pc)
            h_hc += np.matmul(hd.dthetaS, JtT)
            h_hh += hd.dthetatheta
    grad = np.concatenate([g_h, g_c], axis=1) / T
    hess = None
    if order == 2:
        hess = np.empty((K, Ph + Pc, Ph + Pc))
        hess[:, :Ph, :Ph] = h_hh
        hess[:, :Ph, Ph:] = h_hc
        hess[:, Ph:, :Ph] = h_hc.transpose(0, 2, 1)
        hess[:, Ph:, Ph:] = h_cc
        hess /= T
    return SequenceResult(loss / T, grad, hess, st)
