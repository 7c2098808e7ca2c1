r"""e-prop (Bellec, Scherr, Subramoney, Hajek, Salaj, Legenstein & Maass 2020, [R-eprop]).

e-prop factorises the gradient into a learning signal and an *eligibility trace* per synapse,

.. math:: \epsilon_{t+1}[p] = \frac{\partial h^{i}_{t+1}}{\partial h^{i}_{t}}\,\epsilon_t[p]
          + \frac{\partial h^{i}_{t+1}}{\partial\theta_p}, \qquad i = i(p),

where :math:`\partial h^i_{t+1}/\partial h^i_t` is the neuron's *own* dynamics (the leak of a
LIF neuron's membrane, the forget gate of an LSTM cell) with the network input held fixed: every
dependence that passes through the recurrent weights, including the self-connection
:math:`W_{ii}`, is dropped (it is what SnAp-1 keeps and e-prop does not). The gradient is
:math:`\tilde G[p] = \epsilon_{t+1}[p]\,\partial_{S^i}\ell` with the exact learning signal
(symmetric e-prop; RFLO replaces it by random feedback).

On the cells of this project the neuron's own dynamics is the *leak* :math:`\lambda_t` (K, N):

=====================  =================================================================
cell                   leak :math:`\lambda_t`
=====================  =================================================================
paper RNN, Elman       0: :math:`S_{t+1} = \phi(\cdot)` forgets :math:`S_t` except through
                       the recurrent weights, so e-prop is the immediate estimator there
GRU                    the update gate :math:`z_t` (:math:`S_{t+1} = z S_t + (1 - z) n`)
linear SDE (7.1)       :math:`1 + \Delta A_{ii}`: the whole recursion is the neuron's linear
                       dynamics; its off-diagonal coupling is dropped
neural SDE (7.6)       :math:`1 - \Delta A_{ii}`: the linear drift, not the :math:`\phi(WS)` term
=====================  =================================================================

(:func:`leak`; other cells: the explicit diagonal ``StateJacobian.diag``, 0 if absent.) Cost
O(P_c) per step, memory P_c floats.

References
----------
.. [R-eprop] G. Bellec et al., "A solution to the learning dilemma for recurrent networks of
   spiking neurons", Nature Communications 11, 3625 (2020), Eqs. (13)-(14).
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.cells import LinearSDECell, NeuralSDECell

from ._diagonal import DiagonalTrace

__all__ = ["EProp", "leak"]


def leak(cell, lin) -> np.ndarray | None:
    r"""Return the neuron's own dynamics :math:`\lambda_t` (K, N) of the table above, or None for 0."""
    sj = lin.state_jac
    if isinstance(cell, LinearSDECell):
        out = np.array(sj.diag, dtype=float, copy=True)
        for c, m in zip(sj.coefs, sj.mats, strict=True):
            out += c * np.diagonal(m)[None, :]
        return out
    if isinstance(cell, NeuralSDECell):  # coefs[0] multiplies A: the linear drift -dt A S
        return sj.diag + sj.coefs[0] * np.diagonal(sj.mats[0])[None, :]
    return None if sj.diag is None else np.array(sj.diag, dtype=float, copy=True)


class EProp(DiagonalTrace):
    r"""e-prop's eligibility traces with the exact learning signal (module docstring).

    :math:`\epsilon_{t+1}[p] = \lambda_t[i(p)]\,\epsilon_t[p] + I_t[i(p), p]` with the neuron's
    own leak :math:`\lambda_t` (the table of the module docstring); the gradient is
    :math:`\epsilon_{t+1}[p]\,\partial_{S^{i(p)}}\ell`, in place of :math:`J_t` in (3.63)-(3.64)
    of [P1]. Cost O(P_c) per step, memory P_c floats.

    Parameters
    ----------
    model : RNNModel
        The model whose cell the estimator follows; its parameter blocks must be row-local on
        the N state rows (every cell of the project: paper RNN, Elman, linear and neural SDE,
        GRU).

    See Also
    --------
    SnAp1 : keeps the whole diagonal of :math:`D_t` (the self-connection too).
    RFLO : the same trace with a random feedback learning signal.
    Immediate : the trace without memory (e-prop on the paper RNN and Elman).
    """

    name = "eprop"

    def decay(self, lin):
        return leak(self.model.cell, lin)
