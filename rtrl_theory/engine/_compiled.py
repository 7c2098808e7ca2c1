r"""The compiled engine: one first-order step and one second-order step fed by each cell's table.

As diffrax feeds a Butcher tableau to one Runge-Kutta loop, every cell is fed to ONE compiled
step of the first-order recursion (2.20)-(2.21) of [P1] (matrix form, THEORY.md section 4),

.. math::

    J_{t+1} = A_t J_t + M_t, \qquad A_t = \frac{\partial S_{t+1}}{\partial S_t}, \qquad
    (M_t)_{\text{state0}+i,\ \text{offset} + jR + \text{row0} + i}
        = \text{coef}[\text{row}, i]\ u_j\ (\tilde\Theta'\ \text{if weighted}),

by a :class:`~rtrl_theory.cells.CompiledCell`: the name of its compiled forward function (which
writes :math:`S_{t+1}`, the coefficient rows and :math:`A_t`; registered from the cell's own
module with ``cells._jit.register_forward``) and the static table of its row-local terms
(``cells._base``). The loops are written once each and take any cell and head:

* :func:`sequence_compiled`: fixed :math:`\theta` over one sequence, the loss (1.2) and its exact
  gradient (2.22)-(2.23), or the losses alone (a forward pass);
* :func:`train_compiled`: online RTRL (2.24)-(2.26) with SGD or RMSprop, the parameters (and their
  weight maps) changing at every step, the one compiled divergence rule;
* :func:`particles_compiled`: K particles of the joint process at fixed :math:`\theta`, first
  order, or second order (Section 2.4) for pre-activation cells with :math:`\tilde u = (X; S)`,
  with ``numba.prange`` over chunks of particles and optional readout sums.

Heads (squared-error readout, softmax cross-entropy), the weight maps, the optimizers' updates
and the divergence rule are compiled here once; the activations in ``cells._jit``. Registering a
cell touches only its module (``cells._jit``): its forward function and one
``register_forward`` line; :func:`loops` then builds that cell's specialised copy of each loop.

Layout: inside the kernels the sensitivities are STATE-major, ``J[k, p]`` (N_s (+ 1), P_c), with
an extra row :math:`w^\top J` (:math:`w = \partial_S\ell`) where a gradient is needed, so the
gradient comes out of the same product as :math:`J_{t+1}`; the wrappers take and return the
engine's parameter-major ``Jt[p, k]``. The product :math:`[A; w^\top A] J` is one BLAS GEMM
(``np.dot``) from :data:`BLAS_MIN_N` state entries on, hand-written loops below and inside
``prange`` (see :mod:`rtrl_theory.engine._blas` for BLAS threads).

JIT: numba is imported on first use; every kernel is compiled with :data:`JIT_OPTIONS`
(``cache=True``: numba's on-disk cache, beside the sources or, from a read-only install, in the
user's cache directory; without either the kernels compile in memory each process). The first
compilation in a process says so on stderr ("compiling kernels (once)"). numba's cache follows
only the file a function is defined in; each cell's loops (which inline its forward function
from another file) are therefore keyed on the sources of that file and of ``cells._jit``
(:func:`_fingerprint`), so an edit there recompiles them.

Sizes: N_s state entries, P_c cell parameters, P_h head parameters, P = P_h + P_c, d inputs,
T steps, K particles; equation numbers are [P1]'s.
"""

from __future__ import annotations

import hashlib
import math
import sys
from dataclasses import dataclass

import numpy as np

from rtrl_theory.cells import _jit as _cjit
from rtrl_theory.cells._base import SOURCES
from rtrl_theory.cells._jit import FORWARDS

__all__ = [
    "BLAS_MIN_N",
    "FORWARDS",
    "JIT_OPTIONS",
    "REASONS",
    "ModelDescription",
    "describe_model",
    "kernels",
    "loops",
    "particles_compiled",
    "sequence_compiled",
    "train_compiled",
]

#: The one JIT configuration of the package: IEEE semantics (no fastmath, no FMA contraction),
#: a divergent run yields inf/NaN instead of raising, the GIL released.
JIT_OPTIONS = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}
#: From this many state entries on, the per-step product is a BLAS GEMM (measured crossover of
#: the paper RNN's loops, ``benchmarks/bench_rtrl.py --crossover``: N = 5). Re-measured
#: 2026-12-06 after the faster hand loops (unsigned indices, ``_rows_product``), fixed theta,
#: ``--crossover --sizes 4 5 6 7 8 10 12``, one numba and BLAS thread, best of 5 alternating
#: rounds, shared 2-core machine at load 2.5-3.4: loops/BLAS time ratio, quiet (two runs) and
#: beside ``--load 2`` (two runs): N = 4: 0.95, 0.96 | 0.99, 0.86 (loops faster); N = 5: 1.02,
#: 1.00 | 0.99, 1.12 (a tie); N = 6: 1.16, 1.22 | 0.84, 1.59; N = 7-12: 1.06-1.36 quiet (BLAS
#: faster), 0.87-1.32 under load. Online SGD the same pattern quiet (N = 4: 0.96, 0.99; N = 5:
#: 0.96, 1.04; N = 6: 1.15, 1.12). No clear case to move it: 5 kept.
BLAS_MIN_N = 5
#: Divergence messages by reason code (1, 2, 3), shared by every compiled loop (the trainer adds
#: the step). The NumPy trainer's rule is the same: loss first, then parameters, then optimizer.
REASONS = (
    "",
    "loss became non-finite at step",
    "parameters became non-finite in the update of step",
    "optimizer state became non-finite in the update of step",
)
_HEADS = {"SquaredErrorReadout": 0, "SoftmaxCrossEntropy": 1}
_OPTIMIZERS = {"sgd": 0, "rmsprop": 1}
_COMPILED: dict = {}
_tanh = _cjit._tanh  # the compiled tanh once kernels() ran (tests compare it with np.tanh)
_ANNOUNCED: list = []
prange = range  # rebound to numba.prange in kernels()


# ------------------------------------------------------------------------------------------------
# Scalar helpers (compiled)
# ------------------------------------------------------------------------------------------------
def _map_params(raw, maps, mscale, th, g1, g2):  # pragma: no cover - compiled
    r"""Write the mapped parameters and their first two derivatives, block by block.

    Parameters
    ----------
    raw : ndarray, shape (P_c,)
        The raw flat cell parameters (column-stacked blocks, Notation 2.11 of [P1]).
    maps : ndarray of int64, shape (n_maps, 3)
        Rows ``(start, stop, kind)``: kind 0 identity, 1 :math:`c\tanh(x)`, 2
        :math:`c\tanh(x/2) = c(2\sigma(x) - 1)` (``cells._maps``). Empty: every map the identity.
    mscale : ndarray, shape (n_maps,)
        The scale c of each map.
    th, g1, g2 : ndarray, shape (P_c,)
        Output: :math:`h(\text{raw})`, :math:`h'` and :math:`h''` (the :math:`\tilde\Theta`,
        :math:`\tilde\Theta'` and :math:`\tilde\Theta''` of (2.17)-(2.18) for the paper's RNN).
    """
    if maps.shape[0] == 0:
        for p in range(raw.shape[0]):
            th[p] = raw[p]
            g1[p] = 1.0
            g2[p] = 0.0
    for b in range(maps.shape[0]):
        # unsigned bounds: no negative-index wraparound in the loops below, which then
        # vectorise cleanly (4x faster at P_c = 130; the online loop maps every step)
        a, e, kind = np.uint64(maps[b, 0]), np.uint64(maps[b, 1]), maps[b, 2]
        c = mscale[b]
        if kind == 0:
            for p in range(a, e):
                th[p] = raw[p]
                g1[p] = 1.0
                g2[p] = 0.0
        elif kind == 1:
            for p in range(a, e):
                t = _cjit._tanh(raw[p])
                q = 1.0 - t * t
                th[p] = c * t
                g1[p] = c * q
                g2[p] = -2.0 * c * t * q
        else:
            for p in range(a, e):
                t = _cjit._tanh(0.5 * raw[p])
                sg = 0.5 * (1.0 + t)
                q = sg * (1.0 - sg)
                th[p] = c * t
                g1[p] = 2.0 * c * q
                g2[p] = 2.0 * c * q * (1.0 - 2.0 * sg)


