r"""Heads: the map from the hidden state to a prediction and the per-step loss.

[P1]'s head is the linear readout :math:`\hat Y = \alpha \cdot S` with squared error
:math:`\ell = \tfrac12 (Y - \hat Y)^2` ((1.2), (2.18)). A head returns, for K chains at once, the
loss and its derivatives in the state and in its own parameters, to first or second order: the
engine chains them with the state sensitivities J, H ((2.22)-(2.23), (3.56)-(3.57)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HeadDerivatives", "SquaredErrorReadout"]


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
    :math:`\partial^2_{\alpha\alpha}\ell = SS^\top`.
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
