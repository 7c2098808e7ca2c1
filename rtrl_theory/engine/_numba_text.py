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
* The :math:`(N, N)` Jacobian :math:`A_t` is formed first (O(N^2)), with one extra row
  :math:`w^\top A_t`, so that one GEMM :math:`[A_t; w^\top A_t]\,\tilde J` (BLAS ``dgemm`` through
  numba's ``np.dot``) gives both :math:`A_t\tilde J` and the gradient row
  :math:`w^\top A_t\tilde J`; the immediate term :math:`M_t` and its share
  :math:`w^\top M_t` are then added on the "diagonal blocks" only. The one-hot input blocks
  touch one column (N entries), the recurrent blocks N^2 entries, the biases N.
  The J update costs :math:`2 (N + 1) N P_c` flops a step; for the GRU with N = 20 and V = 65,
  :math:`P_c = 3N(V + N + 1) + N = 5180`: 4.35 MFLOP.
* Sensitivities are held state-major, ``J[k, p]`` (N, P_c), in the kernel; the wrappers take and
  return the engine's parameter-major ``Jt[p, k]`` (P_c, N).
* Cells are described to the kernel by a block table (offset, source, coefficient): source 0 is
  the one-hot input (column :math:`x_t`), 1 the previous state, 2 the constant 1; the coefficient
  is a row of the per-step (n_coef, N) array filled by the cell's forward function.
* scipy's OpenBLAS behind numba's ``np.dot`` runs this (21 x 20) x (20 x 5180) product fastest on
  one thread (measured: 115 us single-threaded against 150-550 us with two threads on the shared
  2-core machine); ``benchmarks/bench_text.py`` sets ``OPENBLAS_NUM_THREADS=1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array

__all__ = [
    "TextTrainResult",
    "text_fast_supported",
    "text_unsupported_reason",
    "rtrl_train_text_fast",
    "text_losses_fast",
    "rtrl_chunk_text",
    "flops_per_step",
]

_JIT_OPTIONS = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}
_COMPILED: dict = {}

# cell codes of the kernel
_GRU, _ELMAN_TANH, _ELMAN_ELU, _ELMAN_RELU = 0, 1, 2, 3
_ELMAN_CODES = {"tanh": _ELMAN_TANH, "elu": _ELMAN_ELU, "relu": _ELMAN_RELU}
_OPTIMIZERS = {"sgd": 0, "rmsprop": 1}
_REASONS = (
    "",
    "loss became non-finite at step",
    "parameters became non-finite in the update of step",
    "optimizer state became non-finite in the update of step",
)


# ------------------------------------------------------------------------------------------------
# Kernels (plain Python, compiled by numba on first use; see _kernels)
# Glossary: tc = the cell's flat parameters (block (i, j) at off + j N + i); th = the head's
# (V (C, N) column-stacked: V[a, i] = th[i C + a], then c); s = h_{t+1}; coef (4, N) the
# immediate-term coefficients; A (N + 1, N) = [dh'/dh; w^T dh'/dh].
# ------------------------------------------------------------------------------------------------
def _sigmoid(x):  # pragma: no cover - compiled by numba
    return 0.5 * (1.0 + math.tanh(0.5 * x))


