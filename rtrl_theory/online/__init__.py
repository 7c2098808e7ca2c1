r"""Online gradient estimators on the cell seam and the stationary bias meter.

Each estimator advances its own approximate sensitivity state from the cell's linearization
(the state Jacobian :math:`D_t` and the row-local immediate Jacobian :math:`I_t` of
``rtrl_theory.cells._base``) and returns its gradient estimate :math:`\tilde G_A`, the update
direction (3.63)-(3.64) of [P1] with the approximate influence in place of :math:`J_t`:

==============  =====================================================  ==========  ===========
name            algorithm                                              cost/step   memory
==============  =====================================================  ==========  ===========
``exact``       RTRL, (2.20)-(2.21) of [P1]                            N^2 P       N P
``uoro``        Tallec & Ollivier 2018, rank one, unbiased             N^2 + P     N + P
``kf-rtrl``     Mujika et al. 2018, Kronecker factors, unbiased        N^3         N^2 + m
``snap-1``      Menick et al. 2021, pattern of the immediate term      P           P
``snap-n``      Menick et al. 2021, pattern reachable in n steps       (dense)     nnz
``rflo``        Murray 2019, leak trace + random feedback              P           P
``eprop``       Bellec et al. 2020, eligibility traces                 P           P
``immediate``   the immediate term alone                               P           P
``tbptt-tau``   TBPTT(tau), lagged block update                        N^2 P       N P
==============  =====================================================  ==========  ===========

:func:`stationary_bias` measures :math:`b_A(\theta) = E_{\pi_A}[\tilde G_A] - \nabla L(\theta)`
under the stationary law of the joint process (data, state, approximate sensitivities) that the
estimator creates, with exact RTRL run on the same particles (common random numbers).
:func:`train_to_limit` trains online with an estimator and compares
:math:`|\nabla L(\theta_{end})|` with :math:`|b_A(\theta_{end})|` within the SGD noise floor of
the schedule (closed forms on the linear SDE).
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._base import EstimatorState, OnlineEstimator, recurrence_graph
from ._bias import BiasEstimate, stationary_bias, stationary_bias_table
from ._compare import PredictorComparison, compare_predictors
from ._eprop import EProp
from ._exact import ExactRTRL
from ._immediate import Immediate
from ._kfrtrl import KFRTRL
from ._limit import LIMIT_ESTIMATORS, LimitPoint, train_to_limit
from ._registry import ESTIMATOR_NAMES, estimator_names, make_estimator
from ._rflo import RFLO
from ._setups import BIAS_MODELS, bias_setup
from ._snap import SnAp1, SnApN, graph_diameter
from ._tbptt import TruncatedBPTT
from ._uoro import UORO
from ._windows import TextWindows

__all__ = [
    # the estimators (the rows of the table above) and their registry
    "ESTIMATOR_NAMES",
    "estimator_names",
    "make_estimator",
    "OnlineEstimator",
    "EstimatorState",
    "ExactRTRL",
    "UORO",
    "KFRTRL",
    "SnAp1",
    "SnApN",
    "RFLO",
    "EProp",
    "Immediate",
    "TruncatedBPTT",
    "recurrence_graph",
    "graph_diameter",
    # the stationary bias meter
    "BIAS_MODELS",
    "bias_setup",
    "BiasEstimate",
    "stationary_bias",
    "stationary_bias_table",
    "TextWindows",
    # where training ends up; the cosine against the bias
    "LIMIT_ESTIMATORS",
    "LimitPoint",
    "train_to_limit",
    "PredictorComparison",
    "compare_predictors",
]

# Plumbing (used by the trainer, train_to_limit, compare_predictors and the project's checks
# only): deprecated here for one release.
__getattr__ = _moved_names(
    __name__,
    {
        "is_estimator_name": "rtrl_theory.online._registry:is_estimator_name",
        "train_online_estimator": "rtrl_theory.online._train:train_online_estimator",
        "limit_floor": "rtrl_theory.online._limit:limit_floor",
        "limit_mean": "rtrl_theory.online._limit:limit_mean",
        "long_run_covariance": "rtrl_theory.online._limit:long_run_covariance",
        "stationary_loss": "rtrl_theory.online._compare:stationary_loss",
        "leak": "rtrl_theory.online._eprop:leak",
        "snap_pattern": "rtrl_theory.online._snap:snap_pattern",
    },
)
