"""SymPy derivations behind the checks of [P1]: Lemma 2.9 (sigmoid and bounded-map constants, with
interval-arithmetic confirmation), the forward recursions, Appendix B, the a-priori radii and the
contraction constants."""

from ._bounds import (
    SYMBOLS,
    SymbolicBounds,
    b5_bound_holds,
    rho_threshold_tanh,
    solve_linear_recurrence,
    symbolic_bounds,
)
from ._intervals import IntervalConfirmation, interval_confirm
from ._recursions import (
    IDENTITIES,
    RecursionProof,
    SymbolicRNN,
    build_symbolic_rnn,
    prove_recursions,
    run_recursions,
    symbolic_derivatives,
)
from ._recursions_numeric import (
    EngineCrossCheck,
    RecursionVerification,
    cross_check_engine,
    verify_recursions,
)
from ._sigmoid import (
    ActivationBounds,
    DerivedBound,
    ExactSup,
    bounded_map_constants,
    bounded_map_polynomials,
    derivative_polynomials,
    derive_activation_bounds,
    derive_sup,
    sigmoid_derivative_polynomials,
    tanh_derivative_polynomials,
    verify_derivative_polynomials,
)

__all__ = [
    "IDENTITIES",
    "SYMBOLS",
    "EngineCrossCheck",
    "RecursionProof",
    "RecursionVerification",
    "SymbolicRNN",
    "build_symbolic_rnn",
    "cross_check_engine",
    "prove_recursions",
    "run_recursions",
    "symbolic_derivatives",
    "verify_recursions",
    "ActivationBounds",
    "DerivedBound",
    "ExactSup",
    "IntervalConfirmation",
    "SymbolicBounds",
    "b5_bound_holds",
    "bounded_map_constants",
    "bounded_map_polynomials",
    "derivative_polynomials",
    "derive_activation_bounds",
    "derive_sup",
    "interval_confirm",
    "rho_threshold_tanh",
    "sigmoid_derivative_polynomials",
    "solve_linear_recurrence",
    "symbolic_bounds",
    "tanh_derivative_polynomials",
    "verify_derivative_polynomials",
]
