"""The sensitivity engine: forward (RTRL, first and second order), reverse (BPTT), exact L_T."""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._backend import BackendPlan, select_backend
from ._bptt import BPTTResult, bptt_sequences
from ._exact import (
    BACKENDS,
    METHODS,
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
from ._numba import numba_available
from ._rtrl import SequenceResult, rtrl_sequences

__all__ = [
    "BackendPlan",
    "select_backend",
    "BACKENDS",
    "BPTTResult",
    "numba_available",
    "METHODS",
    "SensitivityState",
    "SequenceResult",
    "add_row_local",
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

# The compiled (numba) kernels are plumbing behind select_backend: deprecated here for one release.
__getattr__ = _moved_names(
    __name__,
    {
        "BLAS_MIN_N": "rtrl_theory.engine._numba:BLAS_MIN_N",
        "FastSequenceResult": "rtrl_theory.engine._numba:FastSequenceResult",
        "FastTrainResult": "rtrl_theory.engine._numba:FastTrainResult",
        "rtrl_sequence_fast": "rtrl_theory.engine._numba:rtrl_sequence_fast",
        "rtrl_train_paper_fast": "rtrl_theory.engine._numba:rtrl_train_paper_fast",
        "advance_particles_fast": "rtrl_theory.engine._numba_particles:advance_particles_fast",
        "advance_particles_fast_steps": "rtrl_theory.engine._numba_particles:advance_particles_fast_steps",
        "particles_fast_supported": "rtrl_theory.engine._numba_particles:particles_fast_supported",
        "TextTrainResult": "rtrl_theory.engine._numba_text:TextTrainResult",
        "rtrl_train_text_fast": "rtrl_theory.engine._numba_text:rtrl_train_text_fast",
        "text_fast_supported": "rtrl_theory.engine._numba_text:text_fast_supported",
        "text_losses_fast": "rtrl_theory.engine._numba_text:text_losses_fast",
        "fast_path_supported": "rtrl_theory.engine._exact:fast_path_supported",
    },
)
