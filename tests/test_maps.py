"""Scalar maps: derivatives against finite differences; sup constants against dense grids."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rtrl_theory.cells import (
    ELU,
    ReLU,
    ScaledSigmoid,
    ScaledTanh,
    Sigmoid,
    Tanh,
    bounded_map,
)

SMOOTH = [Sigmoid(), Tanh(), ScaledTanh(0.7), ScaledSigmoid(1.3)]


@pytest.mark.parametrize("h", SMOOTH, ids=repr)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_derivative_matches_central_difference_of_lower_order(h, n):
    # Truth: central differences of the (n-1)-th derivative (independent of the n-th formula).
    x = np.linspace(-6, 6, 241)
    eps = 1e-5
    lower = (lambda z: h.value(z)) if n == 1 else (lambda z: h.deriv(z, n - 1))
    fd = (lower(x + eps) - lower(x - eps)) / (2 * eps)
    # h ~ 1e-5: truncation ~ eps^2 * sup|h^(n+2)| ~ 1e-9, rounding ~ 1e-16/eps ~ 1e-11.
    np.testing.assert_allclose(h.deriv(x, n), fd, atol=1e-8, rtol=0)


@pytest.mark.parametrize("h", SMOOTH, ids=repr)
def test_sup_constants_match_dense_grid_maximum(h):
    # Truth: the maximum over a fine grid; the grid spacing 1e-4 near the maximisers bounds the
    # miss by ~ spacing^2 * sup|h^(n+2)| / 2 < 1e-8 (maxima are smooth critical points).
    x = np.linspace(-12, 12, 240001)
    assert np.max(np.abs(h.value(x))) <= h.sup_abs[0] + 1e-12
    for n in (1, 2, 3):
        assert np.max(np.abs(h.deriv(x, n))) == pytest.approx(h.sup_abs[n], abs=1e-8)


def test_sigmoid_constants_are_lemma_2_9():
    # Lemma 2.9 / THEORY.md section 3 closed forms.
    assert Sigmoid.sup_abs[1:4] == pytest.approx((0.25, math.sqrt(3) / 18, 0.125), abs=1e-15)


def test_sigmoid_is_stable_for_large_arguments():
    with np.errstate(all="raise"):
        s = Sigmoid().value(np.array([-800.0, 800.0]))
    assert s.tolist() == [0.0, 1.0]


def test_relu_and_elu_derivatives():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    assert ReLU().deriv(x).tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(ELU().deriv(x), [math.exp(-2), math.exp(-0.5), 1, 1], rtol=1e-15)


def test_bounded_map_rejects_unknown_kind_and_bad_scale():
    with pytest.raises(ValueError, match="bounded_map: unknown bounded map 'relu'"):
        bounded_map("relu", 1.0)
    with pytest.raises(ValueError, match="c: expected a positive finite number"):
        bounded_map("tanh", 0.0)
    with pytest.raises(ValueError, match="positive finite"):
        bounded_map("tanh", float("nan"))
    with pytest.raises(ValueError, match="n: derivative order"):
        Tanh().deriv(0.0, 4)
