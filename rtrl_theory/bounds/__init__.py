"""A-priori bounds (Lemmas 3.5, 3.7) and contraction constants (Assumption 2.10) of [P1]."""

from ._apriori import APrioriBounds, ContractionConstants, apriori_bounds, contraction_constants

__all__ = ["APrioriBounds", "ContractionConstants", "apriori_bounds", "contraction_constants"]
