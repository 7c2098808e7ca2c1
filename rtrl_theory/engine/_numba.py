r"""Compiled (numba) first-order RTRL (2.20)-(2.23) and online RTRL (2.24)-(2.26) of [P1].

Two fused per-sequence loops for ONE chain of a pre-activation cell
:math:`S_{t+1} = \phi(z_t)`, :math:`z_t = \tilde\Theta\,\tilde u_t`,
:math:`\tilde u_t = (X_t; S_t)`, with the readout :math:`\hat Y_t = \alpha\cdot S_{t+1}` and
the loss :math:`\tfrac12(\hat Y_t - Y_t)^2`:

* :func:`rtrl_sequence_fast`: at fixed :math:`\theta`, the loss :math:`L_T`, its exact gradient and
  the final :math:`(S_T, J_T)`; the same numbers as :func:`~rtrl_theory.engine.rtrl_sequences`
  (the NumPy reference) for one sequence.
* :func:`rtrl_train_paper_fast`: the online RTRL algorithm of [P1] (2.24)-(2.26) for the paper's
  RNN (2.17)-(2.19), where :math:`\theta` changes at every step.

Both advance the sensitivities with (2.20)-(2.21) in matrix form (THEORY.md section 4),

.. math::

    J_{t+1} = D_t\,\big(\tilde\Theta_S\, J_t + M_t\big), \qquad
    D_t = \mathrm{diag}\,\phi'(z_t), \qquad
    (M_t)_{k,(i,m)} = \delta_{ki}\,\tilde\Theta'^{\,im}\,\tilde u^m_t,

where :math:`\tilde\Theta_S` is the state block of :math:`\tilde\Theta` (``f(B)`` for the paper's
RNN) and :math:`\tilde\Theta'` the derivative of the entrywise maps (``G1 = [g'(W) | f'(B)]``).
:math:`M_t` is never formed: its nonzero entries are added onto the "diagonal blocks".

Implementation notes
--------------------
These are validated, array-level entry points to the one compiled engine
(:mod:`rtrl_theory.engine._compiled`): the fixed-theta loop and the online loop there run every
cell with a compiled description; here they are fed the paper RNN's (or any pre-activation
cell's) mapped weights. Layout, BLAS use (:data:`BLAS_MIN_N`), BLAS threads
(:mod:`rtrl_theory.engine._blas`), the branch-free tanh (at most 2 ulp from ``np.tanh``) and the
JIT configuration are documented there once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, nonnegative, positive

from . import _compiled

__all__ = [
    "BLAS_MIN_N",
    "FastSequenceResult",
    "FastTrainResult",
    "numba_available",
    "rtrl_sequence_fast",
    "rtrl_train_paper_fast",
]

#: Smallest N for which ``method="auto"`` uses the BLAS GEMM instead of hand-written loops.
#:
#: Measured with ``python benchmarks/bench_rtrl.py --crossover`` (d = 3, sequences of ~0.15 s,
#: best of 5 round-robin rounds) on the development machine: AMD EPYC (Zen 4, AVX-512), 2 cores,
#: numba 0.68, scipy's OpenBLAS 0.3.30 behind numba's ``np.dot``. Microseconds per step:
#:
#: ====  ==========  ==========  ===========  ===========
#:  N    seq loops   seq BLAS    train loops  train BLAS
#: ====  ==========  ==========  ===========  ===========
#:   1      0.16        0.21        0.32         0.36
#:   2      0.20        0.24        0.33         0.37
#:   3      0.26        0.28        0.43         0.45
#:   4      0.36        0.35        0.58         0.58
#:   5      0.44        0.41        0.63         0.61
#:   6      0.66        0.50        0.99         0.83
#:   8      0.90        0.66        1.26         1.02
#:  10      2.19        1.21        2.68         1.74
#:  16      8.2         4.0         9.3          5.1
#:  32    111          42         115           46
#: ====  ==========  ==========  ===========  ===========
#:
#: ("seq": :func:`rtrl_sequence_fast`; "train": :func:`rtrl_train_paper_fast`.) OpenBLAS's
#: small-matrix dgemm kernels are efficient from N = 5 on, so the loops (vectorised over the P_c
#: columns, but loading and storing the output row for every l) only win below; N = 4 is a tie.
#: The loops stay available as ``method="loops"``.
BLAS_MIN_N = _compiled.BLAS_MIN_N

_ACTIVATIONS = {"sigmoid": 0, "tanh": 1}
_BOUNDED_MAPS = {"tanh": 0, "sigmoid": 1}
_METHODS = ("auto", "blas", "loops")


def numba_available() -> bool:
    """Say whether numba can be imported (the fast path needs it; the rest of the package does not).

    Returns
    -------
    bool
        True when ``import numba`` succeeds.

    See Also
    --------
    select_backend : the one decision between the compiled and the NumPy engine.
    """
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FastSequenceResult:
    r"""Result of :func:`rtrl_sequence_fast` for one sequence at fixed :math:`\theta`.

    Attributes
    ----------
    loss : float
        :math:`L_T = \frac1T\sum_t \tfrac12(\alpha\cdot S_{t+1} - Y_t)^2` (1.2).
    grad : ndarray, shape (N + P_c,)
        :math:`\nabla L_T` in the order (alpha, cell parameters), (2.22)-(2.23).
    S : ndarray, shape (N,)
        Final state :math:`S_T`.
    Jt : ndarray, shape (P_c, N)
        Final sensitivities, ``Jt[p, k]`` = :math:`\partial S_T^k/\partial\vartheta_p`.
    """

    loss: float
    grad: np.ndarray
    S: np.ndarray
    Jt: np.ndarray


@dataclass(frozen=True)
class FastTrainResult:
    r"""Result of :func:`rtrl_train_paper_fast` (online RTRL, (2.24)-(2.26) of [P1]).

    Attributes
    ----------
    theta : ndarray, shape (N + N d + N^2,)
        Final parameters ``(alpha, vec W, vec B)`` (column-stacked vec, Notation 2.11).
    S : ndarray, shape (N,)
        Final state :math:`\tilde S`.
    Jt : ndarray, shape (N d + N^2, N)
        Final sensitivities :math:`\tilde J^\top` (engine layout ``Jt[p, k]``).
    losses : ndarray, shape (n_run,)
        Per-step losses :math:`\tfrac12(\alpha_\tau\cdot\tilde S_{\tau+1} - Y_\tau)^2`.
    grad_norms : ndarray, shape (n_run,)
        Euclidean norms of the per-step gradients :math:`G(\theta_\tau, \tilde Z_\tau)`.
    diverged_at : int
        Global index (``step_offset`` + local index) of the step at which the loss or an updated
        parameter became non-finite, or -1.
    diverged_reason : {"", "loss", "parameters"}
        Why the run stopped: ``"loss"`` (the loss of step ``diverged_at`` is not finite; the
        arrays end just before it) or ``"parameters"`` (its loss and gradient are finite and are
        the arrays' last entries, but the update overflowed and was not applied). Either way
        ``theta``, ``S`` and ``Jt`` are the finite values at the start of that step.
    """

    theta: np.ndarray
    S: np.ndarray
    Jt: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    diverged_at: int
    diverged_reason: str = ""

    @property
    def n_run(self) -> int:
        """Number of steps whose loss was recorded (length of :attr:`losses`)."""
        return int(self.losses.shape[0])


# ------------------------------------------------------------------------------------------------
# Public functions
# ------------------------------------------------------------------------------------------------
def _use_blas(method, n_hidden: int) -> bool:
    if method not in _METHODS:
        raise ValueError(f"method: expected one of {_METHODS}, got {method!r}")
    if method == "auto":
        return n_hidden >= BLAS_MIN_N
    return method == "blas"


def _initial_state(S0, Jt0, N: int, P_c: int):
    S0 = np.zeros(N) if S0 is None else as_array(S0, "S0", shape=(N,), copy=True)
    if Jt0 is None:
        J0 = np.zeros((N, P_c))
    else:
        J0 = np.ascontiguousarray(as_array(Jt0, "Jt0", shape=(P_c, N)).T)
    return S0, J0


def _sequence_validate(Theta, G1, alpha, X, Y, S0, Jt0, state_start, activation):
    Theta = as_array(Theta, "Theta", ndim=2)
    N, M = Theta.shape
    if N == 0 or M <= N:
        raise ValueError(
            "Theta: expected shape (N, d + N) with N >= 1 and d >= 1 (u~ = (X; S)), "
            f"got {Theta.shape}"
        )
    d = M - N
    G1 = as_array(G1, "G1", shape=(N, M))
    alpha = as_array(alpha, "alpha", shape=(N,))
    X = as_array(X, "X", shape=(None, d))
    T = X.shape[0]
    if T == 0:
        raise ValueError("X: expected at least one time step, got T = 0")
    Y = as_array(Y, "Y", shape=(T,))
    if isinstance(state_start, bool) or not isinstance(state_start, (int, np.integer)):
        raise TypeError(f"state_start: expected an int, got {state_start!r}")
    if int(state_start) not in (0, d):
        raise ValueError(
            f"state_start: expected {d} (u~ = (X; S)) or 0 (u~ = (S; X)), got {state_start!r}"
        )
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation: expected one of {tuple(_ACTIVATIONS)}, got {activation!r}")
    S0, J0 = _initial_state(S0, Jt0, N, N * M)
    return Theta, G1, alpha, X, Y, S0, J0, int(state_start)


def rtrl_sequence_fast(
    Theta,
    G1,
    alpha,
    X,
    Y,
    S0=None,
    Jt0=None,
    state_start: int | None = None,
    activation: str = "sigmoid",
    *,
    method: str = "auto",
) -> FastSequenceResult:
    r"""Loss and exact gradient on one sequence at fixed :math:`\theta`: compiled (2.20)-(2.23).

    .. math::

        S_{t+1} = \phi(\tilde\Theta\,\tilde u_t),\quad \tilde u_t = (X_t; S_t),\qquad
        J_{t+1} = D_t(\tilde\Theta_S J_t + M_t),

        L_T = \frac1T\sum_{t=0}^{T-1}\tfrac12 r_t^2,\quad r_t = \alpha\cdot S_{t+1} - Y_t,\qquad
        \nabla L_T = \frac1T\sum_t r_t\,\big(S_{t+1};\ J_{t+1}^\top\alpha\big).

    Parameters
    ----------
    Theta : ndarray, shape (N, d + N)
        Mapped weights :math:`\tilde\Theta` (``cell.prepare(theta_cell).Theta``; ``[g(W) | f(B)]``
        for the paper's RNN).
    G1 : ndarray, shape (N, d + N)
        Their derivatives in the raw parameters (``prep.G1``; ``[g'(W) | f'(B)]``).
    alpha : ndarray, shape (N,)
        Readout weights.
    X : ndarray, shape (T, d)
    Y : ndarray, shape (T,)
        Step t consumes ``X[t]`` and compares :math:`\alpha\cdot S_{t+1}` with ``Y[t]``.
    S0 : ndarray, shape (N,), optional
        Initial state (default 0).
    Jt0 : ndarray, shape (P_c, N), optional
        Initial sensitivities in the engine layout, ``P_c = N (d + N)`` (default 0).
    state_start : int
        First column of :math:`\tilde u` holding the state (``cell.state_cols.start``): ``d`` for
        :math:`\tilde u = (X; S)` (every cell of the package), or 0 for :math:`(S; X)`.
    activation : {"sigmoid", "tanh"}
        :math:`\phi`; sigmoid is (2.19).
    method : {"auto", "blas", "loops"}
        How :math:`(D_t\tilde\Theta_S) J_t` is computed; "auto" uses BLAS for
        ``N >= BLAS_MIN_N`` (see :data:`BLAS_MIN_N`).

    Returns
    -------
    FastSequenceResult
        ``loss`` (float, mean over T), ``grad`` (N + P_c,) mean gradient in the order
        (alpha, cell parameters), final ``S`` (N,) and ``Jt`` (P_c, N).

    Notes
    -----
    Same quantities as ``rtrl_sequences(model, theta, X[None], Y[None])`` for a model whose cell
    is a :class:`~rtrl_theory.cells._base.PreactivationCell` with blocks (input, state) and head
    :class:`~rtrl_theory.cells._heads.SquaredErrorReadout`; they agree to float64 rounding
    (different summation order, no FMA). Requires numba.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN
    >>> from rtrl_theory.engine import rtrl_sequences
    >>> from rtrl_theory.engine._numba import rtrl_sequence_fast
    >>> rng = np.random.default_rng(0)
    >>> model = PaperRNN(3, 2)
    >>> theta = model.flatten(model.init_params(rng))
    >>> X, Y = rng.uniform(-1, 1, (20, 2)), rng.uniform(-1, 1, 20)
    >>> prep = model.cell.prepare(theta[3:])
    >>> fast = rtrl_sequence_fast(prep.Theta, prep.G1, theta[:3], X, Y,
    ...                           state_start=model.cell.state_cols.start)
    >>> ref = rtrl_sequences(model, theta, X[None], Y[None])
    >>> bool(np.allclose(fast.grad, ref.grad[0], rtol=1e-12, atol=0))
    True
    """
    if state_start is None:
        raise TypeError("state_start: required (cell.state_cols.start, d for u~ = (X; S))")
    Theta, G1, alpha, X, Y, S0, J0, state_start = _sequence_validate(
        Theta, G1, alpha, X, Y, S0, Jt0, state_start, activation
    )
    use_blas = _use_blas(method, alpha.shape[0])
    desc = _compiled.preactivation_description(Theta.shape, state_start, activation)
    th = np.ascontiguousarray(Theta.T).reshape(-1)  # vec Theta~: entry (k, m) at m N + k
    g1 = np.ascontiguousarray(G1.T).reshape(-1)
    losses, grad, S, J = _compiled.run_sequence(
        desc, th, g1, np.ascontiguousarray(alpha), X, Y, S0, J0, use_blas
    )
    loss = losses.mean()
    return FastSequenceResult(float(loss), grad, S, J.T.copy())


def _schedule_validate(eta0, t0, gamma, etas, T):
    if etas is None:
        if eta0 is None or t0 is None or gamma is None:
            missing = [n for n, v in (("eta0", eta0), ("t0", t0), ("gamma", gamma)) if v is None]
            raise TypeError(
                f"{missing[0]}: give the schedule as eta0, t0 and gamma, or as etas "
                f"(missing: {', '.join(missing)})"
            )
        eta0, t0, gamma = positive(eta0, "eta0"), positive(t0, "t0"), nonnegative(gamma, "gamma")
        return eta0, t0, gamma, np.zeros(0), False
    for name, v in (("eta0", eta0), ("t0", t0), ("gamma", gamma)):
        if v is not None:
            raise TypeError(f"{name}: give either (eta0, t0, gamma) or etas, not both")
    etas = as_array(etas, "etas", shape=(T,))
    if np.any(etas <= 0.0):
        bad = int(np.argmax(etas <= 0.0))
        raise ValueError(f"etas: learning rates must be positive, got etas[{bad}] = {etas[bad]!r}")
    return 0.0, 1.0, 0.0, np.ascontiguousarray(etas), True


def _train_validate(alpha, W, B, X, Y, c_f, c_g, bounded_map, step_offset):
    alpha = as_array(alpha, "alpha", ndim=1)
    N = alpha.shape[0]
    if N == 0:
        raise ValueError("alpha: expected at least one hidden unit, got shape (0,)")
    W = as_array(W, "W", shape=(N, None))
    d = W.shape[1]
    if d == 0:
        raise ValueError(f"W: expected shape (N, d) with d >= 1, got {W.shape}")
    B = as_array(B, "B", shape=(N, N))
    X = as_array(X, "X", shape=(None, d))
    if X.shape[0] == 0:
        raise ValueError("X: expected at least one time step, got T = 0")
    Y = as_array(Y, "Y", shape=(X.shape[0],))
    if not isinstance(bounded_map, str) or bounded_map not in _BOUNDED_MAPS:
        raise ValueError(
            f"bounded_map: expected one of {tuple(_BOUNDED_MAPS)}, got {bounded_map!r}"
        )
    c_f, c_g = positive(c_f, "c_f"), positive(c_g, "c_g")
    if isinstance(step_offset, bool) or not isinstance(step_offset, (int, np.integer)):
        raise TypeError(f"step_offset: expected a non-negative int, got {step_offset!r}")
    if step_offset < 0:
        raise ValueError(f"step_offset: expected a non-negative int, got {step_offset!r}")
    return alpha, W, B, X, Y, c_f, c_g, int(step_offset)


def rtrl_train_paper_fast(
    alpha,
    W,
    B,
    X,
    Y,
    *,
    c_f: float,
    c_g: float,
    bounded_map: str = "tanh",
    eta0: float | None = None,
    t0: float | None = None,
    gamma: float | None = None,
    etas=None,
    step_offset: int = 0,
    S0=None,
    Jt0=None,
    method: str = "auto",
) -> FastTrainResult:
    r"""Online RTRL SGD for the paper's RNN, (2.24)-(2.26) of [P1], compiled.

    At step t (0-based within this call, global index :math:`\tau = \text{step\_offset} + t`),
    with the current :math:`\theta_\tau = (\alpha, W, B)`, state :math:`\tilde S` and
    sensitivities :math:`\tilde J`:

    .. math::

        z &= f(B)\tilde S + g(W) X_t,\qquad \tilde S' = \sigma(z),\qquad
            D = \tilde S'(1 - \tilde S'),\\
        \tilde J' &= D\big(f(B)\tilde J + M\big),\quad
            M^W_{k,(ij)} = \delta_{ki} g'(W^{ij}) X^j_t,\quad
            M^B_{k,(ij)} = \delta_{ki} f'(B^{ij}) \tilde S^j \ \ (\text{old } \tilde S),\\
        r &= \alpha\cdot\tilde S' - Y_t,\qquad \ell_\tau = \tfrac12 r^2,\qquad
        G = r\,\big(\tilde S';\ \tilde J'^{W\top}\alpha;\ \tilde J'^{B\top}\alpha\big),\\
        \theta_{\tau+1} &= \theta_\tau - \eta_\tau G,\qquad
        \eta_\tau = \eta_0 / (1 + \tau/t_0)^{\gamma}\ \ (\text{or } \eta_\tau = \text{etas}[t]),

    then :math:`\tilde S \leftarrow \tilde S'`, :math:`\tilde J \leftarrow \tilde J'`; the next step
    uses :math:`f, g, f', g'` at :math:`\theta_{\tau+1}`. ``losses[t]`` is :math:`\ell_\tau` and
    ``grad_norms[t]`` is :math:`\|G\|_2`.

    Parameters
    ----------
    alpha : ndarray, shape (N,)
    W : ndarray, shape (N, d)
        Raw input weights (passed through g).
    B : ndarray, shape (N, N)
        Raw recurrent weights (passed through f).
    X : ndarray, shape (T, d)
    Y : ndarray, shape (T,)
    c_f, c_g : float
        Scales of the bounded maps, ``f = c_f h``, ``g = c_g h``.
    bounded_map : {"tanh", "sigmoid"}
        ``h = tanh`` or ``h = 2 sigma - 1`` (THEORY.md section 2, CONVENTION).
    eta0, t0 : float
        Positive constants of the schedule :math:`\eta_\tau = \eta_0 / (1 + \tau/t_0)^\gamma`.
    gamma : float
        Its exponent, >= 0 (Assumption 2.14 asks for gamma in (1/2, 1]; 0 gives a constant rate).
    etas : ndarray, shape (T,), optional
        Instead of (eta0, t0, gamma): the learning rates of the T steps of this call (any
        schedule), positive and finite.
    step_offset : int, default 0
        Global index of the first step, so that consecutive calls continue one schedule (and
        ``diverged_at`` is global).
    S0 : ndarray, shape (N,), optional
        Initial state (default 0).
    Jt0 : ndarray, shape (N d + N^2, N), optional
        Initial sensitivities, engine layout (default 0).
    method : {"auto", "blas", "loops"}
        See :func:`rtrl_sequence_fast`.

    Returns
    -------
    FastTrainResult
        Final ``theta`` (flat ``(alpha, vec W, vec B)``), ``S``, ``Jt``, the per-step ``losses``
        and ``grad_norms``, ``diverged_at`` and ``diverged_reason``.

    Notes
    -----
    Divergence: the loop stops at once at the first step tau whose loss is not finite
    (``diverged_reason = "loss"``; the arrays have ``tau - step_offset`` entries) or whose update
    gives a non-finite parameter (``"parameters"``; its finite loss and gradient norm are recorded,
    the arrays have ``tau - step_offset + 1`` entries, the update is not applied). In both cases
    ``diverged_at = tau`` and ``theta``, ``S``, ``Jt`` are the finite values at the start of step
    tau. Otherwise ``diverged_at = -1``. The same rule as the NumPy online trainer.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory.engine._numba import rtrl_train_paper_fast
    >>> rng = np.random.default_rng(0)
    >>> N, d, T = 4, 2, 100
    >>> X, Y = rng.uniform(-1, 1, (T, d)), rng.uniform(-1, 1, T)
    >>> res = rtrl_train_paper_fast(rng.standard_normal(N) / 2, rng.standard_normal((N, d)),
    ...                             rng.standard_normal((N, N)), X, Y, c_f=0.5 / N, c_g=1.0,
    ...                             eta0=0.1, t0=100.0, gamma=1.0)
    >>> res.losses.shape, res.diverged_at, res.theta.shape
    ((100,), -1, (28,))
    """
    alpha, W, B, X, Y, c_f, c_g, step_offset = _train_validate(
        alpha, W, B, X, Y, c_f, c_g, bounded_map, step_offset
    )
    eta0, t0, gamma, etas, use_etas = _schedule_validate(eta0, t0, gamma, etas, X.shape[0])
    N, d = W.shape
    S0, J0 = _initial_state(S0, Jt0, N, N * (d + N))
    from rtrl_theory.cells import PaperRNN

    model = PaperRNN(N, d, c_f=c_f, c_g=c_g, bounded_map=bounded_map)
    if not use_etas:
        from rtrl_theory.optim import PowerSchedule  # the one power schedule

        etas = PowerSchedule(eta0, t0, gamma)(np.arange(step_offset, step_offset + X.shape[0]))
    theta = np.concatenate([alpha, W.T.reshape(-1), B.T.reshape(-1)])
    r = _compiled.train_compiled(
        model, theta, X, Y, etas, "sgd", S0=S0, Jt0=J0.T, use_blas=_use_blas(method, N)
    )
    reason = {"": "", _compiled.REASONS[1]: "loss", _compiled.REASONS[2]: "parameters"}[r.reason]
    return FastTrainResult(
        r.theta,
        r.S,
        r.Jt,
        r.losses,
        r.grad_norms,
        -1 if r.fail < 0 else step_offset + r.fail,
        reason,
    )