def _gru_forward(tc, N, V, x, S, s, coef, A, zbuf, want_jac):  # pragma: no cover - compiled
    """GRU step (cells._gru): s = h', coef = (a_z, a_r, e_n, a_hn), A[:N] = dh'/dh."""
    oWz, oWr, oWn = 0, N * V, 2 * N * V
    oUz = 3 * N * V
    oUr = oUz + N * N
    oUn = oUr + N * N
    ob = oUn + N * N
    pz = zbuf[0]
    pr = zbuf[1]
    q = zbuf[2]
    for k in range(N):
        pz[k] = tc[oWz + x * N + k] + tc[ob + k]
        pr[k] = tc[oWr + x * N + k] + tc[ob + N + k]
        q[k] = tc[ob + 3 * N + k]
    for j in range(N):
        hj = S[j]
        bz = oUz + j * N
        br = oUr + j * N
        bn = oUn + j * N
        for k in range(N):
            pz[k] += tc[bz + k] * hj
            pr[k] += tc[br + k] * hj
            q[k] += tc[bn + k] * hj
    for k in range(N):
        z = _sigmoid(pz[k])
        r = _sigmoid(pr[k])
        n = math.tanh(tc[oWn + x * N + k] + tc[ob + 2 * N + k] + r * q[k])
        s[k] = (1.0 - z) * n + z * S[k]
        e_n = (1.0 - z) * (1.0 - n * n)
        coef[0, k] = (S[k] - n) * (z * (1.0 - z))
        coef[1, k] = e_n * q[k] * (r * (1.0 - r))
        coef[2, k] = e_n
        coef[3, k] = e_n * r
        pz[k] = z  # keep z for the diagonal of the Jacobian
    if want_jac:
        for j in range(N):
            bz = oUz + j * N
            br = oUr + j * N
            bn = oUn + j * N
            for k in range(N):
                A[k, j] = (
                    coef[3, k] * tc[bn + k] + coef[1, k] * tc[br + k] + coef[0, k] * tc[bz + k]
                )
        for k in range(N):
            A[k, k] += pz[k]


def _elman_forward(tc, N, V, x, S, s, coef, A, code, has_bias, want_jac):  # pragma: no cover
    """Elman step S' = phi(U[:, x] + W S + b): s, coef[0] = phi', A[:N] = diag(phi') W."""
    oW = N * V
    ob = oW + N * N
    for k in range(N):
        s[k] = tc[x * N + k]
        if has_bias:
            s[k] += tc[ob + k]
    for j in range(N):
        hj = S[j]
        bw = oW + j * N
        for k in range(N):
            s[k] += tc[bw + k] * hj
    for k in range(N):
        zk = s[k]
        if code == 1:
            sk = math.tanh(zk)
            dk = 1.0 - sk * sk
        elif code == 2:
            if zk > 0.0:
                sk = zk
                dk = 1.0
            else:
                sk = math.expm1(zk)
                dk = math.exp(zk)
        else:
            if zk > 0.0:
                sk = zk
                dk = 1.0
            else:
                sk = 0.0
                dk = 0.0
        s[k] = sk
        coef[0, k] = dk
    if want_jac:
        for j in range(N):
            bw = oW + j * N
            for k in range(N):
                A[k, j] = coef[0, k] * tc[bw + k]


def _softmax_head(th, C, N, s, y, o, g, w):  # pragma: no cover - compiled by numba
    """Cross-entropy loss; g = p - e_y (C,), w = V^T g (N,), as cells._softmax."""
    for a in range(C):
        o[a] = th[C * N + a]
    for i in range(N):
        si = s[i]
        base = i * C
        for a in range(C):
            o[a] += th[base + a] * si
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
        g[a] = math.exp(o[a] - lse)
    g[y] -= 1.0
    for i in range(N):
        acc = 0.0
        base = i * C
        for a in range(C):
            acc += th[base + a] * g[a]
        w[i] = acc
    return loss


def _cell_forward(tc, N, V, x, S, s, coef, A, zbuf, code, has_bias, want_jac):  # pragma: no cover
    if code == 0:
        _gru_forward(tc, N, V, x, S, s, coef, A, zbuf, want_jac)
    else:
        _elman_forward(tc, N, V, x, S, s, coef, A, code, has_bias, want_jac)


