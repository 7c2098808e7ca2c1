"""Data processes (Section 2.1 of [P1]): contracting input chains and bounded-noise targets; the
Section 7 set-ups (Gaussian inputs, Wishart and rescaled-Gaussian teachers)."""

from ._chains import DataProcess, DataStream, ExampleChain, LipschitzTarget, TeacherTarget
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
