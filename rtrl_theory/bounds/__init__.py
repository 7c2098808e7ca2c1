"""A-priori bounds (Lemmas 3.5, 3.7), contraction constants (Assumption 2.10, Lemmas 3.8-3.9) and
the assumptions checker of [P1]."""

from ._adversarial import AdversarialLipschitz, adversarial_lipschitz, input_lipschitz_constant
from ._apriori import APrioriBounds, ContractionConstants, apriori_bounds, contraction_constants
from ._assumptions import AssumptionsReport, c_f_max, check_assumptions
from ._lifted import lifted_chain_report
from ._lipschitz import BLOCKS, LipschitzEstimate, one_step_lipschitz

__all__ = [
    "AdversarialLipschitz",
    "adversarial_lipschitz",
    "lifted_chain_report",
    "APrioriBounds",
    "AssumptionsReport",
    "BLOCKS",
    "ContractionConstants",
    "LipschitzEstimate",
    "apriori_bounds",
    "c_f_max",
    "check_assumptions",
    "contraction_constants",
    "input_lipschitz_constant",
    "one_step_lipschitz",
]
