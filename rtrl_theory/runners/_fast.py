"""Glue between the online RTRL trainer and the compiled kernel of ``engine._numba``.

:func:`rtrl_chunk_paper` has the signature of the trainer's NumPy chunk function
(``_rtrl_chunk_numpy``) and the same divergence rule, so the two backends are interchangeable
(tests/test_trainer.py runs the hand-computed first steps through both).
"""

from __future__ import annotations

from rtrl_theory.engine import SensitivityState, numba_available, rtrl_train_paper_fast

__all__ = ["available", "rtrl_chunk_paper"]

_REASONS = {
    "loss": "loss became non-finite at step",
    "parameters": "parameters became non-finite in the update of step",
}


def available() -> bool:
    return numba_available()


def rtrl_chunk_paper(model, theta, state, X, Y, etas, done):
    """Online RTRL (2.24)-(2.26) over one chunk for a PaperRNN, compiled."""
    p = model.unflatten(theta)
    r = rtrl_train_paper_fast(
        p.alpha,
        p.W,
        p.B,
        X,
        Y,
        c_f=model.c_f,
        c_g=model.c_g,
        bounded_map=model.bounded_map,
        etas=etas,
        step_offset=done,
        S0=state.S[0],
        Jt0=state.Jt[0],
    )
    fail = -1 if r.diverged_at < 0 else r.diverged_at - done
    new_state = SensitivityState(r.S[None], r.Jt[None])
    return r.theta, new_state, r.losses, r.grad_norms, fail, _REASONS.get(r.diverged_reason, "")
