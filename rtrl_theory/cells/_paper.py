r"""The RNN of [P1], (2.17)-(2.19): a sigmoid network whose weights pass through bounded maps.

.. math::

    z_t = f(B) S_t + g(W) X_t, \qquad S_{t+1} = \sigma(z_t), \qquad \hat Y = \alpha \cdot S,

with f (small, on the recurrent weights B) and g (on the input weights W) applied entrywise, no
biases, and :math:`\theta = (\alpha, \mathrm{vec}\, W, \mathrm{vec}\, B)` with vec stacking
columns (Notation 2.11). Conventions fixed by the project (THEORY.md section 2): default
``f = c_f tanh``, ``g = c_g tanh``; ``bounded_map="sigmoid"`` gives ``c (2 sigma - 1)``; array
time index (step t consumes X[t] and predicts Y[t] with :math:`\alpha\cdot S_{t+1}`), S_0 = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, as_rng, positive, positive_int

from ._base import PreactivationCell
from ._heads import SquaredErrorReadout
from ._maps import Sigmoid, bounded_map
from ._model import RNNModel, deprecated_flat

__all__ = ["PaperCell", "PaperRNN", "PaperParams"]


class PaperCell(PreactivationCell):
    r"""State recursion (2.17): :math:`S_{t+1} = \sigma(f(B) S_t + g(W) X_t)`.

    Cell parameters are ``(vec W, vec B)``, i.e. ``vec([W | B])``: the pre-activation is
    :math:`[g(W)\,|\,f(B)]\,(X_t; S_t)`. The readout :math:`\alpha` lives in the head
    (:class:`~rtrl_theory.cells.SquaredErrorReadout`); :class:`PaperRNN` joins the two.

    Parameters
    ----------
    n_hidden : int
        N, the number of hidden units.
    n_input : int
        d, the input dimension.
    f : ScalarMap
        The bounded map on the recurrent weights B (Assumption 2.6), e.g. ``c_f tanh``.
    g : ScalarMap
        The bounded map on the input weights W, e.g. ``c_g tanh``.

    See Also
    --------
    PaperRNN : the model (2.17)-(2.19), this cell with its squared-error readout.
    """

    def __init__(self, n_hidden: int, n_input: int, f, g) -> None:
        super().__init__(n_hidden, n_input, Sigmoid(), (("W", "input", g), ("B", "state", f)))
        self.f = f
        self.g = g


@dataclass(frozen=True, eq=False)
class PaperParams:
    r"""Parameters :math:`\theta = (\alpha, W, B)` of the paper's RNN, immutable.

    Parameters
    ----------
    alpha : array, shape (N,)
        Readout weights.
    W : array, shape (N, d)
        Input weights (passed through g).
    B : array, shape (N, N)
        Recurrent weights (passed through f).

    Notes
    -----
    The arrays are copied and made read-only. :meth:`flat` returns
    ``(alpha, vec W, vec B)`` with vec stacking columns: entry (i, j) of an N x m matrix goes to
    position ``j N + i`` of its block (Notation 2.11 of [P1]).

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN, PaperParams
    >>> model = PaperRNN(2, 1)
    >>> p = PaperParams(np.array([1.0, 2.0]), np.array([[3.0], [4.0]]),
    ...                 np.array([[5.0, 7.0], [6.0, 8.0]]))
    >>> model.flatten(p).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    >>> PaperParams.from_flat(model, model.flatten(p)).B.tolist()
    [[5.0, 7.0], [6.0, 8.0]]
    """

    alpha: np.ndarray
    W: np.ndarray
    B: np.ndarray

    def __post_init__(self) -> None:
        alpha = as_array(self.alpha, "alpha", ndim=1, copy=True)
        N = alpha.shape[0]
        W = as_array(self.W, "W", shape=(N, None), copy=True)
        B = as_array(self.B, "B", shape=(N, N), copy=True)
        for name, arr in (("alpha", alpha), ("W", W), ("B", B)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_hidden(self) -> int:
        return self.alpha.shape[0]

    @property
    def n_input(self) -> int:
        return self.W.shape[1]

    def _flat(self) -> np.ndarray:
        """``(alpha, vec W, vec B)`` as one vector of length N + N d + N^2 (Notation 2.11)."""
        return np.concatenate([self.alpha, self.W.T.reshape(-1), self.B.T.reshape(-1)])

    def flat(self) -> np.ndarray:  # deprecated alias (issue 16)
        """Flatten ``params`` (deprecated: use ``model.flatten(params)``)."""
        return deprecated_flat(self)

    @classmethod
    def from_flat(cls, model: PaperRNN, vector) -> PaperParams:
        """Inverse of :meth:`flat` for ``model``'s sizes."""
        N, d = model.n_hidden, model.n_input
        v = as_array(vector, "vector", shape=(model.n_params,))
        return cls(
            v[:N],
            v[N : N + N * d].reshape(d, N).T,
            v[N + N * d :].reshape(N, N).T,
        )

    def __eq__(self, other) -> bool:
        if not isinstance(other, PaperParams):
            return NotImplemented
        return all(
            a.shape == b.shape and np.array_equal(a, b)
            for a, b in ((self.alpha, other.alpha), (self.W, other.W), (self.B, other.B))
        )

    def __repr__(self) -> str:
        return f"PaperParams(N={self.n_hidden}, d={self.n_input})"


