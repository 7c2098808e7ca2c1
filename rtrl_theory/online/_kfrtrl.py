r"""KF-RTRL, Kronecker-factored RTRL (Mujika, Meier & Steger 2018, [R-KF]).

For a parameter block :math:`\Theta` (N x m) acting on a vector :math:`\tilde u_t` (m) through
row-local terms, the immediate Jacobian is a Kronecker product: in the column-stacked order
(entry (i, j) at column :math:`jN + i`),

.. math:: I^\Theta_t = \tilde u_t^\top \otimes \mathrm{diag}(a_t), \qquad
          I^\Theta_t[k, jN + i] = \tilde u_{t,j}\, \delta_{ki}\, a_{t,i}

(times the entrywise weight-map derivative :math:`w_{ij}`, see Notes). KF-RTRL keeps, per
block, :math:`\tilde J^\Theta_t = u_t^\top \otimes A_t` with :math:`u_t \in\mathbb R^m`,
:math:`A_t\in\mathbb R^{N\times N}`, and with independent signs :math:`c_1, c_2 = \pm 1`

.. math::

    u_{t+1} = c_1 p_1 u_t + c_2 p_2 \tilde u_t, \qquad
    A_{t+1} = c_1 p_1^{-1} D_t A_t + c_2 p_2^{-1}\mathrm{diag}(a_t),

so :math:`u_{t+1}^\top\otimes A_{t+1} = u_t^\top\otimes D_tA_t + \tilde u_t^\top\otimes
\mathrm{diag}(a_t) + c_1c_2(\dots)`: the cross terms have mean zero, hence
:math:`E[\tilde J_{t+1}\mid\mathcal F_t] = D_t\tilde J_t + I_t` and the estimator is unbiased.
The rescaling :math:`p_1 = \sqrt{\|D_tA_t\| / \|u_t\|}`,
:math:`p_2 = \sqrt{\|\mathrm{diag}(a_t)\| / \|\tilde u_t\|}` (Frobenius norms) minimises the
variance of the cross terms ([R-KF], Section 4; 1 when a norm is 0).

Cells with several row-local terms (the GRU's gates, the linear SDE's A and B blocks) get one
independent Kronecker factor per term. Cost O(N^3) per particle, step and term (the product
:math:`D_t A_t`), memory :math:`\sum_b (m_b + N^2)` floats. The gradient is
:math:`\tilde G^\Theta = \mathrm{vec}\big(w\odot (A_t^\top\partial_S\ell)\,u_t^\top\big)`.

Notes
-----
Weight maps. For the paper's RNN the immediate term carries the derivative
:math:`w_{ij} = g'(W_{ij})` or :math:`f'(B_{ij})` of the bounded maps, which is not Kronecker.
Because :math:`w` depends on :math:`\theta` only, :math:`\partial S/\partial\theta_{ij} =
w_{ij}\,\partial S/\partial\tilde\Theta_{ij}` at all times: KF-RTRL runs on the mapped weights
:math:`\tilde\Theta` (pure Kronecker immediate term) and multiplies by :math:`w` when it forms
the gradient. During training, where :math:`\theta` moves, the factor uses the current
:math:`w_t`; exact RTRL would carry each step's own :math:`w`, an :math:`O(\eta)` difference.

References
----------
.. [R-KF] A. Mujika, F. Meier, A. Steger, "Approximating Real-Time Recurrent Learning with
   Random Kronecker Factors", NeurIPS 2018.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.cells._base import IndexedRowLocalTerm

from ._base import EstimatorState, OnlineEstimator, apply_to_matrices

__all__ = ["KFRTRL"]


def _ratio(num, den):
    ok = (num > 0) & (den > 0)
    return np.where(ok, np.sqrt(np.where(ok, num, 1.0) / np.where(ok, den, 1.0)), 1.0)


def _term_u(term):
    """Return the Kronecker input vector of a term, (K, m), and its weight map (N, m) or None."""
    if isinstance(term, IndexedRowLocalTerm):
        K = term.a.shape[0]
        u = np.zeros((K, term.n_cols))
        u[np.arange(K), np.asarray(term.index, dtype=np.intp)] = 1.0
        return u
    return term.u


class KFRTRL(OnlineEstimator):
    r"""KF-RTRL with one Kronecker factor per row-local term (module docstring).

    Unbiased: :math:`E[\tilde J_t] = J_t` given the data, so the stationary mean of its update
    is :math:`\nabla L` (Theorem 3.16 of [P1]). Cost O(N^3) per step, memory N^2 + m floats.

    Parameters
    ----------
    model : RNNModel
        The model whose cell the estimator follows; its parameter blocks must be row-local on
        the N state rows (every cell of the project: paper RNN, Elman, linear and neural SDE,
        GRU).

    Raises
    ------
    ValueError
        If two immediate terms of the cell share a parameter block (one Kronecker factor per
        block; found at the first linearization).

    See Also
    --------
    UORO : rank one, also unbiased, cheaper and noisier.
    ExactRTRL : the influence itself.
    """

    name = "kf-rtrl"
    unbiased = True

    def __init__(self, model) -> None:
        super().__init__(model)
        # Terms are discovered from the cell's first linearization: (offset, m) per term.
        self._layout = None

    def _layout_from(self, lin):
        layout = []
        for term in lin.param_terms:
            m = term.n_cols
            layout.append((term.offset, m))
        offs = [o for o, _ in layout]
        if len(set(offs)) != len(offs):
            raise ValueError("model: KF-RTRL needs each immediate term on its own parameter block")
        return tuple(layout)

    def _probe_layout(self):
        """Layout from one linearization at zero state and input (shapes only)."""
        cell = self.model.cell
        th, tc = self.model.split(np.zeros(self.model.n_params))
        prep = cell.prepare(tc)
        S = cell.initial_state(1)
        if getattr(cell, "input_kind", "dense") == "onehot":
            X = np.zeros(1, dtype=np.intp)
        else:
            X = np.zeros((1, cell.n_input))
        return self._layout_from(cell.linearize(prep, S, X))

    def initial(self, n_particles: int) -> EstimatorState:
        if self._layout is None:
            self._layout = self._probe_layout()
        K, N = n_particles, self.n_state
        arrays = {}
        for b, (_, m) in enumerate(self._layout):
            arrays[f"u{b}"] = np.zeros((K, m))
            arrays[f"A{b}"] = np.zeros((K, N, N))
        return EstimatorState(arrays)

    def advance(self, state, lin, rng, *, inplace: bool = False) -> EstimatorState:
        new = {}
        w = []
        for b, term in enumerate(lin.param_terms):
            u, A = state.arrays[f"u{b}"], state.arrays[f"A{b}"]
            K, N = u.shape[0], A.shape[1]
            DA = apply_to_matrices(lin.state_jac, A)
            ut = _term_u(term)
            a = term.a
            c = rng.integers(0, 2, size=(K, 2)) * 2.0 - 1.0
            p1 = _ratio(np.linalg.norm(DA.reshape(K, -1), axis=1), np.linalg.norm(u, axis=1))
            p2 = _ratio(np.linalg.norm(a, axis=1), np.linalg.norm(ut, axis=1))
            c1, c2 = (c[:, 0] * p1)[:, None], (c[:, 1] * p2)[:, None]
            new[f"u{b}"] = c1 * u + c2 * ut
            A_new = (c[:, 0] / p1)[:, None, None] * DA
            idx = np.arange(N)
            A_new[:, idx, idx] += (c[:, 1] / p2)[:, None] * a
            new[f"A{b}"] = A_new
            w.append(term.w)
        self._w = tuple(w)
        return EstimatorState(new, state.t + 1)

    def cell_gradient(self, state, dS, Y=None) -> np.ndarray:
        K = dS.shape[0]
        N = self.n_state
        out = np.zeros((K, self.n_cell_params))
        ws = getattr(self, "_w", (None,) * len(self._layout))
        for b, (off, m) in enumerate(self._layout):
            u, A = state.arrays[f"u{b}"], state.arrays[f"A{b}"]
            v = np.matmul(A.transpose(0, 2, 1), dS[:, :, None])[:, :, 0]  # A^T dS, (K, N)
            g = u[:, :, None] * v[:, None, :]  # [c, j, i]
            if ws[b] is not None:
                g = g * ws[b].T[None, :, :]
            out[:, off : off + m * N] = g.reshape(K, m * N)
        return out

    def influence(self, state) -> np.ndarray:
        r""":math:`\tilde J_t^\top` in the engine layout (K, P_c, N), weight maps included."""
        K = next(iter(state.arrays.values())).shape[0]
        N = self.n_state
        out = np.zeros((K, self.n_cell_params, N))
        ws = getattr(self, "_w", (None,) * len(self._layout))
        for b, (off, m) in enumerate(self._layout):
            u, A = state.arrays[f"u{b}"], state.arrays[f"A{b}"]
            # J[k, jN + i] = u_j A[k, i] w_ij  ->  Jt[c, jN + i, k]
            blk = u[:, :, None, None] * A.transpose(0, 2, 1)[:, None, :, :]
            if ws[b] is not None:
                blk = blk * ws[b].T[None, :, :, None]
            out[:, off : off + m * N, :] = blk.reshape(K, m * N, N)
        return out
