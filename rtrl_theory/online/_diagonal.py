r"""Shared machinery of the estimators that keep only :math:`\tilde J[i(p), p]`.

SnAp-1, e-prop, RFLO and the immediate estimator all keep, for each cell parameter p, one number:
its influence on the neuron :math:`i(p)` it acts on (the pattern of the immediate Jacobian), and
advance it by a per-neuron decay :math:`\gamma_t` (K, N):

.. math:: \tilde j_{t+1}[p] = \gamma_t[i(p)]\,\tilde j_t[p] + I_t[i(p), p], \qquad
          \tilde G_{\text{cell}}[p] = \tilde j_{t+1}[p]\; e_t[i(p)],

where :math:`e_t = \partial_S\ell` (or a random-feedback replacement, RFLO). They differ only in
:math:`\gamma_t` and :math:`e_t`. Cost O(P_c + N R) per particle and step, memory P_c floats.
"""

from __future__ import annotations

import numpy as np

from ._base import EstimatorState, OnlineEstimator, immediate_diagonal

__all__ = ["DiagonalTrace"]


class DiagonalTrace(OnlineEstimator):
    """Base of the one-number-per-parameter estimators; subclasses define :meth:`decay`."""

    def decay(self, lin) -> np.ndarray | None:
        r"""The per-neuron decay :math:`\gamma_t`, (K, N), or None for 0."""
        raise NotImplementedError

    def initial(self, n_particles: int) -> EstimatorState:
        return EstimatorState({"j": np.zeros((n_particles, self.n_cell_params))})

    def advance(self, state, lin, rng=None) -> EstimatorState:
        j = state.arrays["j"]
        K = j.shape[0]
        imm = immediate_diagonal(lin.param_terms, K, self.n_cell_params, self.n_state)
        gamma = self.decay(lin)
        if gamma is not None:
            imm += gamma[:, self.rows] * j
        return EstimatorState({"j": imm}, state.t + 1)

    def error_signal(self, dS, Y):
        r""":math:`e_t`, (K, N): :math:`\partial_S\ell` unless overridden (RFLO)."""
        return dS

    def cell_gradient(self, state, dS, Y=None) -> np.ndarray:
        e = self.error_signal(dS, Y)
        return state.arrays["j"] * e[:, self.rows]
