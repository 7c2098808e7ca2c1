"""The plotting helpers of the verification notebooks (02, 03): what they draw is what they are given.

Truth: the drawn data are read back from the matplotlib artists and compared with numpy on the
inputs (means over pairs, -log10 of p-values, bar heights) or with a closed form (the smallest C
of C rho_bar^t for a curve built as 2 rho_bar^t). Exact equality up to float rounding (1e-12).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from rtrl_theory.plotting import (  # noqa: E402
    plot_bias_against_exact,
    plot_block_distances,
    plot_p_values,
    plot_tightness,
    plot_w1_ratio,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _line(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def test_block_distances_draws_the_mean_over_pairs_and_the_references():
    rng = np.random.default_rng(0)
    D = {"S": rng.uniform(0, 1, (6, 5)), "y": np.zeros((6, 5))}
    D["y"][:3] = 1.0  # zeros are left out of the log scale
    fig = plot_block_distances(D, references={"rho^t": (2.0, 0.5)})
    ax = fig.axes[0]
    assert np.allclose(_line(ax, "S").get_ydata(), D["S"].mean(axis=1), rtol=0, atol=1e-12)
    assert np.allclose(_line(ax, "y").get_xdata(), [0, 1, 2])
    assert np.allclose(_line(ax, "rho^t").get_ydata(), 2.0 * 0.5 ** np.arange(6), atol=1e-12)


def test_tightness_bars_have_the_given_heights_and_gaps_for_missing_components():
    fig = plot_tightness({"a": {"S": 0.9, "W": 0.4}, "b": {"S": 1.0, "X": 0.5}}, lines=(1.0, 0.5))
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    # components S, W, X in first-seen order; series a then b
    assert np.allclose(heights[:3], [0.9, 0.4, np.nan], equal_nan=True)
    assert np.allclose(heights[3:], [1.0, np.nan, 0.5], equal_nan=True)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["S", "W", "X"]


def test_w1_ratio_draws_the_smallest_constant_of_the_multistep_form():
    rb = 0.5
    t = np.arange(8)
    r = 2.0 * rb**t
    r[0] = 1.0  # starts at 1, rises to 2 rho_bar at t = 1: C = 2 (closed form)
    fig = plot_w1_ratio({"B": r}, rho_bar={"B": rb}, brackets={"B": (1.1, 0.9)})
    ax = fig.axes[0]
    labels = [ln.get_label() for ln in ax.get_lines()]
    (c_label,) = [lab for lab in labels if "C rho_bar^t" in lab]
    assert c_label.endswith("C = 2.00")
    assert np.allclose(_line(ax, c_label).get_ydata(), 2.0 * rb**t, atol=1e-12)
    assert any("one-step bracket" in lab for lab in labels)  # a reversed bracket is still drawn


def test_p_values_are_drawn_as_minus_log10_with_the_level():
    p = {"box": [0.5, 1e-3], "time": [1.0, 0.01]}
    fig = plot_p_values(p, names=["S1", "loss"], level=1e-3)
    ax = fig.axes[0]
    heights = [b.get_height() for b in ax.patches]
    assert np.allclose(heights, -np.log10([0.5, 1e-3, 1.0, 0.01]), atol=1e-12)
    (level,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("level")]
    assert np.allclose(level.get_ydata(), 3.0)


def test_bias_against_exact_draws_each_series_and_the_diagonal():
    exact = {"tau = 1": np.array([1.0, -2.0, 0.5])}
    est = {"tau = 1": exact["tau = 1"] + 0.01}
    se = {"tau = 1": np.full(3, 0.02)}
    fig = plot_bias_against_exact(est, exact, se)
    ax = fig.axes[0]
    (diag,) = [ln for ln in ax.get_lines() if ln.get_xdata().size == 2]
    assert np.allclose(diag.get_xdata(), diag.get_ydata())
    assert np.allclose(diag.get_xdata(), [-2.0, 1.01])