def _update(theta, theta_new, v, v_new, gvec, start, opt, beta, eps, eta, acc):  # pragma: no cover
    """Update the parameters ``start : start + len(gvec)`` with the gradient segment ``gvec``.

    RMSprop (opt 1): v' = beta v + (1 - beta) g^2, theta' = theta - eta g / (sqrt(v') + eps), the
    formula of runners.RMSprop; SGD (opt 0): theta' = theta - eta g. Adds sum g^2 to acc[0] and
    the counts of non-finite theta' and v' to acc[1], acc[2]. The elementwise loop has no
    floating-point reduction (it vectorises); the sum of squares uses 4 partial sums.
    """
    m = gvec.shape[0]
    if opt == 1:
        for p in range(m):
            gp = gvec[p]
            vp = beta * v[start + p] + (1.0 - beta) * (gp * gp)
            v_new[start + p] = vp
            theta_new[start + p] = theta[start + p] - eta * gp / (math.sqrt(vp) + eps)
    else:
        for p in range(m):
            theta_new[start + p] = theta[start + p] - eta * gvec[p]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    q = m - m % 4
    for p in range(0, q, 4):
        s0 += gvec[p] * gvec[p]
        s1 += gvec[p + 1] * gvec[p + 1]
        s2 += gvec[p + 2] * gvec[p + 2]
        s3 += gvec[p + 3] * gvec[p + 3]
    for p in range(q, m):
        s0 += gvec[p] * gvec[p]
    acc[0] += (s0 + s1) + (s2 + s3)
    bad = 0
    for p in range(m):
        tp = theta_new[start + p]
        bad += (tp - tp) != 0.0  # x - x is NaN for inf and NaN, 0 otherwise
    acc[1] += bad
    if opt == 1:
        bad = 0
        for p in range(m):
            vp = v_new[start + p]
            bad += (vp - vp) != 0.0
        acc[2] += bad


def _train_kernel(
    theta0,
    C,
    N,
    V,
    code,
    has_bias,
    blk_off,
    blk_src,
    blk_coef,
    X,
    Y,
    S0,
    J0,
    opt,
    beta,
    eps,
    v0,
    etas,
):  # pragma: no cover - compiled by numba
    """Online RTRL (module docstring). Returns (theta, v, S, J (N, P_c), losses, grad_norms,
    fail, reason): fail = -1 or the local step index, reason as _REASONS."""
    P = theta0.shape[0]
    Ph = C * N + C
    Pc = P - Ph
    T = X.shape[0]
    theta = theta0.copy()
    theta_new = np.empty(P)
    v = v0.copy()
    v_new = np.empty(P)
    gh = np.empty(Ph)
    acc = np.zeros(3)
    J = np.zeros((N + 1, Pc))
    Jn = np.zeros((N + 1, Pc))
    for k in range(N):
        for p in range(Pc):
            J[k, p] = J0[k, p]
    S = S0.copy()
    s = np.empty(N)
    coef = np.zeros((4, N))
    zbuf = np.empty((3, N))
    A = np.empty((N + 1, N))
    o = np.empty(C)
    g = np.empty(C)
    w = np.empty(N)
    losses = np.empty(T)
    gnorms = np.empty(T)
    n_run = 0
    fail = -1
    reason = 0
    nb = blk_off.shape[0]
    for t in range(T):
        x = X[t]
        tc = theta[Ph:]
        th = theta[:Ph]
        _cell_forward(tc, N, V, x, S, s, coef, A, zbuf, code, has_bias, True)
        loss = _softmax_head(th, C, N, s, Y[t], o, g, w)
        if not math.isfinite(loss):
            fail = t
            reason = 1
            break
        for j in range(N):
            ar = 0.0
            for k in range(N):
                ar += w[k] * A[k, j]
            A[N, j] = ar
        np.dot(A, J[:N], Jn)
        grow = Jn[N]
        for b in range(nb):
            off = blk_off[b]
            cr = coef[blk_coef[b]]
            src = blk_src[b]
            if src == 0:
                base = off + x * N
                for k in range(N):
                    val = cr[k]
                    Jn[k, base + k] += val
                    grow[base + k] += w[k] * val
            elif src == 1:
                for j in range(N):
                    hj = S[j]
                    base = off + j * N
                    for k in range(N):
                        val = cr[k] * hj
                        Jn[k, base + k] += val
                        grow[base + k] += w[k] * val
            else:
                for k in range(N):
                    val = cr[k]
                    Jn[k, off + k] += val
                    grow[off + k] += w[k] * val
        # gradient: head (vec (g s^T) column-stacked, then g) into gh; cell = the gradient row
        for i in range(N):
            si = s[i]
            base = i * C
            for a in range(C):
                gh[base + a] = g[a] * si
        for a in range(C):
            gh[C * N + a] = g[a]
        eta = etas[t]
        acc[0] = 0.0  # sum g^2, non-finite new parameters, non-finite new optimizer state
        acc[1] = 0.0
        acc[2] = 0.0
        _update(theta, theta_new, v, v_new, gh, 0, opt, beta, eps, eta, acc)
        _update(theta, theta_new, v, v_new, grow, Ph, opt, beta, eps, eta, acc)
        sq = acc[0]
        losses[t] = loss
        gnorms[t] = math.sqrt(sq)
        n_run = t + 1
        # the trainer's rule: parameters first, then the optimizer state
        if acc[1] > 0.0:
            fail = t
            reason = 2
            break
        if acc[2] > 0.0:
            fail = t
            reason = 3
            break
        theta, theta_new = theta_new, theta
        v, v_new = v_new, v
        J, Jn = Jn, J
        for k in range(N):
            S[k] = s[k]
    J_T = np.empty((N, Pc))
    for k in range(N):
        for p in range(Pc):
            J_T[k, p] = J[k, p]
    return theta, v, S, J_T, losses[:n_run].copy(), gnorms[:n_run].copy(), fail, reason


