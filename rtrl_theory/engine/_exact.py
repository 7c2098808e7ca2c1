r"""Exact :math:`L_T`, its gradient and Hessian at fixed :math:`\theta`, by three independent routes.

* forward accumulation (RTRL, (2.20)-(2.23) and Section 2.4 of [P1]);
* reverse accumulation (BPTT over the whole sequence);
* central finite differences of a plain forward pass that uses no derivative code at all.

:math:`L_T(\theta) = \frac1T\sum_{t=0}^{T-1}\tfrac12 (Y_t - \alpha\cdot S_{t+1})^2` (1.2), with the
array time index of THEORY.md section 2; for a head with its own ``loss`` method (the softmax
cross-entropy of character-level models) :math:`L_T = \frac1T\sum_t \ell(\theta_h, S_{t+1}, Y_t)`.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import positive

from ._backend import BACKENDS, select_backend
from ._bptt import bptt_sequences
from ._rtrl import rtrl_sequences

__all__ = [
    "loss_and_grad",
    "loss_grad_hessian",
    "sequence_loss",
    "finite_difference_grad",
    "finite_difference_hessian",
    "METHODS",
    "BACKENDS",
    "fast_path_supported",
]

METHODS = ("rtrl", "bptt")


def fast_path_supported(model) -> bool:
    """Whether the compiled engine runs ``loss_and_grad`` for ``model`` (:func:`select_backend`)."""
    from ._backend import compiled_unsupported_reason

    return compiled_unsupported_reason(model, "loss_and_grad") is None


def _prepare(model, params, X, Y):
    theta = model.flatten(params)
    X, Y = model.check_sequence(X, Y)
    return theta, X[None], Y[None]


def loss_and_grad(model, params, X, Y, method: str = "rtrl", *, backend: str = "auto"):
    r"""Compute the loss :math:`L_T(\theta)` of (1.2) of [P1] and its exact gradient on one sequence.

    Parameters
    ----------
    model : RNNModel, for example :class:`~rtrl_theory.PaperRNN`
    params : PaperParams or ndarray of shape (P,)
    X : array, shape (T, d)
        Inputs :math:`X_0, \dots, X_{T-1}`; integer symbols, shape (T,), for a model with one-hot
        inputs (``model.input_kind == "onehot"``).
    Y : array, shape (T,)
        Targets; step t compares :math:`\alpha\cdot S_{t+1}` with ``Y[t]`` (for a classification
        head: integer class labels, and the loss is the head's, e.g. the cross-entropy).
    method : {"rtrl", "bptt"}
        Forward sensitivities (2.20)-(2.23) or reverse mode; both are exact.
    backend : {"auto", "numpy", "numba"}
        RTRL only: "auto" runs the compiled engine (``rtrl_theory.engine._compiled``) when
        numba is installed and covers the model, else the NumPy reference; the one decision is
        :func:`~rtrl_theory.engine.select_backend`. Both give the same numbers to rounding.

    Returns
    -------
    loss : float
        :math:`L_T(\theta)`, the mean over the T steps.
    grad : same type as ``model.unflatten`` returns (``PaperParams`` for the paper's RNN)
        :math:`\nabla_\theta L_T`, (2.22)-(2.23); flat, shape (P,).

    See Also
    --------
    rtrl_sequences : The forward recursions over K sequences (the ``"rtrl"`` NumPy path).
    bptt_sequences : Reverse mode over K sequences (the ``"bptt"`` path).
    loss_grad_hessian : The Hessian too, by the second-order recursion.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN, loss_and_grad
    >>> rng = np.random.default_rng(0)
    >>> model = PaperRNN(3, 2)
    >>> params = model.init_params(rng)
    >>> X, Y = rng.uniform(-1, 1, (50, 2)), rng.uniform(-1, 1, 50)
    >>> l1, g1 = loss_and_grad(model, params, X, Y, method="rtrl")
    >>> l2, g2 = loss_and_grad(model, params, X, Y, method="bptt")
    >>> bool(np.allclose(model.flatten(g1), model.flatten(g2), rtol=1e-12, atol=0))
    True
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    theta, Xb, Yb = _prepare(model, params, X, Y)
    if method == "rtrl" and select_backend(model, "loss_and_grad", backend=backend).name == "numba":
        from ._compiled import sequence_compiled

        losses, grad, _, _ = sequence_compiled(model, theta, Xb[0], Yb[0])
        loss = losses.mean()
    elif method == "rtrl":
        res = rtrl_sequences(model, theta, Xb, Yb, order=1)
        loss, grad = res.loss[0], res.grad[0]
    else:
        loss_b, grad_b, _ = bptt_sequences(model, theta, Xb, Yb)
        loss, grad = loss_b[0], grad_b[0]
    return float(loss), model.unflatten(grad)


def loss_grad_hessian(model, params, X, Y):
    r"""Loss, gradient and Hessian of :math:`L_T` by the second-order forward recursion.

    The Hessian is (3.56)-(3.57): :math:`\frac1T\sum_t[\nabla\hat Y_t\nabla\hat Y_t^\top
    + (\hat Y_t - Y_t)\nabla^2\hat Y_t]` with :math:`\nabla^2\hat Y` built from J and the
    second-order states :math:`H^k` of Section 2.4.

    Parameters
    ----------
    model : RNNModel, for example :class:`~rtrl_theory.PaperRNN`
        A model whose cell has ``has_second_order`` (the pre-activation cells).
    params : PaperParams or ndarray of shape (P,)
        The parameters :math:`\theta`, structured or flat.
    X : array, shape (T, d)
        Inputs :math:`X_0, \dots, X_{T-1}`.
    Y : array, shape (T,)
        Targets; step t compares :math:`\alpha\cdot S_{t+1}` with ``Y[t]``.

    Returns
    -------
    loss : float
        :math:`L_T(\theta)` of (1.2).
    grad : ndarray, shape (P,)
        In the order of Notation 2.11, ``(alpha, vec W, vec B)``.
    hess : ndarray, shape (P, P)
        :math:`\nabla^2 L_T(\theta)`, (3.56), same order; symmetric up to rounding.

    See Also
    --------
    loss_and_grad : the loss and gradient alone (RTRL or BPTT).
    finite_difference_hessian : an independent route to the Hessian.
    advance_second_order : one step of the second-order recursion.
    """
    theta, Xb, Yb = _prepare(model, params, X, Y)
    res = rtrl_sequences(model, theta, Xb, Yb, order=2)
    return float(res.loss[0]), res.grad[0], res.hess[0]


def sequence_loss(model, params, X, Y, *, S0=None) -> float:
    r"""Compute :math:`L_T` by a plain forward pass (``cell.step`` and the head only; no derivatives).

    :math:`L_T(\theta) = \frac1T\sum_{t=0}^{T-1}\tfrac12 (Y_t - \alpha\cdot S_{t+1})^2`, (1.2) of
    [P1] (a head with its own ``loss`` uses it instead of the squared error). Shares no code with
    the derivative routes, so it is the reference of the finite differences.

    Parameters
    ----------
    model : RNNModel
        The model, e.g. :class:`~rtrl_theory.PaperRNN`.
    params : PaperParams or ndarray of shape (P,)
        The parameters :math:`\theta`.
    X : array, shape (T, d)
        Inputs (integer symbols, shape (T,), for a model with one-hot inputs).
    Y : array, shape (T,)
        Targets.
    S0 : array_like, shape (N,), optional
        Initial state :math:`S_0`; None (the default) starts from the cell's initial state (0
        for the paper's RNN).

    Returns
    -------
    float
        :math:`L_T(\theta)`, the mean loss over the T steps.

    See Also
    --------
    loss_and_grad : the same loss with its exact gradient.
    """
    theta = model.flatten(params)
    X, Y = model.check_sequence(X, Y)
    return float(_plain_loss(model, theta, X, Y, S0))


def _plain_loss(model, theta, X, Y, S0=None) -> float:
    cell, head = model.cell, model.head
    th, tc = model.split(theta)
    prep = cell.prepare(tc)
    S = cell.initial_state(1) if S0 is None else np.asarray(S0, dtype=float).reshape(1, -1)
    total = 0.0
    has_loss = callable(getattr(head, "loss", None))
    for t in range(X.shape[0]):
        S = cell.step(prep, S, X[t][None])
        if has_loss:  # a head with its own loss (softmax cross-entropy)
            total += head.loss(th, S, Y[t : t + 1])[0]
        else:
            r = head.predict(th, S)[0] - Y[t]
            total += 0.5 * r * r
    return total / X.shape[0]


def finite_difference_grad(model, params, X, Y, *, h: float = 1e-5) -> np.ndarray:
    r"""Central finite differences :math:`(L_T(\theta + h e_i) - L_T(\theta - h e_i)) / 2h`.

    Uses only the plain forward pass, so it is independent of the derivative code. Error
    :math:`O(h^2)` plus rounding :math:`O(\epsilon/h)`; ``h = 1e-5`` gives about 1e-9 relative
    error for the models here. Cost: 2P forward passes.

    Parameters
    ----------
    model : RNNModel
        The model, e.g. :class:`~rtrl_theory.PaperRNN`.
    params : PaperParams or ndarray of shape (P,)
        The parameters :math:`\theta`.
    X : array, shape (T, d)
        Inputs.
    Y : array, shape (T,)
        Targets.
    h : float, default 1e-5
        The step, positive.

    Returns
    -------
    ndarray, shape (P,)
        The approximate :math:`\nabla_\theta L_T` (flat, order of Notation 2.11).

    See Also
    --------
    loss_and_grad : the exact gradient (RTRL or BPTT) this checks.
    sequence_loss : the forward pass it differences.
    """
    h = positive(h, "h")
    theta = model.flatten(params)
    X, Y = model.check_sequence(X, Y)
    g = np.empty_like(theta)
    for i in range(theta.shape[0]):
        tp, tm = theta.copy(), theta.copy()
        tp[i] += h
        tm[i] -= h
        g[i] = (_plain_loss(model, tp, X, Y) - _plain_loss(model, tm, X, Y)) / (2.0 * h)
    return g


def finite_difference_hessian(model, params, X, Y, *, h: float = 1e-4, method: str = "bptt"):
    r"""Compute the Hessian by central finite differences of the exact gradient.

    Central finite differences of the exact gradient: column i is
    :math:`(\nabla L_T(\theta + h e_i) - \nabla L_T(\theta - h e_i)) / 2h`.

    The gradient comes from ``method`` ("bptt" by default, so that the check of the second-order
    forward recursion does not reuse it). The result is not symmetrised. Error
    :math:`O(h^2)` plus rounding :math:`O(\epsilon/h)`; cost 2P gradient evaluations.

    Parameters
    ----------
    model : RNNModel
        The model, e.g. :class:`~rtrl_theory.PaperRNN`.
    params : PaperParams or ndarray of shape (P,)
        The parameters :math:`\theta`.
    X : array, shape (T, d)
        Inputs.
    Y : array, shape (T,)
        Targets.
    h : float, default 1e-4
        The step, positive.
    method : {"bptt", "rtrl"}, default "bptt"
        The route of the exact gradient that is differenced.

    Returns
    -------
    ndarray, shape (P, P)
        The approximate Hessian :math:`\nabla^2 L_T(\theta)`, column i the difference along
        :math:`e_i`.

    See Also
    --------
    loss_grad_hessian : the Hessian (3.56) by the second-order forward recursion.
    """
    h = positive(h, "h")
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    theta = model.flatten(params)
    X, Y = model.check_sequence(X, Y)
    Xb, Yb = X[None], Y[None]
    P = theta.shape[0]
    out = np.empty((P, P))

    def grad(th):
        if method == "bptt":
            return bptt_sequences(model, th, Xb, Yb).grad[0]
        return rtrl_sequences(model, th, Xb, Yb).grad[0]

    for i in range(P):
        tp, tm = theta.copy(), theta.copy()
        tp[i] += h
        tm[i] -= h
        out[:, i] = (grad(tp) - grad(tm)) / (2.0 * h)
    return out
