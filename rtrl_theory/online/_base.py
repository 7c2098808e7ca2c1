r"""The seam shared by the online gradient estimators: what every estimator reads of a cell step.

Exact RTRL advances the influence :math:`J_t = \partial S_t/\partial\vartheta` (N x P_c) by the
first-order recursion (2.20)-(2.21) of [P1],

.. math:: J_{t+1} = D_t J_t + I_t, \qquad
          D_t = \mathrm{diag}(c^{(0)}_t) + \sum_r \mathrm{diag}(c^{(r)}_t) M_r, \qquad
          I_t[k, p] = \delta_{k, i(p)}\, a_{i(p)}\, u_{j(p)}\, w_{i(p) j(p)},

with the structured state Jacobian :math:`D_t` and the row-local immediate Jacobian
:math:`I_t` of ``rtrl_theory.cells._base`` (parameter p = (i, j) of a block stored at
``offset + j N + i``, so it acts on neuron :math:`i(p)` only). An *online estimator* replaces
:math:`J_t` by an approximate sensitivity state that it advances from the same linearization
(:class:`~rtrl_theory.cells.Linearization`) and returns the gradient estimate

.. math:: \tilde G_A(\theta, Z_t) = \big(\partial_{\theta_h}\ell,\ \tilde J_{t+1}^\top
          \partial_S\ell\big),

the update direction (3.63)-(3.64) with :math:`\tilde J` in place of J. The head's own gradient
is exact in every estimator (it needs no sensitivity).

This module holds the base class and the few operations the estimators share: the state
Jacobian applied to vectors and to (N, N) matrices, its diagonal, the immediate term on its
"diagonal" entries :math:`I_t[i(p), p]`, and the contraction :math:`\nu^\top I_t`. Each is
O(K N^2), O(K N^3) or O(K P) work on K particles at once; none builds :math:`I_t` densely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory.cells._base import IndexedRowLocalTerm, RowLocalTerm, StateJacobian

__all__ = [
    "OnlineEstimator",
    "EstimatorState",
    "apply_to_vectors",
    "apply_to_matrices",
    "jacobian_diagonal",
    "immediate_diagonal",
    "contract_immediate",
    "write_immediate",
    "parameter_rows",
    "recurrence_graph",
]


@dataclass
class EstimatorState:
    """Approximate sensitivity state of K particles: named arrays (``arrays``) and a step count.

    Attributes
    ----------
    arrays : dict of str to ndarray
        The estimator's arrays, each particle-major, shape (K, ...): for example UORO's ``"s"``
        (K, N) and ``"theta"`` (K, P_c), or a diagonal trace's ``"trace"`` (K, P_c).
    t : int, default 0
        Steps advanced since :meth:`OnlineEstimator.initial`.
    """

    arrays: dict
    t: int = 0

    def copy(self) -> EstimatorState:
        return EstimatorState({k: np.array(v, copy=True) for k, v in self.arrays.items()}, self.t)

    def floats(self) -> int:
        """Floats held per particle (arrays are particle-major)."""
        return int(sum(v[0].size for v in self.arrays.values() if v.ndim and v.shape[0]))


class OnlineEstimator:
    r"""Base class: an online gradient estimator bound to a model.

    Subclasses implement :meth:`initial`, :meth:`advance` and :meth:`cell_gradient`; the
    gradient of the head parameters is exact in every estimator (:meth:`gradient`).

    Parameters
    ----------
    model : RNNModel
        The model whose cell the estimator follows; its parameter blocks must be row-local on
        the N state rows (every cell of the project: paper RNN, Elman, linear and neural SDE,
        GRU).

    Attributes
    ----------
    name : str
        The registry name (``"uoro"``, ``"snap-2"``, ...).
    unbiased : bool
        True when :math:`E[\tilde J_t] = J_t` given the data (UORO, KF-RTRL, exact), so that the
        stationary mean of :math:`\tilde G_A` is :math:`\nabla L` (Theorem 3.16 of [P1]).
    update_every : int
        1 for estimators whose gradient is used at every step; TBPTT(tau) uses its gradients in
        blocks of tau steps (a lagged update).
    """

    name = "base"
    unbiased = False
    update_every = 1

    def __init__(self, model) -> None:
        cell = model.cell
        N = cell.n_state
        for b in cell.blocks:
            if b.n_rows != N or b.offset % N:
                raise ValueError(
                    f"model: block {b.name!r} of {type(cell).__name__} is not row-local on the "
                    f"N = {N} state rows; the online estimators need row-local parameter blocks"
                )
        self.model = model
        self.n_state = N
        self.n_cell_params = cell.n_params
        self.rows = parameter_rows(cell)

    # -- to implement -----------------------------------------------------------------------
    def initial(self, n_particles: int) -> EstimatorState:
        """Return the estimator's state at t = 0 for ``n_particles`` particles."""
        raise NotImplementedError

    def advance(self, state: EstimatorState, lin, rng, *, inplace: bool = False) -> EstimatorState:
        """Advance the state over one step whose linearization is ``lin``.

        ``inplace=True`` allows the estimator to reuse ``state``'s arrays (the caller no longer
        needs ``state``); estimators that cannot benefit ignore it.
        """
        raise NotImplementedError

    def cell_gradient(self, state: EstimatorState, dS: np.ndarray, Y=None) -> np.ndarray:
        r""":math:`\tilde J^\top \partial_S\ell` per particle, (K, P_c)."""
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------------------
    def gradient(self, state: EstimatorState, hd, Y=None) -> np.ndarray:
        r"""Return the estimate :math:`\tilde G_A` of (3.63)-(3.64), (K, P): (head part, cell part)."""
        return np.concatenate([hd.dtheta, self.cell_gradient(state, hd.dS, Y)], axis=1)

    def memory(self) -> int:
        """Floats of approximate sensitivity state per particle."""
        return self.initial(1).floats()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


