"""Runners: online RTRL and TBPTT trainers (SGD or RMSprop, mini-batches of sequences), particles
of the joint process, schedules, records, and the resumable RTRL-vs-TBPTT sweep of Section 7."""

from ._optimizers import OPTIMIZERS, SGD, Optimizer, RMSprop, RMSpropState, make_optimizer
from ._particles import BLOCK_NAMES, INITIAL_LAWS, JointProcess, ParticleState
from ._records import environment_info, write_json_atomic
from ._schedules import PowerSchedule, robbins_monro_violations, validate_schedule
from ._sweep import (
    RunConfig,
    SweepRun,
    SweepSpec,
    replicate_seed,
    run_config,
    run_sweep,
    sweep_to_arrays,
)
from ._trainer import ALGORITHMS, BACKENDS, TrainResult, train_online

__all__ = [
    "ALGORITHMS",
    "BACKENDS",
    "BLOCK_NAMES",
    "INITIAL_LAWS",
    "JointProcess",
    "OPTIMIZERS",
    "Optimizer",
    "ParticleState",
    "PowerSchedule",
    "RMSprop",
    "RMSpropState",
    "RunConfig",
    "SGD",
    "SweepRun",
    "SweepSpec",
    "TrainResult",
    "environment_info",
    "make_optimizer",
    "replicate_seed",
    "robbins_monro_violations",
    "run_config",
    "run_sweep",
    "sweep_to_arrays",
    "train_online",
    "validate_schedule",
    "write_json_atomic",
]