def _losses_kernel(theta, C, N, V, code, has_bias, X, Y, S0):  # pragma: no cover - compiled
    """Fixed theta forward pass: per-step cross-entropies (T,) and the final state."""
    Ph = C * N + C
    T = X.shape[0]
    tc = theta[Ph:]
    th = theta[:Ph]
    S = S0.copy()
    s = np.empty(N)
    coef = np.zeros((4, N))
    zbuf = np.empty((3, N))
    A = np.empty((N + 1, N))
    o = np.empty(C)
    g = np.empty(C)
    w = np.empty(N)
    out = np.empty(T)
    for t in range(T):
        _cell_forward(tc, N, V, X[t], S, s, coef, A, zbuf, code, has_bias, False)
        out[t] = _softmax_head(th, C, N, s, Y[t], o, g, w)
        for k in range(N):
            S[k] = s[k]
    return out, S


def _kernels() -> dict:
    """Compile the kernels on first use (or load them from numba's on-disk cache)."""
    if not _COMPILED:
        try:
            import numba
        except ImportError as exc:
            raise ImportError(
                "rtrl_theory.engine._numba_text needs numba (pip install 'rtrl-theory[fast]'); "
                "use rtrl_theory.runners.train_online (NumPy engine) instead"
            ) from exc
        jit = numba.njit(**_JIT_OPTIONS)
        module = globals()
        for name in (
            "_sigmoid",
            "_gru_forward",
            "_elman_forward",
            "_softmax_head",
            "_cell_forward",
            "_update",
        ):
            if not isinstance(module[name], numba.core.dispatcher.Dispatcher):
                module[name] = jit(module[name])
        _COMPILED["train"] = jit(_train_kernel)
        _COMPILED["losses"] = jit(_losses_kernel)
    return _COMPILED


# ------------------------------------------------------------------------------------------------
# Model description
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    C: int
    N: int
    V: int
    code: int
    has_bias: bool
    blk_off: np.ndarray
    blk_src: np.ndarray
    blk_coef: np.ndarray


