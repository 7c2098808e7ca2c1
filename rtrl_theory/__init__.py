"""rtrl-theory: symbolic and numerical checks of the convergence theory of RTRL ([P1]).

The curated public API; see the subpackages for the rest.
"""

from .cells import ElmanRNN, LinearSDE, LSTMRNN, NeuralSDE, PaperParams, PaperRNN, RNNModel
from .engine import (
    finite_difference_grad,
    finite_difference_hessian,
    loss_and_grad,
    loss_grad_hessian,
    sequence_loss,
)

__version__ = "0.1.0"

__all__ = [
    "ContractionEstimate",
    "ElmanRNN",
    "LinearSDE",
    "NeuralSDE",
    "PaperParams",
    "PaperRNN",
    "LSTMRNN",
    "RNNModel",
    "__version__",
    "estimate_contraction_rate",
    "finite_difference_grad",
    "finite_difference_hessian",
    "loss_and_grad",
    "loss_grad_hessian",
    "sequence_loss",
]

# Imported on first use: the estimators pull in POT and scipy.stats (about a second).
_LAZY = {"estimate_contraction_rate": "estimators", "ContractionEstimate": "estimators"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
