r"""rtrl-theory: symbolic and numerical checks of the convergence theory of RTRL ([P1]).

The curated public API: what the README uses, importable from ``rtrl_theory`` alone. The
subpackages hold the rest (``cells``, ``engine``, ``data``, ``runners``, ``bounds``,
``estimators``, ``oracles``, ``online``, ``symbolic``, ``checks``).

* **Models and parameters** (Section 2 and Section 7 of [P1]): :class:`PaperRNN` with
  :class:`PaperParams` ((2.17)-(2.19)), :class:`LinearSDE` (7.1), :class:`ElmanRNN` (7.4),
  :class:`NeuralSDE` (7.6), :class:`GRURNN` and :func:`char_rnn` (Section 7.4); :class:`RNNModel`
  is their base class.
* **Gradients of one sequence**: :func:`loss_and_grad` (RTRL (2.24)-(2.26) or BPTT),
  :func:`loss_grad_hessian`, :func:`sequence_loss` and the finite-difference references.
* **Data** (Example 2.4, teachers of Section 7): :class:`DataProcess`, :class:`ExampleChain`,
  :class:`TeacherTarget`, :class:`LipschitzTarget`, :func:`linear_sde_teacher`,
  :func:`elman_teacher`, :func:`neural_sde_teacher`.
* **Training** ((2.24)-(2.26), Section 7): :func:`train_online`, :class:`PowerSchedule`,
  :class:`RMSprop`, :class:`TrainResult`.
* **The joint process** :math:`Z_t = (X, \eta, S, J, H)` at fixed theta and its limits
  (Section 3): :class:`JointProcess`, :func:`estimate_contraction_rate`,
  :func:`limit_gradient`, :func:`limit_loss`, :func:`finite_difference_limit_gradient`,
  :func:`tbptt_bias`.
* **Hypotheses and constants** (Assumptions 2.10-2.14, Lemmas 3.5 and 3.7):
  :func:`check_assumptions`, :func:`apriori_bounds`, :func:`contraction_constants`.
* **Closed forms and online estimators**: :func:`linear_stationary` and
  :class:`StationaryOracle` (the linear system's stationary law and exact limit gradient),
  :func:`stationary_bias` (the stationary bias of an online gradient estimator).

Only the models and the engine are imported with the package; the other names are imported on
first use (the estimators pull in POT and scipy.stats), so ``import rtrl_theory`` stays light.
"""

from ._version import __version__
from .cells import LSTMRNN, ElmanRNN, LinearSDE, NeuralSDE, PaperParams, PaperRNN, RNNModel
from .engine import (
    finite_difference_grad,
    finite_difference_hessian,
    loss_and_grad,
    loss_grad_hessian,
    sequence_loss,
)

#: Names imported on first use, with the subpackage that defines them.
_LAZY = {
    # models (Section 7.4)
    "GRURNN": "cells",
    "char_rnn": "cells",
    # data
    "DataProcess": "data",
    "ExampleChain": "data",
    "TeacherTarget": "data",
    "LipschitzTarget": "data",
    "linear_sde_teacher": "data",
    "elman_teacher": "data",
    "neural_sde_teacher": "data",
    # training and the joint process
    "train_online": "runners",
    "TrainResult": "runners",
    "PowerSchedule": "runners",
    "RMSprop": "runners",
    "JointProcess": "runners",
    # hypotheses and constants
    "check_assumptions": "bounds",
    "apriori_bounds": "bounds",
    "contraction_constants": "bounds",
    # the contraction rate and the limits
    "estimate_contraction_rate": "estimators",
    "ContractionEstimate": "estimators",
    "limit_gradient": "estimators",
    "limit_loss": "estimators",
    "finite_difference_limit_gradient": "estimators",
    "tbptt_bias": "estimators",
    # closed forms and online estimators
    "linear_stationary": "oracles",
    "StationaryOracle": "oracles",
    "stationary_bias": "online",
}

#: Eager names first, then :data:`_LAZY`'s (``tests/test_readme.py`` checks the two agree).
__all__ = [
    "ElmanRNN",
    "LinearSDE",
    "NeuralSDE",
    "PaperParams",
    "PaperRNN",
    "LSTMRNN",
    "RNNModel",
    "__version__",
    "finite_difference_grad",
    "finite_difference_hessian",
    "loss_and_grad",
    "loss_grad_hessian",
    "sequence_loss",
    "GRURNN",
    "char_rnn",
    "DataProcess",
    "ExampleChain",
    "TeacherTarget",
    "LipschitzTarget",
    "linear_sde_teacher",
    "elman_teacher",
    "neural_sde_teacher",
    "train_online",
    "TrainResult",
    "PowerSchedule",
    "RMSprop",
    "JointProcess",
    "check_assumptions",
    "apriori_bounds",
    "contraction_constants",
    "estimate_contraction_rate",
    "ContractionEstimate",
    "limit_gradient",
    "limit_loss",
    "finite_difference_limit_gradient",
    "tbptt_bias",
    "linear_stationary",
    "StationaryOracle",
    "stationary_bias",
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
