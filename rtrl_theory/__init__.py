"""rtrl-theory: symbolic and numerical checks of the convergence theory of RTRL ([P1]).

The curated public API; see the subpackages for the rest.
"""

from .cells import PaperParams, PaperRNN, RNNModel
from .engine import (
    finite_difference_grad,
    finite_difference_hessian,
    loss_and_grad,
    loss_grad_hessian,
    sequence_loss,
)

__version__ = "0.1.0"

__all__ = [
    "PaperParams",
    "PaperRNN",
    "RNNModel",
    "__version__",
    "finite_difference_grad",
    "finite_difference_hessian",
    "loss_and_grad",
    "loss_grad_hessian",
    "sequence_loss",
]
