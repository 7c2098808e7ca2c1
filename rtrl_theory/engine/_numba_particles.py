r"""K particles of the joint process at fixed :math:`\theta`, compiled: (2.20)-(2.21), Section 2.4 of [P1].

K independent chains ("particles") of the joint process :math:`(X_t, S_t, J_t[, H_t])` share the
parameters :math:`\theta`; each particle advances by the first-order recursion (2.20)-(2.21)
(matrix form, THEORY.md section 4)

.. math::

    S_{t+1} = \phi(z_t),\quad z_t = \tilde\Theta\,\tilde u_t,\quad \tilde u_t = (X_t; S_t),
    \qquad J_{t+1} = D_t\,A_t,\quad A_t = \tilde\Theta_S J_t + M_t,\quad D_t = \mathrm{diag}\,\phi'(z_t),

with :math:`(M_t)_{k,(k,m)} = \tilde\Theta'^{\,km}\,\tilde u^m_t` (the "diagonal blocks"), and
optionally by the second-order recursion of Section 2.4 (THEORY.md section 5)

.. math::

    H^k_{t+1} = \phi''(z^k_t)\, a^k a^{k\top}
              + \phi'(z^k_t) \Big( \sum_l \tilde\Theta_S^{kl} H^l_t + R^k_t \Big),

:math:`a^k` the row k of :math:`A_t` and :math:`R^k_t` the delta terms: the diagonal
:math:`\tilde\Theta''^{\,km}\tilde u^m_t` at :math:`p = q = (k, m)` and the cross terms
:math:`\tilde\Theta'^{\,km}\,\partial S^j_t/\partial\vartheta_q` at rows :math:`p = (k, m)`,
m the state column of :math:`S^j`, plus their transpose.

These are exactly the updates of :func:`~rtrl_theory.engine.advance_first_order` and
:func:`~rtrl_theory.engine.advance_second_order` (the NumPy reference, batched over chains by
GEMMs on (K P_c, N) views) for a :class:`~rtrl_theory.cells._base.PreactivationCell` with
:math:`\tilde u = (X; S)` and activation sigmoid (2.19) or tanh. The NumPy engine streams the
whole (K, P_c, N) and (K, P_c, P_c, N) arrays through memory several times per step (GEMM,
diagonal writes, products with :math:`\phi'`, :math:`\phi''`), so for many small chains it is
memory-bound. Here each particle is advanced by itself, its rows read and written once, with a
working set of a few tens of kilobytes (L1/L2), and the particles are spread over threads with
``numba.prange``. :func:`advance_particles_fast_steps` goes further and runs n steps per particle
before moving to the next one, so that :math:`J` and :math:`H` stay in cache across steps.

Layout (as in :mod:`rtrl_theory.engine._forward`)
-----------------------------------------------
``S[c, k]`` (K, N); ``Jt[c, p, k]`` = :math:`\partial S^k/\partial\vartheta_p` (K, P_c, N);
``Ht[c, p, q, k]`` = :math:`\partial^2 S^k/\partial\vartheta_p\partial\vartheta_q`
(K, P_c, P_c, N); flat cell parameter index ``p = m N + k`` for entry (k, m) of
:math:`\tilde\Theta` (Notation 2.11, column-stacked vec). All three are updated IN PLACE and must
be C-contiguous, writable float64 arrays (a copy would silently drop the update).

Implementation notes
--------------------
* These functions validate and hand the arrays to the one compiled engine
  (:func:`rtrl_theory.engine._compiled.particles_compiled`): the cell's forward function and its
  table feed the one first-order step and, with ``Ht``, the one second-order step; numba is
  imported on first use and the kernels are cached on disk (``_compiled.JIT_OPTIONS``).
* ``numba.prange`` runs over 4 x (number of threads) contiguous chunks of particles; each chunk
  allocates its scratch once. Every particle reads and writes only its own rows: the results do
  not depend on the number of threads (bit for bit).
* Inside a particle the sensitivities are held STATE-major (``Js[k, p]``, ``Hs[k, p P_c + q]``),
  transposed in and out once per call, so the products with the state Jacobian are axpys over
  P_c (or P_c^2) contiguous entries; no BLAS inside ``prange``.
* Per-call validation is O(K d + N M) (shapes, dtypes, contiguity, no overlap between the updated
  arrays, finiteness of X and of the prepared weights); the large state arrays are NOT scanned for
  NaN/inf (that would cost a pass over memory per step): non-finite states propagate, as in the
  NumPy engine.

Measured with the previous, paper-RNN-only kernels on a quiet machine (``python
benchmarks/bench_particles.py``, K = 4096, AMD EPYC Zen 4, 2 cores, numba 0.68; seconds per 1,000
steps, data update included); the one engine's block kernel ran at parity with them, interleaved
on the loaded machine (issue 14 closing note):

=======================  ============  ==================  =================  ============
case                     NumPy engine  1-step, 1 / 2 thr.  100-step, 1 / 2    target
=======================  ============  ==================  =================  ============
N=10, d=3, first order       26            15.1 / 7.5          7.8 / 4.0        < 15
N=4, d=2, second order      131            17.2 / 9.0          7.4 / 3.8        < 30
=======================  ============  ==================  =================  ============

A single step is bound by memory bandwidth (the K particles' J, H are read and written once:
42 MB and 75 MB here); the n-step variant is bound by arithmetic in L1/L2.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import as_array

from . import _compiled

__all__ = [
    "CHUNKS_PER_THREAD",
    "advance_particles_fast",
    "advance_particles_fast_steps",
    "particles_fast_supported",
]

#: The particles are split into ``CHUNKS_PER_THREAD * numba.get_num_threads()`` contiguous chunks
#: (at most K), one ``prange`` iteration each; a chunk allocates its scratch once.
CHUNKS_PER_THREAD = 4

_ACTIVATIONS = {"sigmoid": 0, "tanh": 1}


def particles_fast_supported(model) -> bool:
    r"""Whether the particle kernels cover ``model`` (an :class:`RNNModel` or a cell).

    True for a :class:`~rtrl_theory.cells._base.PreactivationCell` with
    :math:`\tilde u = (X; S)` (blocks "input" then "state", no bias column) and activation
    :class:`~rtrl_theory.cells.Sigmoid` (the paper's RNN (2.17)-(2.19)) or
    :class:`~rtrl_theory.cells.Tanh`; the bounded maps f, g may be anything (the kernels take
    the prepared :math:`\tilde\Theta`, :math:`\tilde\Theta'`, :math:`\tilde\Theta''`). The head
    does not matter. Does not check that numba is installed
    (:func:`~rtrl_theory.engine.numba_available`).

    Examples
    --------
    >>> from rtrl_theory import PaperRNN
    >>> particles_fast_supported(PaperRNN(3, 2))
    True
    """
    from rtrl_theory.cells import PreactivationCell, Sigmoid, Tanh

    cell = getattr(model, "cell", model)
    return (
        isinstance(cell, PreactivationCell)
        and type(cell.activation) in (Sigmoid, Tanh)
        and cell.n_cols == cell.n_input + cell.n_state
        and cell.state_cols.start == cell.n_input
    )


# ------------------------------------------------------------------------------------------------
# Validation (O(K d + N M); the big state arrays are only checked for dtype/shape/layout)
# ------------------------------------------------------------------------------------------------
def _state_array(arr, name: str, shape: tuple) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise TypeError(
            f"{name}: expected a numpy.ndarray (updated in place), got {type(arr).__name__}"
        )
    if arr.dtype != np.float64:
        raise TypeError(f"{name}: expected dtype float64 (updated in place), got {arr.dtype}")
    if arr.shape != shape:
        want = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(
            f"{name}: expected a C-contiguous array (it is updated in place); "
            "pass np.ascontiguousarray(...) and keep the result"
        )
    if not arr.flags.writeable:
        raise ValueError(f"{name}: expected a writeable array (it is updated in place)")
    return arr


def _validate(prep, S, Jt, Ht, X, state_start, activation, single):
    for attr in ("Theta", "G1"):
        if not hasattr(prep, attr):
            raise TypeError(
                f"prep: expected the result of cell.prepare(theta_cell), missing .{attr}"
            )
    Theta = as_array(prep.Theta, "prep.Theta", ndim=2)
    N, M = Theta.shape
    if N == 0 or M <= N:
        raise ValueError(
            "prep.Theta: expected shape (N, d + N) with N >= 1 and d >= 1 (u~ = (X; S), "
            f"no bias column), got {Theta.shape}"
        )
    d, P = M - N, N * M
    G1 = as_array(prep.G1, "prep.G1", shape=(N, M))
    second = Ht is not None
    G2 = None
    if second:
        if getattr(prep, "G2", None) is None:
            raise ValueError(
                "prep: prepared without second-order derivatives (prep.G2 is None); "
                "call cell.prepare(theta_cell, second_order=True)"
            )
        G2 = as_array(prep.G2, "prep.G2", shape=(N, M))
    if isinstance(state_start, bool) or not isinstance(state_start, (int, np.integer)):
        raise TypeError(
            f"state_start: expected an int (cell.state_cols.start), got {state_start!r}"
        )
    if int(state_start) not in (0, d):
        raise ValueError(
            f"state_start: expected {d} (u~ = (X; S)) or 0 (u~ = (S; X)), got {state_start!r}"
        )
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation: expected one of {tuple(_ACTIVATIONS)}, got {activation!r}")
    if not isinstance(S, np.ndarray):
        raise TypeError(f"S: expected a numpy.ndarray (updated in place), got {type(S).__name__}")
    if S.ndim != 2:
        raise ValueError(f"S: expected a 2-D array of shape (K, {N}), got shape {S.shape}")
    K = S.shape[0]
    if K == 0:
        raise ValueError("S: expected at least one particle, got K = 0")
    S = _state_array(S, "S", (K, N))
    Jt = _state_array(Jt, "Jt", (K, P, N))
    if second:
        Ht = _state_array(Ht, "Ht", (K, P, P, N))
    states = (("S", S), ("Jt", Jt)) + ((("Ht", Ht),) if second else ())
    for i, (name_a, a) in enumerate(states):
        for name_b, b in states[i + 1 :]:
            if np.may_share_memory(a, b):
                raise ValueError(f"{name_b}: must not share memory with {name_a} (both updated)")
    if single:
        X = as_array(X, "X", shape=(K, d))[None]
    else:
        X = as_array(X, "X", shape=(None, K, d))
        if X.shape[0] == 0:
            raise ValueError("X: expected at least one step, got n = 0")
    G2 = np.ascontiguousarray(G2) if second else np.zeros((N, M))
    X = np.ascontiguousarray(X)
    return np.ascontiguousarray(Theta), np.ascontiguousarray(G1), G2, S, Jt, Ht, X, int(state_start)


def _run(prep, S, Jt, Ht, X, state_start, activation, alpha, Y, single):
    """Validate, then run the compiled kernel over all particles (X (K, d) if single, else (n, K, d))."""
    Th, G1, G2, S, Jt, Ht, X, ss = _validate(prep, S, Jt, Ht, X, state_start, activation, single)
    N, M = Th.shape
    n, K = X.shape[0], S.shape[0]
    readout = alpha is not None
    if readout:
        alpha = np.ascontiguousarray(as_array(alpha, "alpha", shape=(N,)))
        Y = np.ascontiguousarray(as_array(Y, "Y", shape=(n, K)))
    desc = _compiled.preactivation_description((N, M), ss, activation)
    th = np.ascontiguousarray(Th.T).reshape(-1)  # vec Theta~: entry (k, m) at m N + k
    g1 = np.ascontiguousarray(G1.T).reshape(-1)
    g2 = np.ascontiguousarray(G2.T).reshape(-1)
    out = _compiled.particles_compiled(
        desc, th, g1, g2, S, Jt, Ht, X, theta_h=alpha if readout else None,
        Y=Y if readout else None,
    )
    if readout:
        loss_sum, grad_sum = out
    return (loss_sum, grad_sum) if readout else None


# ------------------------------------------------------------------------------------------------
# Public functions
# ------------------------------------------------------------------------------------------------
def advance_particles_fast(prep, S, Jt, X, Ht=None, *, state_start, activation="sigmoid") -> None:
    r"""Advance K particles ONE step, in place: (2.20)-(2.21) and, if ``Ht`` is given, Section 2.4.

    Same semantics as ``advance_first_order(cell, prep, SensitivityState(S, Jt), X)`` (``Ht`` None)
    or ``advance_second_order(cell, prep, SensitivityState(S, Jt, Ht), X)`` of
    :mod:`rtrl_theory.engine._forward`, but the new ``S``, ``Jt`` (and ``Ht``) overwrite the
    inputs (see the module docstring for the equations and the layout).

    Parameters
    ----------
    prep : PreparedPreactivation
        ``cell.prepare(theta_cell)`` (first order) or ``cell.prepare(theta_cell,
        second_order=True)`` (needed when ``Ht`` is given): uses ``prep.Theta``
        (:math:`\tilde\Theta`, (N, d + N)), ``prep.G1`` (:math:`\tilde\Theta'`) and ``prep.G2``
        (:math:`\tilde\Theta''`).
    S : ndarray, shape (K, N)
        States :math:`S_t`; overwritten by :math:`S_{t+1}`.
    Jt : ndarray, shape (K, P_c, N)
        ``Jt[c, p, k]`` = :math:`\partial S^k_t/\partial\vartheta_p`, P_c = N (d + N);
        overwritten by :math:`J_{t+1}`.
    X : array_like, shape (K, d)
        The inputs :math:`X_t` consumed at this step (any layout; not modified).
    Ht : ndarray, shape (K, P_c, P_c, N), optional
        ``Ht[c, p, q, k]`` = :math:`\partial^2 S^k_t/\partial\vartheta_p\partial\vartheta_q`;
        overwritten by :math:`H_{t+1}`. None: first order only.
    state_start : int, keyword-only
        First column of :math:`\tilde u` holding the state, ``cell.state_cols.start`` (= d for
        :math:`\tilde u = (X; S)`; 0 for :math:`(S; X)` is also accepted).
    activation : {"sigmoid", "tanh"}, keyword-only
        :math:`\phi` (``cell.activation.name``); sigmoid is (2.19).

    Returns
    -------
    None
        ``S``, ``Jt`` and ``Ht`` hold the new values.

    Raises
    ------
    TypeError, ValueError
        Naming the argument: wrong shapes or dtypes, ``S``/``Jt``/``Ht`` not C-contiguous or not
        writeable float64 arrays, ``prep`` without ``G2`` when ``Ht`` is given, non-finite ``X``.
    ImportError
        If numba is not installed.

    Notes
    -----
    Equal to the NumPy engine up to float64 rounding (different summation order, ``_tanh``
    within 2 ulp of ``np.tanh``, no FMA). The new state, :math:`A_t` and the cross terms of
    :math:`R^k_t` use the OLD :math:`J_t`, as in the recursion. Runs on
    ``numba.get_num_threads()`` threads. Arrays taken from a
    :class:`~rtrl_theory.engine.SensitivityState` (``st.S``, ``st.Jt``, ``st.Ht``) are updated in
    place, so that state then holds step t + 1.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN
    >>> from rtrl_theory.engine import advance_first_order, initial_sensitivities
    >>> rng = np.random.default_rng(0)
    >>> model = PaperRNN(3, 2)
    >>> theta = model.flatten(model.init_params(rng))
    >>> cell = model.cell
    >>> prep = cell.prepare(theta[3:])
    >>> st = initial_sensitivities(cell, 5)
    >>> S, Jt = st.S.copy(), st.Jt.copy()
    >>> X = rng.uniform(-1, 1, (5, 2))
    >>> advance_particles_fast(prep, S, Jt, X, state_start=cell.state_cols.start,
    ...                        activation=cell.activation.name)
    >>> ref, _ = advance_first_order(cell, prep, st, X)
    >>> bool(np.allclose(Jt, ref.Jt, rtol=1e-12, atol=1e-15))
    True
    """
    _run(prep, S, Jt, Ht, X, state_start, activation, None, None, True)


def advance_particles_fast_steps(
    prep,
    S,
    Jt,
    X,
    Ht=None,
    *,
    state_start,
    activation="sigmoid",
    alpha=None,
    Y=None,
):
    r"""Advance K particles n steps in place, each particle's n steps at once (data in cache).

    The same as n calls of :func:`advance_particles_fast` with ``X[0], ..., X[n-1]`` (identical
    results, bit for bit), but every particle runs its n steps before the next particle starts,
    so its :math:`J` (and :math:`H`) stay in L1/L2 instead of being streamed through memory n
    times. Optionally accumulates the readout loss and gradient (2.22)-(2.23) along the way.

    Parameters
    ----------
    prep, S, Jt, Ht, state_start, activation
        As in :func:`advance_particles_fast`; ``S``, ``Jt``, ``Ht`` end at step t + n.
    X : array_like, shape (n, K, d)
        ``X[i]`` is consumed at the i-th step.
    alpha : array_like, shape (N,), optional
        Readout weights; with ``Y``, the kernel also returns the per-particle sums below.
    Y : array_like, shape (n, K), optional
        Targets: step i compares :math:`\hat Y_i = \alpha\cdot S_{t+i+1}` with ``Y[i]`` (the array
        time index of THEORY.md section 2).

    Returns
    -------
    None or (loss_sum, grad_sum)
        None unless ``alpha`` and ``Y`` are given; then ``loss_sum`` (K,) is
        :math:`\sum_i \tfrac12 r_i^2`, :math:`r_i = \hat Y_i - Y_i`, and ``grad_sum``
        (K, N + P_c) is :math:`\sum_i r_i\,(S_{t+i+1};\ J_{t+i+1}^\top\alpha)`, the gradient in
        the order (alpha, cell parameters): SUMS over the n steps (divide by n for the mean of
        ``rtrl_sequences``). Cost: O(N P_c) per step, small beside the J update. With ``Ht``
        the second-order states advance too, but only these first-order sums are accumulated
        (no Hessian of the loss).

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN
    >>> from rtrl_theory.engine import initial_sensitivities, rtrl_sequences
    >>> rng = np.random.default_rng(0)
    >>> model = PaperRNN(3, 2)
    >>> theta = model.flatten(model.init_params(rng))
    >>> cell = model.cell
    >>> X, Y = rng.uniform(-1, 1, (4, 30, 2)), rng.uniform(-1, 1, (4, 30))
    >>> st = initial_sensitivities(cell, 4)
    >>> loss, grad = advance_particles_fast_steps(
    ...     cell.prepare(theta[3:]), st.S, st.Jt, X.transpose(1, 0, 2), alpha=theta[:3],
    ...     Y=Y.T, state_start=cell.state_cols.start, activation=cell.activation.name)
    >>> ref = rtrl_sequences(model, theta, X, Y)
    >>> bool(np.allclose(grad / 30, ref.grad, rtol=1e-12, atol=1e-15))
    True
    """
    if (alpha is None) != (Y is None):
        missing = "Y" if Y is None else "alpha"
        raise TypeError(f"{missing}: alpha and Y go together (readout sums), got only one of them")
    return _run(prep, S, Jt, Ht, X, state_start, activation, alpha, Y, False)


def _kernels() -> dict:
    """Return the compiled engine's kernels (:func:`rtrl_theory.engine._compiled.kernels`)."""
    return _compiled.kernels()
