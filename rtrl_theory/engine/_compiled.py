r"""The compiled engine: one first-order step and one second-order step fed by each cell's table.

As diffrax feeds a Butcher tableau to one Runge-Kutta loop, every cell is fed to ONE compiled
step of the first-order recursion (2.20)-(2.21) of [P1] (matrix form, THEORY.md section 4),

.. math::

    J_{t+1} = A_t J_t + M_t, \qquad A_t = \frac{\partial S_{t+1}}{\partial S_t}, \qquad
    (M_t)_{\text{state0}+i,\ \text{offset} + jR + \text{row0} + i}
        = \text{coef}[\text{row}, i]\ u_j\ (\tilde\Theta'\ \text{if weighted}),

by a :class:`~rtrl_theory.cells.CompiledCell`: the name of its compiled forward function (which
writes :math:`S_{t+1}`, the coefficient rows and :math:`A_t`) and the static table of its
row-local terms (``cells._base``). The loops are written once each and take any cell and head:

* :func:`sequence_compiled`: fixed :math:`\theta` over one sequence, the loss (1.2) and its exact
  gradient (2.22)-(2.23), or the losses alone (a forward pass);
* :func:`train_compiled`: online RTRL (2.24)-(2.26) with SGD or RMSprop, the parameters (and their
  weight maps) changing at every step, the one compiled divergence rule;
* :func:`particles_compiled`: K particles of the joint process at fixed :math:`\theta`, first
  order, or second order (Section 2.4) for pre-activation cells with :math:`\tilde u = (X; S)`,
  with ``numba.prange`` over chunks of particles and optional readout sums.

Heads (squared-error readout, softmax cross-entropy), the weight maps, the activations, the
optimizers' updates and the divergence rule are compiled here once. Registering a cell: write
its forward function below (signature of :func:`_fw_preactivation`) and add ONE line to
:data:`FORWARDS` and to :func:`_cell_forward`; the cell's module gives its table in
``compiled()``.

Layout: inside the kernels the sensitivities are STATE-major, ``J[k, p]`` (N_s (+ 1), P_c), with
an extra row :math:`w^\top J` (:math:`w = \partial_S\ell`) where a gradient is needed, so the
gradient comes out of the same product as :math:`J_{t+1}`; the wrappers take and return the
engine's parameter-major ``Jt[p, k]``. The product :math:`[A; w^\top A] J` is one BLAS GEMM
(``np.dot``) from :data:`BLAS_MIN_N` state entries on, hand-written loops below and inside
``prange`` (see :mod:`rtrl_theory.engine._blas` for BLAS threads).

JIT: numba is imported on first use; every kernel is compiled with :data:`JIT_OPTIONS`
(``cache=True``: numba's on-disk cache, beside the sources or, from a read-only install, in the
user's cache directory; without either the kernels compile in memory each process). The first
compilation in a process says so on stderr ("compiling kernels (once)"). numba's cache is
invalidated by changes to THIS file: the forward functions therefore live here too.
"""

from __future__ import annotations

import hashlib
import inspect
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
    "particles_compiled",
    "sequence_compiled",
    "train_compiled",
]

