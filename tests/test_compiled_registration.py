"""A cell defined only here reaches the compiled engine by its own code and ONE registration line.

The cell (a gated recurrence with a diagonal state-Jacobian term and two shared matrices, the
shape of a GRU's Jacobian) lives in the tests only: its NumPy side (``prepare``, ``step``,
``linearize``) is ``test_cell_interface.GatedToyCell``; its table (``compiled()``) and its
compiled forward function are written here, the forward registered with
``register_forward("test-gated", _fw_gated)``. No file of the package names it.

Truth: the NumPy engine, an independent implementation of the same recursions (module docstring
of ``tests/test_backend.py``: different summation order, ``np.exp``/``np.tanh`` against the
compiled helpers, no FMA); both are exact, so they differ by float64 rounding only and the claim
is max|a - b| <= 1e-12 max|b|, the tolerance of the package's own cells. A mutant forward function
(the z gate's coefficient row of the Jacobian dropped) registered under another name must fail
the same comparison, by orders of magnitude.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from test_cell_interface import GatedToyCell  # noqa: E402

from rtrl_theory import RNNModel, loss_and_grad  # noqa: E402
from rtrl_theory.cells import (  # noqa: E402
    CompiledCell,
    CompiledTerm,
    SquaredErrorReadout,
    _jit,
)
from rtrl_theory.cells.seam import register_forward  # noqa: E402
from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget  # noqa: E402
from rtrl_theory.engine import select_backend  # noqa: E402
from rtrl_theory.runners import JointProcess, PowerSchedule, train_online  # noqa: E402

TOL = 1e-12


def _fw_gated(ip, fp, th, Ns, xd, xi, S, s, coef, A, work, jac):  # pragma: no cover - compiled
    """S' = z S + (1 - z) n, z = sigma(V S + c), n = tanh(W S + U X); coef = (a_n, a_z)."""
    N = Ns
    d = ip[0]
    drop_z = ip[1]  # 1 only in the mutant below
    oU = N * N
    oV = oU + N * d
    oc = oV + N * N
    for k in range(N):
        work[k] = th[oc + k]
        work[N + k] = 0.0
    for j in range(N):
        hj = S[j]
        for k in range(N):
            work[N + k] += th[j * N + k] * hj
            work[k] += th[oV + j * N + k] * hj
    for j in range(d):
        xj = xd[j]
        for k in range(N):
            work[N + k] += th[oU + j * N + k] * xj
    for k in range(N):
        z = _jit._sigmoid(work[k])
        n = _jit._tanh(work[N + k])
        s[k] = z * S[k] + (1.0 - z) * n
        coef[0, k] = (1.0 - z) * (1.0 - n * n)
        coef[1, k] = (S[k] - n) * (z * (1.0 - z))
        work[2 * N + k] = z
    if jac:
        for j in range(N):
            for k in range(N):
                A[k, j] = coef[0, k] * th[j * N + k]
                if drop_z == 0:
                    A[k, j] += coef[1, k] * th[oV + j * N + k]
        for k in range(N):
            A[k, k] += work[2 * N + k]


register_forward("test-gated", _fw_gated)  # the one registration line


class GatedCell(GatedToyCell):
    """The gated cell of ``test_cell_interface`` (its NumPy side), plus the compiled table.

    S' = z S + (1 - z) n, z = sigma(V S + c), n = tanh(W S + U X); blocks W, U, V, c.
    """

    def __init__(self, N, d, forward="test-gated", mutant=0):
        super().__init__(N, d)
        self._forward, self._mutant = forward, mutant

    def compiled(self):
        N, d = self.n_state, self.n_input
        o = {b.name: b.offset for b in self.blocks}
        terms = (
            CompiledTerm(o["W"], "state", N, 0, N, N),
            CompiledTerm(o["U"], "input", d, 0, N, N),
            CompiledTerm(o["V"], "state", N, 1, N, N),
            CompiledTerm(o["c"], "one", 1, 1, N, N),
        )
        return CompiledCell(self._forward, 2, (d, self._mutant), (), terms)


def _model(**kw):
    return RNNModel(GatedCell(3, 2, **kw), SquaredErrorReadout(3))


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.abs(a - b).max() / np.abs(b).max())


def test_a_cell_defined_here_runs_compiled_and_equals_numpy():
    rng = np.random.default_rng(21)
    model = _model()
    plan = select_backend(model, "loss_and_grad")
    assert plan.name == "numba" and "GatedCell" in plan.reason
    theta = 0.5 * rng.standard_normal(model.n_params)
    X, Y = rng.standard_normal((40, 2)), rng.standard_normal(40)
    l_c, g_c = loss_and_grad(model, theta, X, Y, backend="numba")
    l_n, g_n = loss_and_grad(model, theta, X, Y, backend="numpy")
    assert abs(l_c - l_n) <= TOL * abs(l_n)
    assert _rel(model.flatten(g_c), model.flatten(g_n)) <= TOL
    # the online trainer (theta changes every step) and the particles take the same cell
    kw = dict(schedule=PowerSchedule(0.01, 100.0, 0.75), optimizer="rmsprop", record_every=20)
    a = train_online(model, theta, (X, Y), 40, backend="numpy", **kw)
    b = train_online(model, theta, (X, Y), 40, backend="numba", **kw)
    assert b.backend == "numba" and b.status == "completed"
    assert _rel(b.losses, a.losses) <= TOL and _rel(b.param_path, a.param_path) <= TOL
    proc = DataProcess(ExampleChain(2, 0.5), LipschitzTarget.random(2, rng=rng))
    jn = JointProcess(model, theta, proc, order=1, backend="numpy")
    jc = JointProcess(model, theta, proc, order=1, backend="numba")
    za = jn.run(jn.initial(5, rng=1), 12, rng=2)
    zb = jc.run(jc.initial(5, rng=1), 12, rng=2)
    assert _rel(zb.S, za.S) <= TOL and _rel(zb.Jt, za.Jt) <= TOL


def test_a_wrong_forward_is_caught():
    """Mutant: the z gate's shared matrix left out of the state Jacobian (only in A, so the
    state and the loss stay right): the 1e-12 comparison above must fail on the gradient."""
    rng = np.random.default_rng(21)
    model = _model(mutant=1)
    theta = 0.5 * rng.standard_normal(model.n_params)
    X, Y = rng.standard_normal((40, 2)), rng.standard_normal(40)
    l_c, g_c = loss_and_grad(model, theta, X, Y, backend="numba")
    l_n, g_n = loss_and_grad(model, theta, X, Y, backend="numpy")
    assert abs(l_c - l_n) <= TOL * abs(l_n)
    assert _rel(model.flatten(g_c), model.flatten(g_n)) > 1e-6


def test_an_unregistered_forward_says_why_and_registration_is_checked():
    model = _model(forward="test-not-registered")
    with pytest.raises(ValueError, match="not registered"):
        select_backend(model, "loss_and_grad", backend="numba")
    assert select_backend(model, "loss_and_grad").name == "numpy"
    with pytest.raises(ValueError, match="^name: 'test-gated' is already registered"):
        register_forward("test-gated", lambda *a: None)
    with pytest.raises(TypeError, match="^forward: expected a plain Python function"):
        register_forward("test-other", 3)
    assert register_forward("test-gated", _fw_gated) is _fw_gated  # the same function again
