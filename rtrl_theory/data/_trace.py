r"""A target with memory inside Assumption 2.3: a leaky trace of past inputs carried by the chain.

[P1]'s Assumption 2.3 asks the data chain to contract in one step, :math:`W_1(P(\xi,\cdot),
P(\xi',\cdot)) \le \lambda\|\xi - \xi'\|` with :math:`\lambda < 1` in the max-norm, and the target
to be a Lipschitz function of the chain's current state. A target that needs memory (so that the
truncation of TBPTT matters) is a function of past inputs, so the chain must be *lifted* to carry
them. The lifted chain here is

.. math:: \xi_t = (X_t, M_t), \qquad X_{t+1} = \varphi(X_t) + \varepsilon_{t+1}, \qquad
          M_{t+1} = \beta M_t + c X_t,

with :math:`X` the chain of Example 2.4 (2.8) and the target :math:`Y_t = w\cdot M_t + \eta_t`,
:math:`|w|_1 = 1`: :math:`M_t = c\sum_{k\ge0}\beta^k X_{t-1-k}` is an exponentially decaying trace
of the *past* inputs (not of :math:`X_t`). Under the synchronous coupling (same
:math:`\varepsilon`),

.. math:: \|X_{t+1} - X'_{t+1}\| \le \lambda\|X_t - X'_t\|, \qquad
          \|M_{t+1} - M'_{t+1}\| \le \beta\|M_t - M'_t\| + c\|X_t - X'_t\|,

so the lifted chain contracts in one step in the plain max-norm with
:math:`\lambda_\xi = \max(\lambda, \beta + c)`, which is < 1 when :math:`\beta + c < 1`
(:func:`lifted_lambda`); the bound is attained (start with :math:`X - X' = M - M'` =
the same constant vector and :math:`\lambda \le \beta + c`), so it is the one-step constant.
The delay-line teacher :math:`Y_t = w\cdot X_{t-1}` is the case
:math:`\beta = 0, c = 1`: :math:`\lambda_\xi = 1`, outside Assumption 2.3 in the max-norm (its
multi-step rate is still :math:`\lambda`, and a *weighted* max-norm
:math:`\max(a\|x\|, \|m\|)`, a > 1, would give :math:`\max(\lambda, 1/a) < 1`; the project keeps
the max-norm of THEORY.md, so the trace with :math:`\beta + c < 1` needs no weighting).

The model reads :math:`X_t`, a 1-Lipschitz projection of :math:`\xi_t`; the bound
:math:`\|\xi_t\| \le C_x` holds since :math:`\|M_t\| \le c\,C_x/(1-\beta) \le C_x` when
:math:`\beta + c \le 1`. The target is 1-Lipschitz in :math:`\xi` (:math:`|w|_1 = 1`).
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import as_array, as_rng, positive_int
from rtrl_theory.cells._base import Cell

from ._chains import DataProcess, ExampleChain

__all__ = [
    "LeakyTraceCell",
    "leaky_trace_teacher",
    "lifted_chain_step",
    "lifted_lambda",
    "trace_process",
]


def lifted_lambda(lam: float, beta: float, c: float) -> float:
    r"""One-step max-norm contraction constant :math:`\max(\lambda, \beta + c)` of the lifted chain.

    Parameters
    ----------
    lam : float
        Contraction of the input chain (Example 2.4).
    beta, c : float
        Leak and gain of the trace :math:`M_{t+1} = \beta M_t + c X_t` (``beta = 0, c = 1``: the
        delay line).

    Returns
    -------
    float
        :math:`\lambda_\xi = \max(\lambda, \beta + c)`, the constant of Assumption 2.3 (1), (2.6),
        for the lifted chain; < 1 exactly when :math:`\lambda < 1` and :math:`\beta + c < 1`.

    Raises
    ------
    ValueError
        If ``lam <= 0``, ``beta < 0`` or ``c < 0``.

    Examples
    --------
    >>> lifted_lambda(0.5, 0.25, 0.6), lifted_lambda(0.5, 0.0, 1.0)
    (0.85, 1.0)
    """
    if not (0 <= beta and 0 <= c and 0 < lam):
        raise ValueError(
            f"lam, beta, c: expected lam > 0, beta >= 0, c >= 0, got {lam}, {beta}, {c}"
        )
    return float(max(lam, beta + c))


class LeakyTraceCell(Cell):
    r"""Parameter-free teacher cell with state :math:`(X_t, M_t)` after step t.

    Parameter-free teacher cell: state after step t is :math:`(X_t, M_t)`,
    :math:`M_t = \beta M_{t-1} + c X_{t-1}` (module docstring). ``beta = 0, c = 1`` is
    :class:`~rtrl_theory.data.DelayLineCell` with delay 1. The state has width 2d.

    Parameters
    ----------
    n_input : int
        d, the input dimension.
    beta : float
        The leak :math:`\beta \ge 0`.
    c : float
        The gain :math:`c \ge 0` (:math:`\beta + c < 1` keeps the lifted chain inside
        Assumption 2.3, :func:`lifted_lambda`).

    See Also
    --------
    leaky_trace_teacher : the teacher built on this cell.
    """

    def __init__(self, n_input: int, beta: float, c: float) -> None:
        self.n_input = positive_int(n_input, "n_input")
        lifted_lambda(0.5, beta, c)  # validates beta, c
        self.beta, self.c = float(beta), float(c)
        d = self.n_input
        self.n_state = 2 * d
        self.n_params = 0
        self.blocks = ()
        self._mat = np.zeros((2 * d, 2 * d))
        self._mat[d:, :d] = c * np.eye(d)
        self._mat[d:, d:] = beta * np.eye(d)

    def prepare(self, theta):
        return None

    def step(self, prep, S, X):
        d = self.n_input
        out = np.empty_like(S)
        out[:, :d] = X
        out[:, d:] = self.beta * S[:, d:] + self.c * S[:, :d]
        return out

    def linearize(self, prep, S, X):
        from rtrl_theory.cells import Linearization, StateJacobian

        K = S.shape[0]
        jac = StateJacobian(diag=None, coefs=(np.ones((K, self.n_state)),), mats=(self._mat,))
        return Linearization(self.step(prep, S, X), jac, ())


def leaky_trace_teacher(n_input: int, beta: float, c: float, *, rng=None, w=None):
    r"""Return a teacher whose output is :math:`w\cdot M_t`, :math:`M_t = c\sum_k \beta^k X_{t-1-k}`.

    ``w`` defaults to i.i.d. standard normal entries normalised to :math:`|w|_1 = 1`.

    Parameters
    ----------
    n_input : int
        d, the input dimension.
    beta, c : float
        Leak and gain of the trace, as in :class:`LeakyTraceCell`.
    rng : numpy.random.Generator or int, optional
        Draws ``w`` when it is not given.
    w : array_like, shape (d,), optional
        The readout of the trace (default: random, :math:`|w|_1 = 1`).

    Returns
    -------
    Teacher
        A :class:`LeakyTraceCell` with the readout w on M; ``teacher.target(noise)`` gives the
        targets :math:`Y_t = w\cdot M_t + \eta_t`. Its ``lipschitz`` field is recorded as 0.0,
        as for the delay line, although the trace forgets its start only at rate
        :math:`\beta` per step.

    See Also
    --------
    trace_process : the data process with this teacher.
    delayed_input_teacher : the case :math:`\beta = 0`, c = 1 (delay 1).
    """
    from rtrl_theory.cells import RNNModel, SquaredErrorReadout

    from ._teachers import Teacher

    d = positive_int(n_input, "n_input")
    cell = LeakyTraceCell(d, beta, c)
    if w is None:
        w = as_rng(rng).standard_normal(d)
        w = w / np.abs(w).sum()
    w = as_array(w, "w", shape=(d,))
    alpha = np.zeros(cell.n_state)
    alpha[d:] = w
    model = RNNModel(cell, SquaredErrorReadout(cell.n_state))
    return Teacher(model, alpha, 0.0)


def lifted_chain_step(process: DataProcess):
    r"""Return the step of the lifted chain :math:`\xi = (X, M)` of a leaky-trace process.

    ``step(xi, rng)`` of the lifted chain :math:`\xi = (X, M)` (K, 2d) of a process whose
    target is a :func:`leaky_trace_teacher` (or a delay-line teacher of delay 1), for
    :func:`~rtrl_theory.estimators.estimate_contraction_rate` (synchronous coupling: same noise).

    Parameters
    ----------
    process : DataProcess
        A process with an :class:`~rtrl_theory.data.ExampleChain` input chain and a target of
        :func:`leaky_trace_teacher` (or of a delay-line teacher of delay 1).

    Returns
    -------
    callable
        ``step(xi, rng) -> xi_next``, ``xi`` of shape (K, 2d): one step of the lifted chain,
        whose one-step constant is :func:`lifted_lambda`.

    Raises
    ------
    TypeError
        If the chain or the target is of another kind.
    """
    from ._teachers import DelayLineCell

    chain = process.chain
    if not isinstance(chain, ExampleChain):
        raise TypeError("process: expected an ExampleChain input chain")
    cell = process.target.model.cell
    if isinstance(cell, LeakyTraceCell):
        beta, c = cell.beta, cell.c
    elif isinstance(cell, DelayLineCell) and cell.delay == 1:
        beta, c = 0.0, 1.0
    else:
        raise TypeError("process: expected a leaky-trace or delay-1 delay-line teacher target")
    d = chain.n_input

    def step(xi, rng):
        x, m = xi[:, :d], xi[:, d:]
        eps = chain.draw_noise(rng, (x.shape[0],))
        return np.concatenate([chain.step(x, eps), beta * m + c * x], axis=1)

    return step


def trace_process(n_input, lam, noise, beta, c, target_noise, *, rng=None) -> DataProcess:
    r"""Return the data process with a leaky-trace target (module docstring).

    ``DataProcess(ExampleChain(n_input, lam, noise), leaky_trace_teacher(...).target(...))``:
    inputs of Example 2.4 (2.8) of [P1] and targets :math:`Y_t = w\cdot M_t + \eta_t` with memory.

    Parameters
    ----------
    n_input : int
        d, the input dimension.
    lam : float
        :math:`\lambda`, the contraction of the input chain (Example 2.4).
    noise : float
        Half-width a of the chain's noise :math:`\varepsilon\sim U[-a, a]^d` (:class:`ExampleChain`).
    beta, c : float
        Leak and gain of the trace (:class:`LeakyTraceCell`).
    target_noise : float
        :math:`c_\eta`, half-width of the uniform target noise.
    rng : numpy.random.Generator or int, optional
        Draws the teacher's readout w.

    Returns
    -------
    DataProcess
        The process; :func:`lifted_chain_step` gives its lifted chain.
    """
    teacher = leaky_trace_teacher(n_input, beta, c, rng=rng)
    return DataProcess(ExampleChain(n_input, lam, noise), teacher.target(target_noise))
