"""A recurrent model: a cell (the state recursion) and a head (prediction and loss).

The flat parameter vector is ``theta = (head parameters, cell parameters)``; for the paper's RNN
this is ``(alpha, vec W, vec B)``, the order of Notation 2.11 of [P1].
"""

from __future__ import annotations

import warnings

import numpy as np

from rtrl_theory._validate import as_array

from ._base import Cell

__all__ = ["RNNModel"]


class RNNModel:
    r"""A cell and a head sharing one flat parameter vector ``(theta_head, theta_cell)``.

    Subclasses (for example :class:`~rtrl_theory.PaperRNN`) add a structured parameter type
    through :meth:`unflatten` / :meth:`flatten`; the base class works with flat vectors. The
    flat vector :math:`\theta` (P,) puts the head's parameters first, as :math:`\alpha` comes
    first in Notation 2.11 of [P1]: ``P = head.n_params + cell.n_params``.

    Parameters
    ----------
    cell : Cell
        The state update :math:`S_{t+1} = F(S_t, X_t; \vartheta)` (e.g. (2.17)); its state has
        width ``cell.n_state`` (N).
    head : object
        The readout and loss (e.g. :class:`SquaredErrorReadout`, (2.18) and (2.23)), with
        ``n_params``, ``predict`` and ``derivatives``.

    See Also
    --------
    PaperRNN : the paper's model, an RNNModel with a structured parameter type.
    """

    def __init__(self, cell: Cell, head) -> None:
        self.cell = cell
        self.head = head
        self.n_head_params = head.n_params
        self.n_params = head.n_params + cell.n_params

    @property
    def n_hidden(self) -> int:
        return self.cell.n_state

    @property
    def n_input(self) -> int:
        return self.cell.n_input

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(theta_head, theta_cell)`` views of a flat vector."""
        return theta[: self.n_head_params], theta[self.n_head_params :]

    # Subclasses with a structured parameter type override these two.
    def unflatten(self, theta: np.ndarray):
        return np.array(theta, dtype=float)

    def flatten(self, params, name: str = "params") -> np.ndarray:
        """Return the flat parameter vector theta of ``params``, checked (Notation 2.11's order).

        Parameters
        ----------
        params : structured parameters or array_like, shape (n_params,)
            The model's parameter object (e.g. :class:`~rtrl_theory.PaperParams`) or a flat
            vector, which is checked and returned as a float array.
        name : str
            The argument's name in error messages.

        Returns
        -------
        ndarray, shape (n_params,)
        """
        is_structured = not isinstance(params, np.ndarray) and callable(
            getattr(params, "_flat", None)
        )
        vec = params._flat() if is_structured else params
        return as_array(vec, name, shape=(self.n_params,))

    # -- deprecated alias (issue 16: one way to flatten parameters) ----------------------------
    def as_flat(self, params, name: str = "params") -> np.ndarray:
        """Flatten ``params``: deprecated alias of :meth:`flatten` (kept for one release)."""
        warnings.warn(
            f"{type(self).__name__}.as_flat is deprecated; use .flatten(params, name)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.flatten(params, name)

    def check_sequence(self, X, Y, *, batched: bool = False):
        """Validate inputs ``X`` (T, d) and targets ``Y`` (T,), or (K, T, d), (K, T) if batched."""
        d = self.n_input
        if batched:
            X = as_array(X, "X", shape=(None, None, d))
            Y = as_array(Y, "Y", shape=X.shape[:2])
        else:
            X = as_array(X, "X", shape=(None, d))
            Y = as_array(Y, "Y", shape=(X.shape[0],))
        if X.shape[-2] == 0:
            raise ValueError("X: expected at least one time step, got T = 0")
        return X, Y


def deprecated_flat(params) -> np.ndarray:
    """``params.flat()``, deprecated (issue 16): the vector of a parameter object, with a warning.

    The parameter types' ``flat()`` call this; use ``model.flatten(params)`` instead.
    """
    warnings.warn(
        f"{type(params).__name__}.flat() is deprecated; use model.flatten(params)",
        DeprecationWarning,
        stacklevel=3,
    )
    return params._flat()