def text_unsupported_reason(model) -> str | None:
    """None if the compiled text kernel covers ``model``, else why not.

    Covered: :class:`~rtrl_theory.cells.GRURNN` and :class:`~rtrl_theory.cells.CharElmanRNN`
    (activation tanh, ELU or ReLU, with or without bias) with one-hot inputs and the softmax head.
    """
    from rtrl_theory.cells._gru import GRUCell, OneHotElmanCell
    from rtrl_theory.cells._softmax import SoftmaxCrossEntropy

    from ._numba import numba_available

    if not numba_available():
        return "numba is not installed"
    cell, head = model.cell, model.head
    if type(head) is not SoftmaxCrossEntropy:
        return f"the head is a {type(head).__name__}, not SoftmaxCrossEntropy"
    if isinstance(cell, GRUCell):
        if cell.input_kind != "onehot":
            return "the GRU cell has dense inputs, not one-hot"
        return None
    if isinstance(cell, OneHotElmanCell):
        if cell.activation.name not in _ELMAN_CODES:
            return f"the activation {cell.activation.name!r} is not one of {tuple(_ELMAN_CODES)}"
        return None
    return f"the cell is a {type(cell).__name__}, not a one-hot GRUCell or OneHotElmanCell"


def text_fast_supported(model) -> bool:
    """Whether :func:`rtrl_train_text_fast` covers ``model`` (see :func:`text_unsupported_reason`)."""
    return text_unsupported_reason(model) is None


def _spec(model) -> _Spec:
    why = text_unsupported_reason(model)
    if why is not None:
        raise ValueError(f"model: the compiled text kernel does not cover it ({why})")
    from rtrl_theory.cells._gru import GRUCell

    cell = model.cell
    N, V, C = cell.n_state, cell.n_input, model.head.n_classes
    off = {b.name: b.offset for b in cell.blocks}
    if isinstance(cell, GRUCell):
        # coefficient rows: 0 a_z, 1 a_r, 2 e_n, 3 a_hn; sources: 0 one-hot, 1 state, 2 one
        table = [
            ("W_z", 0, 0),
            ("W_r", 0, 1),
            ("W_n", 0, 2),
            ("U_z", 1, 0),
            ("U_r", 1, 1),
            ("U_n", 1, 3),
            ("b_z", 2, 0),
            ("b_r", 2, 1),
            ("b_n", 2, 2),
            ("b_hn", 2, 3),
        ]
        code, has_bias = _GRU, True
    else:
        table = [("U", 0, 0), ("W", 1, 0)] + ([("b", 2, 0)] if cell.bias else [])
        code, has_bias = _ELMAN_CODES[cell.activation.name], cell.bias
    return _Spec(
        C,
        N,
        V,
        code,
        has_bias,
        np.array([off[n] for n, _, _ in table], dtype=np.int64),
        np.array([src for _, src, _ in table], dtype=np.int64),
        np.array([c for _, _, c in table], dtype=np.int64),
    )


def flops_per_step(model) -> float:
    """Flops of the J update :math:`[A; w^\\top A]\\,J` per step: :math:`2 (N + 1) N P_c`."""
    return 2.0 * (model.n_hidden + 1) * model.n_hidden * model.cell.n_params


# ------------------------------------------------------------------------------------------------
# Public functions
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextTrainResult:
    """Result of :func:`rtrl_train_text_fast`.

    Attributes
    ----------
    theta : ndarray (P,)
        Final flat parameters ``(vec V, c, cell)``: those before the failing step on divergence.
    v : ndarray (P,) or None
        RMSprop's running mean square (None for SGD).
    S : ndarray (N,)
    Jt : ndarray (P_c, N)
        Final sensitivities, engine layout.
    losses, grad_norms : ndarray (n_run,)
        Per-step cross-entropy (nats) and gradient norm.
    fail : int
        -1, or the local index of the step at which the run stopped.
    reason : str
        "" or the trainer's divergence message (without the step number).
    """

    theta: np.ndarray
    v: np.ndarray | None
    S: np.ndarray
    Jt: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    fail: int
    reason: str


