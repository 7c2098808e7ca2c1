r"""Parameter updates of the online trainer: plain SGD (the update of [P1]) and RMSprop.

Both optimizers are driven by the same learning-rate schedule :math:`\eta_t` and by the gradient
:math:`g_t` that :func:`~rtrl_theory.runners.train_online` forms at each update (the RTRL step
gradient of (2.24)-(2.26), or a TBPTT block gradient; the mean over the chains of a mini-batch).

**SGD** is the update of (2.24)-(2.26) of [P1]:

.. math:: \theta_{t+1} = \theta_t - \eta_t\, g_t .

**RMSprop** (used in Section 7 of [P1], "RMSprop ... with an initial learning rate magnitude,
which is gradually reduced according to a learning rate schedule") keeps a running mean of the
squared gradient, coordinate by coordinate, starting from :math:`v_0 = 0`:

.. math::

    v_{t+1} = \beta v_t + (1 - \beta)\, g_t^2, \qquad
    \theta_{t+1} = \theta_t - \eta_t\, \frac{g_t}{\sqrt{v_{t+1}} + \epsilon},

(square, square root and division entrywise; this is the form of PyTorch's ``RMSprop`` with
``alpha = beta`` and no momentum or centring). With :math:`v_0 = 0` the first step moves every
coordinate by about :math:`\eta_0/\sqrt{1-\beta}` in the direction of :math:`-\operatorname{sign} g_0`.

The convergence theorem of [P1] (Theorem 2.15, under Assumption 2.14 on :math:`\eta_t`) covers
the SGD update only; RMSprop is a preconditioned update outside its hypotheses.

Interface
---------
An optimizer is an immutable configuration with three methods; its running state is a separate
value returned by :meth:`init` and threaded through :meth:`update`, so an update never mutates
its inputs (a diverging update can be discarded and the previous parameters and state kept):

``init(theta) -> state``
    The state before the first update.
``update(theta, grad, eta, state) -> (theta_new, state_new)``
    One update with learning rate ``eta``; new arrays, inputs untouched.
``state_is_finite(state) -> bool``
    Whether the state is still finite (the trainer stops a run whose state overflows).

plus ``name`` and ``to_dict()`` for run records. Any object with ``init`` and ``update`` can be
passed to the trainer; ``state_is_finite`` and ``to_dict`` are optional there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from rtrl_theory._validate import nonnegative, positive

__all__ = ["OPTIMIZERS", "Optimizer", "RMSprop", "RMSpropState", "SGD", "make_optimizer"]

OPTIMIZERS = ("sgd", "rmsprop")


@runtime_checkable
class Optimizer(Protocol):
    """What :func:`~rtrl_theory.runners.train_online` needs from an optimizer (module docstring).

    A structural type (:class:`typing.Protocol`, checkable at run time with ``isinstance``):
    any object with ``init(theta) -> state`` and ``update(theta, grad, eta, state) ->
    (theta_new, state_new)`` is an optimizer; :class:`SGD` (the update (2.24)-(2.26) of [P1])
    and :class:`RMSprop` are the two the package provides.

    Parameters
    ----------
    *args, **kwargs
        None: a Protocol describes a type and is not instantiated (calling it raises
        ``TypeError``).

    See Also
    --------
    make_optimizer : an optimizer from a name.
    """

    def init(self, theta: np.ndarray): ...

    def update(self, theta: np.ndarray, grad: np.ndarray, eta: float, state): ...


@dataclass(frozen=True)
class SGD:
    r"""Plain stochastic gradient descent :math:`\theta \leftarrow \theta - \eta_t g`, (2.24)-(2.26).

    Stateless (its state is ``None``); this is the update covered by [P1]'s convergence theorem.

    Examples
    --------
    >>> import numpy as np
    >>> opt = SGD()
    >>> theta, state = opt.update(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1, opt.init(None))
    >>> theta.tolist(), state
    ([0.95, 2.1], None)
    """

    name = "sgd"

    def init(self, theta):
        """No state: returns None."""
        return None

    def update(self, theta, grad, eta, state):
        """Return ``(theta - eta * grad, None)``."""
        return theta - eta * grad, None

    def state_is_finite(self, state) -> bool:
        return True

    def to_dict(self) -> dict:
        return {"name": self.name}


@dataclass(frozen=True)
class RMSpropState:
    """Running state of :class:`RMSprop`: the mean square ``v`` (P,) and the number of updates.

    Parameters
    ----------
    v : ndarray, shape (P,)
        The running mean :math:`v_t` of the squared gradient, entrywise (:math:`v_0 = 0`).
    n_updates : int, default 0
        The number of updates applied so far.
    """

    v: np.ndarray
    n_updates: int = 0


@dataclass(frozen=True)
class RMSprop:
    r"""RMSprop: :math:`v \leftarrow \beta v + (1-\beta) g^2`, :math:`\theta \leftarrow \theta - \eta_t g/(\sqrt v + \epsilon)`.

    Parameters
    ----------
    beta : float in [0, 1), default 0.9
        Decay of the running mean of the squared gradient (``v_0 = 0``).
    eps : float > 0, default 1e-8
        Added to :math:`\sqrt v` in the denominator.

    Notes
    -----
    The learning rate :math:`\eta_t` comes from the trainer's schedule, as for SGD. [P1]'s
    convergence theorem does not cover this update (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> opt = RMSprop(beta=0.75, eps=1e-12)
    >>> s = opt.init(np.zeros(2))
    >>> theta, s = opt.update(np.zeros(2), np.array([2.0, -0.5]), 0.1, s)
    >>> s.v.tolist()  # (1 - 0.75) g^2
    [1.0, 0.0625]
    >>> np.round(theta, 9).tolist()  # -0.1 g / (sqrt(v) + eps)
    [-0.2, 0.2]
    """

    beta: float = 0.9
    eps: float = 1e-8
    name = "rmsprop"

    def __post_init__(self) -> None:
        beta = nonnegative(self.beta, "beta")
        if beta >= 1.0:
            raise ValueError(f"beta: expected a number in [0, 1), got {self.beta!r}")
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "eps", positive(self.eps, "eps"))

    def init(self, theta) -> RMSpropState:
        """``v_0 = 0`` with the shape of ``theta``."""
        return RMSpropState(np.zeros(np.shape(theta)), 0)

    def update(self, theta, grad, eta, state: RMSpropState):
        """One RMSprop step; returns new ``(theta, RMSpropState)``, inputs untouched."""
        v = self.beta * state.v + (1.0 - self.beta) * (grad * grad)
        return theta - eta * grad / (np.sqrt(v) + self.eps), RMSpropState(v, state.n_updates + 1)

    def state_is_finite(self, state: RMSpropState) -> bool:
        return bool(np.all(np.isfinite(state.v)))

    def to_dict(self) -> dict:
        return {"name": self.name, "beta": self.beta, "eps": self.eps}


def make_optimizer(spec) -> Optimizer:
    """Return an optimizer for ``spec``: ``"sgd"``, ``"rmsprop"`` (default settings) or an object.

    Parameters
    ----------
    spec : {"sgd", "rmsprop"} or Optimizer
        A name (``"sgd"``: the update of [P1] (2.24)-(2.26); ``"rmsprop"``: RMSprop with
        ``beta=0.9``, ``eps=1e-8``, as in Section 7) or an object with ``init`` and
        ``update``, returned as it is.

    Returns
    -------
    Optimizer
        :class:`SGD`, :class:`RMSprop` or ``spec``.

    Raises
    ------
    ValueError, TypeError
        Naming ``optimizer`` for an unknown name or an object without ``init``/``update``.
    """
    if isinstance(spec, str):
        if spec == "sgd":
            return SGD()
        if spec == "rmsprop":
            return RMSprop()
        raise ValueError(f"optimizer: expected one of {OPTIMIZERS} or an optimizer, got {spec!r}")
    if callable(getattr(spec, "init", None)) and callable(getattr(spec, "update", None)):
        return spec
    raise TypeError(
        "optimizer: expected 'sgd', 'rmsprop' or an object with init(theta) -> state and "
        f"update(theta, grad, eta, state) -> (theta, state), got {spec!r}"
    )


def optimizer_record(opt) -> dict:
    """Return a JSON-ready description of ``opt`` (``to_dict()`` if it has one, else its repr)."""
    if callable(getattr(opt, "to_dict", None)):
        return opt.to_dict()
    return {"name": type(opt).__name__, "repr": repr(opt)}


def optimizer_state_is_finite(opt, state) -> bool:
    """``opt.state_is_finite(state)`` when the optimizer defines it, else True."""
    check = getattr(opt, "state_is_finite", None)
    return True if check is None else bool(check(state))