# ------------------------------------------------------------------------------------------------
# Shared operations on the structured Jacobians
# ------------------------------------------------------------------------------------------------
def parameter_rows(cell) -> np.ndarray:
    r"""Return the neuron :math:`i(p)` that each cell parameter acts on, (P_c,) of int.

    Every block is (N, m) and stored column-stacked at an offset that is a multiple of N, so
    :math:`i(p) = p \bmod N`.
    """
    return np.arange(cell.n_params) % cell.n_state


def apply_to_vectors(sj: StateJacobian, v: np.ndarray) -> np.ndarray:
    r""":math:`D_t v` for each particle: ``v`` (K, N) -> (K, N), O(K N^2 R)."""
    out = np.zeros_like(v) if sj.diag is None else sj.diag * v
    for c, m in zip(sj.coefs, sj.mats, strict=True):
        out += c * (v @ m.T)
    return out


def apply_to_matrices(sj: StateJacobian, A: np.ndarray) -> np.ndarray:
    r""":math:`D_t A` for each particle: ``A`` (K, N, N) -> (K, N, N), O(K N^3 R)."""
    out = np.zeros_like(A) if sj.diag is None else sj.diag[:, :, None] * A
    for c, m in zip(sj.coefs, sj.mats, strict=True):
        out += c[:, :, None] * np.matmul(m, A)
    return out


def jacobian_diagonal(sj: StateJacobian) -> np.ndarray:
    r""":math:`\mathrm{diag}(D_t) = c^{(0)} + \sum_r c^{(r)} \odot \mathrm{diag}(M_r)`, (K, N)."""
    K, N = (sj.coefs[0] if sj.coefs else sj.diag).shape
    out = np.zeros((K, N)) if sj.diag is None else np.array(sj.diag, dtype=float, copy=True)
    for c, m in zip(sj.coefs, sj.mats, strict=True):
        out += c * np.diagonal(m)[None, :]
    return out


def immediate_diagonal(terms, n_particles: int, n_params: int, n_state: int) -> np.ndarray:
    r"""Return the nonzero entries :math:`I_t[i(p), p]` of the immediate Jacobian, (K, P_c).

    Parameters not touched by any term (none for the project's cells) are 0.
    """
    out = np.zeros((n_particles, n_params))
    for term in terms:
        add_immediate(out, term, n_state, scale=None)
    return out


