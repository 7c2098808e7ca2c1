"""Known answers: closed-form stationary quantities of linear systems (DESIGN.md, "oracles").

For a LinearSDE student ((7.1) of [P1]) driven by linear data (Gaussian or AR(1) inputs, a linear
teacher plus uniform noise), the joint process of data, state and sensitivities is a linear system
``u' = M u + G xi``, so every stationary and transient second moment is exact (discrete Lyapunov
equations). These are the known answers that the Monte Carlo estimators and the checks are
tested against.

* ``_lyapunov``: the generic machinery, :class:`LinearGaussianSystem` (stationary covariance,
  adjoint sums, exact moment recursions); it knows nothing about RNNs.
* ``_linear_sde``: assembly of (M, G, Q) for (model, params, process), with the exact RTRL
  sensitivity recursion or any other linear one (``sensitivity=`` of
  :func:`linear_joint_system`: the hook for the stationary means of SnAp-1, e-prop, immediate...,
  issue 13), and the residual and update readouts.
* ``_stationary``: :func:`linear_stationary` (L, grad L, Hessian: [P1] (2.27), Thm 3.16, (3.65))
  and :func:`stationary_update_mean` (E_pi[G~] from the augmented system).
* ``_transient``: exact transient expectations from the moment recursion:
  :func:`tbptt_expected_gradient` (TBPTT(tau) at stationarity and its bias),
  :func:`expected_gradient_path` (E[G~_t] from a J_0 law, Thm 3.16 / Lemma 3.15) and
  :func:`expected_loss_bias` (E L_T - L, Lemma 3.12).
* ``_poisson``: :func:`poisson_solution_linear`, the solution v of the Poisson equation (4.1)
  for the RTRL update in closed form (a quadratic form in the joint state, Lemma 4.2).
"""

from ._linear_sde import LinearJointSystem, LinearSetup, linear_joint_system, linear_setup
from ._lyapunov import LinearGaussianSystem, solve_stein
from ._poisson import LinearPoissonSolution, poisson_solution_linear
from ._stationary import StationaryOracle, linear_stationary, stationary_update_mean
from ._transient import (
    GradientPath,
    LossBias,
    SensitivityLaw,
    TBPTTExpectation,
    expected_gradient_path,
    expected_loss_bias,
    tbptt_expected_gradient,
)

__all__ = [
    "GradientPath",
    "LossBias",
    "SensitivityLaw",
    "TBPTTExpectation",
    "expected_gradient_path",
    "expected_loss_bias",
    "tbptt_expected_gradient",
    "LinearGaussianSystem",
    "LinearJointSystem",
    "LinearPoissonSolution",
    "LinearSetup",
    "StationaryOracle",
    "linear_joint_system",
    "linear_setup",
    "linear_stationary",
    "poisson_solution_linear",
    "solve_stein",
    "stationary_update_mean",
]
