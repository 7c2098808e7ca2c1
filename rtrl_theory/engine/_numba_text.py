r"""Compiled online RTRL for character-level models: one-hot inputs, softmax head, GRU or Elman.

One fused loop (numba) of the online RTRL algorithm (2.24)-(2.26) of [P1] with the RMSprop or
SGD update, for ONE chain of a :class:`~rtrl_theory.cells.GRURNN` or
:class:`~rtrl_theory.cells.CharElmanRNN` (tanh, ELU, ReLU) with one-hot inputs and the softmax
cross-entropy head (:class:`~rtrl_theory.cells.SoftmaxCrossEntropy`). Step t, with the current
parameters :math:`\theta_t = (V, c, \vartheta)`, state :math:`\tilde h` and sensitivities
:math:`\tilde J = \partial\tilde h/\partial\vartheta` (N, P_c):

.. math::

    \tilde h' &= F(\tilde h, x_t;\vartheta), \qquad
    \tilde J' = A_t\tilde J + M_t, \qquad
    A_t = \frac{\partial F}{\partial h} = \mathrm{diag}(c_0) + \sum_r \mathrm{diag}(c_r) U_r,\\
    o &= V\tilde h' + c,\quad p = \mathrm{softmax}(o),\quad \ell_t = -\log p_{y_t},\quad
    w = V^\top(p - e_{y_t}),\\
    g_t &= \big(\mathrm{vec}((p - e_{y_t})\tilde h'^\top),\ p - e_{y_t},\ \tilde J'^\top w\big),
    \qquad \theta_{t+1} = \mathrm{update}(\theta_t, g_t, \eta_t),

the same algorithm, in the same order, as :func:`~rtrl_theory.runners.train_online`'s NumPy
engine (``algo="rtrl"``, ``batch_size=1``); both agree to rounding (tests/test_text_rnn.py).

Implementation
--------------
Thin wrappers over the one compiled engine (:mod:`rtrl_theory.engine._compiled`): any cell with a
compiled description and one-hot inputs (GRU, one-hot Elman, LSTM) with the softmax head runs
through the same first-order step and the same online loop as the paper's RNN. The J update
costs :math:`2 (N_s + 1) N_s P_c` flops a step (:func:`flops_per_step`).
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import as_array

from . import _compiled

__all__ = [
    "TextTrainResult",
    "text_fast_supported",
    "text_unsupported_reason",
    "rtrl_train_text_fast",
    "text_losses_fast",
    "flops_per_step",
]

_REASONS = _compiled.REASONS


def text_unsupported_reason(model) -> str | None:
    """None if the compiled engine covers ``model`` as a text model, else why not.

    A text model has one-hot inputs and the softmax cross-entropy head; the cell is any cell with
    a compiled description (GRU, one-hot Elman tanh / ELU / ReLU with or without bias, LSTM).
    """
    from ._backend import compiled_unsupported_reason

    head = getattr(model.head, "inner", model.head)
    if type(head).__name__ != "SoftmaxCrossEntropy":
        return f"the head is a {type(head).__name__}, not SoftmaxCrossEntropy"
    if getattr(model.cell, "input_kind", "dense") != "onehot":
        return f"the cell {type(model.cell).__name__} has dense inputs, not one-hot"
    return compiled_unsupported_reason(model, "losses")


def text_fast_supported(model) -> bool:
    """Whether :func:`rtrl_train_text_fast` covers ``model`` (see :func:`text_unsupported_reason`)."""
    return text_unsupported_reason(model) is None


def _check(model):
    why = text_unsupported_reason(model)
    if why is not None:
        raise ValueError(f"model: the compiled text kernel does not cover it ({why})")


def flops_per_step(model) -> float:
    r"""Flops of the J update :math:`[A; w^\top A]\,J` per step: :math:`2 (N_s + 1) N_s P_c`."""
    Ns = model.cell.n_state
    return 2.0 * (Ns + 1) * Ns * model.cell.n_params


# ------------------------------------------------------------------------------------------------
# Public functions
# ------------------------------------------------------------------------------------------------
#: The result of :func:`rtrl_train_text_fast`: the compiled trainer's result.
TextTrainResult = _compiled.CompiledTrainResult


def rtrl_train_text_fast(
    model, params, X, Y, *, etas, optimizer="rmsprop", S0=None, Jt0=None, v0=None
) -> TextTrainResult:
    r"""Online RTRL with RMSprop or SGD over one text, compiled (module docstring).

    Parameters
    ----------
    model : GRURNN or CharElmanRNN
        One-hot inputs and the softmax head (:func:`text_fast_supported`).
    params : ndarray (P,)
        Initial flat parameters.
    X, Y : ndarray of int, shape (T,)
        Input symbols and next-character targets (``rtrl_theory.data.next_char_pairs``).
    etas : ndarray, shape (T,)
        Learning rates of the T steps (e.g. ``schedule(np.arange(T))``).
    optimizer : {"rmsprop", "sgd"} or RMSprop / SGD object
        RMSprop's ``beta`` and ``eps`` are read from the object (defaults 0.9 and 1e-8).
    S0 : ndarray (N,), optional
    Jt0 : ndarray (P_c, N), optional
        Starting state and sensitivities (default 0).
    v0 : ndarray (P,), optional
        RMSprop's starting mean square (default 0).

    Returns
    -------
    TextTrainResult

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory.cells._gru import char_rnn
    >>> model = char_rnn("gru", 3, 4)
    >>> X, Y = np.array([0, 1, 2, 3, 0]), np.array([1, 2, 3, 0, 1])
    >>> res = rtrl_train_text_fast(model, model.init_params(0), X, Y, etas=np.full(5, 1e-3))
    >>> res.losses.shape, res.fail
    ((5,), -1)
    """
    _check(model)
    theta = np.array(model.flatten(params), dtype=float)
    X, Y = model.check_sequence(X, Y)
    T = X.shape[0]
    etas = as_array(etas, "etas", shape=(T,))
    if np.any(etas <= 0.0):
        raise ValueError("etas: learning rates must be positive")
    _compiled.optimizer_code(optimizer)  # refuses other optimizers before any work
    N, Pc, P = model.cell.n_state, model.cell.n_params, model.n_params
    S0 = np.zeros(N) if S0 is None else as_array(S0, "S0", shape=(N,), copy=True)
    Jt0 = None if Jt0 is None else as_array(Jt0, "Jt0", shape=(Pc, N))
    v0 = None if v0 is None else as_array(v0, "v0", shape=(P,), copy=True)
    r = _compiled.train_compiled(model, theta, X, Y, etas, optimizer, S0=S0, Jt0=Jt0, v0=v0)
    return TextTrainResult(r.theta, r.v, r.S, r.Jt, r.losses, r.grad_norms, r.fail, r.reason)


def text_losses_fast(model, params, X, Y, *, S0=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-step cross-entropies (nats, (T,)) and the final state (N,) at fixed parameters.

    The compiled forward pass behind :func:`~rtrl_theory.data.bits_per_character`.
    """
    _check(model)
    theta = np.ascontiguousarray(model.flatten(params), dtype=float)
    X, Y = model.check_sequence(X, Y)
    N = model.cell.n_state
    S0 = np.zeros(N) if S0 is None else as_array(S0, "S0", shape=(N,), copy=True)
    losses, _, S, _ = _compiled.sequence_compiled(model, theta, X, Y, S0=S0, grad=False)
    return losses, S
