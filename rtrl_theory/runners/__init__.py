"""Runners: online RTRL and TBPTT trainers, particles of the joint process, schedules, records."""

from ._particles import BLOCK_NAMES, INITIAL_LAWS, JointProcess, ParticleState
from ._records import environment_info, write_json_atomic
from ._schedules import PowerSchedule, robbins_monro_violations, validate_schedule
from ._trainer import ALGORITHMS, BACKENDS, TrainResult, train_online

__all__ = [
    "ALGORITHMS",
    "BACKENDS",
    "BLOCK_NAMES",
    "INITIAL_LAWS",
    "JointProcess",
    "ParticleState",
    "PowerSchedule",
    "TrainResult",
    "environment_info",
    "robbins_monro_violations",
    "train_online",
    "validate_schedule",
    "write_json_atomic",
]
