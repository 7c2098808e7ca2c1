r"""RFLO, random-feedback local online learning (Murray 2019, [R-RFLO]).

Murray's leaky network :math:`h_{t+1} = (1 - \alpha) h_t + \alpha\,\phi(W h_t + U x_t)` learns
with the local trace

.. math:: P_{t+1}[p] = (1 - \alpha)\, P_t[p] + \alpha\,\phi'(z^i_t)\, \tilde u_{t,j},
          \qquad p = (i, j),

which keeps the leak :math:`1 - \alpha` and drops every term through W, and with a *fixed
random feedback* matrix B in place of the transposed readout: the weight change is
:math:`(B^\top e_t)_i P_{t+1}[p]`, :math:`e_t` the output error. The readout itself learns with
its exact local gradient.

On the cells of this project, RFLO's trace is e-prop's (the leak of
:func:`rtrl_theory.online._eprop.leak`: :math:`z_t` for the GRU, :math:`1\pm\Delta A_{ii}` for the
SDE cells) and the learning signal is :math:`e_t B` with B drawn once, N(0, 1/N) entries, of the
readout's shape:

* squared-error readout :math:`\hat Y = \alpha\cdot S`: :math:`e_t = \hat Y - Y`, B (1, N);
* softmax head :math:`o = VS + c`: :math:`e_t = p - e_{Y}`, B (C, N).

On the paper's RNN (no leak, :math:`S_{t+1} = \sigma(\cdot)` replaces the state), RFLO is the
immediate estimator with random feedback: :math:`\tilde G_{\text{cell}}[p] =
(\hat Y - Y)\,b_{i}\,I_t[i, p]`. With ``feedback="readout"`` it is e-prop.

References
----------
.. [R-RFLO] J. M. Murray, "Local online learning in recurrent networks with random feedback",
   eLife 8:e43299 (2019), Eqs. (9)-(12).
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import as_rng
from rtrl_theory.cells import SoftmaxCrossEntropy, SquaredErrorReadout

from ._diagonal import DiagonalTrace
from ._eprop import leak

__all__ = ["RFLO"]


class RFLO(DiagonalTrace):
    """RFLO (module docstring).

    Parameters
    ----------
    model : RNNModel
        With a :class:`~rtrl_theory.cells.SquaredErrorReadout` or
        :class:`~rtrl_theory.cells.SoftmaxCrossEntropy` head.
    rng : Generator, int or None
        Draws the fixed feedback matrix B.
    feedback : {"random", "readout"}
    """

    name = "rflo"

    def __init__(self, model, rng=None, *, feedback: str = "random") -> None:
        super().__init__(model)
        if feedback not in ("random", "readout"):
            raise ValueError(f"feedback: expected 'random' or 'readout', got {feedback!r}")
        head = model.head
        if not isinstance(head, SquaredErrorReadout | SoftmaxCrossEntropy):
            raise ValueError(
                f"model: RFLO's random feedback needs a squared-error or softmax head, got "
                f"{type(head).__name__}"
            )
        self.feedback = feedback
        N = self.n_state
        n_out = 1 if isinstance(head, SquaredErrorReadout) else head.n_classes
        self.B = as_rng(rng).standard_normal((n_out, N)) / np.sqrt(N)
        self._th = None

    def decay(self, lin):
        return leak(self.model.cell, lin)

    def gradient(self, state, hd, Y=None) -> np.ndarray:
        r""":math:`(\partial_{\theta_h}\ell,\ P_{t+1}[p]\,(e_t B)_{i(p)})`, (K, P)."""
        if self.feedback == "readout":
            return super().gradient(state, hd, Y)
        if Y is None:
            raise ValueError("Y: RFLO's random feedback needs the targets")
        if isinstance(self.model.head, SquaredErrorReadout):
            e = (hd.yhat - np.asarray(Y, dtype=float))[:, None]  # (K, 1)
        else:
            e = np.array(hd.yhat, dtype=float, copy=True)  # p, (K, C)
            e[np.arange(e.shape[0]), np.asarray(Y, dtype=np.intp)] -= 1.0
        signal = e @ self.B  # (K, N)
        K, N = signal.shape
        cell = (state.arrays["j"].reshape(K, -1, N) * signal[:, None, :]).reshape(K, -1)
        return np.concatenate([hd.dtheta, cell], axis=1)
