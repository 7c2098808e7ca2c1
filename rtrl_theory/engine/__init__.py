"""The sensitivity engine: forward (RTRL, first and second order), reverse (BPTT), exact L_T."""

from ._bptt import BPTTResult, bptt_sequences
from ._exact import (
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
from ._rtrl import SequenceResult, rtrl_sequences

__all__ = [
    "BPTTResult",
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
