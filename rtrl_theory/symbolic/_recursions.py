r"""The forward-sensitivity recursions of [P1], symbolically: (2.20)-(2.23), Section 2.4, (3.56)-(3.57).

The RNN (2.17)-(2.19) is unrolled over T steps in SymPy with *generic* smooth maps
:math:`\sigma, f, g` (undefined functions, so every identity proved here holds for any smooth
activation and bounded maps, not only the logistic sigmoid and ``c tanh``):

.. math::

    z_t = f(B) S_t + g(W) X_t, \qquad S_{t+1} = \sigma(z_t), \qquad S_0 = 0,\qquad
    L_T = \frac1T\sum_{t=0}^{T-1}\tfrac12\,(Y_t - \alpha\cdot S_{t+1})^2 ,

with the array time index of THEORY.md section 2. Then

* the first-order recursion (2.20)-(2.21), :math:`J_{t+1} = D_t(f(B) J_t + M_t)`, and the
  second-order recursion of Section 2.4 (THEORY.md section 5),
  :math:`H^k_{t+1} = \sigma''(z^k_t) a^k a^{k\top} + \sigma'(z^k_t)(\sum_l f(B^{kl}) H^l_t + R^k_t)`,
  are written *from the formulas* (:func:`immediate_term`, :func:`first_order_step`,
  :func:`remainder_term`, :func:`second_order_step`), never by differentiating;
* :func:`prove_recursions` shows that *symbolic derivative - recursion* is identically zero
  (``sp.expand(diff.doit()) == 0``, or the same expansion in a sparse polynomial ring, much
  faster for the Hessians) for every entry of :math:`J_T` (N x P_c), of every :math:`H^k_T`
  (P_c x P_c), of the gradient (2.22)-(2.23) and of the Hessian (3.56)-(3.57) of :math:`L_T`
  built from J and H, against SymPy's own derivatives of the unrolled :math:`S_T` and
  :math:`L_T`;
* with ``initial_state="generic"`` the state :math:`S_0` is an undefined function of all cell
  parameters, so the same proof at T = 1 is the *induction step* (for every t, if
  :math:`J_t, H^k_t` are the derivatives of :math:`S_t` then the recursions give those of
  :math:`S_{t+1}`); with :math:`J_0 = 0, H_0 = 0` at :math:`S_0 = 0` this covers every T;
* :func:`cross_check_engine` substitutes the concrete maps (logistic :math:`\sigma`,
  ``f = c_f tanh, g = c_g tanh`` and ``c (2 sigma - 1)``), lambdifies SymPy's derivatives and
  compares them with the numeric engine (``loss_and_grad`` with the NumPy and numba back ends,
  ``loss_grad_hessian`` and the engine's J, H from ``advance_first_order`` /
  ``advance_second_order``).

Notes
-----
Generic maps. :math:`\sigma^{(n)}, f^{(n)}, g^{(n)}` are undefined SymPy functions named
``sigma_n``, ``f_n``, ``g_n`` (:func:`generic_map`) linked only by the chain rule
(``fdiff`` of ``h_n`` is ``h_{n+1}``). This is the same mathematics as ``Function('sigma')`` with
``Subs(Derivative(...))`` objects but about seven times faster to differentiate and expand,
because no ``Subs`` has to be canonicalised.

Parameter order. :math:`\vartheta = (\mathrm{vec}\,W, \mathrm{vec}\,B)` and
:math:`\theta = (\alpha, \vartheta)` with vec stacking columns (Notation 2.11): entry (i, j) of
an N x m matrix is position ``j N + i`` of its block.

References
----------
[P1] S. C.-H. Lam, J. Sirignano, K. Spiliopoulos, "Convergence Analysis of Real-time Recurrent
Learning (RTRL) for a class of Recurrent Neural Networks", arXiv:2501.08040 (2025).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef, ArgumentIndexError

__all__ = [
    "GenericMap",
    "generic_map",
    "SymbolicRNN",
    "build_symbolic_rnn",
    "immediate_term",
    "preactivation_sensitivity",
    "first_order_step",
    "remainder_term",
    "second_order_step",
    "run_recursions",
    "loss_gradient_from_recursion",
    "loss_hessian_from_recursion",
    "symbolic_derivatives",
    "RecursionProof",
    "prove_recursions",
    "IDENTITIES",
]

#: The identities :func:`prove_recursions` proves, in order: J_T, every H^k_T, grad L_T, hess L_T.
IDENTITIES = ("J", "H", "grad", "hess")


# --------------------------------------------------------------------------------------------
# Generic smooth maps
# --------------------------------------------------------------------------------------------
class GenericMap(sp.Function):
    r"""Base of the generic scalar maps :math:`h^{(n)}`.

    Base of the generic scalar maps :math:`h^{(n)}` (an undefined smooth function and its
    derivatives); subclasses are made by :func:`generic_map`, never directly.
    """

    nargs = 1
    base_name = "h"
    order = 0

    def fdiff(self, argindex=1):
        """Chain rule: the derivative of :math:`h^{(n)}` is :math:`h^{(n+1)}`."""
        if argindex != 1:  # pragma: no cover - nargs = 1
            raise ArgumentIndexError(self, argindex)
        return generic_map(self.base_name, self.order + 1)(self.args[0])


@functools.cache
def generic_map(name: str, order: int = 0) -> type[GenericMap]:
    r"""Return the undefined function :math:`h^{(n)}` for ``h = name``, ``n = order``.

    Parameters
    ----------
    name : str
        ``"sigma"``, ``"f"`` or ``"g"`` (any identifier works).
    order : int, default 0
        Derivative order n; the class is called ``name`` for n = 0 and ``name_n`` otherwise.

    Returns
    -------
    type
        A :class:`GenericMap` subclass, the same object for the same arguments (so expressions
        built at different times compare equal).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> sigma = generic_map("sigma")
    >>> sp.diff(sigma(2 * x), x, 2)
    4*sigma_2(2*x)
    """
    if order < 0:
        raise ValueError(f"order: expected a nonnegative integer, got {order!r}")
    cname = name if order == 0 else f"{name}_{order}"
    return type(cname, (GenericMap,), {"base_name": name, "order": order})


def _sigma(n=0):
    return generic_map("sigma", n)


def _f(n=0):
    return generic_map("f", n)


def _g(n=0):
    return generic_map("g", n)


# --------------------------------------------------------------------------------------------
# The unrolled model (2.17)-(2.19)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SymbolicRNN:
    r"""The RNN (2.17)-(2.19) unrolled over T steps, with generic :math:`\sigma, f, g`.

    Attributes
    ----------
    n_hidden, n_input, n_steps : int
        N, d, T.
    alpha : ImmutableMatrix, shape (N, 1)
    W : ImmutableMatrix, shape (N, d)
    B : ImmutableMatrix, shape (N, N)
    X : tuple of ImmutableMatrix, each (d, 1)
        :math:`X_0, \dots, X_{T-1}`.
    Y : tuple of Symbol
        :math:`Y_0, \dots, Y_{T-1}`; step t compares :math:`\alpha\cdot S_{t+1}` with ``Y[t]``.
    cell_params : tuple of Symbol
        :math:`\vartheta = (\mathrm{vec}\,W, \mathrm{vec}\,B)`, length P_c = N d + N^2.
    params : tuple of Symbol
        :math:`\theta = (\alpha, \vartheta)`, length P = N + P_c (Notation 2.11).
    S : tuple of ImmutableMatrix, each (N, 1)
        :math:`S_0, \dots, S_T`.
    z : tuple of ImmutableMatrix, each (N, 1)
        :math:`z_0, \dots, z_{T-1}`.
    loss : Expr
        :math:`L_T` (1.2).
    initial_state : {"zero", "generic"}
        ``"zero"``: :math:`S_0 = 0` (THEORY.md section 2); ``"generic"``: :math:`S_0^l` is an
        undefined function ``s_l`` of all cell parameters (for the induction step).
    """

    n_hidden: int
    n_input: int
    n_steps: int
    alpha: sp.ImmutableMatrix
    W: sp.ImmutableMatrix
    B: sp.ImmutableMatrix
    X: tuple
    Y: tuple
    cell_params: tuple
    params: tuple
    S: tuple
    z: tuple
    loss: sp.Expr
    initial_state: str

    @property
    def n_cell_params(self) -> int:
        return len(self.cell_params)

    @property
    def fB(self) -> sp.ImmutableMatrix:
        """:math:`f(B)` entrywise."""
        return self.B.applyfunc(_f())

    @property
    def gW(self) -> sp.ImmutableMatrix:
        """:math:`g(W)` entrywise."""
        return self.W.applyfunc(_g())

    def locate(self, p: int) -> tuple[str, int, int]:
        """Cell-parameter index p -> ``("W" or "B", i, j)`` (column-stacked vec, Notation 2.11)."""
        N, d = self.n_hidden, self.n_input
        if p < N * d:
            j, i = divmod(p, N)
            return "W", i, j
        j, i = divmod(p - N * d, N)
        return "B", i, j

    def index(self, block: str, i: int, j: int) -> int:
        """Inverse of :meth:`locate`."""
        N, d = self.n_hidden, self.n_input
        return j * N + i if block == "W" else N * d + j * N + i


def build_symbolic_rnn(
    n_hidden: int, n_input: int, n_steps: int, initial_state: str = "zero"
) -> SymbolicRNN:
    r"""Unroll (2.17)-(2.19) symbolically: :math:`S_{t+1} = \sigma(f(B) S_t + g(W) X_t)`.

    Parameters
    ----------
    n_hidden, n_input, n_steps : int
        N, d, T (small: the expressions grow quickly with T).
    initial_state : {"zero", "generic"}, default "zero"
        See :class:`SymbolicRNN`.

    Returns
    -------
    SymbolicRNN
        Cached: the same object for the same arguments.

    Examples
    --------
    >>> m = build_symbolic_rnn(1, 1, 1)
    >>> m.S[1][0]
    sigma(x_0_0*g(W_0_0))
    >>> m.params
    (alpha_0, W_0_0, B_0_0)
    """
    N, d, T = (
        _size(v, n) for v, n in ((n_hidden, "n_hidden"), (n_input, "n_input"), (n_steps, "n_steps"))
    )
    if initial_state not in ("zero", "generic"):
        raise ValueError(f"initial_state: expected 'zero' or 'generic', got {initial_state!r}")
    return _build_cached(N, d, T, initial_state)


@functools.lru_cache(maxsize=16)
def _build_cached(N: int, d: int, T: int, initial_state: str) -> SymbolicRNN:
    real = {"real": True}
    alpha = sp.ImmutableMatrix(N, 1, lambda i, _: sp.Symbol(f"alpha_{i}", **real))
    W = sp.ImmutableMatrix(N, d, lambda i, j: sp.Symbol(f"W_{i}_{j}", **real))
    B = sp.ImmutableMatrix(N, N, lambda i, j: sp.Symbol(f"B_{i}_{j}", **real))
    X = tuple(
        sp.ImmutableMatrix(d, 1, lambda j, _, t=t: sp.Symbol(f"x_{t}_{j}", **real))
        for t in range(T)
    )
    Y = tuple(sp.Symbol(f"y_{t}", **real) for t in range(T))
    cell_params = tuple(W[i, j] for j in range(d) for i in range(N)) + tuple(
        B[i, j] for j in range(N) for i in range(N)
    )
    params = tuple(alpha) + cell_params
    if initial_state == "zero":
        S = [sp.ImmutableMatrix.zeros(N, 1)]
    else:
        S = [sp.ImmutableMatrix(N, 1, lambda k, _: sp.Function(f"s_{k}")(*cell_params))]
    fB, gW = B.applyfunc(_f()), W.applyfunc(_g())
    z = []
    for t in range(T):
        z.append(sp.ImmutableMatrix(fB * S[t] + gW * X[t]))
        S.append(z[t].applyfunc(_sigma()))
    loss = sp.Rational(1, T) * sum(
        (sp.Rational(1, 2) * (Y[t] - (alpha.T * S[t + 1])[0]) ** 2 for t in range(T)), sp.S.Zero
    )
    return SymbolicRNN(
        N, d, T, alpha, W, B, X, Y, cell_params, params, tuple(S), tuple(z), loss, initial_state
    )


def _size(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------------------------
# The recursions, written from THEORY.md sections 4-5 (no differentiation)
# --------------------------------------------------------------------------------------------
def immediate_term(model: SymbolicRNN, t: int) -> sp.ImmutableMatrix:
    r"""Return the immediate term :math:`M_t` of (2.20)-(2.21), N x P_c.

    .. math::

        (M^W_t)_{k,(ij)} = \delta_{ki}\, g'(W^{ij}) X^j_t, \qquad
        (M^B_t)_{k,(ij)} = \delta_{ki}\, f'(B^{ij}) S^j_t .
    """
    N, Pc = model.n_hidden, model.n_cell_params
    M = sp.zeros(N, Pc)
    for p in range(Pc):
        block, i, j = model.locate(p)
        if block == "W":
            M[i, p] = _g(1)(model.W[i, j]) * model.X[t][j]
        else:
            M[i, p] = _f(1)(model.B[i, j]) * model.S[t][j]
    return sp.ImmutableMatrix(M)


def preactivation_sensitivity(model: SymbolicRNN, t: int, J_t) -> sp.ImmutableMatrix:
    r""":math:`A_t = \partial z_t/\partial\vartheta = f(B) J_t + M_t` (THEORY.md sections 4-5)."""
    return sp.ImmutableMatrix(model.fB * J_t + immediate_term(model, t))


def first_order_step(model: SymbolicRNN, t: int, J_t) -> sp.ImmutableMatrix:
    r"""One step of (2.20)-(2.21): :math:`J_{t+1} = D_t\,(f(B) J_t + M_t)`, D_t = diag(sigma'(z_t)).

    Parameters
    ----------
    model : SymbolicRNN
    t : int
        Step, 0 <= t < T.
    J_t : Matrix, shape (N, P_c)

    Returns
    -------
    ImmutableMatrix, shape (N, P_c)
    """
    A = preactivation_sensitivity(model, t, J_t)
    D = sp.diag(*[_sigma(1)(model.z[t][k]) for k in range(model.n_hidden)])
    return sp.ImmutableMatrix(D * A)


def remainder_term(model: SymbolicRNN, t: int, k: int, J_t, *, cross_terms: bool = True):
    r"""Return the delta terms :math:`R^k_t` of the second-order recursion (Section 2.4), P_c x P_c.

    From THEORY.md section 5 (the part of :math:`\partial^2 z^k/\partial a\,\partial b` that is
    not :math:`\sum_l f(B^{kl})\, \partial^2 S^l`):

    .. math::

        R^k_{(kj)(kj)} \mathrel{+}= g''(W^{kj}) X^j_t \;\; (a = b = W^{kj}),\qquad
        R^k_{(kj)(kj)} \mathrel{+}= f''(B^{kj}) S^j_t \;\; (a = b = B^{kj}),

        R^k_{(kj), q} \mathrel{+}= f'(B^{kj})\, \partial S^j_t/\partial\vartheta_q, \qquad
        R^k_{q, (kj)} \mathrel{+}= f'(B^{kj})\, \partial S^j_t/\partial\vartheta_q
        \quad (\text{row/column } B^{kj},\ \text{every } q).

    Parameters
    ----------
    cross_terms : bool, default True
        ``False`` drops the cross terms :math:`f'(B^{kj})\,\partial S^j/\partial\vartheta`: a
        deliberately *wrong* recursion, to show that the proof can fail.
    """
    Pc = model.n_cell_params
    R = sp.zeros(Pc, Pc)
    for p in range(Pc):
        block, i, j = model.locate(p)
        if i != k:
            continue
        if block == "W":
            R[p, p] += _g(2)(model.W[k, j]) * model.X[t][j]
        else:
            R[p, p] += _f(2)(model.B[k, j]) * model.S[t][j]
            if cross_terms:
                fp = _f(1)(model.B[k, j])
                for q in range(Pc):
                    R[p, q] += fp * J_t[j, q]
                    R[q, p] += fp * J_t[j, q]
    return sp.ImmutableMatrix(R)


def second_order_step(model: SymbolicRNN, t: int, J_t, H_t) -> tuple:
    r"""One step of the second-order recursion of Section 2.4 (THEORY.md section 5).

    .. math::

        H^k_{t+1} = \sigma''(z^k_t)\, a^k a^{k\top}
            + \sigma'(z^k_t)\Big(\sum_l f(B^{kl}) H^l_t + R^k_t\Big),

    with :math:`a^k` row k of :math:`A_t = f(B) J_t + M_t` and :math:`R^k_t` from
    :func:`remainder_term`.

    Parameters
    ----------
    J_t : Matrix, shape (N, P_c)
    H_t : sequence of N matrices, each (P_c, P_c)
        :math:`H^l_t = \partial^2 S^l_t/\partial\vartheta^2`.

    Returns
    -------
    tuple of N ImmutableMatrix, each (P_c, P_c)
    """
    N, Pc = model.n_hidden, model.n_cell_params
    A = preactivation_sensitivity(model, t, J_t)
    fB = model.fB
    out = []
    for k in range(N):
        a = A[k, :]
        zk = model.z[t][k]
        inner = remainder_term(model, t, k, J_t)
        for l in range(N):  # noqa: E741 - the paper's summation index
            inner = inner + fB[k, l] * H_t[l]
        Hk = _sigma(2)(zk) * (a.T * a) + _sigma(1)(zk) * inner
        out.append(sp.ImmutableMatrix(Pc, Pc, list(Hk)))
    return tuple(out)


def run_recursions(model: SymbolicRNN, order: int = 2):
    r"""Run the recursions from :math:`J_0, H_0` over the T steps.

    :math:`J_0 = 0, H_0 = 0` for ``initial_state="zero"``; for ``"generic"`` they are the
    (undefined) derivatives of :math:`S_0`, the induction hypothesis.

    Returns
    -------
    Js : tuple of T + 1 matrices (N, P_c)
    Hs : tuple of T + 1 tuples of N matrices (P_c, P_c), or None for ``order=1``
    """
    if order not in (1, 2):
        raise ValueError(f"order: expected 1 or 2, got {order!r}")
    N, Pc = model.n_hidden, model.n_cell_params
    theta = list(model.cell_params)
    if model.initial_state == "zero":
        J = sp.ImmutableMatrix.zeros(N, Pc)
        H = tuple(sp.ImmutableMatrix.zeros(Pc, Pc) for _ in range(N))
    else:
        J = sp.ImmutableMatrix(model.S[0].jacobian(theta))
        H = tuple(sp.ImmutableMatrix(sp.hessian(model.S[0][k], theta)) for k in range(N))
    Js, Hs = [J], [H]
    # The step functions are looked up in this module at call time, so a test can replace one
    # by a deliberately wrong recursion (prove_recursions keys its cache on them).
    for t in range(model.n_steps):
        if order == 2:
            Hs.append(second_order_step(model, t, Js[t], Hs[t]))
        Js.append(first_order_step(model, t, Js[t]))
    return tuple(Js), (tuple(Hs) if order == 2 else None)


def loss_gradient_from_recursion(model: SymbolicRNN, Js) -> sp.ImmutableMatrix:
    r"""Return the gradient (2.22)-(2.23) of :math:`L_T` from the :math:`J_{t+1}`, shape (P, 1).

    .. math::

        \nabla_\theta(\alpha\cdot S) = (S;\ J^{W\top}\alpha;\ J^{B\top}\alpha), \qquad
        \nabla L_T = \frac1T \sum_{t=0}^{T-1} (\alpha\cdot S_{t+1} - Y_t)\,
            \nabla_\theta(\alpha\cdot S_{t+1}).
    """
    T, alpha = model.n_steps, model.alpha
    total = sp.zeros(len(model.params), 1)
    for t in range(T):
        S = model.S[t + 1]
        r = (alpha.T * S)[0] - model.Y[t]
        total += r * _prediction_gradient(alpha, S, Js[t + 1])
    return sp.ImmutableMatrix(total / T)


def _prediction_gradient(alpha, S, J):
    return sp.Matrix.vstack(sp.Matrix(S), sp.Matrix(J.T * alpha))


def loss_hessian_from_recursion(model: SymbolicRNN, Js, Hs) -> sp.ImmutableMatrix:
    r"""Return the Hessian (3.56)-(3.57) of :math:`L_T` from :math:`J_{t+1}, H^k_{t+1}`, shape (P, P).

    .. math::

        \nabla^2 \hat Y = \begin{pmatrix} 0 & J \\ J^\top & \sum_k \alpha^k H^k \end{pmatrix}
        \ (3.57), \qquad
        \nabla^2 L_T = \frac1T\sum_t\big[\nabla\hat Y_t\nabla\hat Y_t^\top
            + (\hat Y_t - Y_t)\,\nabla^2\hat Y_t\big]\ (3.56),

    with :math:`\hat Y_t = \alpha\cdot S_{t+1}` and J, H at time t + 1 (blocks in the order
    :math:`(\alpha, \mathrm{vec}\,W, \mathrm{vec}\,B)`).
    """
    N, T, alpha = model.n_hidden, model.n_steps, model.alpha
    P = len(model.params)
    total = sp.zeros(P, P)
    for t in range(T):
        S, J, H = model.S[t + 1], Js[t + 1], Hs[t + 1]
        r = (alpha.T * S)[0] - model.Y[t]
        gY = _prediction_gradient(alpha, S, J)
        hY = sp.zeros(P, P)
        hY[:N, N:] = J
        hY[N:, :N] = J.T
        hY[N:, N:] = sum((alpha[k] * H[k] for k in range(N)), sp.zeros(P - N, P - N))
        total += gY * gY.T + r * hY
    return sp.ImmutableMatrix(total / T)


@functools.lru_cache(maxsize=16)
def symbolic_derivatives(model: SymbolicRNN, order: int = 2) -> dict:
    r"""SymPy's own derivatives of the unrolled model (the right-hand sides of the proofs).

    Returns
    -------
    dict
        ``"J"``: :math:`\partial S_T/\partial\vartheta` (N, P_c); ``"grad"``:
        :math:`\nabla_\theta L_T` (P, 1); for ``order=2`` also ``"H"`` (tuple of N Hessians of
        :math:`S_T^k`, each (P_c, P_c)) and ``"hess"`` (:math:`\nabla^2_\theta L_T`, (P, P)).
        Second derivatives are derivatives of the first derivatives, every entry separately (no
        symmetry is assumed).
    """
    theta, theta_c = list(model.params), list(model.cell_params)
    if order == 2:  # the first derivatives from the (cached) order-1 call: shared with eq-2.20
        out = dict(symbolic_derivatives(model, 1))
        J, grad = out["J"], out["grad"]
    else:
        J = sp.ImmutableMatrix(model.S[-1].jacobian(theta_c))
        grad = sp.ImmutableMatrix([sp.diff(model.loss, p) for p in theta])
        out = {"J": J, "grad": grad}
    if order == 2:
        out["H"] = tuple(
            sp.ImmutableMatrix(sp.Matrix(J[k, :]).jacobian(theta_c)) for k in range(model.n_hidden)
        )
        out["hess"] = sp.ImmutableMatrix(grad.jacobian(theta))
    return out


# --------------------------------------------------------------------------------------------
# Proofs by expansion
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecursionProof:
    r"""Outcome of :func:`prove_recursions`.

    Attributes
    ----------
    sizes : tuple of int
        (N, d, T).
    initial_state : str
        ``"zero"`` (the unrolled model from S_0 = 0) or ``"generic"`` (the induction step).
    order : int
        1: J and the gradient; 2: also every H^k and the Hessian.
    n_entries : dict
        Number of entries compared per identity (``"J"``, ``"H"``, ``"grad"``, ``"hess"``).
    n_nonzero : dict
        Entries whose difference did *not* expand to zero; the identity is proved iff 0.
    first_nonzero : dict
        For a failed identity, the index of its first nonzero entry, else None.
    seconds : dict
        Wall-clock time of each stage (``"build"``, ``"recursion"``, ``"derivatives"``,
        ``"zero_test"``), measured when first computed (results are cached).
    method : str
        The zero test, ``"poly"`` or ``"expand"`` (see :func:`prove_recursions`).
    """

    sizes: tuple
    initial_state: str
    order: int
    n_entries: dict
    n_nonzero: dict
    first_nonzero: dict
    seconds: dict
    method: str

    @property
    def proved(self) -> dict:
        """``{identity: True/False}``."""
        return {k: v == 0 for k, v in self.n_nonzero.items()}

    @property
    def all_proved(self) -> bool:
        return all(self.proved.values())


def _hooks():
    # The recursion functions as currently bound in this module: part of the cache key, so a
    # test that replaces one of them by a wrong recursion gets a fresh proof (and never pollutes
    # the cache of the correct one).
    g = globals()
    return tuple(
        g[name]
        for name in (
            "immediate_term",
            "preactivation_sensitivity",
            "first_order_step",
            "remainder_term",
            "second_order_step",
            "run_recursions",
            "loss_gradient_from_recursion",
            "loss_hessian_from_recursion",
        )
    )


def prove_recursions(
    n_hidden: int,
    n_input: int,
    n_steps: int,
    *,
    order: int = 2,
    initial_state: str = "zero",
    method: str = "poly",
) -> RecursionProof:
    r"""Prove symbolically that the recursions equal the derivatives of the unrolled model.

    For every entry, the difference *symbolic - recursion* is shown to be identically zero, where
    *symbolic* is SymPy's derivative of :math:`S_T` or :math:`L_T` and *recursion* is built from
    (2.20)-(2.21), Section 2.4, (2.22)-(2.23) and (3.56)-(3.57) without differentiating:

    * ``"J"``: :math:`J_T = \partial S_T/\partial\vartheta`, all N x P_c entries;
    * ``"grad"``: :math:`\nabla_\theta L_T`, all P entries;
    * ``"H"`` (order 2): :math:`H^k_T = \partial^2 S^k_T/\partial\vartheta^2`, all
      N x P_c x P_c entries;
    * ``"hess"`` (order 2): :math:`\nabla^2_\theta L_T`, all P x P entries.

    The maps :math:`\sigma, f, g` are generic (:func:`generic_map`), so the identities hold for
    any smooth maps.

    Parameters
    ----------
    n_hidden, n_input, n_steps : int
        N, d, T of the unrolled model.
    order : {1, 2}
    initial_state : {"zero", "generic"}
        ``"generic"`` with ``n_steps=1`` proves the induction step (any t).
    method : {"poly", "expand"}
        How "identically zero" is decided; both expand the difference into a canonical
        polynomial normal form and are proofs, not spot checks:

        * ``"expand"``: ``sp.expand(sp.sympify(diff).doit()) == 0``, SymPy's expansion, with
          every function application an atom;
        * ``"poly"`` (default, several times faster for the Hessians): every application of a
          generic map (and, for ``initial_state="generic"``, every ``s_l`` and its derivatives)
          is replaced by a fresh indeterminate and the difference is expanded in the sparse
          polynomial ring over QQ (``sympy.ring``). A polynomial that is zero in independent
          indeterminates is zero whatever values the atoms take, so this is sound (it could
          only err towards "not proved" if two different atoms were equal functions).

    Returns
    -------
    RecursionProof
        Cached on the arguments and on the recursion functions currently bound in this module.

    Examples
    --------
    >>> res = prove_recursions(1, 1, 2, order=2)
    >>> res.proved
    {'J': True, 'H': True, 'grad': True, 'hess': True}
    """
    if order not in (1, 2):
        raise ValueError(f"order: expected 1 or 2, got {order!r}")
    if method not in _ZERO_TESTS:
        raise ValueError(f"method: expected one of {tuple(_ZERO_TESTS)}, got {method!r}")
    return _prove_cached(n_hidden, n_input, n_steps, order, initial_state, method, _hooks())


def _nonzero_expand(diffs) -> list[bool]:
    return [sp.expand(sp.sympify(e).doit()) != 0 for e in diffs]


def _nonzero_poly(diffs) -> list[bool]:
    diffs = [sp.sympify(e) for e in diffs]
    atoms = set()
    for e in diffs:
        atoms |= e.atoms(GenericMap, sp.Derivative, AppliedUndef)
    # xreplace works top-down: an atom nested in the argument of another disappears with it.
    # (The numbering of the indeterminates is arbitrary: it does not change the zero test.)
    mapping = {a: sp.Dummy(f"a{i}") for i, a in enumerate(atoms)}
    polys = [e.xreplace(mapping) for e in diffs]
    gens = set()
    for e in polys:
        gens |= e.free_symbols
    ring = sp.ring(sorted(gens, key=str) or [sp.Dummy("one")], sp.QQ)[0]
    # from_expr raises ValueError on anything that is not a polynomial in gens.
    return [bool(ring.from_expr(e)) for e in polys]


_ZERO_TESTS = {"poly": _nonzero_poly, "expand": _nonzero_expand}


@functools.lru_cache(maxsize=32)
def _prove_cached(N, d, T, order, initial_state, method, hooks) -> RecursionProof:
    seconds = {}
    t0 = time.perf_counter()
    model = build_symbolic_rnn(N, d, T, initial_state)
    seconds["build"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    Js, Hs = run_recursions(model, order)
    rec = {"J": Js[-1], "grad": loss_gradient_from_recursion(model, Js)}
    if order == 2:
        rec["H"] = Hs[-1]
        rec["hess"] = loss_hessian_from_recursion(model, Js, Hs)
    seconds["recursion"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sym = symbolic_derivatives(model, order)
    seconds["derivatives"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    labelled = []
    for name in IDENTITIES:
        if name not in sym:
            continue
        if name == "H":
            for k in range(N):
                labelled += [
                    (name, (k, *idx), a - b) for idx, a, b in _entries(sym[name][k], rec[name][k])
                ]
        else:
            labelled += [(name, idx, a - b) for idx, a, b in _entries(sym[name], rec[name])]
    nonzero = _ZERO_TESTS[method]([e for _, _, e in labelled])
    n_entries, n_nonzero, first = {}, {}, {}
    for (name, idx, _), bad in zip(labelled, nonzero, strict=True):
        n_entries[name] = n_entries.get(name, 0) + 1
        n_nonzero[name] = n_nonzero.get(name, 0) + int(bad)
        if bad and first.get(name) is None:
            first[name] = idx
        first.setdefault(name, None)
    seconds["zero_test"] = time.perf_counter() - t0
    return RecursionProof(
        (N, d, T), initial_state, order, n_entries, n_nonzero, first, seconds, method
    )


def _entries(A, B):
    if A.shape != B.shape:
        raise ValueError(f"shape mismatch: {A.shape} vs {B.shape}")
    for i in range(A.rows):
        for j in range(A.cols):
            yield ((i, j) if A.cols > 1 else (i,)), A[i, j], B[i, j]
