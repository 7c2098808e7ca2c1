"""SymPy derivations: Appendix B, a-priori radii and contraction constants (more to come)."""

from ._bounds import (
    SYMBOLS,
    SymbolicBounds,
    b5_bound_holds,
    rho_threshold_tanh,
    solve_linear_recurrence,
    symbolic_bounds,
)

__all__ = [
    "SYMBOLS",
    "SymbolicBounds",
    "b5_bound_holds",
    "rho_threshold_tanh",
    "solve_linear_recurrence",
    "symbolic_bounds",
]
