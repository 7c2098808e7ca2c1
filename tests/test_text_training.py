"""train_online on text models: the compiled kernel and the NumPy path give the same run."""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory.cells import char_rnn
from rtrl_theory.runners import SGD, PowerSchedule, RMSprop, train_online


@pytest.mark.parametrize("cell", ["gru", "elman-tanh"])
@pytest.mark.parametrize("optimizer", [SGD(), RMSprop(beta=0.999)])
def test_text_kernel_matches_numpy_trainer(cell, optimizer):
    pytest.importorskip("numba")
    rng = np.random.default_rng(0)
    model = char_rnn(cell, 6, 12)
    X = rng.integers(0, 12, 800)
    Y = np.roll(X, -1)
    p = model.init_params(1)
    kw = dict(
        schedule=PowerSchedule(2e-3, 1e5, 0.75),
        optimizer=optimizer,
        rng=0,
        allow_non_robbins_monro=False,
    )
    a = train_online(model, p, (X, Y), 800, backend="numpy", **kw)
    b = train_online(model, p, (X, Y), 800, backend="auto", **kw)
    assert a.backend == "numpy" and b.backend == "numba"
    # Same recursion, different summation order: rounding only (observed ~1e-15).
    np.testing.assert_allclose(b.losses, a.losses, rtol=1e-10)
    np.testing.assert_allclose(b.param_path[-1], a.param_path[-1], rtol=1e-9, atol=1e-12)


def test_text_kernel_refuses_mini_batches_when_forced():
    pytest.importorskip("numba")
    model = char_rnn("gru", 4, 5)
    X = np.zeros((2, 50), dtype=int)
    with pytest.raises(
        ValueError, match="backend: 'numba' is unavailable here .*batch_size = 2, not 1"
    ):
        train_online(
            model,
            model.init_params(0),
            (X, X),
            50,
            schedule=PowerSchedule(1e-3),
            batch_size=2,
            backend="numba",
        )
