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

from ._base import EstimatorState, OnlineEstimator, write_immediate

__all__ = ["DiagonalTrace"]


class DiagonalTrace(OnlineEstimator):
    """Base of the one-number-per-parameter estimators; subclasses define :meth:`decay`."""

    def decay(self, lin) -> np.ndarray | None:
        r"""Return the per-neuron decay :math:`\gamma_t`, (K, N), or None for 0."""
        raise NotImplementedError

    def initial(self, n_particles: int) -> EstimatorState:
        return EstimatorState({"j": np.zeros((n_particles, self.n_cell_params))})

    def advance(self, state, lin, rng=None, *, inplace: bool = False) -> EstimatorState:
        """One step; ``inplace=True`` reuses ``state``'s array (no K P_c allocation)."""
        j = state.arrays["j"]
        K = j.shape[0]
        N = self.n_state
        gamma = self.decay(lin)
        if gamma is None:
            out = j if inplace else np.empty_like(j)
            return EstimatorState({"j": write_immediate(out, lin.param_terms, N)}, state.t + 1)
        # i(p) = p mod N: on the (K, P_c / N, N) view the decay broadcasts over the last axis.
        imm = write_immediate(self._scratch(K), lin.param_terms, N)
        out = j if inplace else np.empty_like(j)
        np.multiply(j.reshape(K, -1, N), gamma[:, None, :], out=out.reshape(K, -1, N))
        out += imm
        return EstimatorState({"j": out}, state.t + 1)

    def _scratch(self, K: int) -> np.ndarray:
        buf = getattr(self, "_buf", None)
        if buf is None or buf.shape[0] != K:
            buf = self._buf = np.empty((K, self.n_cell_params))
        return buf

    def error_signal(self, dS, Y):
        r""":math:`e_t`, (K, N): :math:`\partial_S\ell` unless overridden (RFLO)."""
        return dS

    def cell_gradient(self, state, dS, Y=None) -> np.ndarray:
        e = self.error_signal(dS, Y)
        j = state.arrays["j"]
        K, N = e.shape
        return (j.reshape(K, -1, N) * e[:, None, :]).reshape(K, -1)