# ------------------------------------------------------------------------------------------------
# Heads, the optimizer update, the step (compiled once, for every cell)
# ------------------------------------------------------------------------------------------------
def _head(hcode, thh, n_out, s, yv, gh, w, o):  # pragma: no cover - compiled
    r"""Evaluate the head's loss and its derivatives at one step (compiled).

    Parameters
    ----------
    hcode : int
        0: readout :math:`\hat Y = \alpha\cdot h`, loss :math:`\tfrac12(\hat Y - y)^2` ((1.2) of
        [P1]); 1: softmax cross-entropy (``cells._softmax``, :math:`\theta_h = (\mathrm{vec}\,V,
        c)` with V (C, n_out) column-stacked).
    thh : ndarray, shape (P_h,)
        Head parameters.
    n_out : int
        The head reads :math:`h = s_{:n_{out}}`.
    s : ndarray, shape (N_s,)
        The new state :math:`S_{t+1}`.
    yv : float
        Target (head 0) or symbol index (head 1).
    gh : ndarray, shape (P_h,)
        Output: :math:`\partial\ell/\partial\theta_h`.
    w : ndarray, shape (N_s,)
        Output: :math:`\partial\ell/\partial S_{t+1}` (zero past ``n_out``).
    o : ndarray, shape (C,)
        Scratch (head 1).

    Returns
    -------
    float
        The loss of the step (nats for head 1).
    """
    Ns = w.shape[0]
    for k in range(n_out, Ns):
        w[k] = 0.0
    if hcode == 0:
        yhat = 0.0
        for k in range(n_out):
            yhat += thh[k] * s[k]
        r = yhat - yv
        for k in range(n_out):
            gh[k] = r * s[k]
            w[k] = r * thh[k]
        return 0.5 * r * r
    C = o.shape[0]
    y = int(yv)
    for a in range(C):
        o[a] = thh[C * n_out + a]
    for i in range(n_out):
        si = s[i]
        base = i * C
        for a in range(C):
            o[a] += thh[base + a] * si
    m = o[0]
    for a in range(1, C):
        if o[a] > m:
            m = o[a]
    se = 0.0
    for a in range(C):
        o[a] -= m
        se += math.exp(o[a])
    lse = math.log(se)
    loss = lse - o[y]
    for a in range(C):
        o[a] = math.exp(o[a] - lse)
    o[y] -= 1.0
    for i in range(n_out):
        acc = 0.0
        base = i * C
        si = s[i]
        for a in range(C):
            acc += thh[base + a] * o[a]
            gh[base + a] = o[a] * si
        w[i] = acc
    for a in range(C):
        gh[C * n_out + a] = o[a]
    return loss


def _update(theta, theta_new, v, v_new, gvec, start, opt, beta, eps, eta, acc):  # pragma: no cover
    r"""Apply one optimizer update to a slice of the parameters, in one pass.

    SGD (``opt`` 0): :math:`\theta' = \theta - \eta g` ((2.24)-(2.26) of [P1]); RMSprop (1):
    :math:`v' = \beta v + (1 - \beta) g^2`, :math:`\theta' = \theta - \eta g/(\sqrt{v'} +
    \epsilon)`: the formulas of ``rtrl_theory.optim``.

    Parameters
    ----------
    theta, theta_new : ndarray, shape (P,)
        Current parameters; output the updated ones on ``start : start + len(gvec)``.
    v, v_new : ndarray, shape (P,)
        RMSprop's running mean square, and the updated one (unused for SGD).
    gvec : ndarray, shape (m,)
        The gradient of the slice.
    start : int
        First index of the slice.
    opt : int
        0 SGD, 1 RMSprop.
    beta, eps, eta : float
        RMSprop's decay and epsilon, the learning rate.
    acc : ndarray, shape (3,)
        ``acc[0] += sum g^2``; ``acc[1]`` (``acc[2]``) ``+= 1`` if some new parameter (some
        v') is not finite (x - x is 0 for finite x, NaN otherwise).
    """
    m = np.uint64(gvec.shape[0])  # unsigned indices: no negative-index wraparound
    st = np.uint64(start)
    sq = 0.0
    chk = 0.0
    chv = 0.0
    if opt == 1:
        for p in range(m):
            gp = gvec[p]
            sq += gp * gp
            vp = beta * v[st + p] + (1.0 - beta) * (gp * gp)
            v_new[st + p] = vp
            chv += vp - vp
            tn = theta[st + p] - eta * gp / (math.sqrt(vp) + eps)
            theta_new[st + p] = tn
            chk += tn - tn
    else:
        for p in range(m):
            gp = gvec[p]
            sq += gp * gp
            tn = theta[st + p] - eta * gp
            theta_new[st + p] = tn
            chk += tn - tn
    acc[0] += sq
    if chk != chk:
        acc[1] += 1.0
    if chv != chv:
        acc[2] += 1.0


def _diverged(loss, acc):  # pragma: no cover - compiled
    """Return the code of the divergence rule for one step (:data:`REASONS`).

    Parameters
    ----------
    loss : float
        The step's loss.
    acc : ndarray, shape (3,)
        The flags written by :func:`_update`.

    Returns
    -------
    int
        0 none, 1 loss not finite, 2 new parameters not finite, 3 optimizer state not finite
        (checked in that order, as the NumPy trainer does).
    """
    if not math.isfinite(loss):
        return 1
    if acc[1] > 0.0:
        return 2
    if acc[2] > 0.0:
        return 3
    return 0


def _rows_product(A, J, Jn, nrow, N):  # pragma: no cover - compiled
    """Compute ``Jn[k] = sum_m A[k, m] J[m]`` for ``k < nrow`` by hand (small N, ``prange``).

    Two output rows at a time and four source rows at a time: each source row is loaded
    nrow / 2 times and each output row N / 4 times instead of N times, and the loop over a
    row's L entries vectorises (measured 1.7x the one-row version at N = 10, P_c = 130). The
    first four source rows of a pair are written rather than added to zeroed rows (1.25x alone
    at N = 10; the same values, up to the sign of a zero).

    Parameters
    ----------
    A : ndarray, shape (>= nrow, >= N)
        The left factor.
    J : ndarray, shape (>= N, L)
        The right factor (its first N rows).
    Jn : ndarray, shape (>= nrow, L)
        Output.
    nrow, N : int
        Rows of the product and inner dimension.
    """
    L = J.shape[1]
    k = 0
    while k < nrow:
        two = k + 1 < nrow
        o0 = Jn[k]
        o1 = Jn[k + 1] if two else Jn[k]
        l0 = 0
        if N >= 4 and two:  # the first four source rows written, not added to zeros
            a00, a01, a02, a03 = A[k, 0], A[k, 1], A[k, 2], A[k, 3]
            a10, a11, a12, a13 = A[k + 1, 0], A[k + 1, 1], A[k + 1, 2], A[k + 1, 3]
            s0, s1, s2, s3 = J[0], J[1], J[2], J[3]
            for i in range(L):
                x0, x1, x2, x3 = s0[i], s1[i], s2[i], s3[i]
                o0[i] = (a00 * x0 + a01 * x1) + (a02 * x2 + a03 * x3)
                o1[i] = (a10 * x0 + a11 * x1) + (a12 * x2 + a13 * x3)
            l0 = 4
        else:
            for i in range(L):
                o0[i] = 0.0
            if two:
                for i in range(L):
                    o1[i] = 0.0
        while l0 < N:
            r = min(N - l0, 4)
            a00, a10 = A[k, l0], A[k + 1 if two else k, l0]
            s0 = J[l0]
            if r == 4:
                a01, a02, a03 = A[k, l0 + 1], A[k, l0 + 2], A[k, l0 + 3]
                s1, s2, s3 = J[l0 + 1], J[l0 + 2], J[l0 + 3]
                if two:
                    a11, a12, a13 = A[k + 1, l0 + 1], A[k + 1, l0 + 2], A[k + 1, l0 + 3]
                    for i in range(L):
                        x0, x1, x2, x3 = s0[i], s1[i], s2[i], s3[i]
                        o0[i] += (a00 * x0 + a01 * x1) + (a02 * x2 + a03 * x3)
                        o1[i] += (a10 * x0 + a11 * x1) + (a12 * x2 + a13 * x3)
                else:
                    for i in range(L):
                        o0[i] += (a00 * s0[i] + a01 * s1[i]) + (a02 * s2[i] + a03 * s3[i])
            elif r == 3:
                a01, a02 = A[k, l0 + 1], A[k, l0 + 2]
                s1, s2 = J[l0 + 1], J[l0 + 2]
                if two:
                    a11, a12 = A[k + 1, l0 + 1], A[k + 1, l0 + 2]
                    for i in range(L):
                        x0, x1, x2 = s0[i], s1[i], s2[i]
                        o0[i] += (a00 * x0 + a01 * x1) + a02 * x2
                        o1[i] += (a10 * x0 + a11 * x1) + a12 * x2
                else:
                    for i in range(L):
                        o0[i] += (a00 * s0[i] + a01 * s1[i]) + a02 * s2[i]
            elif r == 2:
                a01 = A[k, l0 + 1]
                s1 = J[l0 + 1]
                if two:
                    a11 = A[k + 1, l0 + 1]
                    for i in range(L):
                        x0, x1 = s0[i], s1[i]
                        o0[i] += a00 * x0 + a01 * x1
                        o1[i] += a10 * x0 + a11 * x1
                else:
                    for i in range(L):
                        o0[i] += a00 * s0[i] + a01 * s1[i]
            else:
                if two:
                    for i in range(L):
                        x0 = s0[i]
                        o0[i] += a00 * x0
                        o1[i] += a10 * x0
                else:
                    for i in range(L):
                        o0[i] += a00 * s0[i]
            l0 += r
        k += 2


