"""Learning-rate schedules, optimizers and the divergence rule: a leaf of the package.

Imports only NumPy and :mod:`rtrl_theory._validate`, so every layer may use it (the bounds test a
schedule against Assumption 2.14 of [P1]; the trainers and compiled kernels step with these).
``rtrl_theory.runners`` re-exports the same names.
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._divergence import DEFAULT_DIVERGENCE, DivergenceRule, divergence_step, is_diverged
from ._optimizers import (
    OPTIMIZERS,
    SGD,
    Optimizer,
    RMSprop,
    RMSpropState,
    make_optimizer,
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
    "robbins_monro_violations",
    "validate_schedule",
]

# The trainer's record and checkpoint plumbing: deprecated here for one release.
__getattr__ = _moved_names(
    __name__,
    {
        "optimizer_record": "rtrl_theory.optim._optimizers:optimizer_record",
        "optimizer_state_is_finite": "rtrl_theory.optim._optimizers:optimizer_state_is_finite",
    },
)
