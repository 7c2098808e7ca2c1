"""SymPy derivations behind the checks of [P1].

Lemma 2.9 and Appendix A (the suprema of the sigmoid's and the bounded maps' derivatives, with
interval-arithmetic confirmation: :func:`derive_activation_bounds`), the forward recursions
(2.20)-(2.23) proved against direct differentiation (:func:`prove_recursions`,
:func:`verify_recursions`), Appendix B, the a-priori radii of Lemmas 3.5 and 3.7 and the
contraction constants of Assumption 2.10 (:func:`symbolic_bounds`, :func:`rho_threshold_tanh`).

The building blocks that only the checks and tests use (the derivative polynomials of
Appendix A, ``derive_sup``, ``interval_confirm``, the symbolic RNN and its recursions, the
closed form of Appendix B's recurrence) live in the private modules; their old names here are
deprecated aliases.
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._bounds import SYMBOLS, SymbolicBounds, rho_threshold_tanh, symbolic_bounds
from ._intervals import IntervalConfirmation
from ._recursions import IDENTITIES, RecursionProof, prove_recursions
from ._recursions_numeric import EngineCrossCheck, RecursionVerification, verify_recursions
from ._sigmoid import ActivationBounds, DerivedBound, ExactSup, derive_activation_bounds

__all__ = [
    # Lemma 2.9, Appendix A
    "ActivationBounds",
    "DerivedBound",
    "ExactSup",
    "IntervalConfirmation",
    "derive_activation_bounds",
    # the recursions (2.20)-(2.23)
    "IDENTITIES",
    "RecursionProof",
    "prove_recursions",
    "EngineCrossCheck",
    "RecursionVerification",
    "verify_recursions",
    # Lemmas 3.5, 3.7, Assumption 2.10, Appendix B
    "SYMBOLS",
    "SymbolicBounds",
    "symbolic_bounds",
    "rho_threshold_tanh",
]

# Building blocks used by the checks and tests only: deprecated here for one release.
_MOVED = {
    "b5_bound_holds": "_bounds",
    "solve_linear_recurrence": "_bounds",
    "interval_confirm": "_intervals",
    "SymbolicRNN": "_recursions",
    "build_symbolic_rnn": "_recursions",
    "run_recursions": "_recursions",
    "symbolic_derivatives": "_recursions",
    "cross_check_engine": "_recursions_numeric",
    "bounded_map_constants": "_sigmoid",
    "bounded_map_polynomials": "_sigmoid",
    "derivative_polynomials": "_sigmoid",
    "derive_sup": "_sigmoid",
    "sigmoid_derivative_polynomials": "_sigmoid",
    "tanh_derivative_polynomials": "_sigmoid",
    "verify_derivative_polynomials": "_sigmoid",
}
__getattr__ = _moved_names(__name__, {k: f"{__name__}.{m}:{k}" for k, m in _MOVED.items()})
