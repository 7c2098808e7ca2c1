"""Data processes of Example 2.4: boundedness, almost-sure contraction, streaming, targets."""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory import PaperRNN
from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget, TeacherTarget


def test_inputs_stay_bounded_by_C_x(rng):
    chain = ExampleChain.random(3, lam=0.9, noise=0.4, rng=rng)
    X = chain.sample(5000, rng, n_chains=4)
    assert X.shape == (4, 5000, 3)
    # Assumption 2.3(3): |phi| <= lam and |eps| <= a, so ||X_t|| <= lam + a (exact bound).
    assert np.abs(X).max() <= chain.C_x
    assert chain.C_x == pytest.approx(1.3)


def test_synchronous_coupling_contracts_by_lam_almost_surely(rng):
    # (2.9)-(2.11): with shared noise, ||X_1 - X_1'|| <= lam ||x - x'|| for every pair.
    chain = ExampleChain.random(4, lam=0.7, noise=0.5, rng=rng)
    x = rng.uniform(-3, 3, (2000, 4))
    y = rng.uniform(-3, 3, (2000, 4))
    eps = chain.draw_noise(rng, (2000,))
    ratio = np.abs(chain.step(x, eps) - chain.step(y, eps)).max(1) / np.abs(x - y).max(1)
    assert ratio.max() <= 0.7 + 1e-12
    # and the constant is attained near the origin along sign(A[0]) (tanh' = 1 there): not loose.
    small = 1e-4 * np.sign(chain.A[0])
    r0 = np.abs(chain.phi(small) - chain.phi(-small)).max() / np.abs(2 * small).max()
    assert r0 == pytest.approx(0.7, rel=1e-6)  # tanh(h)/h = 1 - h^2/3: 1e-8 relative


def test_stream_is_chunking_invariant(rng):
    model = PaperRNN(3, 2)
    teacher = TeacherTarget(model, model.init_params(rng), noise=0.1)
    proc = DataProcess(ExampleChain(2, 0.6), teacher)
    X, Y = proc.sample(1000, np.random.default_rng(5))
    pieces = list(proc.stream(np.random.default_rng(5)).chunks(1000, 77))
    assert len(pieces) == 13
    np.testing.assert_array_equal(np.concatenate([p[0] for p in pieces]), X)
    np.testing.assert_array_equal(np.concatenate([p[1] for p in pieces]), Y)


def test_teacher_targets_are_the_teacher_network_plus_bounded_noise(rng):
    model = PaperRNN(3, 2)
    tparams = model.init_params(rng, scale=2.0)
    proc = DataProcess(ExampleChain(2, 0.5), TeacherTarget(model, tparams, noise=0.05))
    X, Y = proc.sample(300, rng)
    # Independent evaluation: run the teacher's plain forward pass on X.
    S = np.zeros(3)
    Bf, Wg = model.f(tparams.B), model.g(tparams.W)
    clean = np.empty(300)
    for t in range(300):
        S = 1 / (1 + np.exp(-(Bf @ S + Wg @ X[t])))
        clean[t] = tparams.alpha @ S
    eta = Y - clean
    assert np.abs(eta).max() <= 0.05
    # Uniform noise on [-0.05, 0.05]: sd 0.05/sqrt(3); 300 draws -> mean within 5 sigma/sqrt(300).
    assert abs(eta.mean()) <= 5 * 0.05 / np.sqrt(3) / np.sqrt(300)


def test_lipschitz_target_constant_and_values(rng):
    target = LipschitzTarget.random(3, scale=2.0, noise=0.0, rng=rng)
    assert target.lipschitz == pytest.approx(2.0)  # ||w||_1 = 1
    X, Y = DataProcess(ExampleChain(3, 0.5), target).sample(200, rng)
    np.testing.assert_allclose(Y, 2.0 * np.tanh(X @ target.w), rtol=1e-15)


def test_batched_streams_share_nothing_across_chains(rng):
    X = ExampleChain(2, 0.5).sample(50, rng, n_chains=3)
    assert not np.allclose(X[0], X[1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_input": 2, "lam": 1.0}, r"lam: expected a number in \(0.0, 1.0\)"),
        ({"n_input": 2, "lam": 0.0}, r"lam: expected a number in"),
        ({"n_input": 2, "lam": 0.5, "noise": -1}, "noise: expected a non-negative"),
        ({"n_input": 2, "lam": 0.5, "A": np.ones((2, 2))}, "A: expected max absolute row sum <= 1"),
        ({"n_input": 2, "lam": 0.5, "A": np.eye(3)}, r"A: expected shape \(2, 2\)"),
        ({"n_input": 0, "lam": 0.5}, "n_input: expected a positive integer"),
    ],
)
def test_chain_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExampleChain(**kwargs)


def test_process_rejects_mismatched_teacher():
    model = PaperRNN(2, 3)
    with pytest.raises(ValueError, match="target: teacher has n_input = 3"):
        DataProcess(ExampleChain(2, 0.5), TeacherTarget(model, model.init_params(0)))
    with pytest.raises(ValueError, match="x0: expected shape"):
        ExampleChain(2, 0.5).sample(5, 0, x0=np.zeros((3, 2)), n_chains=2)
