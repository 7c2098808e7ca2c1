"""The compiled particle kernels (rtrl_theory.engine._numba_particles) against the NumPy engine.

Source of truth: ``advance_first_order`` / ``advance_second_order`` (the recursions (2.20)-(2.21)
and Section 2.4 of [P1], checked elsewhere against finite differences and BPTT), run on the same
:class:`SensitivityState`, and ``rtrl_sequences`` for the readout sums.

Tolerances: both sides compute the same recursion in float64; the kernels sum in a different
order (plain loops vs BLAS, no FMA) and use ``_tanh`` (<= 2 ulp from ``np.tanh``), so they differ
by rounding only, ~1e-16 relative per operation accumulated over a few contracting steps.
rtol = 1e-12 leaves a margin of ~1e3-1e4 over the observed ~1e-16; array comparisons add
atol = 1e-12 * max|ref| so that entries far below the array's scale (where rounding of larger
cancelling terms dominates) are held to the same absolute accuracy. The initial S, Jt, Ht are
random and non-zero (Ht not symmetric), so every term of the recursions is exercised.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from rtrl_theory import PaperRNN  # noqa: E402
from rtrl_theory.cells import (  # noqa: E402
    Identity,
    PreactivationCell,
    ReLU,
    RNNModel,
    ScaledSigmoid,
    ScaledTanh,
    SquaredErrorReadout,
    Tanh,
)
from rtrl_theory.engine import (  # noqa: E402
    SensitivityState,
    advance_first_order,
    advance_second_order,
    rtrl_sequences,
)
from rtrl_theory.engine._numba_particles import (  # noqa: E402
    advance_particles_fast,
    advance_particles_fast_steps,
    particles_fast_supported,
)

RTOL = 1e-12  # same recursion, float64 rounding only (module docstring)
N_STEPS = 4


def assert_close(actual, reference, rtol=RTOL):
    """rtol relative entrywise, plus atol = rtol * max|reference| (module docstring)."""
    reference = np.asarray(reference)
    scale = float(np.max(np.abs(reference))) if reference.size else 0.0
    np.testing.assert_allclose(actual, reference, rtol=rtol, atol=rtol * scale)


def _model(N, d, kind, rng):
    """kind: "paper-tanh" / "paper-sigmoid" (PaperRNN, sigmoid activation, bounded map f = g kind),
    "tanh" (tanh activation, f = c tanh, g = c (2 sigma - 1)), "tanh-SX" (u~ = (S; X))."""
    if kind.startswith("paper"):
        model = PaperRNN(N, d, c_f=0.8 / N, c_g=1.3, bounded_map=kind.split("-")[1])
        return model, "sigmoid"
    blocks = [("W", "input", ScaledSigmoid(1.2)), ("B", "state", ScaledTanh(0.6 / N))]
    cell = PreactivationCell(N, d, Tanh(), blocks[::-1] if kind == "tanh-SX" else blocks)
    return RNNModel(cell, SquaredErrorReadout(N)), "tanh"


def _problem(N, d, K, kind, order, seed):
    rng = np.random.default_rng(seed)
    model, act = _model(N, d, kind, rng)
    theta = rng.normal(0.0, 1.0, model.n_params)
    cell = model.cell
    prep = cell.prepare(model.split(theta)[1], second_order=order == 2)
    P = cell.n_params
    S = rng.uniform(-1.0, 1.0, (K, N)) if act == "tanh" else rng.uniform(0.0, 1.0, (K, N))
    Jt = rng.normal(0.0, 0.5, (K, P, N))
    Ht = rng.normal(0.0, 0.5, (K, P, P, N)) if order == 2 else None
    X = rng.uniform(-1.0, 1.0, (N_STEPS, K, d))
    return model, theta, act, prep, SensitivityState(S, Jt, Ht), X


def _copies(state):
    Ht = None if state.Ht is None else state.Ht.copy()
    return state.S.copy(), state.Jt.copy(), Ht


CASES = [
    (1, 1, 1, "paper-tanh"),
    (3, 2, 5, "paper-sigmoid"),
    (4, 2, 7, "tanh"),
    (5, 3, 2, "tanh-SX"),
    (10, 3, 13, "paper-tanh"),
]


# ------------------------------------------------------------------------------------------------
# One step at a time == the NumPy engine
# ------------------------------------------------------------------------------------------------
# second order at N = 10 (P_c^2 N = 169,000 entries per particle) is left to the smaller cases
@pytest.mark.parametrize(
    ("N", "d", "K", "kind", "order"),
    [c + (1,) for c in CASES] + [c + (2,) for c in CASES if c[0] < 10],
)
def test_single_steps_equal_numpy_engine(N, d, K, kind, order):
    model, _, act, prep, state, X = _problem(N, d, K, kind, order, [N, d, K, order])
    cell = model.cell
    S, Jt, Ht = _copies(state)
    advance = advance_first_order if order == 1 else advance_second_order
    for t in range(N_STEPS):
        state, _ = advance(cell, prep, state, X[t])
        advance_particles_fast(
            prep, S, Jt, X[t], Ht, state_start=cell.state_cols.start, activation=act
        )
        assert_close(S, state.S)
        assert_close(Jt, state.Jt)
        if order == 2:
            assert_close(Ht, state.Ht)


@pytest.mark.parametrize("order", [1, 2])
def test_multi_step_is_bitwise_the_single_steps_and_thread_independent(order):
    model, _, act, prep, state, X = _problem(4, 2, 23, "paper-sigmoid", order, 3)
    ss = model.cell.state_cols.start
    S1, J1, H1 = _copies(state)
    for t in range(N_STEPS):
        advance_particles_fast(prep, S1, J1, X[t], H1, state_start=ss, activation=act)
    before = numba.get_num_threads()
    results = []
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            S2, J2, H2 = _copies(state)
            advance_particles_fast_steps(prep, S2, J2, X, H2, state_start=ss, activation=act)
            results.append((S2, J2, H2))
    finally:
        numba.set_num_threads(before)
    for S2, J2, H2 in results:
        assert np.array_equal(S1, S2) and np.array_equal(J1, J2)
        if order == 2:
            assert np.array_equal(H1, H2)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("kind", ["paper-tanh", "tanh"])
def test_multi_step_readout_sums_equal_rtrl_sequences(kind, order):
    model, theta, act, prep, state, X = _problem(3, 2, 6, kind, order, 17)
    n, K = X.shape[:2]
    Y = np.random.default_rng(18).uniform(-1.0, 1.0, (n, K))
    ref = rtrl_sequences(
        model,
        theta,
        X.transpose(1, 0, 2),
        Y.T,
        order=order,
        state=SensitivityState(*_copies(state)),
    )
    S, Jt, Ht = _copies(state)
    loss_sum, grad_sum = advance_particles_fast_steps(
        prep,
        S,
        Jt,
        X,
        Ht,
        state_start=model.cell.state_cols.start,
        activation=act,
        alpha=model.split(theta)[0],
        Y=Y,
    )
    assert_close(loss_sum / n, ref.loss)
    assert_close(grad_sum / n, ref.grad)
    assert_close(Jt, ref.state.Jt)
    if order == 2:
        assert_close(Ht, ref.state.Ht)


def test_single_step_accepts_non_contiguous_inputs():
    # X may be any view (here X[:, t] of a (K, T, d) array); only the updated arrays must be
    # C-contiguous.
    model, _, act, prep, state, X = _problem(3, 2, 5, "paper-tanh", 1, 4)
    Xk = np.ascontiguousarray(X.transpose(1, 0, 2))
    S, Jt, _ = _copies(state)
    ref, _ = advance_first_order(model.cell, prep, state, Xk[:, 0])
    advance_particles_fast(prep, S, Jt, Xk[:, 0], state_start=2, activation=act)
    assert_close(Jt, ref.Jt)


# ------------------------------------------------------------------------------------------------
# Coverage test and errors
# ------------------------------------------------------------------------------------------------
def test_particles_fast_supported():
    N, d = 3, 2
    tanh_cell = PreactivationCell(
        N, d, Tanh(), [("W", "input", Identity()), ("B", "state", Identity())]
    )
    sx_cell = PreactivationCell(
        N, d, Tanh(), [("B", "state", Identity()), ("W", "input", Identity())]
    )
    bias_cell = PreactivationCell(
        N,
        d,
        Tanh(),
        [("W", "input", Identity()), ("B", "state", Identity()), ("b", "one", Identity())],
    )
    relu_cell = PreactivationCell(
        N, d, ReLU(), [("W", "input", Identity()), ("B", "state", Identity())]
    )
    assert particles_fast_supported(PaperRNN(N, d))
    assert particles_fast_supported(PaperRNN(N, d).cell)
    assert particles_fast_supported(RNNModel(tanh_cell, SquaredErrorReadout(N)))
    assert not particles_fast_supported(sx_cell)
    assert not particles_fast_supported(bias_cell)
    assert not particles_fast_supported(relu_cell)
    assert not particles_fast_supported(object())


def test_errors_name_the_argument():
    model, _, act, prep, state, X = _problem(3, 2, 4, "paper-tanh", 2, 9)
    prep1 = model.cell.prepare(model.split(np.ones(model.n_params))[1])  # no G2
    S, Jt, Ht = _copies(state)
    x = X[0]
    kw = {"state_start": 2, "activation": act}

    def call(*args, **extra):
        advance_particles_fast(*args, **{**kw, **extra})

    with pytest.raises(ValueError, match=r"^S: expected shape \(4, 3\)"):
        call(prep, S[:, :2].copy(), Jt, x)
    with pytest.raises(ValueError, match=r"^S: expected a 2-D"):
        call(prep, S[0].copy(), Jt, x)
    with pytest.raises(ValueError, match=r"^Jt: expected shape \(4, 15, 3\)"):
        call(prep, S, Jt[:3].copy(), x)
    with pytest.raises(ValueError, match=r"^Ht: expected shape \(4, 15, 15, 3\)"):
        call(prep, S, Jt, x, Ht[:, :14].copy())
    with pytest.raises(ValueError, match="^Jt: expected a C-contiguous"):
        call(prep, S, np.asfortranarray(Jt), x)
    with pytest.raises(ValueError, match="^Ht: expected a C-contiguous"):
        call(prep, S, Jt, x, Ht.transpose(0, 2, 1, 3))
    with pytest.raises(ValueError, match="^S: expected a C-contiguous"):
        call(prep, np.asfortranarray(S), Jt, x)
    with pytest.raises(TypeError, match="^Jt: expected dtype float64"):
        call(prep, S, Jt.astype(np.float32), x)
    with pytest.raises(TypeError, match="^S: expected a numpy.ndarray"):
        call(prep, S.tolist(), Jt, x)
    with pytest.raises(ValueError, match="^Jt: must not share memory with S"):
        big = np.zeros(4 * 3 + 4 * 15 * 3)
        call(prep, big[:12].reshape(4, 3), big[:180].reshape(4, 15, 3), x)
    with pytest.raises(ValueError, match=r"^X: expected shape \(4, 2\)"):
        call(prep, S, Jt, X[0, :3])
    with pytest.raises(ValueError, match="^X: contains 1 non-finite"):
        bad = x.copy()
        bad[1, 1] = np.nan
        call(prep, S, Jt, bad)
    with pytest.raises(ValueError, match="^prep: prepared without second-order"):
        call(prep1, S, Jt, x, Ht)
    with pytest.raises(TypeError, match="^prep: expected the result of cell.prepare"):
        call(object(), S, Jt, x)
    with pytest.raises(ValueError, match="^state_start: expected 2"):
        call(prep, S, Jt, x, state_start=1)
    with pytest.raises(TypeError, match="^state_start: expected an int"):
        call(prep, S, Jt, x, state_start=2.0)
    with pytest.raises(ValueError, match="^activation: expected one of"):
        call(prep, S, Jt, x, activation="relu")
    steps = advance_particles_fast_steps
    with pytest.raises(ValueError, match=r"^X: expected shape \(\*, 4, 2\)"):
        steps(prep, S, Jt, x, **kw)
    with pytest.raises(ValueError, match="^X: expected at least one step"):
        steps(prep, S, Jt, X[:0], **kw)
    with pytest.raises(TypeError, match="^Y: alpha and Y go together"):
        steps(prep, S, Jt, X, alpha=np.ones(3), **kw)
    with pytest.raises(ValueError, match=r"^Y: expected shape \(4, 4\)"):
        steps(prep, S, Jt, X, alpha=np.ones(3), Y=np.ones((4, 3)), **kw)
    with pytest.raises(ValueError, match=r"^alpha: expected shape \(3,\)"):
        steps(prep, S, Jt, X, alpha=np.ones(2), Y=np.ones((4, 4)), **kw)
    # nothing above touched the state
    assert np.array_equal(S, state.S) and np.array_equal(Jt, state.Jt)
    assert np.array_equal(Ht, state.Ht)


def test_module_imports_without_numba():
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import rtrl_theory.engine._numba_particles as m\n"
        "from rtrl_theory import PaperRNN\n"
        "assert m.particles_fast_supported(PaperRNN(2, 1))\n"
        "try:\n"
        "    m._kernels()\n"
        "except ImportError as e:\n"
        "    assert 'needs numba' in str(e)\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