def _optimizer_spec(optimizer):
    if isinstance(optimizer, str):
        name, beta, eps = optimizer, 0.9, 1e-8
    else:
        name = getattr(optimizer, "name", None)
        beta, eps = getattr(optimizer, "beta", 0.0), getattr(optimizer, "eps", 1.0)
    if name not in _OPTIMIZERS:
        raise ValueError(
            f"optimizer: the compiled text kernel runs 'sgd' or 'rmsprop' (or SGD / RMSprop "
            f"objects), got {optimizer!r}"
        )
    return _OPTIMIZERS[name], float(beta), float(eps)


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
    sp = _spec(model)
    theta = np.array(model.flatten(params), dtype=float)
    X, Y = model.check_sequence(X, Y)
    T = X.shape[0]
    etas = as_array(etas, "etas", shape=(T,))
    if np.any(etas <= 0.0):
        raise ValueError("etas: learning rates must be positive")
    opt, beta, eps = _optimizer_spec(optimizer)
    N, Pc, P = sp.N, model.cell.n_params, model.n_params
    S0 = np.zeros(N) if S0 is None else as_array(S0, "S0", shape=(N,), copy=True)
    if Jt0 is None:
        J0 = np.zeros((N, Pc))
    else:
        J0 = np.ascontiguousarray(as_array(Jt0, "Jt0", shape=(Pc, N)).T)
    v0 = np.zeros(P) if v0 is None else as_array(v0, "v0", shape=(P,), copy=True)
    out = _kernels()["train"](
        theta,
        sp.C,
        sp.N,
        sp.V,
        sp.code,
        sp.has_bias,
        sp.blk_off,
        sp.blk_src,
        sp.blk_coef,
        np.ascontiguousarray(X),
        np.ascontiguousarray(Y),
        S0,
        J0,
        opt,
        beta,
        eps,
        v0,
        np.ascontiguousarray(etas),
    )
    th, v, S, J, losses, gnorms, fail, reason = out
    return TextTrainResult(
        th, v if opt == 1 else None, S, J.T.copy(), losses, gnorms, int(fail), _REASONS[reason]
    )


def text_losses_fast(model, params, X, Y, *, S0=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-step cross-entropies (nats, (T,)) and the final state (N,) at fixed parameters.

    The compiled forward pass behind :func:`~rtrl_theory.data.bits_per_character`.
    """
    sp = _spec(model)
    theta = np.ascontiguousarray(model.flatten(params), dtype=float)
    X, Y = model.check_sequence(X, Y)
    S0 = np.zeros(sp.N) if S0 is None else as_array(S0, "S0", shape=(sp.N,), copy=True)
    return _kernels()["losses"](
        theta,
        sp.C,
        sp.N,
        sp.V,
        sp.code,
        sp.has_bias,
        np.ascontiguousarray(X),
        np.ascontiguousarray(Y),
        S0,
    )


def rtrl_chunk_text(model, theta, state, X, Y, etas, optimizer, opt_state):
    """The compiled twin of the trainer's NumPy chunk function for text models.

    Same arguments and returns as ``rtrl_theory.runners._trainer._rtrl_chunk_numpy`` with one
    chain (``X`` (1, m), ``Y`` (1, m)): ``(theta, state, opt_state, losses, grad_norms, fail,
    why)``; ``optimizer`` is an ``SGD`` or ``RMSprop`` object of ``rtrl_theory.runners`` and
    ``opt_state`` its state. For wiring into :func:`~rtrl_theory.runners.train_online`.
    """
    from rtrl_theory.optim import RMSpropState

    from ._forward import SensitivityState

    v0 = opt_state.v if isinstance(opt_state, RMSpropState) else None
    r = rtrl_train_text_fast(
        model,
        theta,
        X[0],
        Y[0],
        etas=etas,
        optimizer=optimizer,
        S0=state.S[0],
        Jt0=state.Jt[0],
        v0=v0,
    )
    new_opt = opt_state
    if isinstance(opt_state, RMSpropState):
        applied = r.fail if r.fail >= 0 else r.grad_norms.shape[0]
        new_opt = RMSpropState(r.v, opt_state.n_updates + applied)
    new_state = SensitivityState(r.S[None], r.Jt[None])
    return r.theta, new_state, new_opt, r.losses, r.grad_norms, r.fail, r.reason
