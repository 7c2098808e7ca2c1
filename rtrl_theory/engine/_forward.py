r"""Forward sensitivities (RTRL): first order (2.20)-(2.21) and second order (Section 2.4) of [P1].

First order, in matrix form (THEORY.md section 4), for a cell with the structured Jacobians of
``rtrl_theory.cells._base``:

.. math::

    J_{t+1} = \frac{\partial S_{t+1}}{\partial S_t} J_t + \frac{\partial S_{t+1}}{\partial\vartheta}
            = D_t\,( f(B) J_t + M_t ) \quad\text{for the paper's RNN,}

where :math:`M_t` is block-sparse (row k touches only the columns of row k of W and B). The
update is one matrix product plus the immediate term written onto the "diagonal blocks";
:math:`M_t` is never built densely or through Kronecker products.

Second order, for pre-activation cells :math:`S = \phi(z)`, :math:`z = \tilde\Theta \tilde u`,
with :math:`A_t = \partial z/\partial\vartheta = \tilde\Theta_S J_t + M_t`:

.. math::

    H^k_{t+1} = \phi''(z^k)\, a^k a^{k\top}
              + \phi'(z^k) \Big( \sum_l \tilde\Theta_S^{kl} H^l_t + R^k_t \Big),

with :math:`R^k_t` the delta terms of THEORY.md section 5 (a diagonal :math:`g''(W)X`,
:math:`f''(B)S` part and the cross terms :math:`f'(B^{kj}) \partial S^j/\partial\vartheta`).

Memory layout (an implementation choice, documented here once)
--------------------------------------------------------------
K chains sharing :math:`\vartheta` are stored *parameter-major*: ``Jt[c, p, k]`` is
:math:`\partial S^k/\partial\vartheta_p` of chain c, shape (K, P_c, N), and
``Ht[c, p, q, k]`` is :math:`\partial^2 S^k/\partial\vartheta_p\partial\vartheta_q`, shape
(K, P_c, P_c, N). ``Jt.reshape(K * P_c, N)`` is the transpose of the (N, K P_c) matrix
:math:`[J^{(1)} | \dots | J^{(K)}]`, so every chain advances through the single GEMM
``Jt2d @ M.T`` (this orientation runs about 1.5x faster in OpenBLAS than ``M @ J`` for the
N = 64 shapes, see ``benchmarks/``). The paper's :math:`J_t` (N x P_c) of chain c is
``Jt[c].T`` (:attr:`SensitivityState.J`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory.cells._base import Cell, IndexedRowLocalTerm, RowLocalTerm, StateJacobian

__all__ = [
    "SensitivityState",
    "initial_sensitivities",
    "advance_first_order",
    "advance_second_order",
    "apply_state_jacobian",
    "add_row_local",
]


@dataclass(frozen=True)
class SensitivityState:
    r"""State of K chains: ``S`` (K, N), ``Jt`` (K, P_c, N) and ``Ht`` (K, P_c, P_c, N) or None.

    See the module docstring for the layout; :attr:`J` and :attr:`H` give [P1]'s orientation.
    The derivative states are those of the cell's parameters :math:`\vartheta` (P_c of them, the
    head's excluded: :math:`\alpha` does not enter J).

    Parameters
    ----------
    S : ndarray, shape (K, N)
        The states :math:`S_t` of the K chains.
    Jt : ndarray, shape (K, P_c, N)
        :math:`J_t^\top` per chain, :math:`J_t = \partial S_t/\partial\vartheta` of (2.20)-(2.21)
        of [P1]; C-contiguous (the engine adds row-local terms through a diagonal view).
    Ht : ndarray, shape (K, P_c, P_c, N), optional
        ``Ht[c, p, q, k]`` = :math:`\partial^2 S^k_t/\partial\vartheta_p\partial\vartheta_q`, the
        second-order states of Section 2.4; None (the default) for a first-order run.

    See Also
    --------
    initial_sensitivities : the state at t = 0.
    advance_first_order, advance_second_order : one step of the recursions.
    """

    S: np.ndarray
    Jt: np.ndarray
    Ht: np.ndarray | None = None

    @property
    def n_chains(self) -> int:
        return self.S.shape[0]

    @property
    def J(self) -> np.ndarray:
        r""":math:`J_t = \partial S_t/\partial\vartheta`, (K, N, P_c) view."""
        return self.Jt.transpose(0, 2, 1)

    @property
    def H(self) -> np.ndarray | None:
        r""":math:`H^k_t`, (K, N, P_c, P_c) view, or None for first order."""
        return None if self.Ht is None else self.Ht.transpose(0, 3, 1, 2)


def initial_sensitivities(
    cell: Cell, n_chains: int = 1, *, order: int = 1, S0: np.ndarray | None = None
) -> SensitivityState:
    r"""Return S_0 (zero unless given) and zero derivative states (THEORY.md section 2, CONVENTION).

    [P1] starts the recursions (2.20)-(2.21) and those of Section 2.4 from
    :math:`J_0 = 0`, :math:`H_0 = 0`; the project's convention is also :math:`S_0 = 0`.

    Parameters
    ----------
    cell : Cell
        The cell, with N = ``cell.n_state`` and P_c = ``cell.n_params``.
    n_chains : int, default 1
        K, the number of chains sharing the parameters.
    order : {1, 2}, default 1
        1 allocates ``Jt`` only; 2 also the second-order states ``Ht`` (K P_c^2 N floats).
    S0 : array_like, shape (K, N), optional
        Initial states (copied); None (the default) gives ``cell.initial_state(n_chains)``.

    Returns
    -------
    SensitivityState
        ``S`` (K, N), ``Jt`` zeros (K, P_c, N), ``Ht`` zeros (K, P_c, P_c, N) or None.

    See Also
    --------
    advance_first_order : advances this state one step.
    """
    N, P = cell.n_state, cell.n_params
    S = cell.initial_state(n_chains) if S0 is None else np.array(S0, dtype=float, copy=True)
    Jt = np.zeros((n_chains, P, N))
    Ht = np.zeros((n_chains, P, P, N)) if order == 2 else None
    return SensitivityState(S, Jt, Ht)


def apply_state_jacobian(sj: StateJacobian, Jt: np.ndarray) -> np.ndarray:
    r"""Return :math:`(\partial S_{t+1}/\partial S_t)\, J_t` for every chain, in the Jt layout.

    With ``dS'/dS = diag(c0) + sum_r diag(c_r) M_r``, all chains go through one GEMM
    ``Jt.reshape(K P, N) @ [M_1^T | ... | M_R^T]``. For a single chain the coefficients are
    folded into the small matrix first: ``Jt @ (M^T diag(c))`` for a single term (the paper's
    RNN), ``Jt @ (diag(c0) + sum_r M_r^T diag(c_r))`` otherwise, so no extra pass over Jt is
    needed. For the paper's RNN this is the :math:`f(B) J_t` of (2.20) with :math:`D_t` folded
    into the coefficients.

    Parameters
    ----------
    sj : StateJacobian
        :math:`\partial S_{t+1}/\partial S_t` in structured form: ``diag`` (K, N) or None,
        ``coefs`` R arrays (K, N), ``mats`` R arrays (N, N).
    Jt : ndarray, shape (K, P, N)
        :math:`J_t^\top` per chain (any P: the cell's derivative states, or the rows of an
        online estimator's sensitivity).

    Returns
    -------
    ndarray, shape (K, P, N)
        :math:`\big((\partial S_{t+1}/\partial S_t)\, J_t\big)^\top` per chain, a new array.

    See Also
    --------
    add_row_local : adds the immediate term :math:`M_t` to the result.
    """
    K, P, N = Jt.shape
    R = len(sj.mats)
    if K == 1 and R == 1 and sj.diag is None:
        small = sj.mats[0].T * sj.coefs[0][0][None, :]
        return (Jt[0] @ small)[None]
    if K == 1:
        # Gated cells (GRU: a diagonal and three matrices): the (N, N) Jacobian is formed first,
        # so one (P, N) x (N, N) GEMM replaces R of them and R + 1 passes over Jt.
        small = np.zeros((N, N)) if sj.diag is None else np.diag(sj.diag[0])
        for c, m in zip(sj.coefs, sj.mats, strict=True):
            small += m.T * c[0][None, :]
        return (Jt[0] @ small)[None]
    out = None
    if R:
        stacked = sj.mats[0].T if R == 1 else np.concatenate([m.T for m in sj.mats], axis=1)
        prod = (Jt.reshape(K * P, N) @ stacked).reshape(K, P, R, N)
        out = prod[:, :, 0, :] * sj.coefs[0][:, None, :]
        for r in range(1, R):
            out += prod[:, :, r, :] * sj.coefs[r][:, None, :]
    if sj.diag is not None:
        term = Jt * sj.diag[:, None, :]
        out = term if out is None else out + term
    if out is None:
        out = np.zeros_like(Jt)
    return out


def add_row_local(Jt: np.ndarray, term: RowLocalTerm | IndexedRowLocalTerm) -> None:
    r"""Add a row-local immediate Jacobian term onto the diagonal blocks of ``Jt`` in place.

    ``Jt[c, offset + j N + i, i] += a[c, i] u[c, j] w[i, j]`` (the :math:`\delta_{ki}` of
    (2.20)-(2.21); for a term on a part of a multi-part state, ``Jt[c, offset + j R + row0 + i,
    state0 + i]``, see ``cells._base``); O(K N m) work, no dense :math:`M_t`. For an
    :class:`~rtrl_theory.cells.IndexedRowLocalTerm` (one-hot input :math:`u = e_{x_c}`) only
    column ``j = index[c]`` is touched: ``Jt[c, offset + x_c N + i, i] += a[c, i] w[i, x_c]``,
    O(K N) work.

    Parameters
    ----------
    Jt : ndarray, shape (K, P, N)
        The derivative states being advanced, modified in place; must be C-contiguous.
    term : RowLocalTerm or IndexedRowLocalTerm
        One block of :math:`M_t = \partial S_{t+1}/\partial\vartheta` (``a`` (K, n), ``u``
        (K, m) or ``index`` (K,), ``w`` (n, m) or None), placed by its ``offset``.

    Raises
    ------
    ValueError
        If ``Jt`` is not C-contiguous.

    See Also
    --------
    apply_state_jacobian : the other half of the step (2.20).
    """
    if not Jt.flags.c_contiguous:
        raise ValueError("Jt: expected a C-contiguous array (the diagonal view must not copy)")
    K, _, N = Jt.shape
    n, R, r0, s0 = term.a.shape[1], term.block_rows, term.row0, term.state0
    if isinstance(term, IndexedRowLocalTerm):
        # (c, offset + x_c R + row0 + i, state0 + i) are distinct for distinct (c, i): fancy
        # += is exact.
        cols = s0 + np.arange(n)[None, :]
        Jt[np.arange(K)[:, None], term.rows(), cols] += term.coefficients()
        return
    m = term.n_cols
    # Multi-part states (cells._base docstring): rows row0 .. row0 + n of an (R, m) block drive
    # the state entries state0 .. state0 + n; the single-part case is R = n = N, row0 = state0 = 0.
    block = Jt[:, term.offset : term.offset + m * R, :].reshape(K, m, R, N)
    block = block[:, :, r0 : r0 + n, s0 : s0 + n]
    np.einsum("cjii->cji", block)[...] += term.values()


def advance_first_order(cell: Cell, prep, state: SensitivityState, X: np.ndarray):
    r"""Advance the state and the forward sensitivities one step, (2.20)-(2.21) of [P1].

    For K chains sharing the prepared parameters ``prep``,

    .. math:: S_{t+1} = \Phi(S_t, X_t), \qquad
              J_{t+1} = \frac{\partial S_{t+1}}{\partial S_t} J_t + M_t,

    where :math:`M_t = \partial S_{t+1}/\partial\theta_c` is the immediate Jacobian (for the
    paper's RNN, :math:`J_{t+1} = D_t(f(B) J_t + M_t)`). The state Jacobian is applied in its
    structured form and :math:`M_t` is added row-locally, never built densely.

    Parameters
    ----------
    cell : Cell
    prep : object
        ``cell.prepare(theta_c)``: what depends on the cell's parameters only.
    state : SensitivityState
        ``S`` (K, N) and ``Jt`` (K, P_c, N), the transpose of :math:`J_t` per chain.
    X : ndarray, shape (K, d), or (K,) of int for a cell with one-hot inputs
        The inputs :math:`X_t`.

    Returns
    -------
    state : SensitivityState
        ``S`` (K, N) :math:`= S_{t+1}`, ``Jt`` (K, P_c, N) :math:`= J_{t+1}^\top`, ``Ht`` None.
    lin : Linearization
        The step's structured Jacobians (the head needs ``S_next``; online estimators reuse them).

    See Also
    --------
    advance_second_order : The same step with the second-order recursion of Section 2.4.
    rtrl_sequences : These steps over whole sequences, with the gradient (2.22)-(2.23).
    """
    lin = cell.linearize(prep, state.S, X)
    Jt = apply_state_jacobian(lin.state_jac, state.Jt)
    for term in lin.param_terms:
        add_row_local(Jt, term)
    return SensitivityState(lin.S_next, Jt, None), lin


def advance_second_order(cell: Cell, prep, state: SensitivityState, X: np.ndarray):
    r"""Advance one step of the first- and second-order recursions (Section 2.4) for K chains.

    For a pre-activation cell :math:`S_{t+1} = \phi(z_t)`, :math:`z_t = \tilde\Theta\tilde u_t`,
    with :math:`A_t = \partial z_t/\partial\vartheta` (for the paper's RNN,
    :math:`A_t = f(B) J_t + M_t`):

    .. math:: J_{t+1} = \mathrm{diag}(\phi'(z_t))\, A_t, \qquad
              H^k_{t+1} = \phi''(z^k_t)\, a^k_t a^{k\top}_t
              + \phi'(z^k_t)\Big(\sum_l \tilde\Theta^{kl} H^l_t + R^k_t\Big),

    :math:`a^k_t` the row k of :math:`A_t` and :math:`R^k_t` the delta terms of the second
    derivatives of the pre-activation (THEORY.md section 5). The Hessian of the loss (3.56)
    and of the prediction (3.57) are built from these states.

    Parameters
    ----------
    cell : Cell
        A cell with ``has_second_order`` true (the pre-activation cells, e.g. the paper's RNN),
        which provides ``second_order_pieces``.
    prep : object
        ``cell.prepare(theta_c)``: what depends on the cell's parameters only.
    state : SensitivityState
        ``S`` (K, N), ``Jt`` (K, P_c, N) and ``Ht`` (K, P_c, P_c, N), not None.
    X : ndarray, shape (K, d)
        The inputs :math:`X_t`.

    Returns
    -------
    state : SensitivityState
        :math:`S_{t+1}`, :math:`J_{t+1}^\top` (K, P_c, N) and the new ``Ht`` (K, P_c, P_c, N).
    At : ndarray, shape (K, P_c, N)
        ``At[c, p, k]`` = :math:`\partial z^k_t/\partial\vartheta_p`.

    See Also
    --------
    advance_first_order : the first-order step alone, (2.20)-(2.21).
    loss_grad_hessian : the Hessian (3.56) of a whole sequence, built on these steps.
    """
    pieces = cell.second_order_pieces(prep, state.S, X)
    Jt, Ht = state.Jt, state.Ht
    K, P, N = Jt.shape
    M = pieces.u.shape[1]
    rec_T = pieces.rec.T
    # A_t = dz/dtheta = rec J_t + M_t (M_t: immediate term without phi').
    At = (Jt.reshape(K * P, N) @ rec_T).reshape(K, P, N)
    add_row_local(At, RowLocalTerm(0, np.ones((K, N)), pieces.u, pieces.G1))
    Jt_new = At * pieces.phi1[:, None, :]

    # sum_l rec[k, l] H^l_t for every chain: one GEMM on the (K P P, N) view.
    Ht_new = (Ht.reshape(K * P * P, N) @ rec_T).reshape(K, P, P, N)
    # R^k, diagonal part: d2 Theta~[k, m] / d theta_(m,k)^2 * u_m at p = q = m N + k.
    np.einsum("cmimii->cmi", Ht_new.reshape(K, M, N, M, N, N))[...] += (
        pieces.u[:, :, None] * pieces.G2.T[None, :, :]
    )
    # R^k, cross part: p = (m, k) with m a state column (u_m = S^j), all q:
    # Theta~'[k, m] dS^j/dtheta_q, plus its transpose.
    sc = pieces.state_cols
    E = np.einsum("kj,cqj->cjqk", pieces.G1[:, sc], Jt)  # (K, N_j, P, N_k)
    rows = np.einsum("cmiqi->cmqi", Ht_new.reshape(K, M, N, P, N))
    rows[:, sc] += E
    cols = np.einsum("cqmii->cqmi", Ht_new.reshape(K, P, M, N, N))
    cols[:, :, sc] += E.transpose(0, 2, 1, 3)
    Ht_new *= pieces.phi1[:, None, None, :]
    Ht_new += pieces.phi2[:, None, None, :] * At[:, :, None, :] * At[:, None, :, :]
    return SensitivityState(pieces.S_next, Jt_new, Ht_new), At
