r"""The softmax cross-entropy head of character-level models, and integer label arrays.

For C classes (the characters of a vocabulary) the head maps the state :math:`S\in\mathbb R^N` to
logits and the per-step loss is the cross-entropy of the integer label y:

.. math::

    o = V S + c \in \mathbb R^C, \qquad
    \ell(V, c; S, y) = -\log \mathrm{softmax}(o)_y = \log\sum_a e^{o_a} - o_y,

computed by log-sum-exp around :math:`\max_a o_a` (no overflow for any finite logits). With
:math:`p = \mathrm{softmax}(o)` and :math:`g = p - e_y` the first derivatives are

.. math:: \partial_S\ell = V^\top g, \qquad \partial_{V^{ai}}\ell = g_a S^i, \qquad
          \partial_{c_a}\ell = g_a,

and with :math:`H = \mathrm{diag}(p) - p p^\top` (the Hessian of log-sum-exp) the second ones

.. math::

    \partial^2_{SS}\ell = V^\top H V, \qquad
    \partial^2_{V^{ai} S^j}\ell = (HV)_{aj} S^i + g_a\delta_{ij}, \qquad
    \partial^2_{c_a S^j}\ell = (HV)_{aj},

    \partial^2_{V^{ai}V^{bj}}\ell = H_{ab} S^i S^j, \qquad
    \partial^2_{V^{ai}c_b}\ell = H_{ab} S^i, \qquad \partial^2_{c_a c_b}\ell = H_{ab}.

Head parameters ``theta_h = (vec V, c)``: V (C, N) column-stacked (Notation 2.11: entry (a, i) at
``i C + a``), then c (C,); ``C N + C`` numbers. Bits per character are :math:`\ell/\ln 2`.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import positive_int

from ._heads import HeadDerivatives

__all__ = ["SoftmaxCrossEntropy", "as_index_array"]


def as_index_array(x, name: str, n: int, *, shape: tuple | None = None) -> np.ndarray:
    """Return ``x`` as an int64 array of indices in ``[0, n)``, checking dtype, shape and range.

    For class labels and one-hot input symbols. Float arrays are refused (even with integral
    values): a float target means a regression head, an error worth naming.

    Parameters
    ----------
    x : array_like of int
    name : str
        Argument name used in error messages.
    n : int
        Number of classes (or vocabulary size).
    shape : tuple, optional
        Expected shape; ``None`` entries are free.

    Raises
    ------
    TypeError
        If ``x`` is not an integer array.
    ValueError
        On a wrong shape or an index outside ``[0, n)``.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: expected an integer array of indices in [0, {n}) (class labels or input "
            f"symbols), got dtype {arr.dtype}"
        )
    if shape is not None and (
        arr.ndim != len(shape)
        or any(s is not None and s != a for s, a in zip(shape, arr.shape, strict=False))
    ):
        items = ["*" if s is None else str(s) for s in shape]
        want = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        bad = arr[(arr < 0) | (arr >= n)].reshape(-1)[0]
        raise ValueError(f"{name}: indices must lie in [0, {n}), got {int(bad)}")
    return arr.astype(np.int64, copy=False)