#: The one JIT configuration of the package: IEEE semantics (no fastmath, no FMA contraction),
#: a divergent run yields inf/NaN instead of raising, the GIL released.
JIT_OPTIONS = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}
#: From this many state entries on, the per-step product is a BLAS GEMM (measured crossover of
#: the paper RNN's loops, ``benchmarks/bench_rtrl.py --crossover``: N = 5).
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
    """Mapped parameters th = h(raw) and their derivatives g1 = h', g2 = h'' (cells._maps).

    maps[b] = (start, stop, kind): 0 identity, 1 c tanh(x), 2 c tanh(x/2) = c (2 sigma(x) - 1).
    Without maps th = raw and g1 = 1.
    """
    if maps.shape[0] == 0:
        for p in range(raw.shape[0]):
            th[p] = raw[p]
            g1[p] = 1.0
            g2[p] = 0.0
    for b in range(maps.shape[0]):
        a, e, kind = maps[b, 0], maps[b, 1], maps[b, 2]
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
    """Loss of the head on h = s[:n_out]; gh = d loss / d theta_h; w = d loss / dS (zero past
    n_out). 0: readout alpha . h, loss (alpha . h - y)^2 / 2; 1: softmax cross-entropy
    (cells._softmax: theta_h = (vec V, c), V (C, n_out) column-stacked)."""
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
    """theta' = theta - eta g (SGD, opt 0) or RMSprop (opt 1: v' = beta v + (1 - beta) g^2,
    theta' = theta - eta g / (sqrt(v') + eps)) on ``start : start + len(g)``, the formulas of
    runners._optimizers, in one pass. acc[0] += sum g^2; acc[1] (acc[2]) += 1 if some theta'
    (v') is not finite: x - x is 0 for finite x and NaN otherwise, so the sums of x - x are NaN
    exactly when some x is not finite."""
    m = gvec.shape[0]
    sq = 0.0
    chk = 0.0
    chv = 0.0
    if opt == 1:
        for p in range(m):
            gp = gvec[p]
            sq += gp * gp
            vp = beta * v[start + p] + (1.0 - beta) * (gp * gp)
            v_new[start + p] = vp
            chv += vp - vp
            tn = theta[start + p] - eta * gp / (math.sqrt(vp) + eps)
            theta_new[start + p] = tn
            chk += tn - tn
    else:
        for p in range(m):
            gp = gvec[p]
            sq += gp * gp
            tn = theta[start + p] - eta * gp
            theta_new[start + p] = tn
            chk += tn - tn
    acc[0] += sq
    if chk != chk:
        acc[1] += 1.0
    if chv != chv:
        acc[2] += 1.0


def _diverged(loss, acc):  # pragma: no cover - compiled
    """The divergence rule (REASONS): 1 loss not finite, 2 new parameters, 3 optimizer state."""
    if not math.isfinite(loss):
        return 1
    if acc[1] > 0.0:
        return 2
    if acc[2] > 0.0:
        return 3
    return 0


