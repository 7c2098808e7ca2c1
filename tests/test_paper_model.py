"""The paper's RNN and its parameters: Notation 2.11 ordering, immutability, input errors."""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory import PaperParams, PaperRNN


def test_flat_order_is_alpha_then_column_stacked_W_then_B():
    # Notation 2.11: theta = (alpha, vec W, vec B); vec stacks columns: (i, j) -> j*N + i.
    N, d = 3, 2
    model = PaperRNN(N, d)
    alpha = np.arange(N, dtype=float)
    W = np.arange(N * d, dtype=float).reshape(N, d) + 100
    B = np.arange(N * N, dtype=float).reshape(N, N) + 1000
    v = model.flatten(PaperParams(alpha, W, B))
    assert v.shape == (model.n_params,) == (N + N * d + N * N,)
    for i in range(N):
        assert v[i] == alpha[i]
        for j in range(d):
            assert v[N + j * N + i] == W[i, j]
        for j in range(N):
            assert v[N + N * d + j * N + i] == B[i, j]
    back = PaperParams.from_flat(model, v)
    assert back == PaperParams(alpha, W, B)


def test_params_are_immutable_copies():
    W = np.zeros((2, 1))
    p = PaperParams(np.zeros(2), W, np.zeros((2, 2)))
    W[0, 0] = 5.0
    assert p.W[0, 0] == 0.0
    with pytest.raises(ValueError):
        p.alpha[0] = 1.0
    with pytest.raises(AttributeError):
        p.alpha = np.ones(2)


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros(2), np.zeros((3, 1)), np.zeros((2, 2))), r"W: expected shape \(2, \*\)"),
        ((np.zeros(2), np.zeros((2, 1)), np.zeros((2, 3))), r"B: expected shape \(2, 2\)"),
        ((np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 2))), "alpha: expected a 1-D array"),
        (
            (np.array([0.0, np.nan]), np.zeros((2, 1)), np.zeros((2, 2))),
            "alpha: contains 1 non-finite",
        ),
        ((np.zeros(2), np.full((2, 1), np.inf), np.zeros((2, 2))), "W: contains 2 non-finite"),
    ],
)
def test_params_reject_bad_shapes_and_non_finite(args, match):
    with pytest.raises(ValueError, match=match):
        PaperParams(*args)


def test_params_reject_complex_dtype():
    with pytest.raises(TypeError, match="alpha: expected a real"):
        PaperParams(np.zeros(2, complex), np.zeros((2, 1)), np.zeros((2, 2)))


def test_from_flat_checks_length():
    with pytest.raises(ValueError, match=r"vector: expected shape \(8,\)"):
        PaperParams.from_flat(PaperRNN(2, 1), np.zeros(9))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_hidden": 0, "n_input": 1}, ValueError, "n_hidden: expected a positive integer"),
        ({"n_hidden": 2.5, "n_input": 1}, TypeError, "n_hidden: expected a positive integer"),
        ({"n_hidden": 2, "n_input": 1, "c_f": -1.0}, ValueError, "c_f: expected a positive"),
        ({"n_hidden": 2, "n_input": 1, "c_g": float("inf")}, ValueError, "c_g: expected a finite"),
        ({"n_hidden": 2, "n_input": 1, "bounded_map": "relu"}, ValueError, "bounded_map: unknown"),
        ({"n_hidden": 2, "n_input": 1, "bounded_map": None}, TypeError, "bounded_map: expected"),
    ],
)
def test_model_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        PaperRNN(**kwargs)


def test_default_scales_and_constants():
    m = PaperRNN(4, 2)
    assert m.c_f == 0.125 and m.c_g == 1.0
    c = m.constants()
    # c*tanh: C = c, C' = c, C'' = c * 4 sqrt(3)/9 (THEORY.md section 2).
    assert c["C_f"] == c["C_f1"] == 0.125
    assert c["C_g2"] == pytest.approx(4 * np.sqrt(3) / 9, rel=1e-15)
    s = PaperRNN(4, 2, c_f=0.2, c_g=2.0, bounded_map="sigmoid").constants()
    # c*(2 sigma - 1): C = c, C' = c/2, C'' = c sqrt(3)/9.
    assert (s["C_f"], s["C_f1"]) == (0.2, 0.1)
    assert s["C_g2"] == pytest.approx(2.0 * np.sqrt(3) / 9, rel=1e-15)


def test_init_params_reproducible_and_shaped():
    m = PaperRNN(3, 2)
    a = m.init_params(np.random.default_rng(7))
    b = m.init_params(7)
    assert a == b
    assert (a.alpha.shape, a.W.shape, a.B.shape) == ((3,), (3, 2), (3, 3))


def test_params_of_other_size_are_refused():
    m = PaperRNN(3, 2)
    p = PaperRNN(2, 2).init_params(0)
    with pytest.raises(ValueError, match="params: PaperParams with N=2"):
        m.flatten(p)
