"""Glue between the online RTRL trainer and the compiled engine (``engine._compiled``).

:func:`rtrl_chunk_compiled` has the arguments and returns of the trainer's NumPy chunk function
(``_rtrl_chunk_numpy``) and the same divergence rule, so the two backends are interchangeable.
Which one runs is decided by :func:`rtrl_theory.engine.select_backend` only.
"""

from __future__ import annotations

from rtrl_theory.engine import SensitivityState, numba_available

__all__ = ["available", "rtrl_chunk_compiled"]


def available() -> bool:
    return numba_available()


def rtrl_chunk_compiled(model, theta, state, X, Y, etas, optimizer, opt_state):
    """Online RTRL over one chunk of one sequence, compiled, for any covered model.

    ``X`` (1, m, ...), ``Y`` (1, m); ``optimizer`` an ``SGD`` or ``RMSprop`` object and
    ``opt_state`` its state. Returns ``(theta, state, opt_state, losses, grad_norms, fail, why)``.
    """
    from rtrl_theory.engine._compiled import train_compiled
    from rtrl_theory.optim import RMSpropState

    v0 = opt_state.v if isinstance(opt_state, RMSpropState) else None
    r = train_compiled(
        model, theta, X[0], Y[0], etas, optimizer, S0=state.S[0], Jt0=state.Jt[0], v0=v0
    )
    new_opt = opt_state
    if isinstance(opt_state, RMSpropState):
        applied = r.fail if r.fail >= 0 else r.grad_norms.shape[0]
        new_opt = RMSpropState(r.v, opt_state.n_updates + applied)
    new_state = SensitivityState(r.S[None], r.Jt[None])
    return r.theta, new_state, new_opt, r.losses, r.grad_norms, r.fail, r.reason
