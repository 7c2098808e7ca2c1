"""The sensitivity engine: forward (RTRL, first and second order), reverse (BPTT), exact L_T."""

from ._backend import BackendPlan, select_backend
from ._bptt import BPTTResult, bptt_sequences
from ._exact import (
    BACKENDS,
    METHODS,
    fast_path_supported,
    finite_difference_grad,
    finite_difference_hessian,
    loss_and_grad,
    loss_grad_hessian,
    sequence_loss,
)
from ._forward import (
    SensitivityState,
    add_row_local,
    advance_first_order,
    advance_second_order,
    apply_state_jacobian,
    initial_sensitivities,
)
from ._numba import (
    BLAS_MIN_N,
    FastSequenceResult,
    FastTrainResult,
    numba_available,
    rtrl_sequence_fast,
    rtrl_train_paper_fast,
)
from ._numba_particles import (
    advance_particles_fast,
    advance_particles_fast_steps,
    particles_fast_supported,
)
from ._numba_text import (
    TextTrainResult,
    rtrl_train_text_fast,
    text_fast_supported,
    text_losses_fast,
)
from ._rtrl import SequenceResult, rtrl_sequences

__all__ = [
    "BackendPlan",
    "select_backend",
    "TextTrainResult",
    "rtrl_train_text_fast",
    "text_fast_supported",
    "text_losses_fast",
    "BACKENDS",
    "BLAS_MIN_N",
    "BPTTResult",
    "FastSequenceResult",
    "FastTrainResult",
    "fast_path_supported",
    "numba_available",
    "rtrl_sequence_fast",
    "rtrl_train_paper_fast",
    "METHODS",
    "SensitivityState",
    "SequenceResult",
    "add_row_local",
    "advance_particles_fast",
    "advance_particles_fast_steps",
    "particles_fast_supported",
    "advance_first_order",
    "advance_second_order",
    "apply_state_jacobian",
    "bptt_sequences",
    "finite_difference_grad",
    "finite_difference_hessian",
    "initial_sensitivities",
    "loss_and_grad",
    "loss_grad_hessian",
    "rtrl_sequences",
    "sequence_loss",
]
