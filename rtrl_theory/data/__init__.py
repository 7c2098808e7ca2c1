"""Data processes (Section 2.1 of [P1]): contracting input chains and bounded-noise targets; the
Section 7 set-ups (Gaussian inputs, Wishart and rescaled-Gaussian teachers); LOBSTER order books
(reader, features, baselines, synthetic order flow)."""

from ._chains import DataProcess, DataStream, ExampleChain, LipschitzTarget, TeacherTarget
from ._lob_baselines import (
    BaselineResult,
    LogisticFit,
    fit_multinomial_logistic,
    logistic_baseline,
    prior_baseline,
)
from ._lobster import (
    LOBSTER_SAMPLE,
    LobsterDay,
    LobsterFormatError,
    TimeSplit,
    class_balance,
    lob_features,
    lobster_sample_paths,
    read_lobster,
    split_by_time,
    validate_lobster,
    write_lobster,
)
from ._orderflow import OrderFlowParams, simulate_order_flow
from ._teachers import (
    DelayLineCell,
    GaussianInputs,
    Teacher,
    delayed_input_teacher,
    elman_teacher,
    linear_sde_teacher,
    neural_sde_teacher,
    rescaled_gaussian_matrix,
    wishart_matrix,
)

__all__ = [
    "LOBSTER_SAMPLE",
    "BaselineResult",
    "LobsterDay",
    "LobsterFormatError",
    "LogisticFit",
    "OrderFlowParams",
    "TimeSplit",
    "class_balance",
    "fit_multinomial_logistic",
    "lob_features",
    "lobster_sample_paths",
    "logistic_baseline",
    "prior_baseline",
    "read_lobster",
    "simulate_order_flow",
    "split_by_time",
    "validate_lobster",
    "write_lobster",
    "DataProcess",
    "DelayLineCell",
    "delayed_input_teacher",
    "DataStream",
    "ExampleChain",
    "GaussianInputs",
    "LipschitzTarget",
    "TeacherTarget",
    "Teacher",
    "elman_teacher",
    "linear_sde_teacher",
    "neural_sde_teacher",
    "rescaled_gaussian_matrix",
    "wishart_matrix",
]
