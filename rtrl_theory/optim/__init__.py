"""Learning-rate schedules, optimizers and the divergence rule: a leaf of the package.

Imports only NumPy and :mod:`rtrl_theory._validate`, so every layer may use it (the bounds test a
schedule against Assumption 2.14 of [P1]; the trainers and compiled kernels step with these).
``rtrl_theory.runners`` re-exports the same names.
"""

from ._divergence import DEFAULT_DIVERGENCE, DivergenceRule, divergence_step, is_diverged
from ._optimizers import (
    OPTIMIZERS,
    SGD,
    Optimizer,
    RMSprop,
    RMSpropState,
    make_optimizer,
    optimizer_record,
    optimizer_state_is_finite,
)
from ._schedules import PowerSchedule, robbins_monro_violations, validate_schedule

__all__ = [
    "DEFAULT_DIVERGENCE",
    "DivergenceRule",
    "OPTIMIZERS",
    "Optimizer",
    "PowerSchedule",
    "RMSprop",
    "RMSpropState",
    "SGD",
    "divergence_step",
    "is_diverged",
    "make_optimizer",
    "optimizer_record",
    "optimizer_state_is_finite",
    "robbins_monro_violations",
    "validate_schedule",
]
