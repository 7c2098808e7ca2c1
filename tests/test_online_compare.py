"""Text windows for the stationary-bias meter, the particle loss, and compare_predictors.

Truth: contiguity of the windows by construction of the text; SnAp-2 = exact RTRL on a dense
recurrence (the GRU's graph has diameter 1, Menick et al. 2021) with text windows as particles;
the windows' loss against bits_per_character over the whole text, an independent single-chain
computation (z-test at 4 standard errors: false-failure rate 6e-5 under the CLT).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rtrl_theory.cells import char_rnn
from rtrl_theory.data import bits_per_character
from rtrl_theory.online import TextWindows, bias_setup, compare_predictors, stationary_bias
from rtrl_theory.online._compare import stationary_loss
from rtrl_theory.runners import PowerSchedule


def _text(n=4000, V=5, seed=0):
    # a Markov text: the next symbol is the previous + 1 with probability 0.7, else uniform
    rng = np.random.default_rng(seed)
    x = np.empty(n, dtype=np.int64)
    x[0] = 0
    for t in range(1, n):
        x[t] = (x[t - 1] + 1) % V if rng.random() < 0.7 else rng.integers(V)
    return x


def test_windows_are_contiguous_and_in_range():
    x = _text()
    take = TextWindows(x, 5).sampler(7, 50, np.random.default_rng(1))
    Xs, Ys = zip(*(take() for _ in range(50)), strict=True)
    Xs, Ys = np.array(Xs), np.array(Ys)
    np.testing.assert_array_equal(Xs[1:], Ys[:-1])  # the next input is the last target
    assert Xs.shape == (50, 7)


def test_windows_bad_input():
    with pytest.raises(ValueError, match="indices"):
        TextWindows(np.array([0.5, 1.0, 2.0]), 3)
    with pytest.raises(ValueError, match="indices"):
        TextWindows(np.array([0, 1, 5]), 3)
    with pytest.raises(ValueError, match="n_steps"):
        TextWindows(_text(20), 5).sampler(2, 50, np.random.default_rng(0))
    model = char_rnn("gru", 3, 4)  # 4 inputs, text of 5 symbols
    with pytest.raises(ValueError, match="one-hot"):
        stationary_bias(
            model,
            model.init_params(0),
            TextWindows(_text(), 5),
            "exact",
            n_particles=4,
            n_steps=5,
            burn_in=0,
        )


def test_snap2_exact_on_text_windows():
    model = char_rnn("gru", 3, 5)
    e = stationary_bias(
        model,
        model.init_params(0),
        TextWindows(_text(), 5),
        "snap-2",
        n_particles=6,
        n_steps=30,
        burn_in=10,
        rng=0,
    )
    assert np.max(np.abs(e.bias)) < 1e-12
    assert np.linalg.norm(e.grad_L) > 1e-3
    e1 = stationary_bias(
        model,
        model.init_params(0),
        TextWindows(_text(), 5),
        "snap-1",
        n_particles=6,
        n_steps=30,
        burn_in=10,
        rng=0,
    )
    assert np.max(np.abs(e1.bias)) > 1e-6  # SnAp-1 drops the recurrent paths


@pytest.mark.slow  # bits_per_character compiles its kernel (~20 s on a loaded machine)
def test_window_loss_against_whole_text():
    x = _text(20000)
    model = char_rnn("gru", 3, 5)
    theta = model.flatten(model.init_params(2))
    m, se = stationary_loss(
        model, theta, TextWindows(x, 5), n_particles=200, n_steps=60, burn_in=20, rng=0
    )
    whole = bits_per_character(model, theta, x) * math.log(2.0)
    assert abs(m - whole) < 4 * se, (m, se, whole)


def test_compare_predictors_contract():
    model, p, proc = bias_setup("paper", 3, rng=0)
    with pytest.raises(ValueError, match="at least 3"):
        compare_predictors(
            model,
            p,
            proc,
            ["exact", "snap-1"],
            n_train=10,
            schedule=PowerSchedule(eta0=0.1),
            meter={},
            loss_sizes={},
        )
    with pytest.raises(ValueError, match="loss_sizes"):
        compare_predictors(
            model,
            p,
            proc,
            ["exact", "snap-1", "immediate"],
            n_train=10,
            schedule=PowerSchedule(eta0=0.1),
            meter={},
        )
    r = compare_predictors(
        model,
        p,
        proc,
        ["exact", "immediate", "tbptt-2"],
        n_train=50,
        schedule=PowerSchedule(eta0=0.1),
        meter=dict(n_particles=8, n_steps=30, burn_in=10),
        loss_sizes=dict(n_particles=8, n_steps=30, burn_in=10),
        rng=0,
    )
    assert r.n_estimators == 3 and r.rel_bias[0] == 0.0 and r.cosine[0] == pytest.approx(1.0)
    assert -1 <= r.spearman_bias <= 1 and -1 <= r.spearman_cosine <= 1
    assert np.all(np.isfinite(r.final_loss)) and "Spearman" in r.verdict()
