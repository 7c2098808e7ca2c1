"""The cell interface is general: a gated cell with a diagonal state-Jacobian term and two shared
matrices (the shape of a GRU's Jacobian) gets exact RTRL and BPTT from the same engine.

Truth: central finite differences of a plain forward pass, and BPTT vs RTRL.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import max_rel

from rtrl_theory import RNNModel, finite_difference_grad, loss_and_grad
from rtrl_theory.cells import Cell, Linearization, ParamBlock, RowLocalTerm, SquaredErrorReadout
from rtrl_theory.engine import rtrl_sequences


class GatedToyCell(Cell):
    r"""S' = z * S + (1 - z) * n, z = sigma(V S + c), n = tanh(W S + U X).

    dS'/dS = diag(z) + diag((S - n) z') V + diag((1 - z) n') W: a diagonal term and two
    shared matrices. Parameters (column-stacked): W (N, N), U (N, d), V (N, N), c (N, 1).
    """

    def __init__(self, N, d):
        self.n_state, self.n_input = N, d
        sizes = [("W", N), ("U", d), ("V", N), ("c", 1)]
        off, blocks = 0, []
        for name, m in sizes:
            blocks.append(ParamBlock(name, N, m, off))
            off += N * m
        self.blocks = tuple(blocks)
        self.n_params = off

    def prepare(self, theta):
        return {b.name: b.unflatten(theta) for b in self.blocks}

    def _parts(self, p, S, X):
        z = 1 / (1 + np.exp(-(S @ p["V"].T + p["c"][:, 0])))
        n = np.tanh(S @ p["W"].T + X @ p["U"].T)
        return z, n

    def step(self, p, S, X):
        z, n = self._parts(p, S, X)
        return z * S + (1 - z) * n

    def linearize(self, p, S, X):
        z, n = self._parts(p, S, X)
        dz, dn = z * (1 - z), 1 - n * n
        a_n, a_z = (1 - z) * dn, (S - n) * dz
        ones = np.ones((S.shape[0], 1))
        off = {b.name: b.offset for b in self.blocks}
        return Linearization(
            S_next=z * S + (1 - z) * n,
            state_jac=self._sj(z, a_z, a_n, p),
            param_terms=(
                RowLocalTerm(off["W"], a_n, S),
                RowLocalTerm(off["U"], a_n, X),
                RowLocalTerm(off["V"], a_z, S),
                RowLocalTerm(off["c"], a_z, ones),
            ),
        )

    @staticmethod
    def _sj(z, a_z, a_n, p):
        from rtrl_theory.cells import StateJacobian

        return StateJacobian(diag=z, coefs=(a_z, a_n), mats=(p["V"], p["W"]))


@pytest.mark.parametrize("N, d, T", [(1, 1, 10), (3, 2, 30), (4, 3, 25)])
def test_gated_cell_gets_exact_rtrl_and_bptt(rng, N, d, T):
    model = RNNModel(GatedToyCell(N, d), SquaredErrorReadout(N))
    theta = rng.standard_normal(model.n_params)
    X, Y = rng.uniform(-1, 1, (T, d)), rng.uniform(-1, 1, T)
    _, g_f = loss_and_grad(model, theta, X, Y, method="rtrl")
    _, g_b = loss_and_grad(model, theta, X, Y, method="bptt")
    g_fd = finite_difference_grad(model, theta, X, Y)
    assert max_rel(g_f, g_b) <= 1e-10  # rounding only
    assert max_rel(g_f, g_fd) <= 1e-6  # central differences, h = 1e-5


def test_gated_cell_state_jacobian_structure_matches_finite_differences(rng):
    cell = GatedToyCell(3, 2)
    p = cell.prepare(rng.standard_normal(cell.n_params))
    S, X = rng.uniform(0, 1, (2, 3)), rng.uniform(-1, 1, (2, 2))
    dense = cell.linearize(p, S, X).state_jac.dense()
    h = 1e-6
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        col = (cell.step(p, S + e, X) - cell.step(p, S - e, X)) / (2 * h)
        assert max_rel(dense[:, :, k], col) <= 1e-8  # h = 1e-6: ~1e-12 truncation


def test_gated_cell_batched_equals_single(rng):
    model = RNNModel(GatedToyCell(3, 2), SquaredErrorReadout(3))
    theta = rng.standard_normal(model.n_params)
    X, Y = rng.uniform(-1, 1, (4, 15, 2)), rng.uniform(-1, 1, (4, 15))
    batch = rtrl_sequences(model, theta, X, Y)
    for c in range(4):
        one = rtrl_sequences(model, theta, X[c : c + 1], Y[c : c + 1])
        assert max_rel(batch.grad[c], one.grad[0]) <= 1e-13


def test_second_order_needs_a_second_order_cell(rng):
    model = RNNModel(GatedToyCell(2, 1), SquaredErrorReadout(2))
    with pytest.raises(ValueError, match="order: GatedToyCell has no second-order recursion"):
        rtrl_sequences(
            model, np.zeros(model.n_params), np.zeros((1, 3, 1)), np.zeros((1, 3)), order=2
        )
