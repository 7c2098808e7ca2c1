"""Runners: online trainers, particles of the joint process, sweeps and real-data experiments.

Online RTRL ((2.24)-(2.26) of [P1]) and TBPTT trainers (SGD or RMSprop, mini-batches of
sequences; checkpoint and resume), particles of the joint process (Section 3), schedules,
records, the resumable RTRL-vs-TBPTT sweep of Section 7, and the real-data experiments of
Sections 7.4-7.5 (text, limit order book).
"""

from rtrl_theory._deprecation import moved_names as _moved_names
from rtrl_theory.optim import (
    DEFAULT_DIVERGENCE,
    OPTIMIZERS,
    SGD,
    DivergenceRule,
    Optimizer,
    PowerSchedule,
    RMSprop,
    RMSpropState,
    divergence_step,
    is_diverged,
    make_optimizer,
    robbins_monro_violations,
    validate_schedule,
)

from ._checkpoint import Checkpoint, CheckpointError, load_checkpoint
from ._particles import BLOCK_NAMES, INITIAL_LAWS, JointProcess, ParticleState
from ._real_data import (
    LOB_SOURCES,
    LOBSplit,
    load_lob_split,
    lob_baselines,
    lob_metrics,
    lob_model,
    scale_lob_features,
    train_lob,
    train_text,
)
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
    "Checkpoint",
    "CheckpointError",
    "BACKENDS",
    "DEFAULT_DIVERGENCE",
    "DivergenceRule",
    "divergence_step",
    "is_diverged",
    "BLOCK_NAMES",
    "INITIAL_LAWS",
    "JointProcess",
    "LOBSplit",
    "LOB_SOURCES",
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
    "load_checkpoint",
    "load_lob_split",
    "lob_baselines",
    "lob_metrics",
    "lob_model",
    "make_optimizer",
    "replicate_seed",
    "robbins_monro_violations",
    "run_config",
    "run_sweep",
    "scale_lob_features",
    "sweep_to_arrays",
    "train_lob",
    "train_online",
    "train_text",
    "validate_schedule",
]

# I/O plumbing (JSON records, checkpoint schema): deprecated here for one release.
__getattr__ = _moved_names(
    __name__,
    {
        "write_json_atomic": "rtrl_theory._outputs:write_json_atomic",
        "environment_info": "rtrl_theory._outputs:environment_info",
        "CHECKPOINT_SCHEMA": "rtrl_theory.runners._checkpoint:CHECKPOINT_SCHEMA",
    },
)
