r"""Heads: the map from the hidden state to a prediction and the per-step loss.

[P1]'s head is the linear readout :math:`\hat Y = \alpha \cdot S` with squared error
:math:`\ell = \tfrac12 (Y - \hat Y)^2` ((1.2), (2.18)). A head returns, for K chains at once, the
loss and its derivatives in the state and in its own parameters, to first or second order: the
engine chains them with the state sensitivities J, H ((2.22)-(2.23), (3.56)-(3.57)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HeadDerivatives", "SquaredErrorReadout", "StateSliceHead"]


@dataclass(frozen=True)
class HeadDerivatives:
    """Per-chain loss and derivatives of a head at one step.

    ``loss``, ``yhat``: (K,); ``dS``: (K, N); ``dtheta``: (K, P_h). Second order (or None):
    ``dSS`` (K, N, N), ``dthetaS`` (K, P_h, N), ``dthetatheta`` (K, P_h, P_h).
    """

    loss: np.ndarray
    yhat: np.ndarray
    dS: np.ndarray
    dtheta: np.ndarray
    dSS: np.ndarray | None = None
    dthetaS: np.ndarray | None = None
    dthetatheta: np.ndarray | None = None


class SquaredErrorReadout:
    r"""Linear readout :math:`\hat Y = \alpha\cdot S` with loss :math:`\tfrac12(Y - \hat Y)^2`.

    Parameters are :math:`\alpha\in\mathbb R^N`. Derivatives, with :math:`r = \hat Y - Y`:
    :math:`\partial_S\ell = r\alpha`, :math:`\partial_\alpha\ell = rS`,
    :math:`\partial^2_{SS}\ell = \alpha\alpha^\top`,
    :math:`\partial^2_{\alpha S}\ell = S\alpha^\top + r I`,
    :math:`\partial^2_{\alpha\alpha}\ell = SS^\top`. The readout (2.18) and loss (2.23) of [P1].

    Parameters
    ----------
    n_state : int
        N, the width of the state it reads (its parameter count too).

    See Also
    --------
    PaperRNN : the model (2.17)-(2.19) built on this head.
    """

    names = ("alpha",)

    def __init__(self, n_state: int) -> None:
        self.n_state = int(n_state)
        self.n_params = self.n_state

    def predict(self, theta_h: np.ndarray, S: np.ndarray) -> np.ndarray:
        return S @ theta_h

    def derivatives(self, theta_h, S, y, *, order: int = 1) -> HeadDerivatives:
        alpha = theta_h
        yhat = S @ alpha
        r = yhat - y
        loss = 0.5 * r * r
        dS = r[:, None] * alpha[None, :]
        dtheta = r[:, None] * S
        if order == 1:
            return HeadDerivatives(loss, yhat, dS, dtheta)
        K, N = S.shape
        dSS = np.broadcast_to(np.outer(alpha, alpha), (K, N, N))
        dthetaS = S[:, :, None] * alpha[None, None, :] + r[:, None, None] * np.eye(N)[None]
        dthetatheta = S[:, :, None] * S[:, None, :]
        return HeadDerivatives(loss, yhat, dS, dtheta, dSS, dthetaS, dthetatheta)


class StateSliceHead:
    r"""A head that reads only the first ``n_out`` entries of a multi-part state.

    For a cell whose engine state stacks parts, :math:`S = (h, c)` for the LSTM, the readout acts
    on :math:`h = S_{:n_{out}}`: ``predict``/``loss`` pass that slice to ``inner``, and the state
    derivatives are padded with zeros on the other parts (:math:`\partial\ell/\partial c = 0`),
    so the engine's :math:`J^\top\partial_S\ell` (2.22)-(2.23) is unchanged in form.

    Parameters
    ----------
    inner : head
        :class:`SquaredErrorReadout` or :class:`~rtrl_theory.cells.SoftmaxCrossEntropy` of width
        ``n_out``.
    n_state : int
        The full state width (2N for the LSTM).
    """

    def __init__(self, inner, n_state: int) -> None:
        self.inner = inner
        self.n_out = int(inner.n_state)
        self.n_state = int(n_state)
        if not 0 < self.n_out <= self.n_state:
            raise ValueError(f"n_state: expected >= {self.n_out} (the head's width), got {n_state}")
        self.n_params = inner.n_params
        self.names = getattr(inner, "names", ())
        for attr in ("n_classes",):
            if hasattr(inner, attr):
                setattr(self, attr, getattr(inner, attr))

    def __repr__(self) -> str:
        return f"StateSliceHead({self.inner!r}, n_state={self.n_state})"

    def __getattr__(self, name):
        # unpack, pack, logits, ... of the inner head (called with theta_h only or with h)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def predict(self, theta_h, S):
        return self.inner.predict(theta_h, S[..., : self.n_out])

    def loss(self, theta_h, S, y):
        r"""Per-chain loss; :math:`\tfrac12(\hat Y - Y)^2` for a readout without a loss method."""
        h = S[..., : self.n_out]
        if callable(getattr(self.inner, "loss", None)):
            return self.inner.loss(theta_h, h, y)
        r = self.inner.predict(theta_h, h) - y
        return 0.5 * r * r

    def derivatives(self, theta_h, S, y, *, order: int = 1) -> HeadDerivatives:
        n, Ns = self.n_out, self.n_state
        hd = self.inner.derivatives(theta_h, S[:, :n], y, order=order)
        K = S.shape[0]
        dS = np.zeros((K, Ns))
        dS[:, :n] = hd.dS
        if order == 1:
            return HeadDerivatives(hd.loss, hd.yhat, dS, hd.dtheta)
        dSS = np.zeros((K, Ns, Ns))
        dSS[:, :n, :n] = hd.dSS
        dthetaS = np.zeros((K, hd.dthetaS.shape[1], Ns))
        dthetaS[:, :, :n] = hd.dthetaS
        return HeadDerivatives(hd.loss, hd.yhat, dS, hd.dtheta, dSS, dthetaS, hd.dthetatheta)
