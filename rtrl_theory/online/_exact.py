r"""Exact RTRL as an online estimator: the engine's first-order recursion (2.20)-(2.21) of [P1].

.. math:: J_{t+1} = D_t J_t + I_t, \qquad \tilde G = (\partial_{\theta_h}\ell,\ J_{t+1}^\top\partial_S\ell)

The step is the engine's own (:func:`rtrl_theory.engine.apply_state_jacobian` and
:func:`rtrl_theory.engine.add_row_local`), so this estimator is exact RTRL bit for bit: its
stationary mean is :math:`\nabla L(\theta)` (Theorem 3.16 of [P1]). Cost O(N^2 P_c) per step
(one GEMM over the K particles), memory N P_c floats.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.engine import add_row_local, apply_state_jacobian

from ._base import EstimatorState, OnlineEstimator

__all__ = ["ExactRTRL"]


class ExactRTRL(OnlineEstimator):
    """Exact RTRL, the reference every approximate estimator is measured against.

    Parameters
    ----------
    model : RNNModel
        Any cell of the engine.

    Examples
    --------
    >>> from rtrl_theory import PaperRNN
    >>> ExactRTRL(PaperRNN(3, 2)).memory()  # N P_c = 3 * (6 + 9)
    45
    """

    name = "exact"
    unbiased = True

    def initial(self, n_particles: int) -> EstimatorState:
        return EstimatorState({"Jt": np.zeros((n_particles, self.n_cell_params, self.n_state))})

    def advance(self, state, lin, rng=None, *, inplace: bool = False) -> EstimatorState:
        Jt = apply_state_jacobian(lin.state_jac, state.arrays["Jt"])
        Jt = np.ascontiguousarray(Jt)
        for term in lin.param_terms:
            add_row_local(Jt, term)
        return EstimatorState({"Jt": Jt}, state.t + 1)

    def cell_gradient(self, state, dS, Y=None) -> np.ndarray:
        return np.matmul(state.arrays["Jt"], dS[:, :, None])[:, :, 0]
