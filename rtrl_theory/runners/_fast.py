"""Glue between the online RTRL trainer and the compiled kernel of ``engine._numba``.

:func:`rtrl_chunk_paper` mirrors the trainer's NumPy chunk function (``_rtrl_chunk_numpy``, less
its optimizer state: the kernel's update is SGD) and has the same divergence rule, so the two
backends are interchangeable (tests/test_trainer.py runs the hand-computed first steps through
both).

The kernel implements exactly one case: RTRL on a :class:`~rtrl_theory.PaperRNN`, the SGD update
and a single sequence (``batch_size=1``); :func:`unsupported_reason` says why any other case
must run on the NumPy engine.
"""

from __future__ import annotations

from rtrl_theory.engine import SensitivityState, numba_available, rtrl_train_paper_fast

__all__ = ["available", "rtrl_chunk_paper", "unsupported_reason"]

_REASONS = {
    "loss": "loss became non-finite at step",
    "parameters": "parameters became non-finite in the update of step",
}


def available() -> bool:
    return numba_available()


def unsupported_reason(model, optimizer, batch_size: int) -> str | None:
    """None if the compiled kernel can run this RTRL configuration, else the reason it cannot."""
    from rtrl_theory.cells import PaperRNN

    from rtrl_theory.optim._optimizers import SGD

    if not available():
        return "numba is not installed"
    if not isinstance(model, PaperRNN):
        return f"the model is a {type(model).__name__}, not a PaperRNN"
    if type(optimizer) is not SGD:
        name = getattr(optimizer, "name", type(optimizer).__name__)
        return f"the optimizer is {name!r}, not 'sgd'"
    if batch_size != 1:
        return f"batch_size = {batch_size}, not 1"
    return None


def rtrl_chunk_paper(model, theta, state, X, Y, etas, done):
    """Online RTRL (2.24)-(2.26) with SGD over one chunk of one sequence for a PaperRNN, compiled.

    ``X`` (m, d), ``Y`` (m,); ``state`` holds one chain. Returns ``(theta, state, losses,
    grad_norms, fail, why)`` like the NumPy chunk function (which also threads an optimizer state).
    """
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