def contract_immediate(terms, nu: np.ndarray, n_params: int) -> np.ndarray:
    r""":math:`\nu^\top I_t` for each particle: ``nu`` (K, N) -> (K, P_c).

    Entry p is :math:`\nu_{i(p)} I_t[i(p), p]` (the immediate Jacobian is row-local).
    """
    K, N = nu.shape
    out = np.zeros((K, n_params))
    for term in terms:
        add_immediate(out, term, N, scale=nu)
    return out


def write_immediate(out: np.ndarray, terms, n_state: int, *, scale=None) -> np.ndarray:
    r"""``out[c, p] = scale[c, i(p)] I[c, i(p), p]`` written in place, (K, P_c); returns ``out``.

    When the dense row-local terms tile the parameters (each parameter in exactly one term, as
    in every cell of the project) each term's block is written directly, with no zero fill and
    no temporary of size K P_c; otherwise ``out`` is zeroed and the terms are added.
    """
    K, P = out.shape
    tiles = all(isinstance(t, RowLocalTerm) for t in terms) and _tiling(terms, n_state, P)
    if not tiles:
        out[...] = 0.0
        for term in terms:
            add_immediate(out, term, n_state, scale=scale)
        return out
    for term in terms:
        m = term.u.shape[1]
        # A column slice of a C-contiguous (K, P) array split along its contiguous last axis:
        # reshape returns a view, so the product is written into ``out``.
        block = out[:, term.offset : term.offset + m * n_state].reshape(K, m, n_state)
        a = term.a if scale is None else term.a * scale
        np.multiply(term.u[:, :, None], a[:, None, :], out=block)
        if term.w is not None:
            block *= term.w.T[None, :, :]
    return out


def _tiling(terms, n_state, P):
    """Return the intervals of a perfect tiling of [0, P) by the terms' blocks, or None."""
    iv = sorted((t.offset, t.offset + t.u.shape[1] * n_state) for t in terms)
    pos = 0
    for a, b in iv:
        if a != pos:
            return None
        pos = b
    return iv if pos == P else None


def add_immediate(out: np.ndarray, term, n_state: int, *, scale=None) -> None:
    """``out[c, p] += scale[c, i(p)] I[c, i(p), p]`` for one term (scale None: ones)."""
    K = out.shape[0]
    if isinstance(term, IndexedRowLocalTerm):
        coef = term.coefficients()
        if scale is not None:
            coef = coef * scale
        out[np.arange(K)[:, None], term.rows(n_state)] += coef
        return
    if not isinstance(term, RowLocalTerm):
        raise TypeError(f"lin: unknown immediate term {type(term).__name__}")
    a = term.a if scale is None else term.a * scale
    v = a[:, None, :] * term.u[:, :, None]
    if term.w is not None:
        v = v * term.w.T[None, :, :]
    m = term.u.shape[1]
    out[:, term.offset : term.offset + m * n_state] += v.reshape(K, m * n_state)


def recurrence_graph(sj: StateJacobian) -> np.ndarray:
    r"""Return the recurrence graph: ``adj[k, l]`` is True when :math:`D_t[k, l]` can be nonzero.

    Structural: the nonzero pattern of the matrices :math:`M_r` (at the current parameters),
    plus the diagonal when the cell has a diagonal term :math:`c^{(0)}`.

    Parameters
    ----------
    sj : StateJacobian
        The structured state Jacobian :math:`D_t` of a linearization (``lin.state_jac``).

    Returns
    -------
    ndarray of bool, shape (N, N)
        ``adj[k, l]``: an edge :math:`l \to k` of the recurrence.

    See Also
    --------
    graph_diameter : the number of steps after which SnAp-n is exact.
    """
    N = (sj.coefs[0] if sj.coefs else sj.diag).shape[1]
    adj = np.zeros((N, N), dtype=bool)
    for m in sj.mats:
        adj |= np.asarray(m) != 0
    if sj.diag is not None:
        adj |= np.eye(N, dtype=bool)
    return adj