def _step1(terms, coef, g1, xd, xi, S, w, A, J, Jn, grad_row, use_blas):  # pragma: no cover
    r"""Advance the first-order sensitivities one step: (2.20)-(2.21) of [P1].

    In matrix form (THEORY.md section 4), :math:`J_{t+1} = A_t J_t + M_t` with
    :math:`A_t = \partial S_{t+1}/\partial S_t` (from the cell's forward function) and
    :math:`M_t` the immediate parameter Jacobian, added entry by entry from the cell's table
    (``cells._base.CompiledTerm``). With ``grad_row``, row ``Ns`` of ``A`` becomes
    :math:`w^\top A_t` first, so that the same product gives the gradient row
    :math:`w^\top J_{t+1}` of (2.22)-(2.23) (the table adds :math:`w^\top M_t`).

    Parameters
    ----------
    terms : ndarray of int64, shape (n_terms, 10)
        The cell's table (``CompiledTerm.row()``).
    coef : ndarray, shape (n_coef, Ns)
        Coefficient rows written by the forward function.
    g1 : ndarray, shape (P_c,)
        :math:`\tilde\Theta'`, for weighted terms.
    xd : ndarray, shape (d,)
        Dense input :math:`X_t`.
    xi : int
        Symbol (one-hot cells).
    S : ndarray, shape (Ns,)
        The OLD state :math:`S_t`.
    w : ndarray, shape (Ns,)
        :math:`\partial\ell_t/\partial S_{t+1}`.
    A : ndarray, shape (Ns + 1, Ns)
        :math:`A_t` in rows ``:Ns``; row ``Ns`` is overwritten.
    J : ndarray, shape (Ns + 1, P_c)
        :math:`J_t`, state-major, in rows ``:Ns``.
    Jn : ndarray, shape (Ns + 1, P_c)
        Output: :math:`J_{t+1}` in rows ``:Ns``, :math:`w^\top J_{t+1}` in row ``Ns``.
    grad_row : bool
        Whether to compute the gradient row.
    use_blas : bool
        One BLAS GEMM (``np.dot``) or :func:`_rows_product`.
    """
    Ns = S.shape[0]
    nrow = Ns + 1 if grad_row else Ns
    if grad_row:  # row Ns of A: w^T A (2-D indexing: no array views, no reference counts)
        for j in range(Ns):
            A[Ns, j] = 0.0
        for k in range(Ns):
            wk = w[k]
            for j in range(Ns):
                A[Ns, j] += wk * A[k, j]
    if use_blas and grad_row:
        np.dot(A, J[:Ns], Jn)  # whole arrays: numba passes them to dgemm without a copy
    elif use_blas:
        np.dot(A[:Ns], J[:Ns], Jn[:Ns])
    else:
        _rows_product(A, J, Jn, nrow, Ns)
    # The table walk with unsigned indices: numba then emits no negative-index wraparound
    # for them (an int64 index read from an array costs a shift, a mask and an add per access,
    # which doubled the walk at N = 10).
    nsu = np.uint64(Ns)
    for b in range(terms.shape[0]):
        off, src, src0 = np.uint64(terms[b, 0]), terms[b, 1], np.uint64(terms[b, 2])
        m, cr, R = np.uint64(terms[b, 3]), np.uint64(terms[b, 4]), np.uint64(terms[b, 5])
        row0, st0, n = np.uint64(terms[b, 6]), np.uint64(terms[b, 7]), np.uint64(terms[b, 8])
        wt = terms[b, 9] != 0
        if src == 0:
            m = np.uint64(1)
        for jj in range(m):
            if src == 0:
                j, uj = np.uint64(xi), 1.0
            elif src == 1:
                j, uj = jj, xd[src0 + jj]
            elif src == 2:
                j, uj = jj, S[src0 + jj]
            else:
                j, uj = jj, 1.0
            base = off + j * R + row0
            # the branches hoisted out of the walk over the n entries (same arithmetic)
            if wt and grad_row:
                for i in range(n):
                    p = base + i
                    val = coef[cr, i] * uj * g1[p]
                    Jn[st0 + i, p] += val
                    Jn[nsu, p] += w[st0 + i] * val
            elif wt:
                for i in range(n):
                    p = base + i
                    Jn[st0 + i, p] += coef[cr, i] * uj * g1[p]
            elif grad_row:
                for i in range(n):
                    p = base + i
                    val = coef[cr, i] * uj
                    Jn[st0 + i, p] += val
                    Jn[nsu, p] += w[st0 + i] * val
            else:
                for i in range(n):
                    Jn[st0 + i, base + i] += coef[cr, i] * uj


