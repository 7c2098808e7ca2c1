r"""The immediate estimator: the sensitivity is the immediate term alone.

.. math:: \tilde J_{t+1} = I_t = \partial S_{t+1}/\partial\vartheta \text{ at fixed } S_t,

i.e. TBPTT(1), or RTRL with :math:`D_t` set to 0: no memory of earlier steps. Its stationary
bias is :math:`E_\pi[(D_t J_t)^\top\partial_S\ell]`, the whole contribution of the past. Cost
O(P_c), memory P_c floats (the diagonal entries :math:`I_t[i(p), p]`).
"""

from __future__ import annotations

from ._diagonal import DiagonalTrace

__all__ = ["Immediate"]


class Immediate(DiagonalTrace):
    r"""Immediate term only (module docstring): :math:`\tilde J_{t+1} = I_t`, TBPTT(1).

    Parameters
    ----------
    model : RNNModel
        The model whose cell the estimator follows; its parameter blocks must be row-local on
        the N state rows (every cell of the project: paper RNN, Elman, linear and neural SDE,
        GRU).

    See Also
    --------
    TruncatedBPTT : TBPTT(tau), which keeps tau - 1 steps of the past.
    EProp : adds the neuron's own leak.
    """

    name = "immediate"

    def decay(self, lin):
        return None
