"""Monte Carlo estimators.

* Generic, for any Markov chain (``_wasserstein``, ``_rates``, ``_stationary``: they import only
  numpy, scipy, POT, tqdm and ``rtrl_theory._validate``): exact W1 with the max-norm cost, its
  floor and bootstrap, the empirical contraction rate (to set beside rho_bar of
  Proposition 3.1 / Theorem 3.11 of [P1]) and stationary-law summaries.
* For the joint process of [P1] (``_limits``, ``_poisson``, ``_tbptt_bias``,
  ``_update_bounds``): limit loss, gradient and Hessian (Section 3.3, Theorem 3.16), their
  transients (Lemmas 3.12, 3.15), bounds on G~ and the Hessian over the a-priori box ((3.62),
  Lemmas 3.13-3.14), the Poisson equation (Section 4) and the bias of TBPTT.
* ``_finite_chain``: finite Markov chains, where the Poisson equation (4.1) is solved exactly,
  to test the Poisson estimators (Lemmas 4.2-4.3).
"""

from ._contraction import ContractionEstimate, estimate_contraction_rate
from ._convergence import (
    SGD_SPREAD_EXPONENT,
    ConvergenceTrace,
    SeedStatistics,
    Theorem61Setup,
    delay_line_setup,
    expected_gradient_slope,
    geometric_checkpoints,
    gradient_norm_trace,
    log_log_slope,
    theorem_6_1_experiment,
    theorem_6_1_seeds,
    theorem_6_1_setup,
)
from ._couplings import (
    COUPLING_BLOCKS,
    W1Bracket,
    coupled_block_distances,
    example_chain_marginal_w1,
    kr_lower_bound,
    one_step_w1_bracket,
)
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
    FD_STENCIL,
    LIMIT_RATE_EXPONENT,
    StationaryEstimate,
    burn_in_for,
    coupled_bias_curve,
    directional_gradient_independent,
    expected_function_curve,
    expected_loss_curve,
    finite_difference_limit_gradient,
    finite_difference_limit_hessian_directions,
    limit_gradient,
    limit_hessian_directions,
    limit_loss,
    loss_bias_curve,
    matched_w1,
    stationary_average,
    stationary_loss_forward,
)
from ._poisson import (
    PoissonCheck,
    poisson_identity,
    poisson_solution,
    projected_update_lipschitz,
    terms_for,
    w1_to_stationary,
)
from ._rates import (
    COUPLINGS,
    GeometricFit,
    ResampledRateCI,
    fit_geometric_rate,
    resampled_rate_ci,
)
from ._stationary import (
    BatchMeans,
    EffectiveSampleSize,
    EnsembleSummary,
    TimeEnsembleComparison,
    batch_means,
    effective_sample_size,
    ensemble_summary,
    time_vs_ensemble,
)
from ._tbptt_bias import TBPTTBias, tbptt_bias
from ._update_bounds import UpdateBounds, update_bounds
from ._wasserstein import (
    ALL,
    MIN_PARTICLES_FLOOR,
    W1Bootstrap,
    W1Floor,
    cost_matrix,
    select_block,
    w1_1d,
    w1_bootstrap,
    w1_empirical,
    w1_floor,
    w1_floor_pair,
)

__all__ = [
    "COUPLING_BLOCKS",
    "W1Bracket",
    "coupled_block_distances",
    "example_chain_marginal_w1",
    "kr_lower_bound",
    "one_step_w1_bracket",
    "Decomposition",
    "descent_decomposition",
    "ConvergenceTrace",
    "Theorem61Setup",
    "geometric_checkpoints",
    "gradient_norm_trace",
    "SGD_SPREAD_EXPONENT",
    "SeedStatistics",
    "delay_line_setup",
    "expected_gradient_slope",
    "log_log_slope",
    "theorem_6_1_seeds",
    "theorem_6_1_experiment",
    "theorem_6_1_setup",
    # _limits, _poisson, _tbptt_bias (the joint process of [P1])
    "PoissonCheck",
    "StationaryEstimate",
    "TBPTTBias",
    "burn_in_for",
    "expected_loss_curve",
    "finite_difference_limit_gradient",
    "finite_difference_limit_hessian_directions",
    "limit_gradient",
    "limit_hessian_directions",
    "limit_loss",
    "loss_bias_curve",
    "poisson_identity",
    "poisson_solution",
    "projected_update_lipschitz",
    "stationary_average",
    "tbptt_bias",
    "terms_for",
    "w1_to_stationary",
    # _limits: transients and the route independent of the particles (Lemmas 3.12, 3.15, Thm 3.16)
    "FD_STENCIL",
    "LIMIT_RATE_EXPONENT",
    "coupled_bias_curve",
    "directional_gradient_independent",
    "expected_function_curve",
    "matched_w1",
    "stationary_loss_forward",
    # _update_bounds: bounds on G~ and the per-step Hessian over the box (3.62), Lemmas 3.13-3.14
    "UpdateBounds",
    "update_bounds",
    # _finite_chain: the Poisson equation (4.1) solved exactly on a finite chain (Lemmas 4.2-4.3)
    "FiniteChainProcess",
    "FiniteStates",
    "dobrushin_coefficient",
    "finite_chain_lipschitz",
    "finite_chain_poisson",
    "finite_chain_stationary",
    "finite_chain_stationary_mean",
    # _wasserstein, _rates, _stationary (any Markov chain)
    "ALL",
    "BatchMeans",
    "COUPLINGS",
    "ContractionEstimate",
    "EffectiveSampleSize",
    "EnsembleSummary",
    "GeometricFit",
    "MIN_PARTICLES_FLOOR",
    "ResampledRateCI",
    "TimeEnsembleComparison",
    "W1Bootstrap",
    "W1Floor",
    "batch_means",
    "cost_matrix",
    "effective_sample_size",
    "ensemble_summary",
    "estimate_contraction_rate",
    "fit_geometric_rate",
    "resampled_rate_ci",
    "select_block",
    "time_vs_ensemble",
    "w1_1d",
    "w1_bootstrap",
    "w1_empirical",
    "w1_floor",
    "w1_floor_pair",
]
