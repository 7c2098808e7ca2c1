"""The LSTM cell (state (h, c), gate order i, f, g, o as torch.nn.LSTMCell) through the seam.

Truth: (1) a plain forward pass written here from the textbook equations, sharing no code with
``cells._lstm``; (2) BPTT, the reverse-mode route, against RTRL (forward mode): both exact, they
differ by float64 rounding only (1e-10 relative leaves five orders of magnitude for the sums of
a few hundred terms of size ~1); (3) central finite differences of the plain loss, whose error is
O(h^2 |L'''|) + O(eps |L| / h) ~ 1e-10 + 1e-11 at h = 1e-5: a 1e-7 tolerance is far above it and
far below any wrong derivative term (they are of order 1e-3 to 1e-1 here).
"""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory import LSTMRNN, loss_and_grad
from rtrl_theory.cells import LSTMCell, StateSliceHead, char_rnn
from rtrl_theory.engine import bptt_sequences, finite_difference_grad, rtrl_sequences


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _plain_lstm_losses(theta, N, d, X, Y, head="readout", C=None, onehot=False):
    """The LSTM of torch.nn.LSTMCell written out, from the flat vector (head first)."""
    Ph = N if head == "readout" else C * N + C
    th, tc = theta[:Ph], theta[Ph:]
    R = 4 * N
    W_ih = tc[: R * d].reshape(d, R).T  # column-stacked (Notation 2.11)
    W_hh = tc[R * d : R * (d + N)].reshape(N, R).T
    b = tc[R * (d + N) :]
    h, c = np.zeros(N), np.zeros(N)
    losses = []
    for t in range(len(Y)):
        xin = W_ih[:, X[t]] if onehot else W_ih @ X[t]
        a = xin + W_hh @ h + b
        i, f, g, o = _sig(a[:N]), _sig(a[N : 2 * N]), np.tanh(a[2 * N : 3 * N]), _sig(a[3 * N :])
        c = f * c + i * g
        h = o * np.tanh(c)
        if head == "readout":
            losses.append(0.5 * (th @ h - Y[t]) ** 2)
        else:
            V, cb = th[: C * N].reshape(N, C).T, th[C * N :]
            o_ = V @ h + cb
            m = o_.max()
            losses.append(m + np.log(np.exp(o_ - m).sum()) - o_[Y[t]])
    return np.array(losses), h, c


@pytest.fixture
def dense_problem():
    rng = np.random.default_rng(3)
    model = LSTMRNN(3, 2)
    theta = model.init_params(rng) * 3.0  # larger weights: gates away from 1/2
    X, Y = rng.standard_normal((40, 2)), rng.standard_normal(40)
    return model, theta, X, Y


def test_lstm_step_matches_an_independent_forward_pass(dense_problem):
    model, theta, X, Y = dense_problem
    ref, h, c = _plain_lstm_losses(theta, 3, 2, X, Y)
    res = rtrl_sequences(model, theta, X[None], Y[None])
    np.testing.assert_allclose(res.loss[0], ref.mean(), rtol=1e-13)
    np.testing.assert_allclose(res.state.S[0], np.concatenate([h, c]), rtol=1e-13, atol=1e-15)


def test_lstm_onehot_softmax_matches_an_independent_forward_pass():
    rng = np.random.default_rng(4)
    model = char_rnn("lstm", 4, 6)
    theta = model.init_params(rng) * 2.0
    x, y = rng.integers(0, 6, 30), rng.integers(0, 6, 30)
    ref, _, _ = _plain_lstm_losses(theta, 4, 6, x, y, head="softmax", C=6, onehot=True)
    l1, _ = loss_and_grad(model, theta, x, y, backend="numpy")
    np.testing.assert_allclose(l1, ref.mean(), rtol=1e-13)


@pytest.mark.parametrize("kind", ["dense-readout", "onehot-softmax"])
def test_lstm_rtrl_equals_bptt_and_finite_differences(kind):
    rng = np.random.default_rng(5)
    if kind == "dense-readout":
        model = LSTMRNN(3, 2)
        X, Y = rng.standard_normal((30, 2)), rng.standard_normal(30)
    else:
        model = LSTMRNN(3, 5, "softmax", input_kind="onehot")
        X, Y = rng.integers(0, 5, 30), rng.integers(0, 5, 30)
    theta = model.init_params(rng) * 2.0
    _, g_rtrl = loss_and_grad(model, theta, X, Y, method="rtrl", backend="numpy")
    _, g_bptt = loss_and_grad(model, theta, X, Y, method="bptt")
    scale = np.abs(g_bptt).max()
    np.testing.assert_allclose(g_rtrl, g_bptt, rtol=1e-10, atol=1e-10 * scale)
    g_fd = finite_difference_grad(model, theta, X, Y, h=1e-5)
    np.testing.assert_allclose(g_rtrl, g_fd, rtol=0, atol=1e-7 * max(1.0, scale))


def test_lstm_state_jacobian_matches_finite_differences():
    """The structured dS'/dS (five (2N, 2N) matrices and a diagonal) against central differences."""
    rng = np.random.default_rng(6)
    cell = LSTMCell(3, 2)
    prep = cell.prepare(rng.uniform(-1, 1, cell.n_params) * 2)
    S, X = rng.standard_normal((1, 6)), rng.standard_normal((1, 2))
    dense = cell.linearize(prep, S, X).state_jac.dense()[0]
    h = 1e-6
    fd = np.empty((6, 6))
    for j in range(6):
        e = np.zeros((1, 6))
        e[0, j] = h
        fd[:, j] = (cell.step(prep, S + e, X) - cell.step(prep, S - e, X))[0] / (2 * h)
    np.testing.assert_allclose(dense, fd, rtol=0, atol=1e-8)


def test_lstm_batched_chains_agree_with_single_chains(dense_problem):
    """K chains through the batched GEMM of apply_state_jacobian = K single-chain runs."""
    model, theta, X, Y = dense_problem
    rng = np.random.default_rng(7)
    Xb, Yb = rng.standard_normal((3, 20, 2)), rng.standard_normal((3, 20))
    batched = rtrl_sequences(model, theta, Xb, Yb)
    for c in range(3):
        one = rtrl_sequences(model, theta, Xb[c : c + 1], Yb[c : c + 1])
        np.testing.assert_allclose(batched.grad[c], one.grad[0], rtol=1e-12, atol=1e-15)
    loss_b, grad_b, _ = bptt_sequences(model, theta, Xb, Yb)
    np.testing.assert_allclose(batched.grad, grad_b, rtol=1e-10, atol=1e-13)


def test_lstm_model_validates_its_head():
    assert isinstance(LSTMRNN(2, 3).head, StateSliceHead)
    assert LSTMRNN(2, 3).cell.n_state == 4 and LSTMRNN(2, 3).n_hidden == 2
    with pytest.raises(ValueError, match="head"):
        LSTMRNN(2, 3, head="linear")
    with pytest.raises(TypeError, match="n_classes"):
        LSTMRNN(2, 3, n_classes=4)