def _rows_product(A, J, Jn, nrow, N):  # pragma: no cover - compiled
    """Jn[k] = sum_l A[k, l] J[l] for k < nrow, by hand for small N (and inside prange).

    Two output rows at a time and four terms of l at a time, the remainder of l in one pass:
    each source row is loaded nrow / 2 times and each output row N / 4 times instead of N
    times; the loop over the row's L entries vectorises. (Measured: 1.7x the one-row version
    at N = 10, P_c = 130.)
    """
    L = J.shape[1]
    k = 0
    while k < nrow:
        two = k + 1 < nrow
        o0 = Jn[k]
        o1 = Jn[k + 1] if two else Jn[k]
        for i in range(L):
            o0[i] = 0.0
        if two:
            for i in range(L):
                o1[i] = 0.0
        l0 = 0
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
    """THE first-order step (2.20)-(2.21): Jn = A J + M (and row Ns: w^T Jn if ``grad_row``).

    A (Ns + 1, Ns) holds dS'/dS in rows :Ns (from the forward function); row Ns becomes w^T A,
    so that one product gives J_{t+1} and the gradient row; M is added from the table.
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
    for b in range(terms.shape[0]):
        off, src, src0, m = terms[b, 0], terms[b, 1], terms[b, 2], terms[b, 3]
        cr = terms[b, 4]
        R, row0, st0, n, wt = terms[b, 5], terms[b, 6], terms[b, 7], terms[b, 8], terms[b, 9]
        for jj in range(m if src != 0 else 1):
            if src == 0:
                j, uj = xi, 1.0
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
                    Jn[Ns, p] += w[st0 + i] * val
            elif wt:
                for i in range(n):
                    p = base + i
                    Jn[st0 + i, p] += coef[cr, i] * uj * g1[p]
            elif grad_row:
                for i in range(n):
                    p = base + i
                    val = coef[cr, i] * uj
                    Jn[st0 + i, p] += val
                    Jn[Ns, p] += w[st0 + i] * val
            else:
                for i in range(n):
                    Jn[st0 + i, base + i] += coef[cr, i] * uj


def _step2(ip, th, g1, g2, S, Js, Jn, Hs, Hn, coef, work, ThS, Az):  # pragma: no cover
    """THE second-order step (Section 2.4), pre-activation cells with u~ = (X; S), after the
    forward function (coef[0] = phi', coef[1] = phi'', work[:M] = u~, S the OLD state):

    A = Theta~_S Js + M; Hn[k] = phi'_k (Theta~_S Hs + R^k) + phi''_k a^k a^k^T (R^k in the NumPy
    engine's order: diagonal, rows, columns, its cross terms from the OLD Js); Jn = phi' A.
    """
    N = S.shape[0]
    M = ip[0]
    ss = ip[3]
    P = N * M
    for k in range(N):
        for l in range(N):
            ThS[k, l] = th[(ss + l) * N + k]
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
    """Buffers of the one-chain loops: J, Jn (Ns + 1, P_c) with J[:Ns] = J0, S = S0 copy, s,
    coef, A (Ns + 1, Ns), the forward's work array, w (Ns,), the head's o (C,)."""
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
    """A copy of J[:Ns] (by loops: a slice copy costs seconds of numba compilation)."""
    Pc = J.shape[1]
    out = np.empty((Ns, Pc))
    for k in range(Ns):
        for p in range(Pc):
            out[k, p] = J[k, p]
    return out


def _to_state_major(Ec, Xs):  # pragma: no cover - compiled
    """Xs[k, r] = Ec[r, k]: engine rows (R, N) to state-major (N, R)."""
    R, N = Ec.shape
    for k in range(N):
        row = Xs[k]
        for r in range(R):
            row[r] = Ec[r, k]


def _to_engine(Xs, Ec):  # pragma: no cover - compiled
    """Ec[r, k] = Xs[k, r]."""
    R, N = Ec.shape
    for k in range(N):
        row = Xs[k]
        for r in range(R):
            Ec[r, k] = row[r]


def _loops_for(forward):
    """The three loops of one cell: closures over its forward function (``cells._jit``).

    numba compiles each closure with ``forward`` as a constant, so every cell gets its own
    specialised copy of each loop (the forward inlined; no dispatch on the cell per step), and
    the on-disk cache keys them on the forward's source (:func:`_fingerprint`).
    """

    def _sequence_loop(
        ip, fp, th, g1, terms, n_coef, hcode, thh, n_out, C, Xd, Xi, Y, S0, J0, use_blas, grad
    ):  # pragma: no cover - compiled
        """Fixed theta over one sequence: per-step losses, summed (g_h, g_c), S_T, J_T (Ns, P_c)."""
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
        """Online RTRL (2.24)-(2.26) with SGD or RMSprop. Returns (theta, v, S, J (Ns, P_c), losses,
        grad_norms, fail, reason): fail = -1 or the local step index, reason as REASONS."""
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
        """n = Y.shape[0] steps of every particle (prange over contiguous chunks; each chunk
        allocates its scratch once; per particle: engine layout -> state-major, n steps, back).
        Every particle touches only its own rows: results do not depend on the thread count."""
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
    """numba.njit with JIT_OPTIONS; where no cache location is writable, without the cache.

    With ``tag`` (a string), the on-disk cache keys the function on it as well as on its own
    source: numba's cache follows only the file a function is defined in, so a loop that inlines
    a cell's forward function (another file) is keyed on that file's contents (:func:`_fingerprint`).
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
    """numba's FunctionCache keyed on ``tag`` instead of the closure's variables (internals)."""
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
    """Key of the compiled code of the cell whose forward is registered as ``name``.

    SHA-256 of the forward's name and qualified name and of the sources of its module and of
    ``cells._jit`` (the helpers it may call). An edit of either file gives a new key, so the
    loops and the forward are recompiled rather than loaded stale from numba's cache.
    """
    fn = FORWARDS[name]
    h = hashlib.sha256(f"{name}:{fn.__module__}.{fn.__qualname__}".encode())
    for path in (inspect.getsourcefile(_cjit), inspect.getsourcefile(fn)):
        try:
            with open(path, "rb") as fh:
                h.update(fh.read())
        except (OSError, TypeError):  # no source file: key on the bytecode
            h.update(fn.__code__.co_code)
    return h.hexdigest()


def _announce(text: str) -> None:
    print(f"rtrl-theory: {text}", file=sys.stderr, flush=True)


def kernels() -> dict:
    """The compiled helpers (compiled on first use, or loaded from numba's on-disk cache).

    Returns the dict that also holds, under ``("loops", name)``, each cell's loops once built
    (:func:`loops`), and ``"get_num_threads"``.
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
    """The compiled loops ("sequence", "train", "particles") of the cell registered as ``forward``."""
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
    """Call loop ``name`` of cell ``forward``; the first compilation in a process says so."""
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
    """A model as the kernels see it: the cell's table as arrays and the head's code."""

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
    """The :class:`ModelDescription` of ``model``, or a phrase saying why the kernels do not
    cover it (used by :func:`~rtrl_theory.engine.select_backend`)."""
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
    d = describe_model(model, **kw)
    if isinstance(d, str):
        raise ValueError(f"model: the compiled engine does not cover it ({d})")
    return d


def mapped_params(desc: ModelDescription, theta_c):
    """(th, g1, g2): the flat cell parameters through their weight maps, and the derivatives."""
    raw = np.ascontiguousarray(theta_c, dtype=float)
    th, g1, g2 = np.empty_like(raw), np.empty_like(raw), np.empty_like(raw)
    kernels()
    _map_params(raw, desc.maps, desc.mscale, th, g1, g2)
    return th, g1, g2


def _inputs(desc: ModelDescription, X, lead: tuple):
    """(Xd, Xi): dense inputs (lead, d) and symbols (lead) (the other one empty)."""
    if desc.onehot:
        Xi = np.ascontiguousarray(X, dtype=np.int64)
        return np.zeros((*lead, 0)), Xi
    return np.ascontiguousarray(X, dtype=float), np.zeros(lead, dtype=np.int64)


def _use_blas(Ns: int) -> bool:
    return Ns >= BLAS_MIN_N


def preactivation_description(shape, state_start: int, activation: str) -> ModelDescription:
    """The table of a pre-activation cell given by its mapped (N, M) weights and u~ = (X; S)
    (``state_start`` = d) or (S; X) (0), with the readout head: for the array-level wrappers."""
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
    """The fixed-theta loop on prepared arrays: (losses, mean gradient, S_T, J_T (Ns, P_c))."""
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
    r"""Fixed :math:`\theta` over one sequence, compiled: ``(losses (T,), grad (P,), S_T, Jt_T)``.

    ``grad`` is the MEAN gradient (2.22)-(2.23) (None when ``grad=False``: a forward pass only);
    ``Jt_T`` (P_c, N_s) the final sensitivities in the engine layout. ``X``, ``Y`` validated.
    """
    from ._blas import blas_threads, threads_for_gemm

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
    theta : ndarray (P,)
        Final flat parameters (head, cell): those before the failing step on divergence.
    v : ndarray (P,) or None
        RMSprop's running mean square (None for SGD).
    S : ndarray (N_s,)
    Jt : ndarray (P_c, N_s)
        Final sensitivities, engine layout.
    losses, grad_norms : ndarray (n_run,)
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
    """(code, beta, eps) of an SGD / RMSprop object or name for the compiled update."""
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
    """Online RTRL over one sequence with SGD or RMSprop, compiled (:func:`_train_loop`)."""
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
    """Advance K particles n steps in place (:func:`_particles_loop`); X (n, K, d).

    With ``theta_h`` and ``Y`` (n, K) returns the per-particle sums (loss (K,), gradient
    (K, P_h + P_c)) of the head along the way, else None.
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