class SoftmaxCrossEntropy:
    r"""Logits :math:`o = VS + c`, loss :math:`-\log\mathrm{softmax}(o)_y` (module docstring).

    Parameters
    ----------
    n_state : int
        N.
    n_classes : int
        C >= 2.

    Notes
    -----
    :meth:`derivatives` returns a :class:`~rtrl_theory.cells.seam.HeadDerivatives` whose ``yhat`` is
    the predicted class probabilities :math:`p = \mathrm{softmax}(o)`, shape (K, C) (the squared
    error head's ``yhat`` is (K,)); ``loss`` is the cross-entropy in nats.

    Examples
    --------
    >>> import numpy as np
    >>> head = SoftmaxCrossEntropy(2, 3)
    >>> hd = head.derivatives(np.zeros(head.n_params), np.ones((1, 2)), np.array([1]))
    >>> bool(np.isclose(hd.loss[0], np.log(3)))  # zero logits: the uniform prediction
    True
    """

    names = ("V", "c")
    target_kind = "class"

    def __init__(self, n_state: int, n_classes: int) -> None:
        self.n_state = positive_int(n_state, "n_state")
        self.n_classes = positive_int(n_classes, "n_classes")
        if self.n_classes < 2:
            raise ValueError(f"n_classes: expected at least 2 classes, got {n_classes!r}")
        self.n_params = self.n_classes * self.n_state + self.n_classes

    def __repr__(self) -> str:
        return f"SoftmaxCrossEntropy(n_state={self.n_state}, n_classes={self.n_classes})"

    # -- parameters ---------------------------------------------------------------------------
    def unpack(self, theta_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(V (C, N), c (C,))`` views of the head parameters."""
        C, N = self.n_classes, self.n_state
        return theta_h[: C * N].reshape(N, C).T, theta_h[C * N :]

    def pack(self, V: np.ndarray, c: np.ndarray) -> np.ndarray:
        """``(vec V, c)``, the inverse of :meth:`unpack`."""
        return np.concatenate([np.asarray(V, dtype=float).T.reshape(-1), np.asarray(c, float)])

    # -- forward --------------------------------------------------------------------------------
    def logits(self, theta_h: np.ndarray, S: np.ndarray) -> np.ndarray:
        """:math:`o = V S + c` for K states, (K, C)."""
        V, c = self.unpack(theta_h)
        return S @ V.T + c

    @staticmethod
    def _log_softmax(o: np.ndarray) -> np.ndarray:
        m = o.max(axis=1, keepdims=True)
        z = o - m
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def predict(self, theta_h: np.ndarray, S: np.ndarray) -> np.ndarray:
        r"""Class probabilities :math:`\mathrm{softmax}(VS + c)`, (K, C)."""
        return np.exp(self._log_softmax(self.logits(theta_h, S)))

    def loss(self, theta_h: np.ndarray, S: np.ndarray, y) -> np.ndarray:
        r"""Cross-entropy :math:`-\log p_y` in nats for K states and labels ``y`` (K,), (K,)."""
        logp = self._log_softmax(self.logits(theta_h, S))
        y = np.asarray(y, dtype=np.intp)
        return -logp[np.arange(S.shape[0]), y]

    # -- derivatives ------------------------------------------------------------------------------
    def derivatives(self, theta_h, S, y, *, order: int = 1) -> HeadDerivatives:
        """Loss, probabilities and derivatives for K chains (module docstring for the formulas).

        Parameters
        ----------
        theta_h : ndarray, shape (C N + C,)
        S : ndarray, shape (K, N)
        y : ndarray of int, shape (K,)
            Class labels in ``[0, C)``.
        order : {1, 2}

        Returns
        -------
        HeadDerivatives
            ``loss`` (K,) in nats, ``yhat`` the probabilities (K, C), ``dS`` (K, N), ``dtheta``
            (K, C N + C); for ``order=2`` also ``dSS`` (K, N, N), ``dthetaS`` (K, P_h, N) and
            ``dthetatheta`` (K, P_h, P_h).
        """
        if order not in (1, 2):
            raise ValueError(f"order: expected 1 or 2, got {order!r}")
        V, c = self.unpack(theta_h)
        K, N = S.shape
        C = self.n_classes
        rows = np.arange(K)
        y = np.asarray(y, dtype=np.intp)
        logp = self._log_softmax(S @ V.T + c)
        p = np.exp(logp)
        loss = -logp[rows, y]
        g = p.copy()
        g[rows, y] -= 1.0
        dS = g @ V
        dtheta = np.empty((K, C * N + C))
        # vec V column-stacked: entry (a, i) at i C + a, i.e. the (K, N, C) array [c, i, a].
        dtheta[:, : C * N] = (S[:, :, None] * g[:, None, :]).reshape(K, N * C)
        dtheta[:, C * N :] = g
        if order == 1:
            return HeadDerivatives(loss, p, dS, dtheta)
        H = p[:, :, None] * (np.eye(C)[None] - p[:, None, :])  # diag(p) - p p^T, (K, C, C)
        HV = H @ V  # (K, C, N)
        dSS = np.einsum("an,kab,bm->knm", V, H, V)
        P_h = C * N + C
        dthetaS = np.empty((K, P_h, N))
        blockS = S[:, :, None, None] * HV[:, None, :, :]  # [c, i, a, j] = S_i (HV)_aj
        blockS += g[:, None, :, None] * np.eye(N)[None, :, None, :]  # + g_a delta_ij
        dthetaS[:, : C * N] = blockS.reshape(K, N * C, N)
        dthetaS[:, C * N :] = HV
        dthetatheta = np.empty((K, P_h, P_h))
        SS = S[:, :, None] * S[:, None, :]
        dthetatheta[:, : C * N, : C * N] = np.einsum("kij,kab->kiajb", SS, H).reshape(
            K, N * C, N * C
        )
        VC = np.einsum("ki,kab->kiab", S, H).reshape(K, N * C, C)
        dthetatheta[:, : C * N, C * N :] = VC
        dthetatheta[:, C * N :, : C * N] = VC.transpose(0, 2, 1)
        dthetatheta[:, C * N :, C * N :] = H
        return HeadDerivatives(loss, p, dS, dtheta, dSS, dthetaS, dthetatheta)
