r"""Assumption 2.3(1) for a lifted data chain: one-step contraction of :math:`\xi_t = (X_t, M_t)`.

A target with memory is a function of past inputs, so Assumption 2.3 must hold for the chain that
carries them (``rtrl_theory.data._trace``). For the leaky trace
:math:`M_{t+1} = \beta M_t + c X_t` over the chain of Example 2.4 with contraction
:math:`\lambda`, the synchronous coupling gives the one-step max-norm constant
:math:`\lambda_\xi = \max(\lambda, \beta + c)` (attained, so it is the constant of (2.6) for this
coupling). The delay line :math:`Y_t = w\cdot X_{t-1}` is :math:`\beta = 0, c = 1`:
:math:`\lambda_\xi = 1`, outside the assumption. Metric: the plain max-norm of THEORY.md (no
weighting).
"""

from __future__ import annotations

__all__ = ["lifted_chain_report"]


def lifted_chain_report(process) -> dict:
    """Describe the lifted data chain of ``process`` and its one-step contraction constant.

    Parameters
    ----------
    process : DataProcess
        An :class:`~rtrl_theory.data.ExampleChain` input chain with a target that is a function
        of the current input (``LipschitzTarget``: no lifting), a leaky-trace teacher or a
        delay-line teacher of delay 1.

    Returns
    -------
    dict
        ``{"kind", "lam_input", "beta", "c", "lam_lifted", "metric", "detail"}``; ``lam_lifted``
        is the one-step constant of Assumption 2.3(1) of the chain the target is a function of.
    """
    from rtrl_theory.data import (
        DelayLineCell,
        ExampleChain,
        LeakyTraceCell,
        LipschitzTarget,
        lifted_lambda,
    )

    chain = getattr(process, "chain", None)
    if not isinstance(chain, ExampleChain):
        raise TypeError("process: expected a DataProcess with an ExampleChain input chain")
    lam = float(chain.lam)
    target = process.target
    if target is None or isinstance(target, LipschitzTarget):
        return {
            "kind": "current input",
            "lam_input": lam,
            "beta": None,
            "c": None,
            "lam_lifted": lam,
            "metric": "max-norm",
            "detail": f"target a function of X_t: lam = {lam:g}",
        }
    cell = getattr(getattr(target, "model", None), "cell", None)
    if isinstance(cell, LeakyTraceCell):
        kind, beta, c = "leaky trace", cell.beta, cell.c
    elif isinstance(cell, DelayLineCell):
        if cell.delay != 1:
            raise TypeError("process: only delay-line teachers of delay 1 are described")
        kind, beta, c = "delay line", 0.0, 1.0
    else:
        raise TypeError(
            "process: expected a LipschitzTarget, a leaky-trace or a delay-line teacher target"
        )
    lam_xi = lifted_lambda(lam, beta, c)
    return {
        "kind": kind,
        "lam_input": lam,
        "beta": beta,
        "c": c,
        "lam_lifted": lam_xi,
        "metric": "max-norm",
        "detail": (
            f"{kind}: xi = (X_t, M_t), M_t+1 = {beta:g} M_t + {c:g} X_t; one-step max-norm "
            f"constant max(lam, beta + c) = max({lam:g}, {beta + c:g}) = {lam_xi:g}"
        ),
    }
