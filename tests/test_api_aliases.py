"""One way to flatten parameters: ``model.flatten(params, name)``; ``as_flat`` is a deprecated alias.

Truth: the canonical method itself (the alias must return the same vector, bit for bit, and warn),
and the trainer's backend names come from the engine's single ``BACKENDS``.
"""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory import ElmanRNN, LinearSDE, PaperRNN


@pytest.mark.parametrize(
    "model", [PaperRNN(3, 2), ElmanRNN(3, 2), ElmanRNN(3, 2, bias=False), LinearSDE(3, 2)]
)
def test_as_flat_warns_and_equals_flatten(model):
    params = model.init_params(np.random.default_rng(0))
    theta = model.flatten(params)
    assert theta.shape == (model.n_params,)
    with pytest.warns(DeprecationWarning, match="flatten"):
        alias = model.as_flat(params)
    np.testing.assert_array_equal(alias, theta)


def test_flatten_checks_and_names_the_argument():
    model = PaperRNN(3, 2)
    with pytest.raises(ValueError, match="theta0"):
        model.flatten(np.zeros(model.n_params + 1), "theta0")
    with pytest.raises(ValueError, match="params"):
        model.flatten(PaperRNN(4, 2).init_params(0))


def test_backends_defined_once():
    from rtrl_theory import engine, runners

    assert runners.BACKENDS is engine.BACKENDS


@pytest.mark.parametrize("model", [PaperRNN(3, 2), ElmanRNN(3, 2), LinearSDE(3, 2)])
def test_params_flat_warns_and_equals_flatten(model):
    params = model.init_params(np.random.default_rng(1))
    with pytest.warns(DeprecationWarning, match="model.flatten"):
        alias = params.flat()
    np.testing.assert_array_equal(alias, model.flatten(params))
