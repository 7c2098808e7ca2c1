r"""Numba kernels behind :mod:`rtrl_theory.engine._numba` (compiled on first use).

Plain Python functions that :func:`_kernels` compiles with numba: the fused fixed-theta loop
(2.20)-(2.23) and the online RTRL loop (2.24)-(2.26) of [P1] for one chain of a pre-activation
cell, and their helpers. See the docstring of :mod:`rtrl_theory.engine._numba` for the layout and
implementation notes; the public, validated entry points live there.
"""

from __future__ import annotations

import math

import numpy as np

_JIT_OPTIONS = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}
_COMPILED: dict = {}

# Constants of _tanh: Cephes' rational approximation of tanh on |x| < 0.625 (tanh.c, S. L.
# Moshier; peak relative error 1.5e-16) and a range-reduced exp for the rest.
_TANH_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
_TANH_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_POW2 = np.array([2.0**k for k in range(64)])  # 2^k for the exp range reduction, k <= 58


# ------------------------------------------------------------------------------------------------
# Kernels: plain Python functions compiled by numba on first use (see _kernels).
# Glossary: ThT[m, k] = Theta~[k, m] (M, N), i.e. vec(Theta~) reshaped, so that the flat index
# of (k, m) is p = m N + k; G1T likewise for Theta~'; u = u~ (M,); s = S_{t+1}; D = phi'(z);
# w = r alpha; J, Jn are (N + 1, P_c) buffers (rows :N hold J, row N the gradient row).
# ------------------------------------------------------------------------------------------------
def _tanh(x):  # pragma: no cover - compiled by numba
    """tanh without a libm call or data-dependent branches (a select), so that it pipelines.

    |x| < 0.625: Cephes' rational x + x^3 P(x^2)/Q(x^2); otherwise sign(x) (1 - 2/(e^{2|x|} + 1))
    with e^y = 2^k e^r, |r| <= ln2 / 2, e^r by its Taylor polynomial of degree 13 (remainder
    < 1e-17) and |x| clipped at 20 (tanh(20) rounds to 1). Measured against np.tanh on 4e5
    points over [-30, 30] and near 0: at most 2 ulp (libm's tanh: 3 ulp). NaN gives NaN (the
    comparison below is false for NaN, which selects the rational branch).
    """
    a = abs(x)
    z = x * x
    small = x + x * z * (
        ((_TANH_P[0] * z + _TANH_P[1]) * z + _TANH_P[2])
        / (((z + _TANH_Q[0]) * z + _TANH_Q[1]) * z + _TANH_Q[2])
    )
    y = 2.0 * min(max(a, 0.625), 20.0)
    k = math.floor(y * _INV_LN2 + 0.5)
    r = (y - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    ki = min(max(int(k), 0), 63)  # k is in [2, 58]; the clip only keeps a NaN input in bounds
    large = math.copysign(1.0 - 2.0 / (p * _POW2[ki] + 1.0), x)
    return large if a >= 0.625 else small


def _forward(ThT, u, act, s, D):  # pragma: no cover - compiled by numba
    """z = Theta~ u~ (axpy over the columns of Theta~: vectorises), S' = phi(z), D = phi'(z)."""
    M, N = ThT.shape
    for k in range(N):
        s[k] = 0.0
    for m in range(M):
        um = u[m]
        for k in range(N):
            s[k] += ThT[m, k] * um
    if act == 0:
        for k in range(N):
            # 0.5 (1 + tanh(z/2)): the overflow-free sigmoid of cells._maps.Sigmoid.
            sk = 0.5 * (1.0 + _tanh(0.5 * s[k]))
            s[k] = sk
            D[k] = sk * (1.0 - sk)
    else:
        for k in range(N):
            sk = _tanh(s[k])
            s[k] = sk
            D[k] = 1.0 - sk * sk


def _advance(ThT, G1T, u, D, w, state_start, J, Jn, A, use_blas, gstep):  # pragma: no cover
    """One step of (2.20)-(2.21) into ``Jn[:N]`` and ``gstep = J_{t+1}^T w`` (the cell gradient).

    ``A`` (N + 1, N) receives ``[D f(B); w^T D f(B)]`` so that one product ``A @ J[:N]`` gives
    both ``D f(B) J_t`` (rows :N) and ``w^T D f(B) J_t`` (row N); the immediate term
    ``D_k Theta~'[k, m] u~_m`` is then added at ``(k, m N + k)`` and its share ``w_k (...)`` to the
    gradient. The paper's summation index l of f(B^{kl}) is ``j`` here.
    """
    M, N = ThT.shape
    P = M * N
    for k in range(N):
        Dk = D[k]
        for j in range(N):
            A[k, j] = Dk * ThT[state_start + j, k]
    for j in range(N):
        A[N, j] = 0.0
    for k in range(N):
        wk = w[k]
        for j in range(N):
            A[N, j] += wk * A[k, j]
    if use_blas:
        np.dot(A, J[:N], Jn)
    else:
        for k in range(N + 1):
            row = Jn[k]
            c = A[k, 0]
            src = J[0]
            for p in range(P):
                row[p] = c * src[p]
            for j in range(1, N):
                c = A[k, j]
                src = J[j]
                for p in range(P):
                    row[p] += c * src[p]
    grow = Jn[N]
    for p in range(P):
        gstep[p] = grow[p]
    for m in range(M):
        um = u[m]
        base = m * N
        for k in range(N):
            val = D[k] * G1T[m, k] * um
            Jn[k, base + k] += val
            gstep[base + k] += w[k] * val


def _map_paper_params(vth, n_W, code, c_f, c_g, th, g1):  # pragma: no cover - compiled
    """vec Theta~ = (vec g(W), vec f(B)) into ``th`` and vec Theta~' into ``g1``, all (P_c,).

    ``vth = (vec W, vec B)``, the first ``n_W = N d`` entries are W's. code 0: h = c tanh(x),
    h' = c (1 - tanh^2); code 1: h = c tanh(x/2) = c (2 sigma(x) - 1), h' = 2 c sigma (1 - sigma)
    (the formulas of cells._maps.ScaledTanh / ScaledSigmoid). One flat loop, so that it vectorises.
    """
    P = vth.shape[0]
    if code == 0:
        for p in range(P):
            c = c_g if p < n_W else c_f
            t = _tanh(vth[p])
            th[p] = c * t
            g1[p] = c * (1.0 - t * t)
    else:
        for p in range(P):
            c = c_g if p < n_W else c_f
            t = _tanh(0.5 * vth[p])
            sg = 0.5 * (1.0 + t)
            th[p] = c * t
            g1[p] = 2.0 * c * (sg * (1.0 - sg))


def _copy_rows(src, dst):  # pragma: no cover - compiled by numba
    """dst[:n] = src by loops (the slice assignment costs ~3 s of numba compilation)."""
    n, m = src.shape
    for i in range(n):
        for j in range(m):
            dst[i, j] = src[i, j]


def _sequence_kernel(ThT, G1T, alpha, X, Y, S0, J0, state_start, act, use_blas):  # pragma: no cover
    """Fixed-theta loop; returns (mean loss, mean gradient (alpha, cell), S_T, J_T (N, P_c))."""
    M, N = ThT.shape
    T, d = X.shape
    P = M * N
    J = np.zeros((N + 1, P))
    Jn = np.zeros((N + 1, P))
    _copy_rows(J0, J)
    S = S0.copy()
    u = np.empty(M)
    s = np.empty(N)
    D = np.empty(N)
    w = np.empty(N)
    A = np.empty((N + 1, N))
    gstep = np.empty(P)
    g_alpha = np.zeros(N)
    g_cell = np.zeros(P)
    loss = 0.0
    # Input columns are the M - N columns outside [state_start, state_start + N).
    in0 = 0 if state_start > 0 else N
    for t in range(T):
        for j in range(d):
            u[in0 + j] = X[t, j]
        for j in range(N):
            u[state_start + j] = S[j]
        _forward(ThT, u, act, s, D)
        yhat = 0.0
        for k in range(N):
            yhat += alpha[k] * s[k]
        r = yhat - Y[t]
        loss += 0.5 * r * r
        for k in range(N):
            w[k] = r * alpha[k]
            g_alpha[k] += r * s[k]
            S[k] = s[k]
        _advance(ThT, G1T, u, D, w, state_start, J, Jn, A, use_blas, gstep)
        for p in range(P):
            g_cell[p] += gstep[p]
        J, Jn = Jn, J
    # means over T in loops (array expressions add compilation time)
    grad = np.empty(N + P)
    for k in range(N):
        grad[k] = g_alpha[k] / T
    for p in range(P):
        grad[N + p] = g_cell[p] / T
    return loss / T, grad, S, J[:N].copy()


def _train_kernel(
    alpha0,
    vth0,
    X,
    Y,
    S0,
    J0,
    code,
    c_f,
    c_g,
    eta0,
    t0,
    gamma,
    etas,
    use_etas,
    step_offset,
    use_blas,
):  # pragma: no cover - compiled by numba
    """Online RTRL SGD (2.24)-(2.26); see rtrl_train_paper_fast for the exact semantics.

    Returns (alpha, vth, S, J (N, P_c), losses, grad_norms, diverged_at, reason) with reason 0
    (none), 1 (non-finite loss) or 2 (non-finite update).
    """
    N = alpha0.shape[0]
    T, d = X.shape
    M = d + N
    P = M * N
    alpha = alpha0.copy()
    alpha_new = np.empty(N)
    vth = vth0.copy()
    vth_new = np.empty(P)
    th = np.empty(P)
    g1 = np.empty(P)
    ThT = th.reshape((M, N))  # views: ThT[m, k] = th[m N + k]
    G1T = g1.reshape((M, N))
    _map_paper_params(vth, d * N, code, c_f, c_g, th, g1)
    J = np.zeros((N + 1, P))
    Jn = np.zeros((N + 1, P))
    _copy_rows(J0, J)
    S = S0.copy()
    u = np.empty(M)
    s = np.empty(N)
    D = np.empty(N)
    w = np.empty(N)
    A = np.empty((N + 1, N))
    gstep = np.empty(P)
    losses = np.empty(T)
    grad_norms = np.empty(T)
    n_run = 0
    diverged_at = -1
    reason = 0
    for t in range(T):
        step = step_offset + t
        for j in range(d):
            u[j] = X[t, j]
        for j in range(N):
            u[d + j] = S[j]
        _forward(ThT, u, 0, s, D)
        yhat = 0.0
        for k in range(N):
            yhat += alpha[k] * s[k]
        r = yhat - Y[t]
        loss_t = 0.5 * r * r
        if not math.isfinite(loss_t):
            diverged_at = step
            reason = 1
            break
        for k in range(N):
            w[k] = r * alpha[k]
        _advance(ThT, G1T, u, D, w, d, J, Jn, A, use_blas, gstep)
        eta = etas[t] if use_etas else eta0 / (1.0 + step / t0) ** gamma
        # theta_{t+1} = theta_t - eta_t r (S~; J~^T alpha); x - x is 0 for finite x and NaN for
        # inf or NaN, so chk is NaN iff some new value is not finite.
        sq = 0.0
        chk = 0.0
        for k in range(N):
            ga = r * s[k]
            sq += ga * ga
            a_new = alpha[k] - eta * ga
            alpha_new[k] = a_new
            chk += a_new - a_new
        for p in range(P):
            gp = gstep[p]
            sq += gp * gp
            v_new = vth[p] - eta * gp
            vth_new[p] = v_new
            chk += v_new - v_new
        if chk != chk:
            # the step's loss and gradient were computed: record them, reject the update
            losses[t] = loss_t
            grad_norms[t] = math.sqrt(sq)
            n_run = t + 1
            diverged_at = step
            reason = 2
            break
        alpha, alpha_new = alpha_new, alpha
        vth, vth_new = vth_new, vth
        J, Jn = Jn, J
        for k in range(N):
            S[k] = s[k]
        losses[t] = loss_t
        grad_norms[t] = math.sqrt(sq)
        n_run = t + 1
        if t + 1 < T:
            _map_paper_params(vth, d * N, code, c_f, c_g, th, g1)
    J_T = J[:N].copy()
    losses_run, grad_norms_run = losses[:n_run].copy(), grad_norms[:n_run].copy()
    return alpha, vth, S, J_T, losses_run, grad_norms_run, diverged_at, reason


def _kernels() -> dict:
    """Compile the kernels on first use (or load them from numba's on-disk cache).

    The helpers are compiled first and rebound under their module names, because numba resolves a
    kernel's callees among the module globals when it compiles the kernel.
    """
    if not _COMPILED:
        try:
            import numba
        except ImportError as exc:
            raise ImportError(
                "rtrl_theory.engine._numba needs numba (pip install 'rtrl-theory[fast]'); "
                "use rtrl_theory.engine.rtrl_sequences for the NumPy path"
            ) from exc
        jit = numba.njit(**_JIT_OPTIONS)
        module = globals()
        for name in ("_tanh", "_forward", "_advance", "_map_paper_params", "_copy_rows"):
            if not isinstance(module[name], numba.core.dispatcher.Dispatcher):
                module[name] = jit(module[name])
        _COMPILED["sequence"] = jit(_sequence_kernel)
        _COMPILED["train"] = jit(_train_kernel)
    return _COMPILED
