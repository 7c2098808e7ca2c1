"""Monte Carlo estimators.

* Generic, for any Markov chain (``_wasserstein``, ``_rates``, ``_stationary``: they import only
  numpy, scipy, POT, tqdm and ``rtrl_theory._validate``): exact W1 with the max-norm cost, the
  empirical contraction rate (to set beside rho_bar of Proposition 3.1 / Theorem 3.11 of [P1])
  and stationary-law summaries.
* For the joint process of [P1] (``_limits``, ``_poisson``, ``_tbptt_bias``,
  ``_update_bounds``): limit loss, gradient and Hessian (Section 3.3, Theorem 3.16), their
  transients (Lemmas 3.12, 3.15), bounds on G~ and the Hessian over the a-priori box ((3.62),
  Lemmas 3.13-3.14), the Poisson equation (Section 4) and the bias of TBPTT.
* ``_finite_chain``: finite Markov chains, where the Poisson equation (4.1) is solved exactly,
  to test the Poisson estimators (Lemmas 4.2-4.3).
* ``_convergence``, ``_decomposition``: Theorem 6.1 along training runs and the descent
  decomposition of Lemma 6.2.

The helpers that only the library and the project's checks use (the W1 floor and bootstrap, the
geometric fit, batch means, the coupling brackets of Proposition 3.10, the slope fits of
Section 6, ...) live in the private modules; their old names here are deprecated aliases.
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._contraction import ContractionEstimate, estimate_contraction_rate
from ._convergence import (
    ConvergenceTrace,
    SeedStatistics,
    Theorem61Setup,
    WindowStatistics,
    delay_line_setup,
    theorem_6_1_experiment,
    theorem_6_1_seeds,
    theorem_6_1_setup,
    theorem_6_1_windows,
    window_checkpoints,
)
from ._couplings import coupled_block_distances
from ._decomposition import Decomposition, descent_decomposition
from ._finite_chain import (
    FiniteChainProcess,
    FiniteStates,
    dobrushin_coefficient,
    finite_chain_lipschitz,
    finite_chain_poisson,
    finite_chain_stationary,
    finite_chain_stationary_mean,
)
from ._limits import (
    StationaryEstimate,
    burn_in_for,
    coupled_bias_curve,
    expected_function_curve,
    finite_difference_limit_gradient,
    finite_difference_limit_hessian_directions,
    limit_gradient,
    limit_hessian_directions,
    limit_loss,
    stationary_average,
)
from ._poisson import (
    PoissonCheck,
    poisson_identity,
    poisson_solution,
    projected_update_lipschitz,
    terms_for,
    w1_to_stationary,
)
from ._rates import COUPLINGS, GeometricFit
from ._stationary import EnsembleSummary, ensemble_summary
from ._tbptt_bias import TBPTTBias, tbptt_bias
from ._update_bounds import UpdateBounds, update_bounds
from ._wasserstein import w1_empirical

__all__ = [
    # the contraction rate of any Markov chain (Proposition 3.1, Theorem 3.11)
    "COUPLINGS",
    "ContractionEstimate",
    "GeometricFit",
    "estimate_contraction_rate",
    "w1_empirical",
    "EnsembleSummary",
    "ensemble_summary",
    "coupled_block_distances",
    # the limits of the joint process (Section 3.3, Theorem 3.16) and their transients
    "StationaryEstimate",
    "burn_in_for",
    "stationary_average",
    "limit_loss",
    "limit_gradient",
    "limit_hessian_directions",
    "finite_difference_limit_gradient",
    "finite_difference_limit_hessian_directions",
    "expected_function_curve",
    "coupled_bias_curve",
    "TBPTTBias",
    "tbptt_bias",
    # bounds on G~ and the Hessian over the a-priori box ((3.62), Lemmas 3.13-3.14)
    "UpdateBounds",
    "update_bounds",
    # the Poisson equation (Section 4, Lemmas 4.2-4.3)
    "PoissonCheck",
    "poisson_identity",
    "poisson_solution",
    "projected_update_lipschitz",
    "terms_for",
    "w1_to_stationary",
    # finite chains: the Poisson equation (4.1) solved exactly
    "FiniteChainProcess",
    "FiniteStates",
    "dobrushin_coefficient",
    "finite_chain_lipschitz",
    "finite_chain_poisson",
    "finite_chain_stationary",
    "finite_chain_stationary_mean",
    # Theorem 6.1 along training, Lemma 6.2's decomposition
    "ConvergenceTrace",
    "SeedStatistics",
    "Theorem61Setup",
    "delay_line_setup",
    "theorem_6_1_experiment",
    "theorem_6_1_seeds",
    "theorem_6_1_setup",
    "theorem_6_1_windows",
    "WindowStatistics",
    "window_checkpoints",
    "Decomposition",
    "descent_decomposition",
]

# Plumbing (used by the library and the project's checks only): deprecated here for one release.
_MOVED = {
    "COUPLING_BLOCKS": "_couplings",
    "W1Bracket": "_couplings",
    "example_chain_marginal_w1": "_couplings",
    "kr_lower_bound": "_couplings",
    "one_step_w1_bracket": "_couplings",
    "SGD_SPREAD_EXPONENT": "_convergence",
    "expected_gradient_slope": "_convergence",
    "geometric_checkpoints": "_convergence",
    "gradient_norm_trace": "_convergence",
    "log_log_slope": "_convergence",
    "FD_STENCIL": "_limits",
    "LIMIT_RATE_EXPONENT": "_limits",
    "directional_gradient_independent": "_limits",
    "expected_loss_curve": "_limits",
    "loss_bias_curve": "_limits",
    "matched_w1": "_limits",
    "stationary_loss_forward": "_limits",
    "ResampledRateCI": "_rates",
    "fit_geometric_rate": "_rates",
    "resampled_rate_ci": "_rates",
    "BatchMeans": "_stationary",
    "EffectiveSampleSize": "_stationary",
    "TimeEnsembleComparison": "_stationary",
    "batch_means": "_stationary",
    "effective_sample_size": "_stationary",
    "time_vs_ensemble": "_stationary",
    "ALL": "_wasserstein",
    "MIN_PARTICLES_FLOOR": "_wasserstein",
    "W1Bootstrap": "_wasserstein",
    "W1Floor": "_wasserstein",
    "cost_matrix": "_wasserstein",
    "select_block": "_wasserstein",
    "w1_1d": "_wasserstein",
    "w1_bootstrap": "_wasserstein",
    "w1_floor": "_wasserstein",
    "w1_floor_pair": "_wasserstein",
}
__getattr__ = _moved_names(__name__, {k: f"{__name__}.{m}:{k}" for k, m in _MOVED.items()})