def _step2(ip, th, g1, g2, S, Js, Jn, Hs, Hn, coef, work, ThS, Az):  # pragma: no cover
    r"""Advance the second-order sensitivities one step (Section 2.4 of [P1]).

    For pre-activation cells with :math:`\tilde u = (X; S)`, after the forward function
    (``coef[0]`` = :math:`\phi'`, ``coef[1]`` = :math:`\phi''`, ``work[:M]`` =
    :math:`\tilde u`): :math:`a = \tilde\Theta_S J_t + M_t`,
    :math:`H^k_{t+1} = \phi'_k(\tilde\Theta_S H_t + R^k)^k + \phi''_k a^k a^{k\top}` (R in the
    NumPy engine's order: diagonal, rows, columns, its cross terms from the OLD J), and
    :math:`J_{t+1} = \phi' a`.

    Parameters
    ----------
    ip : ndarray of int64
        The cell's integers (``ip[0]`` = M, ``ip[3]`` = first state column).
    th, g1, g2 : ndarray, shape (P_c,)
        :math:`\tilde\Theta`, :math:`\tilde\Theta'`, :math:`\tilde\Theta''` (flat).
    S : ndarray, shape (N,)
        The OLD state.
    Js, Jn : ndarray, shape (N, P_c)
        :math:`J_t` and output :math:`J_{t+1}`, state-major.
    Hs, Hn : ndarray, shape (N, P_c^2)
        :math:`H_t` and output :math:`H_{t+1}`, state-major, each row a flattened (P_c, P_c).
    coef : ndarray, shape (2, N)
        :math:`\phi'`, :math:`\phi''`.
    work : ndarray
        ``work[:M]`` = :math:`\tilde u_t`.
    ThS : ndarray, shape (N, N)
        Scratch: :math:`\tilde\Theta_S`.
    Az : ndarray, shape (N, P_c)
        Scratch: a.
    """
    N = S.shape[0]
    M = ip[0]
    ss = ip[3]
    P = N * M
    for k in range(N):
        for j in range(N):
            ThS[k, j] = th[(ss + j) * N + k]
    _rows_product(ThS, Js, Az, N, N)
    for k in range(N):
        for m in range(M):
            Az[k, m * N + k] += work[m] * g1[m * N + k]
    _rows_product(ThS, Hs, Hn, N, N)
    for k in range(N):
        out = Hn[k]
        for m in range(M):
            p = m * N + k
            out[p * P + p] += work[m] * g2[p]
        for j in range(N):
            g = g1[(ss + j) * N + k]
            base = ((ss + j) * N + k) * P
            Jj = Js[j]
            for q in range(P):
                out[base + q] += g * Jj[q]
        for j in range(N):
            g = g1[(ss + j) * N + k]
            q = (ss + j) * N + k
            Jj = Js[j]
            for p in range(P):
                out[p * P + q] += g * Jj[p]
        dk = coef[0, k]
        d2k = coef[1, k]
        ak = Az[k]
        for p in range(P):
            a = d2k * ak[p]
            base = p * P
            for q in range(P):
                out[base + q] = out[base + q] * dk + a * ak[q]
        jn = Jn[k]
        for p in range(P):
            jn[p] = ak[p] * dk


