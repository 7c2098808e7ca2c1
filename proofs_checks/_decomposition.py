"""Shared runs of the descent-decomposition checks (prop-5.1, lemma-5.5, lemma-6.2).

Linear-Gaussian system with a closed-form stationary oracle (``rtrl_theory.oracles``): student
LinearSDE N = 2, d = 1, dt = 0.3; AR(1) inputs (coefficient 0.5); targets from a LinearSDE
teacher (N* = 2, dt = 0.3, Wishart dof 20) plus U[-0.2, 0.2] noise. Online RTRL with SGD,
eta_t = 0.1 / (1 + t / 20)^gamma for gamma in (0.6, 0.8, 1.0) (Robbins-Monro), every step
recorded; each step decomposed (``estimators.descent_decomposition``) with the oracle. The inputs
are Gaussian (unbounded), outside Assumption 2.3(3): the decomposition and its bounds are
algebra plus Taylor's theorem and do not need it; the checks say so.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory import estimators, oracles
from rtrl_theory.checks import register_cache

GAMMAS = (0.6, 0.8, 1.0)
ETA0, T0 = 0.1, 20.0

_CACHE: dict = {}
register_cache(_CACHE)


def sizes(quick: bool) -> dict:
    return {"n_seeds": 3, "n_train": 200} if quick else {"n_seeds": 12, "n_train": 2000}


def system():
    from rtrl_theory import LinearSDE
    from rtrl_theory.data import AR1Chain, DataProcess, linear_sde_teacher

    teacher = linear_sde_teacher(2, 1, rng=0, dt=0.3, dof=20)
    process = DataProcess(AR1Chain(1, 0.5), teacher.target(noise=0.2))
    model = LinearSDE(2, 1, dt=0.3)
    return model, model.init_params(1), process


def oracle_for(model, process):
    def oracle(theta):
        o = oracles.linear_stationary(model, theta, process)
        return o.loss, o.grad, o.hessian

    return oracle


def runs(quick: bool, seed: int = 0) -> dict:
    """``{gamma: [Decomposition per seed]}`` (cached on (quick, seed))."""
    from rtrl_theory.runners import PowerSchedule, train_online

    key = (quick, seed)
    if key not in _CACHE:
        z = sizes(quick)
        model, params, process = system()
        oracle = oracle_for(model, process)
        out = {}
        for gamma in GAMMAS:
            sched = PowerSchedule(ETA0, T0, gamma)
            out[gamma] = []
            for s in range(z["n_seeds"]):
                res = train_online(
                    model, params, process, z["n_train"], schedule=sched,
                    rng=np.random.default_rng([seed, s, int(100 * gamma)]), record_every=1,
                )
                if res.status != "completed":
                    raise RuntimeError(f"gamma {gamma}, seed {s}: {res.message}")
                out[gamma].append(estimators.descent_decomposition(res, sched, oracle))
        _CACHE[key] = out
    return _CACHE[key]


def oracle_mutant(*, grad_scale=1.0, grad_offset=0.0, hess_scale=1.0):
    """Patch ``rtrl_theory.oracles.linear_stationary`` (where the checks look it up) so that it
    returns a wrong gradient (scaled, or shifted by ``grad_offset`` in every coordinate) or a
    scaled Hessian."""
    from unittest import mock

    real = oracles.linear_stationary

    def wrong(model, params, process):
        o = real(model, params, process)
        return type(o)(
            **{
                **{k: getattr(o, k) for k in o.__dataclass_fields__},
                "grad": grad_scale * o.grad + grad_offset,
                "hessian": hess_scale * o.hessian,
            }
        )

    return mock.patch.object(oracles, "linear_stationary", wrong)


def zero_sensitivities():
    """Patch the NumPy RTRL step of the trainer so that J~ is reset to 0 before every step, and
    ``rtrl_theory.engine.select_backend`` so that the trainer takes the NumPy step (the compiled
    engine, chosen by ``"auto"``, would bypass the patched step)."""
    import contextlib
    from unittest import mock

    from rtrl_theory import engine
    from rtrl_theory.runners import _trainer

    real = _trainer.advance_first_order
    real_select = engine.select_backend

    def zeroed(cell, prep, state, X):
        state = type(state)(state.S, np.zeros_like(state.Jt), state.Ht)
        return real(cell, prep, state, X)

    def numpy_only(model, task, **kw):
        return real_select(model, task, **{**kw, "backend": "numpy"})

    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(_trainer, "advance_first_order", zeroed))
    stack.enter_context(mock.patch.object(engine, "select_backend", numpy_only))
    return stack
