"""The compiled RTRL fast path (rtrl_theory.engine._numba) against independent NumPy computations.

Sources of truth:
* fixed theta: the NumPy reference engine ``rtrl_sequences`` ((2.20)-(2.23) of [P1]), itself
  checked against BPTT and finite differences elsewhere;
* online training ((2.24)-(2.26)): a plain NumPy loop written below from the semantics in the
  docstring of ``rtrl_train_paper_fast``, line by line, with its own sigmoid and bounded maps.

Tolerances: both sides compute the same recursion in float64 with different summation orders
(BLAS or loops vs NumPy, no FMA contraction in the kernels), so they differ by rounding only:
about 1e-16 per operation, accumulated over at most a few hundred contracting steps. rtol = 1e-12
leaves a margin of ~1e3 over the observed ~1e-15. Array comparisons add atol = 1e-12 * max|ref|,
so that entries much smaller than the array's scale (where rounding of the larger terms that
cancel dominates) are held to the same absolute accuracy as the rest.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from rtrl_theory import PaperRNN  # noqa: E402
from rtrl_theory.cells import (  # noqa: E402
    PreactivationCell,
    RNNModel,
    ScaledTanh,
    SquaredErrorReadout,
    Tanh,
)
from rtrl_theory.engine import SensitivityState, rtrl_sequences  # noqa: E402
from rtrl_theory.engine._numba import (  # noqa: E402
    numba_available,
    rtrl_sequence_fast,
    rtrl_train_paper_fast,
)

RTOL = 1e-12  # same recursion, float64 rounding only (module docstring)


def assert_close(actual, reference, rtol=RTOL):
    """rtol relative entrywise, plus atol = rtol * max|reference| (module docstring)."""
    reference = np.asarray(reference)
    scale = float(np.max(np.abs(reference))) if reference.size else 0.0
    np.testing.assert_allclose(actual, reference, rtol=rtol, atol=rtol * scale)


def _data(rng, T, d):
    return rng.uniform(-1.0, 1.0, (T, d)), rng.uniform(-1.0, 1.0, T)


def _fast_from_model(model, theta, X, Y, *, method, activation="sigmoid", S0=None, Jt0=None):
    N = model.n_hidden
    prep = model.cell.prepare(theta[N:])
    return rtrl_sequence_fast(
        prep.Theta,
        prep.G1,
        theta[:N],
        X,
        Y,
        S0,
        Jt0,
        state_start=model.cell.state_cols.start,
        activation=activation,
        method=method,
    )


def _assert_matches_reference(fast, ref):
    assert_close(fast.loss, ref.loss[0])
    assert_close(fast.grad, ref.grad[0])
    assert_close(fast.S, ref.state.S[0])
    assert_close(fast.Jt, ref.state.Jt[0])


def test_numba_is_reported_available():
    assert numba_available() is True


# ------------------------------------------------------------------------------------------------
# Fixed theta: rtrl_sequence_fast == rtrl_sequences
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["blas", "loops"])
@pytest.mark.parametrize(
    ("N", "d", "T", "bounded_map"),
    [(1, 1, 7, "tanh"), (3, 2, 60, "sigmoid"), (10, 3, 200, "tanh"), (17, 2, 40, "sigmoid")],
)
def test_sequence_kernel_equals_numpy_engine(N, d, T, bounded_map, method):
    rng = np.random.default_rng([N, d, T])
    model = PaperRNN(N, d, bounded_map=bounded_map)
    theta = model.flatten(model.init_params(rng))
    X, Y = _data(rng, T, d)
    ref = rtrl_sequences(model, theta, X[None], Y[None])
    _assert_matches_reference(_fast_from_model(model, theta, X, Y, method=method), ref)


@pytest.mark.parametrize("method", ["blas", "loops"])
def test_sequence_kernel_continues_from_a_given_state(method):
    # Second half of a sequence from the state reached by the NumPy engine after the first half.
    rng = np.random.default_rng(11)
    N, d, T = 6, 2, 80
    model = PaperRNN(N, d, c_f=0.3)
    theta = model.flatten(model.init_params(rng))
    X, Y = _data(rng, T, d)
    half = rtrl_sequences(model, theta, X[None, :40], Y[None, :40])
    ref = rtrl_sequences(model, theta, X[None, 40:], Y[None, 40:], state=half.state)
    fast = _fast_from_model(
        model,
        theta,
        X[40:],
        Y[40:],
        method=method,
        S0=half.state.S[0],
        Jt0=half.state.Jt[0],
    )
    _assert_matches_reference(fast, ref)


@pytest.mark.parametrize("state_first", [False, True])
def test_sequence_kernel_tanh_activation_and_state_first_layout(state_first):
    # A generic pre-activation cell with phi = tanh; state_first puts S before X in u~.
    rng = np.random.default_rng(5)
    N, d, T = 5, 3, 50
    blocks = [("W", "input", ScaledTanh(1.0)), ("B", "state", ScaledTanh(0.2))]
    cell = PreactivationCell(N, d, Tanh(), blocks[::-1] if state_first else blocks)
    model = RNNModel(cell, SquaredErrorReadout(N))
    theta = rng.standard_normal(model.n_params)
    X, Y = _data(rng, T, d)
    ref = rtrl_sequences(model, theta, X[None], Y[None])
    fast = _fast_from_model(model, theta, X, Y, method="auto", activation="tanh")
    assert cell.state_cols.start == (0 if state_first else d)
    _assert_matches_reference(fast, ref)


def test_sequence_kernel_errors_name_the_argument():
    rng = np.random.default_rng(0)
    model = PaperRNN(3, 2)
    theta = model.flatten(model.init_params(rng))
    prep = model.cell.prepare(theta[3:])
    X, Y = _data(rng, 10, 2)
    args = (prep.Theta, prep.G1, theta[:3])
    with pytest.raises(ValueError, match="^X:"):
        rtrl_sequence_fast(*args, X[:, :1], Y, state_start=2)
    with pytest.raises(ValueError, match="^Y:"):
        rtrl_sequence_fast(*args, X, Y[:5], state_start=2)
    with pytest.raises(ValueError, match="^state_start:"):
        rtrl_sequence_fast(*args, X, Y, state_start=1)
    with pytest.raises(ValueError, match="^activation:"):
        rtrl_sequence_fast(*args, X, Y, state_start=2, activation="relu")
    with pytest.raises(ValueError, match="^method:"):
        rtrl_sequence_fast(*args, X, Y, state_start=2, method="gpu")
    with pytest.raises(ValueError, match="^Jt0:"):
        rtrl_sequence_fast(*args, X, Y, None, np.zeros((3, 15)), state_start=2)


# ------------------------------------------------------------------------------------------------
# Online training: rtrl_train_paper_fast == a literal NumPy loop of (2.24)-(2.26)
# ------------------------------------------------------------------------------------------------
def _bounded(kind, c):
    """(h, h') for h = c tanh or h = c (2 sigma - 1), written independently of cells._maps."""
    if kind == "tanh":
        return (lambda x: c * np.tanh(x)), (lambda x: c * (1.0 - np.tanh(x) ** 2))
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    return (lambda x: c * (2.0 * sig(x) - 1.0)), (lambda x: 2.0 * c * sig(x) * (1.0 - sig(x)))


def reference_train(*args, **kwargs):
    """Online RTRL SGD step by step, literally as specified (plain NumPy, no shortcuts)."""
    # IEEE semantics as in the kernel: overflow is detected by the loop's checks, not raised.
    with np.errstate(over="ignore", invalid="ignore"):
        return _reference_train(*args, **kwargs)


def _reference_train(
    alpha,
    W,
    B,
    X,
    Y,
    *,
    c_f,
    c_g,
    bounded_map,
    eta0=None,
    t0=None,
    gamma=None,
    etas=None,
    step_offset=0,
):
    f, f1 = _bounded(bounded_map, c_f)
    g, g1 = _bounded(bounded_map, c_g)
    alpha, W, B = alpha.copy(), W.copy(), B.copy()
    N, d = W.shape
    S = np.zeros(N)
    Jt = np.zeros((N * d + N * N, N))
    losses, norms = [], []
    diverged_at, reason = -1, ""
    for t in range(X.shape[0]):
        tau = step_offset + t
        z = f(B) @ S + g(W) @ X[t]
        S_new = 1.0 / (1.0 + np.exp(-z))
        D = S_new * (1.0 - S_new)
        J_new = Jt @ (f(B).T * D[None, :])
        for i in range(N):
            for j in range(d):
                J_new[j * N + i, i] += D[i] * g1(W[i, j]) * X[t, j]
            for j in range(N):
                J_new[(d + j) * N + i, i] += D[i] * f1(B[i, j]) * S[j]  # S is the OLD state
        r = alpha @ S_new - Y[t]
        loss = 0.5 * r**2
        if not np.isfinite(loss):
            diverged_at, reason = tau, "loss"
            break
        grad = np.concatenate([r * S_new, r * (J_new @ alpha)])
        eta = etas[t] if etas is not None else eta0 / (1.0 + tau / t0) ** gamma
        theta = np.concatenate([alpha, W.T.reshape(-1), B.T.reshape(-1)]) - eta * grad
        if not np.all(np.isfinite(theta)):
            losses.append(loss)  # computed, recorded; the update is rejected
            norms.append(np.linalg.norm(grad))
            diverged_at, reason = tau, "parameters"
            break
        alpha = theta[:N]
        W = theta[N : N + N * d].reshape(d, N).T
        B = theta[N + N * d :].reshape(N, N).T
        S, Jt = S_new, J_new
        losses.append(loss)
        norms.append(np.linalg.norm(grad))
    theta = np.concatenate([alpha, W.T.reshape(-1), B.T.reshape(-1)])
    return theta, S, Jt, np.array(losses), np.array(norms), diverged_at, reason


def _train_problem(seed, N, d, T):
    rng = np.random.default_rng(seed)
    model = PaperRNN(N, d)
    p = model.init_params(rng)
    X, Y = _data(rng, T, d)
    return p.alpha, p.W, p.B, X, Y


@pytest.mark.parametrize("method", ["blas", "loops"])
@pytest.mark.parametrize(("N", "d", "bounded_map"), [(3, 2, "tanh"), (10, 3, "sigmoid")])
def test_training_kernel_equals_literal_numpy_loop(N, d, bounded_map, method):
    alpha, W, B, X, Y = _train_problem(N, N, d, 50)
    kw = dict(
        c_f=0.4 / N, c_g=1.0, bounded_map=bounded_map, eta0=0.2, t0=10.0, gamma=0.75, step_offset=3
    )
    theta, S, Jt, losses, norms, diverged_at, reason = reference_train(alpha, W, B, X, Y, **kw)
    fast = rtrl_train_paper_fast(alpha, W, B, X, Y, method=method, **kw)
    assert diverged_at == -1 and fast.diverged_at == -1
    assert fast.n_run == 50
    assert_close(fast.theta, theta)
    assert_close(fast.S, S)
    assert_close(fast.Jt, Jt)
    assert_close(fast.losses, losses)
    assert_close(fast.grad_norms, norms)
    theta0 = np.concatenate([alpha, W.T.ravel(), B.T.ravel()])
    assert np.max(np.abs(fast.theta - theta0)) > 1e-2  # theta did move: not a fixed-theta check


def test_training_kernel_continues_across_chunks():
    # 30 steps + 20 steps with step_offset, S0, Jt0 carried over == 50 steps in one call:
    # the same operations in the same order, so the results are bitwise equal.
    alpha, W, B, X, Y = _train_problem(7, 4, 2, 50)
    kw = dict(c_f=0.1, c_g=1.0, eta0=0.3, t0=5.0, gamma=1.0)
    whole = rtrl_train_paper_fast(alpha, W, B, X, Y, **kw)
    a = rtrl_train_paper_fast(alpha, W, B, X[:30], Y[:30], **kw)
    N, d = W.shape
    th = a.theta
    b = rtrl_train_paper_fast(
        th[:N],
        th[N : N + N * d].reshape(d, N).T,
        th[N + N * d :].reshape(N, N).T,
        X[30:],
        Y[30:],
        step_offset=30,
        S0=a.S,
        Jt0=a.Jt,
        **kw,
    )
    np.testing.assert_array_equal(b.theta, whole.theta)
    np.testing.assert_array_equal(b.Jt, whole.Jt)
    np.testing.assert_array_equal(np.concatenate([a.losses, b.losses]), whole.losses)


@pytest.mark.parametrize("step_offset", [0, 100])
def test_training_kernel_reports_divergence_and_stops_there(step_offset):
    # A huge constant learning rate (1e60): the losses are 0.39, 5e119, 3e239 and the 4th one
    # (local index 3, found by the reference) overflows; the run must stop there, not crash, and
    # keep the last finite values.
    alpha, W, B, X, Y = _train_problem(3, 5, 2, 40)
    kw = dict(
        c_f=0.1, c_g=1.0, bounded_map="tanh", eta0=1e60, t0=1.0, gamma=0.0, step_offset=step_offset
    )
    theta, S, Jt, losses, norms, diverged_at, reason = reference_train(alpha, W, B, X, Y, **kw)
    fast = rtrl_train_paper_fast(alpha, W, B, X, Y, **kw)
    assert diverged_at == step_offset + 3  # the reference diverges too: the test is not vacuous
    assert reason == fast.diverged_reason == "loss"
    assert fast.diverged_at == diverged_at
    n_run = diverged_at - step_offset
    assert fast.n_run == n_run and fast.grad_norms.shape == (n_run,)
    assert np.all(np.isfinite(fast.theta)) and np.all(np.isfinite(fast.losses))
    assert_close(fast.theta, theta)  # the last finite parameters, before the divergent step
    assert_close(fast.losses, losses)
    assert_close(fast.S, S)


def test_training_kernel_stops_when_an_update_overflows():
    # Finite loss at the first step (|r| ~ 100) but eta0 * grad overflows (1e308 * ~50 = inf):
    # the step's loss and gradient norm are recorded, the update is rejected, and the initial
    # parameters and state come back unchanged.
    alpha, W, B, X, Y = _train_problem(4, 3, 2, 10)
    kw = dict(c_f=0.1, c_g=1.0, bounded_map="sigmoid", eta0=1e308, t0=1.0, gamma=0.0, step_offset=7)
    ref = reference_train(alpha, W, B, X, 100.0 * Y, **kw)
    fast = rtrl_train_paper_fast(alpha, W, B, X, 100.0 * Y, **kw)
    assert ref[-2:] == (7, "parameters")
    assert fast.diverged_at == 7 and fast.diverged_reason == "parameters" and fast.n_run == 1
    assert_close(fast.losses, ref[3])
    assert_close(fast.grad_norms, ref[4])
    np.testing.assert_array_equal(fast.theta, np.concatenate([alpha, W.T.ravel(), B.T.ravel()]))
    np.testing.assert_array_equal(fast.S, 0.0)


def test_training_kernel_accepts_an_explicit_learning_rate_sequence():
    # Any schedule, given step by step (here random rates), against the literal loop.
    alpha, W, B, X, Y = _train_problem(9, 6, 2, 50)
    etas = np.random.default_rng(9).uniform(0.01, 0.3, 50)
    kw = dict(c_f=0.08, c_g=1.0, bounded_map="tanh", etas=etas, step_offset=1000)
    theta, S, Jt, losses, norms, diverged_at, _ = reference_train(alpha, W, B, X, Y, **kw)
    fast = rtrl_train_paper_fast(alpha, W, B, X, Y, **kw)
    assert fast.diverged_at == diverged_at == -1 and fast.diverged_reason == ""
    assert_close(fast.theta, theta)
    assert_close(fast.Jt, Jt)
    assert_close(fast.losses, losses)
    assert_close(fast.grad_norms, norms)


def test_training_kernel_errors_name_the_argument():
    alpha, W, B, X, Y = _train_problem(0, 3, 2, 10)
    kw = dict(c_f=0.1, c_g=1.0, eta0=0.1, t0=10.0, gamma=1.0)
    with pytest.raises(ValueError, match="^B:"):
        rtrl_train_paper_fast(alpha, W, B[:, :2], X, Y, **kw)
    with pytest.raises(ValueError, match="^X:"):
        rtrl_train_paper_fast(alpha, W, B, X[:, :1], Y, **kw)
    with pytest.raises(ValueError, match="^bounded_map:"):
        rtrl_train_paper_fast(alpha, W, B, X, Y, bounded_map="relu", **kw)
    with pytest.raises(ValueError, match="^eta0:"):
        rtrl_train_paper_fast(alpha, W, B, X, Y, **{**kw, "eta0": -1.0})
    with pytest.raises(ValueError, match="^step_offset:"):
        rtrl_train_paper_fast(alpha, W, B, X, Y, step_offset=-1, **kw)
    with pytest.raises(TypeError, match="^eta0:"):
        rtrl_train_paper_fast(alpha, W, B, X, Y, etas=np.full(10, 0.1), **kw)
    with pytest.raises(TypeError, match="^gamma:"):
        rtrl_train_paper_fast(alpha, W, B, X, Y, c_f=0.1, c_g=1.0, eta0=0.1, t0=10.0)
    with pytest.raises(ValueError, match="^etas:"):
        rtrl_train_paper_fast(alpha, W, B, X, Y, c_f=0.1, c_g=1.0, etas=np.full(10, -0.1))
    with pytest.raises(ValueError, match="^etas:"):
        rtrl_train_paper_fast(alpha, W, B, X, Y, c_f=0.1, c_g=1.0, etas=np.full(9, 0.1))


def test_sensitivity_state_layout_round_trip():
    # The kernel's Jt output plugs back into the NumPy engine as a SensitivityState.
    rng = np.random.default_rng(2)
    model = PaperRNN(4, 2)
    theta = model.flatten(model.init_params(rng))
    X, Y = _data(rng, 30, 2)
    fast = _fast_from_model(model, theta, X[:15], Y[:15], method="auto")
    state = SensitivityState(fast.S[None], fast.Jt[None].copy())
    ref = rtrl_sequences(model, theta, X[None], Y[None])
    cont = rtrl_sequences(model, theta, X[None, 15:], Y[None, 15:], state=state)
    assert_close(cont.state.Jt[0], ref.state.Jt[0])


def test_compiled_tanh_is_within_two_ulp_of_numpy():
    # The kernels replace libm's tanh by a rational/exp formula (module docstring of _numba):
    # truth is np.tanh; the claim is <= 2 ulp on a dense grid, near 0, and at the branch point.
    from rtrl_theory.engine import _compiled as nk

    nk.kernels()
    import numba

    vtanh = numba.njit(lambda x: np.array([nk._tanh(v) for v in x]))
    x = np.concatenate(
        [
            np.linspace(-30, 30, 200_001),
            np.geomspace(1e-300, 1e-3, 1000),
            -np.geomspace(1e-300, 1e-3, 1000),
            [0.625, -0.625, 0.0, 20.0, 50.0],
        ]
    )
    ref = np.tanh(x)
    ulps = np.abs(vtanh(x) - ref) / np.spacing(np.abs(ref) + 1e-320)
    assert ulps.max() <= 2.0
    assert np.isnan(vtanh(np.array([np.nan]))[0])