# ------------------------------------------------------------------------------------------------
# The loops, each written once
# ------------------------------------------------------------------------------------------------
def _scratch(S0, J0, n_coef, d, C):  # pragma: no cover - compiled
    """Allocate the buffers of the one-chain loops.

    Parameters
    ----------
    S0 : ndarray, shape (Ns,)
        Initial state.
    J0 : ndarray, shape (Ns, P_c)
        Initial sensitivities, state-major.
    n_coef, d, C : int
        Coefficient rows, input size, classes of the head.

    Returns
    -------
    tuple
        J, Jn (Ns + 1, P_c) with ``J[:Ns] = J0``; a copy of S0; s (Ns,); coef (n_coef, Ns);
        A (Ns + 1, Ns); the forward's work array; w (Ns,); the head's o (C,).
    """
    Ns, Pc = J0.shape
    J = np.zeros((Ns + 1, Pc))
    Jn = np.zeros((Ns + 1, Pc))
    for k in range(Ns):
        for p in range(Pc):
            J[k, p] = J0[k, p]
    work = np.zeros(4 * Ns + Pc // max(Ns, 1) + d + 2)
    return (
        J, Jn, S0.copy(), np.empty(Ns), np.zeros((n_coef, Ns)), np.zeros((Ns + 1, Ns)), work,
        np.zeros(Ns), np.empty(max(C, 1)),
    )


def _state_rows(J, Ns):  # pragma: no cover - compiled
    """Return a copy of ``J[:Ns]`` (by loops: a slice copy costs seconds of compilation).

    Parameters
    ----------
    J : ndarray, shape (Ns + 1, P_c)
    Ns : int

    Returns
    -------
    ndarray, shape (Ns, P_c)
    """
    Pc = J.shape[1]
    out = np.empty((Ns, Pc))
    for k in range(Ns):
        for p in range(Pc):
            out[k, p] = J[k, p]
    return out


def _to_state_major(Ec, Xs):  # pragma: no cover - compiled
    """Copy engine rows (R, N) into the state-major layout: ``Xs[k, r] = Ec[r, k]``.

    Parameters
    ----------
    Ec : ndarray, shape (R, N)
    Xs : ndarray, shape (N, R)
        Output.
    """
    R, N = Ec.shape
    for k in range(N):
        row = Xs[k]
        for r in range(R):
            row[r] = Ec[r, k]


def _to_engine(Xs, Ec):  # pragma: no cover - compiled
    """Copy the state-major layout back into engine rows: ``Ec[r, k] = Xs[k, r]``.

    Parameters
    ----------
    Xs : ndarray, shape (N, R)
    Ec : ndarray, shape (R, N)
        Output.
    """
    R, N = Ec.shape
    for k in range(N):
        row = Xs[k]
        for r in range(R):
            Ec[r, k] = row[r]


def _loops_for(forward):
    """Build the three loops of one cell as closures over its forward function.

    numba compiles each closure with ``forward`` as a constant, so every cell gets its own
    specialised copy of each loop (the forward inlined; no dispatch on the cell per step), and
    the on-disk cache keys them on the forward's source (:func:`_fingerprint`).

    Parameters
    ----------
    forward : numba dispatcher
        The cell's compiled forward function (signature: ``cells._jit``).

    Returns
    -------
    dict
        ``"sequence"``, ``"train"``, ``"particles"``: plain Python functions, compiled by
        :func:`loops`.
    """

    def _sequence_loop(
        ip, fp, th, g1, terms, n_coef, hcode, thh, n_out, C, Xd, Xi, Y, S0, J0, use_blas, grad
    ):  # pragma: no cover - compiled
        r"""Run fixed :math:`\theta` over one sequence: (2.20)-(2.23) of [P1].

        Parameters
        ----------
        ip, fp : ndarray
            The cell's integers and floats.
        th, g1 : ndarray, shape (P_c,)
            Mapped cell parameters and their derivatives.
        terms : ndarray of int64, shape (n_terms, 10)
            The cell's table.
        n_coef : int
            Coefficient rows of the forward function.
        hcode, thh, n_out, C
            The head (:func:`_head`): code, parameters (P_h,), state entries read, classes.
        Xd : ndarray, shape (T, d)
            Dense inputs (empty (T, 0) for one-hot cells).
        Xi : ndarray of int64, shape (T,)
            Symbols (one-hot cells).
        Y : ndarray, shape (T,)
            Targets (or symbols).
        S0 : ndarray, shape (Ns,)
            Initial state.
        J0 : ndarray, shape (Ns, P_c)
            Initial sensitivities, state-major.
        use_blas, grad : bool
            GEMM or hand loops; whether to compute gradients (False: a forward pass).

        Returns
        -------
        losses : ndarray, shape (T,)
            Per-step losses.
        g_h, g_c : ndarray, shape (P_h,), (P_c,)
            SUMMED gradients of the head and of the cell (zero without ``grad``).
        S : ndarray, shape (Ns,)
            :math:`S_T`.
        J : ndarray, shape (Ns, P_c)
            :math:`J_T`, state-major.
        """
        Ns = S0.shape[0]
        Pc = th.shape[0]
        T = Y.shape[0]
        J, Jn, S, s, coef, A, work, w, o = _scratch(S0, J0, n_coef, Xd.shape[1], C)
        gh = np.empty(thh.shape[0])
        losses = np.empty(T)
        g_h = np.zeros(thh.shape[0])
        g_c = np.zeros(Pc)
        for t in range(T):
            forward(ip, fp, th, Ns, Xd[t], Xi[t], S, s, coef, A, work, grad)
            losses[t] = _head(hcode, thh, n_out, s, Y[t], gh, w, o)
            if grad:
                _step1(terms, coef, g1, Xd[t], Xi[t], S, w, A, J, Jn, True, use_blas)
                grow = Jn[Ns]
                for p in range(Pc):
                    g_c[p] += grow[p]
                for p in range(gh.shape[0]):
                    g_h[p] += gh[p]
                J, Jn = Jn, J
            for k in range(Ns):
                S[k] = s[k]
        return losses, g_h, g_c, S, _state_rows(J, Ns)


    def _train_loop(
        ip, fp, terms, n_coef, maps, mscale, hcode, Ph, n_out, C, theta0, Xd, Xi, Y, S0, J0,
        opt, beta, eps, v0, etas, use_blas,
    ):  # pragma: no cover - compiled
        """Run online RTRL (2.24)-(2.26) of [P1] with SGD or RMSprop over one sequence.

        Parameters
        ----------
        ip, fp, terms, n_coef
            The cell (as in the fixed-theta loop).
        maps, mscale
            The weight maps (:func:`_map_params`), re-evaluated at every step.
        hcode, Ph, n_out, C
            The head: code, number of head parameters, state entries read, classes.
        theta0 : ndarray, shape (P,)
            Initial flat parameters (head, cell).
        Xd, Xi, Y, S0, J0
            Data and initial state, as in the fixed-theta loop.
        opt, beta, eps : int, float, float
            Optimizer (0 SGD, 1 RMSprop) and RMSprop's constants.
        v0 : ndarray, shape (P,)
            RMSprop's initial mean square.
        etas : ndarray, shape (T,)
            Learning rate of each step.
        use_blas : bool

        Returns
        -------
        theta, v : ndarray, shape (P,)
            Final parameters (those before the failing step on divergence) and mean square.
        S : ndarray, shape (Ns,)
        J : ndarray, shape (Ns, P_c)
            State-major.
        losses, grad_norms : ndarray, shape (n_run,)
        fail : int
            -1, or the local index of the step at which the run stopped.
        reason : int
            Code of :data:`REASONS`.
        """
        P = theta0.shape[0]
        Pc = P - Ph
        Ns = S0.shape[0]
        T = Y.shape[0]
        theta = theta0.copy()
        theta_new = np.empty(P)
        v = v0.copy()
        v_new = np.empty(P)
        th = np.empty(Pc)
        g1 = np.empty(Pc)
        g2 = np.empty(Pc)
        acc = np.zeros(3)
        J, Jn, S, s, coef, A, work, w, o = _scratch(S0, J0, n_coef, Xd.shape[1], C)
        gh = np.empty(Ph)
        losses = np.empty(T)
        gnorms = np.empty(T)
        n_run = 0
        fail = -1
        reason = 0
        for t in range(T):
            _map_params(theta[Ph:], maps, mscale, th, g1, g2)
            forward(ip, fp, th, Ns, Xd[t], Xi[t], S, s, coef, A, work, True)
            loss = _head(hcode, theta[:Ph], n_out, s, Y[t], gh, w, o)
            acc[0] = 0.0
            acc[1] = 0.0
            acc[2] = 0.0
            why = _diverged(loss, acc)
            if why != 0:
                fail = t
                reason = why
                break
            _step1(terms, coef, g1, Xd[t], Xi[t], S, w, A, J, Jn, True, use_blas)
            eta = etas[t]
            _update(theta, theta_new, v, v_new, gh, 0, opt, beta, eps, eta, acc)
            _update(theta, theta_new, v, v_new, Jn[Ns], Ph, opt, beta, eps, eta, acc)
            losses[t] = loss
            gnorms[t] = math.sqrt(acc[0])
            n_run = t + 1
            why = _diverged(loss, acc)
            if why != 0:
                fail = t
                reason = why
                break
            theta, theta_new = theta_new, theta
            v, v_new = v_new, v
            J, Jn = Jn, J
            for k in range(Ns):
                S[k] = s[k]
        return theta, v, S, _state_rows(J, Ns), losses[:n_run].copy(), gnorms[:n_run].copy(), fail, reason


    def _particles_loop(
        ip, fp, th, g1, g2, terms, n_coef, S, Jt, Ht, Xd, Xi, n_chunks, second,
        readout, hcode, thh, n_out, C, Y, loss_sum, grad_sum,
    ):  # pragma: no cover - compiled
        r"""Advance every particle ``Y.shape[0]`` steps at fixed :math:`\theta`, in place.

        First order (2.20)-(2.21) of [P1], or second order (Section 2.4). ``prange`` over
        contiguous chunks of particles; each chunk allocates its scratch once; per particle:
        engine layout to state-major, n steps, back. Every particle touches only its own rows:
        the results do not depend on the thread count.

        Parameters
        ----------
        ip, fp, th, g1, g2, terms, n_coef
            The cell, as in the other loops (``g2`` = :math:`\tilde\Theta''`).
        S : ndarray, shape (K, Ns)
            States, updated in place.
        Jt : ndarray, shape (K, P_c, Ns)
            Sensitivities, engine layout, in place.
        Ht : ndarray, shape (K, P_c^2, Ns)
            Second-order sensitivities, in place (ignored at first order).
        Xd : ndarray, shape (n, K, d)
        Xi : ndarray of int64, shape (n, K)
        n_chunks : int
        second, readout : bool
            Second order; whether to sum the head's loss and gradient.
        hcode, thh, n_out, C
            The head.
        Y : ndarray, shape (n, K)
        loss_sum : ndarray, shape (K,)
        grad_sum : ndarray, shape (K, P_h + P_c)
            Outputs of the readout sums.
        """
        Ns = S.shape[1]
        Pc = th.shape[0]
        K = S.shape[0]
        n = Y.shape[0]
        PP = Pc * Pc if second else 1
        Ph = thh.shape[0]
        for ch in prange(n_chunks):
            s = np.empty(Ns)
            coef = np.zeros((n_coef, Ns))
            A = np.zeros((Ns + 1, Ns))
            work = np.zeros(4 * Ns + Pc // max(Ns, 1) + Xd.shape[2] + 2)
            w = np.zeros(Ns)
            gh = np.empty(max(Ph, 1))
            o = np.empty(max(C, 1))
            Js = np.empty((Ns, Pc))
            Jn = np.empty((Ns, Pc))
            Az = np.empty((Ns, Pc))
            ThS = np.empty((Ns, Ns))
            Hs = np.empty((Ns, PP))
            Hn = np.empty((Ns, PP))
            for c in range((ch * K) // n_chunks, ((ch + 1) * K) // n_chunks):
                Sc = S[c]
                _to_state_major(Jt[c], Js)
                if second:
                    _to_state_major(Ht[c], Hs)
                for t in range(n):
                    forward(ip, fp, th, Ns, Xd[t, c], Xi[t, c], Sc, s, coef, A, work,
                                  not second)
                    if second:
                        _step2(ip, th, g1, g2, Sc, Js, Jn, Hs, Hn, coef, work, ThS, Az)
                        Hs, Hn = Hn, Hs
                    else:
                        _step1(terms, coef, g1, Xd[t, c], Xi[t, c], Sc, w, A, Js, Jn, False, False)
                    Js, Jn = Jn, Js
                    for k in range(Ns):
                        Sc[k] = s[k]
                    if readout:
                        loss_sum[c] += _head(hcode, thh, n_out, Sc, Y[t, c], gh, w, o)
                        g = grad_sum[c]
                        for p in range(Ph):
                            g[p] += gh[p]
                        for k in range(Ns):
                            wk = w[k]
                            jk = Js[k]
                            for p in range(Pc):
                                g[Ph + p] += jk[p] * wk
                _to_engine(Js, Jt[c])
                if second:
                    _to_engine(Hs, Ht[c])

    return {"sequence": _sequence_loop, "train": _train_loop, "particles": _particles_loop}


# ------------------------------------------------------------------------------------------------
# Compilation (once per process; numba's cache across processes)
# ------------------------------------------------------------------------------------------------
_HELPERS = (
    "_map_params",
    "_head",
    "_update",
    "_diverged",
    "_rows_product",
    "_step1",
    "_step2",
    "_to_state_major",
    "_to_engine",
    "_scratch",
    "_state_rows",
)


#: Helpers inlined into the loops at numba's IR level: no call with some tens of array arguments
#: (and their reference counts) per step. Forward functions are inlined too.
_INLINE = ("_act", "_head", "_step1")


def _jit(numba, fn, tag=None, **extra):
    """Compile ``fn`` with :data:`JIT_OPTIONS` (without the cache where none is writable).

    Parameters
    ----------
    numba : module
    fn : function
    tag : str, optional
        Key the on-disk cache on it as well as on ``fn``'s own source: numba's cache follows
        only the file a function is defined in, so a loop that inlines a cell's forward function
        (another file) is keyed on that file's contents (:func:`_fingerprint`).
    **extra
        Further ``numba.njit`` options (``inline``, ``parallel``).

    Returns
    -------
    numba dispatcher
    """
    if tag is None:
        try:
            return numba.njit(**JIT_OPTIONS, **extra)(fn)
        except RuntimeError as exc:  # numba: "cannot cache function ...: no locator available"
            _announce(f"numba cannot cache here ({exc}); compiling in memory for this process")
    opts = {k: v for k, v in JIT_OPTIONS.items() if k != "cache"}
    disp = numba.njit(**opts, **extra)(fn)
    if tag is not None:
        try:
            disp._cache = _tagged_cache_class(numba)(fn, tag)
        except RuntimeError as exc:
            _announce(f"numba cannot cache here ({exc}); compiling in memory for this process")
    return disp


def _tagged_cache_class(numba):
    """Return numba's FunctionCache keyed on a tag instead of a closure's variables.

    numba's own key pickles a closure's variables (here the forward's dispatcher, whose pickle
    differs between processes, so nothing would ever be loaded); the tag stands in for them.
    Uses numba internals (``FunctionCache._index_key``).

    Parameters
    ----------
    numba : module

    Returns
    -------
    type
    """
    if "tagged_cache" not in _COMPILED:
        from numba.core.caching import FunctionCache

        class _TaggedCache(FunctionCache):
            def __init__(self, py_func, tag):
                super().__init__(py_func)
                self._tag = tag

            def _index_key(self, sig, codegen):
                # numba's key pickles a closure's variables (here the forward's dispatcher,
                # whose pickle differs between processes): the tag stands in for them.
                code = hashlib.sha256(self._py_func.__code__.co_code).hexdigest()
                return (sig, codegen.magic_tuple(), (code, self._tag))

        _COMPILED["tagged_cache"] = _TaggedCache
    return _COMPILED["tagged_cache"]


def _fingerprint(name: str) -> str:
    """Return the key of the compiled code of the cell registered as ``name``.

    Parameters
    ----------
    name : str
        A key of ``cells._jit.FORWARDS``.

    Returns
    -------
    str
        SHA-256 of the forward's name and qualified name and of the sources of its module and
        of ``cells._jit`` as they were when imported (``cells._jit.SOURCE_HASHES``): an edit
        of either file gives a new key, so the loops and the forward are recompiled rather than
        loaded stale from numba's cache.
    """
    fn = FORWARDS[name]
    key = f"{name}:{fn.__module__}.{fn.__qualname__}:"
    key += f"{_cjit.SOURCE_HASHES[name]}:{_cjit.SOURCE_HASHES['']}"
    h = hashlib.sha256(key.encode())
    return h.hexdigest()


def _announce(text: str) -> None:
    """Print ``text`` on stderr, prefixed with the package name.

    Parameters
    ----------
    text : str
    """
    print(f"rtrl-theory: {text}", file=sys.stderr, flush=True)


def kernels() -> dict:
    """Compile the shared helpers on first use (or load them from numba's on-disk cache).

    Returns
    -------
    dict
        The registry of compiled code: ``"get_num_threads"``, and each cell's loops under
        ``("loops", name)`` once :func:`loops` built them.

    Raises
    ------
    ImportError
        numba is not installed.
    """
    if "get_num_threads" not in _COMPILED:
        try:
            import numba
        except ImportError as exc:
            raise ImportError(
                "the compiled engine needs numba (pip install 'rtrl-theory[fast]'); "
                "use backend='numpy'"
            ) from exc
        jit_module = vars(_cjit)
        for name in _cjit.HELPERS:  # the scalar helpers first: everything else calls them
            if not isinstance(jit_module[name], numba.core.dispatcher.Dispatcher):
                extra = {"inline": "always"} if name in _INLINE else {}
                jit_module[name] = _jit(numba, jit_module[name], **extra)
        module = globals()
        module["prange"] = numba.prange
        module["_tanh"] = jit_module["_tanh"]
        for name in _HELPERS:
            if not isinstance(module[name], numba.core.dispatcher.Dispatcher):
                extra = {"inline": "always"} if name in _INLINE else {}
                module[name] = _jit(numba, module[name], **extra)
        _COMPILED["get_num_threads"] = numba.get_num_threads
    return _COMPILED


def loops(forward: str) -> dict:
    """Return the compiled loops of the cell whose forward is registered as ``forward``.

    Parameters
    ----------
    forward : str
        A key of ``cells._jit.FORWARDS``.

    Returns
    -------
    dict
        ``"sequence"``, ``"train"``, ``"particles"``: numba dispatchers (compiled on first call,
        or loaded from the cache keyed on :func:`_fingerprint`).
    """
    kern = kernels()
    key = ("loops", forward)
    if key not in kern:
        import numba

        tag = _fingerprint(forward)
        fw = _jit(numba, FORWARDS[forward], tag, inline="always")
        raw = _loops_for(fw)
        kern[key] = {
            "sequence": _jit(numba, raw["sequence"], tag),
            "train": _jit(numba, raw["train"], tag),
            "particles": _jit(numba, raw["particles"], tag, parallel=True),
        }
    return kern[key]


def _run(name: str, forward: str, *args):
    """Call loop ``name`` of cell ``forward``; the first compilation in a process says so.

    Parameters
    ----------
    name : {"sequence", "train", "particles"}
    forward : str
    *args
        The loop's arguments.

    Returns
    -------
    object
        What the loop returns.
    """
    disp = loops(forward)[name]
    if (name, forward) not in _ANNOUNCED:
        _ANNOUNCED.append((name, forward))
        try:  # numba internals: does the on-disk index hold this cell's entry?
            index = disp._cache._cache_file._load_index()
            cached = any(k[-1][-1] == disp._cache._tag for k in index)
        except Exception:
            cached = False
        if not cached and not disp.signatures and "compiling" not in _ANNOUNCED:
            _ANNOUNCED.append("compiling")
            _announce("compiling kernels (once; later runs load them from numba's cache)")
    return disp(*args)


# ------------------------------------------------------------------------------------------------
# Models described to the kernels
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelDescription:
    """A model as the kernels see it: the cell's table as arrays and the head's code.

    Attributes
    ----------
    forward : str
        Name of the cell's registered forward function.
    ip : ndarray of int64
        The cell's static integers.
    fp : ndarray
        The cell's static floats (at least one entry).
    terms : ndarray of int64, shape (n_terms, 10)
        The cell's table of row-local terms (:math:`M_t` of (2.20)-(2.21)).
    n_coef : int
        Coefficient rows of the forward function.
    maps : ndarray of int64, shape (n_maps, 3)
    mscale : ndarray, shape (n_maps,)
        The weight maps (:func:`_map_params`).
    second_order : bool
        Whether the compiled second-order step applies.
    onehot : bool
        Symbols as inputs.
    hcode : int
        0 readout, 1 softmax cross-entropy.
    n_out, n_classes, n_state : int
        State entries the head reads, classes, state size N_s.
    """

    forward: str
    ip: np.ndarray
    fp: np.ndarray
    terms: np.ndarray
    n_coef: int
    maps: np.ndarray
    mscale: np.ndarray
    second_order: bool
    onehot: bool
    hcode: int
    n_out: int
    n_classes: int
    n_state: int


def describe_model(model, *, order: int = 1, task: str = "loss_and_grad"):
    """Describe ``model`` to the kernels, or say why they do not cover it.

    Parameters
    ----------
    model : RNNModel
    order : {1, 2}
        Order of the sensitivities (``task="particles"``).
    task : str
        One of ``engine._backend.TASKS``.

    Returns
    -------
    ModelDescription or str
        The description, or a phrase saying why not (used by
        :func:`~rtrl_theory.engine.select_backend`).
    """
    cell = model.cell
    head = getattr(model.head, "inner", model.head)
    compiled = getattr(cell, "compiled", None)
    desc = compiled() if callable(compiled) else None
    if desc is None:
        return f"the cell {type(cell).__name__} has no compiled description (cell.compiled())"
    if desc.forward not in FORWARDS:
        return (
            f"the compiled forward {desc.forward!r} is not registered "
            f"(cells._jit.register_forward)"
        )
    if task == "particles" and order == 2 and not desc.second_order:
        return (
            f"second order is compiled for pre-activation cells with u~ = (X; S) and a sigmoid or "
            f"tanh activation, not {cell!r}"
        )
    hname = type(head).__name__
    if task != "particles":  # the particles carry no head (readout sums: the readout only)
        if hname not in _HEADS:
            return f"the head is a {hname}, not SquaredErrorReadout or SoftmaxCrossEntropy"
    onehot = getattr(cell, "input_kind", "dense") == "onehot"
    if task == "particles" and onehot:
        return "particles need dense inputs (X (K, d) per step)"
    maps = np.array([m[:3] for m in desc.maps], dtype=np.int64).reshape(-1, 3)
    mscale = np.array([m[3] for m in desc.maps], dtype=float)
    return ModelDescription(
        desc.forward,
        np.array(desc.ints, dtype=np.int64),
        np.array(desc.floats if desc.floats else (0.0,), dtype=float),
        np.array([t.row() for t in desc.terms], dtype=np.int64).reshape(-1, 10),
        int(desc.n_coef),
        maps,
        mscale,
        bool(desc.second_order),
        onehot,
        _HEADS.get(hname, 0),
        int(getattr(model.head, "n_out", cell.n_state)),
        int(getattr(head, "n_classes", 0) or 0),
        int(cell.n_state),
    )


def _description(model, **kw) -> ModelDescription:
    """Return :func:`describe_model`'s description, or raise.

    Parameters
    ----------
    model : RNNModel
    **kw
        ``order``, ``task``.

    Returns
    -------
    ModelDescription

    Raises
    ------
    ValueError
        The kernels do not cover the model (the message says why).
    """
    d = describe_model(model, **kw)
    if isinstance(d, str):
        raise ValueError(f"model: the compiled engine does not cover it ({d})")
    return d


def mapped_params(desc: ModelDescription, theta_c):
    r"""Map the flat cell parameters through their weight maps.

    Parameters
    ----------
    desc : ModelDescription
    theta_c : array_like, shape (P_c,)
        Raw cell parameters.

    Returns
    -------
    th, g1, g2 : ndarray, shape (P_c,)
        :math:`\tilde\Theta`, :math:`\tilde\Theta'`, :math:`\tilde\Theta''` (flat).
    """
    raw = np.ascontiguousarray(theta_c, dtype=float)
    th, g1, g2 = np.empty_like(raw), np.empty_like(raw), np.empty_like(raw)
    kernels()
    _map_params(raw, desc.maps, desc.mscale, th, g1, g2)
    return th, g1, g2


def _inputs(desc: ModelDescription, X, lead: tuple):
    """Split the inputs into dense inputs and symbols for the kernels.

    Parameters
    ----------
    desc : ModelDescription
    X : array_like
        Inputs (lead, d), or symbols (lead) for one-hot cells.
    lead : tuple
        Leading shape.

    Returns
    -------
    Xd : ndarray, shape (lead, d)
        Dense inputs ((lead, 0) for one-hot cells).
    Xi : ndarray of int64, shape (lead)
        Symbols (zeros for dense cells).
    """
    if desc.onehot:
        Xi = np.ascontiguousarray(X, dtype=np.int64)
        return np.zeros((*lead, 0)), Xi
    return np.ascontiguousarray(X, dtype=float), np.zeros(lead, dtype=np.int64)


def _use_blas(Ns: int) -> bool:
    """Return whether the per-step product is a BLAS GEMM (:data:`BLAS_MIN_N`).

    Parameters
    ----------
    Ns : int

    Returns
    -------
    bool
    """
    return Ns >= BLAS_MIN_N


def preactivation_description(shape, state_start: int, activation: str) -> ModelDescription:
    r"""Describe a pre-activation cell given by its mapped weights, with the readout head.

    For the array-level wrappers (``_numba``, ``_numba_particles``): the weights are already
    mapped, so the description has no maps.

    Parameters
    ----------
    shape : tuple of int
        (N, M) of :math:`\tilde\Theta`, M = d + N.
    state_start : int
        First state column of :math:`\tilde u`: d for :math:`(X; S)`, 0 for :math:`(S; X)`.
    activation : str
        A name of ``cells._base.ACTIVATION_CODES``.

    Returns
    -------
    ModelDescription
    """
    from rtrl_theory.cells._base import ACTIVATION_CODES

    N, M = shape
    d = M - N
    cin = 0 if state_start > 0 else N
    terms = np.array(
        [
            (cin * N, SOURCES.index("input"), 0, d, 0, N, 0, 0, N, 1),
            (state_start * N, SOURCES.index("state"), 0, N, 0, N, 0, 0, N, 1),
        ],
        dtype=np.int64,
    )
    ip = np.array([M, ACTIVATION_CODES.index(activation), cin, state_start, -1, 0], np.int64)
    return ModelDescription(
        "preactivation", ip, np.zeros(1), terms, 2, np.zeros((0, 3), np.int64),
        np.zeros(0), True, False, 0, N, 0, N,
    )


def run_sequence(desc, th, g1, th_h, X, Y, S0, J0, use_blas, grad=True):
    """Run the fixed-theta loop on prepared arrays, with one BLAS thread where it pays.

    Parameters
    ----------
    desc : ModelDescription
    th, g1 : ndarray, shape (P_c,)
        Mapped cell parameters and their derivatives.
    th_h : ndarray, shape (P_h,)
        Head parameters.
    X : ndarray, shape (T, d) or (T,)
    Y : ndarray, shape (T,)
    S0 : ndarray, shape (N_s,)
    J0 : ndarray, shape (N_s, P_c)
        State-major.
    use_blas : bool
    grad : bool, optional
        False: the losses only.

    Returns
    -------
    losses : ndarray, shape (T,)
    grad : ndarray, shape (P_h + P_c,) or None
        MEAN gradient (2.22)-(2.23) of [P1].
    S : ndarray, shape (N_s,)
    J : ndarray, shape (N_s, P_c)
        State-major.
    """
    from ._blas import blas_threads, threads_for_gemm

    T = Y.shape[0]
    Ns, Pc = desc.n_state, th.shape[0]
    Xd, Xi = _inputs(desc, X, (T,))
    use_blas = bool(use_blas) and grad
    with blas_threads(threads_for_gemm(Ns + 1, Ns, Pc) if use_blas else None):
        losses, g_h, g_c, S, J = _run(
            "sequence", desc.forward, desc.ip, desc.fp, th, g1, desc.terms, desc.n_coef,
            desc.hcode, np.ascontiguousarray(th_h, dtype=float), desc.n_out, desc.n_classes,
            Xd, Xi, np.ascontiguousarray(Y, dtype=float), S0, J0, use_blas, bool(grad),
        )
    g = np.concatenate([g_h, g_c]) / T if grad else None
    return losses, g, S, J


def sequence_compiled(model, theta, X, Y, *, S0=None, Jt0=None, grad: bool = True):
    r"""Compute the loss and exact gradient over one sequence at fixed :math:`\theta`, compiled.

    Parameters
    ----------
    model : RNNModel
        A model the kernels cover (:func:`describe_model`).
    theta : array_like, shape (P,)
        Flat parameters (head, cell).
    X : ndarray, shape (T, d) or (T,)
        Inputs (symbols for one-hot cells), validated by the caller.
    Y : ndarray, shape (T,)
    S0 : array_like, shape (N_s,), optional
        Initial state (default 0).
    Jt0 : array_like, shape (P_c, N_s), optional
        Initial sensitivities, engine layout (default 0).
    grad : bool, optional
        False: a forward pass only.

    Returns
    -------
    losses : ndarray, shape (T,)
        Per-step losses; their mean is (1.2) of [P1].
    grad : ndarray, shape (P,) or None
        The MEAN gradient (2.22)-(2.23).
    S_T : ndarray, shape (N_s,)
    Jt_T : ndarray, shape (P_c, N_s)
        Final sensitivities, engine layout.
    """
    desc = _description(model)
    theta = np.asarray(theta, dtype=float)
    th_h, tc = model.split(theta)
    th, g1, _ = mapped_params(desc, tc)
    Ns, Pc = desc.n_state, tc.shape[0]
    S0 = np.zeros(Ns) if S0 is None else np.array(S0, dtype=float).reshape(Ns)
    J0 = np.zeros((Ns, Pc)) if Jt0 is None else np.ascontiguousarray(np.asarray(Jt0).T)
    losses, g, S, J = run_sequence(desc, th, g1, th_h, X, Y, S0, J0, _use_blas(Ns), grad)
    return losses, g, S, J.T.copy()


@dataclass(frozen=True)
class CompiledTrainResult:
    """Result of :func:`train_compiled` (and ``rtrl_train_text_fast``).

    Attributes
    ----------
    theta : ndarray, shape (P,)
        Final flat parameters (head, cell): those before the failing step on divergence.
    v : ndarray, shape (P,), or None
        RMSprop's running mean square (None for SGD).
    S : ndarray, shape (N_s,)
        Final state.
    Jt : ndarray, shape (P_c, N_s)
        Final sensitivities, engine layout.
    losses, grad_norms : ndarray, shape (n_run,)
        Per-step loss (nats for the softmax head) and gradient norm.
    fail : int
        -1, or the local index of the step at which the run stopped.
    reason : str
        "" or the divergence message (:data:`REASONS`, without the step number).
    """

    theta: np.ndarray
    v: np.ndarray | None
    S: np.ndarray
    Jt: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    fail: int
    reason: str


def optimizer_code(optimizer):
    """Return the compiled update's code and constants for an optimizer.

    Parameters
    ----------
    optimizer : str or SGD or RMSprop
        ``"sgd"``, ``"rmsprop"`` or an object with that ``name`` (and ``beta``, ``eps``).

    Returns
    -------
    code : int
        0 SGD, 1 RMSprop.
    beta, eps : float

    Raises
    ------
    ValueError
        Any other optimizer.
    """
    if isinstance(optimizer, str):
        name, beta, eps = optimizer, 0.9, 1e-8
    else:
        name = getattr(optimizer, "name", None)
        beta, eps = getattr(optimizer, "beta", 0.0), getattr(optimizer, "eps", 1.0)
    if name not in _OPTIMIZERS:
        raise ValueError(
            f"optimizer: the compiled trainer runs 'sgd' or 'rmsprop' (or SGD / RMSprop "
            f"objects), got {optimizer!r}"
        )
    return _OPTIMIZERS[name], float(beta), float(eps)


def train_compiled(
    model, theta, X, Y, etas, optimizer="sgd", *, S0=None, Jt0=None, v0=None, use_blas=None
):
    """Run online RTRL (2.24)-(2.26) of [P1] over one sequence with SGD or RMSprop, compiled.

    Parameters
    ----------
    model : RNNModel
        A model the kernels cover for ``task="train_online"``.
    theta : array_like, shape (P,)
        Initial flat parameters (head, cell).
    X : ndarray, shape (T, d) or (T,)
    Y : ndarray, shape (T,)
    etas : array_like, shape (T,)
        Learning rate of each step.
    optimizer : str or SGD or RMSprop, optional
    S0 : array_like, shape (N_s,), optional
    Jt0 : array_like, shape (P_c, N_s), optional
        Engine layout.
    v0 : array_like, shape (P,), optional
        RMSprop's initial mean square (default 0).
    use_blas : bool, optional
        Default: :data:`BLAS_MIN_N` decides.

    Returns
    -------
    CompiledTrainResult
    """
    from ._blas import blas_threads, threads_for_gemm

    desc = _description(model, task="train_online")
    opt, beta, eps = optimizer_code(optimizer)
    theta = np.array(theta, dtype=float)
    T = Y.shape[0]
    Ns, P = desc.n_state, theta.shape[0]
    Ph = model.n_head_params
    Pc = P - Ph
    S0 = np.zeros(Ns) if S0 is None else np.array(S0, dtype=float).reshape(Ns)
    J0 = np.zeros((Ns, Pc)) if Jt0 is None else np.ascontiguousarray(np.asarray(Jt0).T)
    v0 = np.zeros(P) if v0 is None else np.array(v0, dtype=float)
    Xd, Xi = _inputs(desc, X, (T,))
    use_blas = _use_blas(Ns) if use_blas is None else bool(use_blas)
    with blas_threads(threads_for_gemm(Ns + 1, Ns, Pc) if use_blas else None):
        out = _run(
            "train", desc.forward, desc.ip, desc.fp, desc.terms, desc.n_coef, desc.maps,
            desc.mscale, desc.hcode, Ph, desc.n_out, desc.n_classes, theta, Xd, Xi,
            np.ascontiguousarray(Y, dtype=float), S0, J0, opt, beta, eps, v0,
            np.ascontiguousarray(etas, dtype=float), use_blas,
        )
    th, v, S, J, losses, gnorms, fail, reason = out
    return CompiledTrainResult(
        th, v if opt == 1 else None, S, J.T.copy(), losses, gnorms, int(fail), REASONS[reason]
    )


def particles_compiled(
    desc: ModelDescription, th, g1, g2, S, Jt, Ht, X, *, theta_h=None, Y=None
):
    r"""Advance K particles n steps in place at fixed :math:`\theta`, compiled.

    First order (2.20)-(2.21) of [P1], or second order (Section 2.4) when ``Ht`` is given.

    Parameters
    ----------
    desc : ModelDescription
    th, g1, g2 : ndarray, shape (P_c,)
        :func:`mapped_params`.
    S : ndarray, shape (K, N_s)
    Jt : ndarray, shape (K, P_c, N_s)
    Ht : ndarray, shape (K, P_c, P_c, N_s), or None
        Updated in place.
    X : ndarray, shape (n, K, d)
    theta_h : ndarray, shape (P_h,), optional
    Y : ndarray, shape (n, K), optional
        With both, the head's sums along the way.

    Returns
    -------
    tuple or None
        (loss sums (K,), gradient sums (K, P_h + P_c)) with ``theta_h`` and ``Y``, else None.
    """
    K = S.shape[0]
    n = X.shape[0]
    second = Ht is not None
    readout = Y is not None
    Ns, Pc = desc.n_state, th.shape[0]
    thh = np.zeros(1) if theta_h is None else np.ascontiguousarray(theta_h, dtype=float)
    Yc = np.zeros((n, K)) if Y is None else np.ascontiguousarray(Y, dtype=float)
    Ph = thh.shape[0] if readout else 0
    loss_sum = np.zeros(K if readout else 1)
    grad_sum = np.zeros((K if readout else 1, Ph + Pc))
    Xd, Xi = _inputs(desc, X, (n, K))
    H3 = Ht.reshape(K, Pc * Pc, Ns) if second else np.zeros((1, 1, Ns))
    kern = kernels()
    n_chunks = min(K, 4 * kern["get_num_threads"]())
    _run(
        "particles", desc.forward, desc.ip, desc.fp, th, g1, g2, desc.terms, desc.n_coef, S, Jt,
        H3, Xd, Xi, n_chunks, second, readout, desc.hcode, thh, desc.n_out, desc.n_classes, Yc,
        loss_sum, grad_sum,
    )
    return (loss_sum, grad_sum) if readout else None


#: Sources of the compiled terms, in the codes the kernels read (cells._base.SOURCES).
SOURCE_CODES = {name: i for i, name in enumerate(SOURCES)}