class PaperRNN(RNNModel):
    r"""The RNN of [P1] (2.17)-(2.19) with readout :math:`\alpha\cdot S` and squared error.

    Parameters
    ----------
    n_hidden : int
        N, the number of hidden units (fixed; no 1/N scaling, Remark 2.8).
    n_input : int
        d, the input dimension.
    c_f : float, optional
        Scale of the recurrent map f, ``C_f = sup|f| = c_f``. Default ``0.5 / n_hidden``, so that
        ``N C_f = 0.5 < 4`` (Lemmas 3.5, 3.7) and, for ``c_g = 1`` and ``C_x = 1``, the
        contraction constant of Assumption 2.10 is below 1 (THEORY.md section 6).
    c_g : float, default 1.0
        Scale of the input map g.
    bounded_map : {"tanh", "sigmoid"}, default "tanh"
        ``"tanh"``: ``f = c_f tanh``, ``g = c_g tanh`` (project CONVENTION);
        ``"sigmoid"``: ``c (2 sigma - 1)``.

    Attributes
    ----------
    f, g : ScalarMap
        The bounded maps, with ``sup_abs = (C, C', C'', C''')``.
    n_params : int
        P = N + N d + N^2.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN
    >>> model = PaperRNN(3, 2)
    >>> model.n_params, model.c_f
    (18, 0.16666666666666666)
    >>> params = model.init_params(np.random.default_rng(0))
    >>> params.W.shape
    (3, 2)
    """

    def __init__(
        self,
        n_hidden: int,
        n_input: int,
        c_f: float | None = None,
        c_g: float = 1.0,
        bounded_map: str = "tanh",
    ) -> None:
        N = positive_int(n_hidden, "n_hidden")
        d = positive_int(n_input, "n_input")
        c_f = 0.5 / N if c_f is None else positive(c_f, "c_f")
        c_g = positive(c_g, "c_g")
        f = _bounded_map(bounded_map, c_f, "c_f")
        g = _bounded_map(bounded_map, c_g, "c_g")
        self.c_f, self.c_g, self.bounded_map = c_f, c_g, bounded_map
        self.f, self.g = f, g
        super().__init__(PaperCell(N, d, f, g), SquaredErrorReadout(N))

    # -- structured parameters ----------------------------------------------------------
    def unflatten(self, theta) -> PaperParams:
        return PaperParams.from_flat(self, theta)

    def flatten(self, params, name: str = "params") -> np.ndarray:
        if isinstance(params, PaperParams) and (
            params.n_hidden != self.n_hidden or params.n_input != self.n_input
        ):
            raise ValueError(
                f"{name}: PaperParams with N={params.n_hidden}, d={params.n_input} do not fit a "
                f"model with N={self.n_hidden}, d={self.n_input}"
            )
        return super().flatten(params, name)

    def init_params(self, rng=None, *, scale: float = 1.0) -> PaperParams:
        """Random parameters: ``alpha ~ N(0, 1/N)``, entries of W and B ~ N(0, scale^2).

        The raw weights may be large: f and g keep the effective weights bounded (Remark 2.7).
        """
        rng = as_rng(rng)
        scale = positive(scale, "scale")
        N, d = self.n_hidden, self.n_input
        return PaperParams(
            rng.standard_normal(N) / np.sqrt(N),
            scale * rng.standard_normal((N, d)),
            scale * rng.standard_normal((N, N)),
        )

    def constants(self) -> dict[str, float]:
        """``C_f, C_f', C_f'', C_g, C_g', C_g''``: the sup-norms of Assumption 2.10."""
        f, g = self.f.sup_abs, self.g.sup_abs
        return {"C_f": f[0], "C_f1": f[1], "C_f2": f[2], "C_g": g[0], "C_g1": g[1], "C_g2": g[2]}

    def __repr__(self) -> str:
        return (
            f"PaperRNN(n_hidden={self.n_hidden}, n_input={self.n_input}, c_f={self.c_f!r}, "
            f"c_g={self.c_g!r}, bounded_map={self.bounded_map!r})"
        )


def _bounded_map(kind, c, name):
    if not isinstance(kind, str):
        raise TypeError(f"bounded_map: expected 'tanh' or 'sigmoid', got {kind!r}")
    return bounded_map(kind, c, name=name)
