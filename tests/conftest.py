"""Shared fixtures: seeded generators and small random problems."""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory import PaperRNN


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def make_problem(rng, N, d, T, bounded_map="tanh", *, c_f=None, c_g=None, scale=1.0):
    """A random PaperRNN with its parameters and a sequence with inputs in [-1, 1]."""
    c_f = rng.uniform(0.3, 2.5) / N if c_f is None else c_f
    c_g = rng.uniform(0.5, 2.0) if c_g is None else c_g
    model = PaperRNN(N, d, c_f=c_f, c_g=c_g, bounded_map=bounded_map)
    params = model.init_params(rng, scale=scale)
    X = rng.uniform(-1.0, 1.0, (T, d))
    Y = rng.uniform(-1.0, 1.0, T)
    return model, params, X, Y


def max_rel(a, b) -> float:
    """Max-norm relative error (the norm of THEORY.md)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
