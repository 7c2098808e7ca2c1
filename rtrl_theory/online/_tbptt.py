r"""TBPTT(tau) as an online estimator with a lagged update.

TBPTT(tau) cuts time into blocks of tau steps; within a block it backpropagates to the block's
start and makes one update at the block's end. Backpropagating the block's losses to its start
is forward accumulation with the sensitivity restarted from zero at the block start:

.. math:: J^{\tau}_{t+1} = D_t J^{\tau}_t + I_t, \qquad J^{\tau}_t = 0 \text{ when } t \equiv 0
          \pmod \tau,

and the block gradient is :math:`\sum_{t\in\text{block}} \tilde G(J^\tau_{t+1})` (the
CONVENTION of ``rtrl_theory.runners._trainer``: the sum of the per-step gradients). This
estimator emits the per-step terms :math:`\tilde G(J^\tau_{t+1})`; their sum over a block equals
BPTT's block gradient (tested against :func:`rtrl_theory.engine.bptt_sequences`), and
:attr:`update_every` = tau tells a trainer to apply them together at the block's end (the lag).
At fixed theta the stationary mean of the per-step terms over whole blocks is TBPTT's expected
gradient per step, whose bias :func:`rtrl_theory.estimators.tbptt_bias` also measures.

Notes
-----
The state held here is the forward-mode :math:`J^\tau` (N P_c floats), not the tau stored
states of a reverse-mode implementation (about tau (N + d) floats); ``memory`` reports what
this implementation holds, and its cost per step is that of exact RTRL.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import positive_int
from rtrl_theory.engine import add_row_local, apply_state_jacobian

from ._base import EstimatorState, OnlineEstimator

__all__ = ["TruncatedBPTT"]


class TruncatedBPTT(OnlineEstimator):
    """TBPTT(tau) through forward accumulation restarted every tau steps (module docstring).

    Parameters
    ----------
    model : RNNModel
    tau : int
        The truncation length.
    """

    unbiased = False

    def __init__(self, model, tau: int) -> None:
        super().__init__(model)
        self.tau = positive_int(tau, "tau")
        self.update_every = self.tau
        self.name = f"tbptt-{self.tau}"

    def initial(self, n_particles: int) -> EstimatorState:
        return EstimatorState({"Jt": np.zeros((n_particles, self.n_cell_params, self.n_state))})

    def advance(self, state, lin, rng=None, *, inplace: bool = False) -> EstimatorState:
        Jt = state.arrays["Jt"]
        if state.t % self.tau == 0:  # a block starts: the truncated sensitivity restarts at 0
            Jt = np.zeros_like(Jt)
        else:
            Jt = np.ascontiguousarray(apply_state_jacobian(lin.state_jac, Jt))
        for term in lin.param_terms:
            add_row_local(Jt, term)
        return EstimatorState({"Jt": Jt}, state.t + 1)

    def cell_gradient(self, state, dS, Y=None) -> np.ndarray:
        return np.matmul(state.arrays["Jt"], dS[:, :, None])[:, :, 0]
