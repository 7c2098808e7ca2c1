"""A-priori bounds, contraction constants and the assumptions checker of [P1].

The a-priori radii of Lemmas 3.5 and 3.7 (:func:`apriori_bounds`), the contraction constants of
Assumption 2.10 and Lemmas 3.8-3.9 (:func:`contraction_constants`), every hypothesis of the
theorem checked at once (:func:`check_assumptions`), and measured Lipschitz constants of the
one-step map to set beside them (:func:`one_step_lipschitz`, :func:`adversarial_lipschitz`).
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._adversarial import AdversarialLipschitz, adversarial_lipschitz, input_lipschitz_constant
from ._apriori import APrioriBounds, ContractionConstants, apriori_bounds, contraction_constants
from ._assumptions import AssumptionsReport, c_f_max, check_assumptions
from ._lipschitz import BLOCKS, LipschitzEstimate, one_step_lipschitz

__all__ = [
    "APrioriBounds",
    "apriori_bounds",
    "ContractionConstants",
    "contraction_constants",
    "AssumptionsReport",
    "check_assumptions",
    "c_f_max",
    "BLOCKS",
    "LipschitzEstimate",
    "one_step_lipschitz",
    "AdversarialLipschitz",
    "adversarial_lipschitz",
    "input_lipschitz_constant",
]

# check_assumptions calls it on a process that is not a DataProcess: deprecated here for one
# release.
__getattr__ = _moved_names(
    __name__, {"lifted_chain_report": "rtrl_theory.bounds._lifted:lifted_chain_report"}
)
