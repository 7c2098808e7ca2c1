"""Known answers: closed-form stationary quantities of linear systems (DESIGN.md, "oracles").

For a LinearSDE student ((7.1) of [P1]) driven by linear data (Gaussian or AR(1) inputs, a linear
teacher plus uniform noise), the joint process of data, state and sensitivities is a linear system
``u' = M u + G xi``, so every stationary and transient second moment is exact (discrete Lyapunov
equations). These are the known answers that the Monte Carlo estimators and the checks are
tested against.

* ``_lyapunov`` (private): the generic machinery, ``LinearGaussianSystem`` (stationary
  covariance, adjoint sums, exact moment recursions) and ``solve_stein``; it knows nothing about
  RNNs.
* ``_linear_sde`` (private): assembly of (M, G, Q) for (model, params, process), with the exact
  RTRL sensitivity recursion or any other linear one (``sensitivity=``, one of
  :data:`SENSITIVITY_KINDS`: the hook for the stationary means of SnAp-1, e-prop, immediate...,
  issue 13), and the residual and update readouts; :func:`linear_sensitivity_map` is the
  approximate sensitivity recursion of each kind.
* ``_stationary``: :func:`linear_stationary` (L, grad L, Hessian: [P1] (2.27), Thm 3.16, (3.65))
  and :func:`stationary_update_mean` (E_pi[G~] from the augmented system).
* ``_transient``: exact transient expectations from the moment recursion:
  :func:`tbptt_expected_gradient` (TBPTT(tau) at stationarity and its bias),
  :func:`expected_gradient_path` (E[G~_t] from a J_0 law, Thm 3.16 / Lemma 3.15) and
  :func:`expected_loss_bias` (E L_T - L, Lemma 3.12).
* ``_poisson``: :func:`poisson_solution_linear`, the solution v of the Poisson equation (4.1)
  for the RTRL update in closed form (a quadratic form in the joint state, Lemma 4.2).
* ``_fluctuation``: the fluctuation of Section 5 split into the parts of Lemmas 5.2-5.4
  (:func:`fluctuation_pieces_linear`, along a run replayed by :func:`linear_run_states`) and
  :func:`Pv_theta_gradient`, the theta-gradient of P v (Lemma 4.7).

Conventions: parameters and gradients in the model's flat order ``(C, vec A, vec B)``
(Notation 2.11); time as in ``rtrl_theory.runners.JointProcess`` (step t consumes X_t, the target
is Y_t = C*.S*_{t+1} + eta_t, the loss compares C.S_{t+1} with Y_t); sensitivities in the engine's
``Jt`` layout (P_c, N).

Examples
--------
>>> import numpy as np
>>> from rtrl_theory import LinearSDE
>>> from rtrl_theory.data import AR1Chain, DataProcess, linear_sde_teacher
>>> teacher = linear_sde_teacher(2, 1, rng=0, dt=0.3, dof=20)
>>> process = DataProcess(AR1Chain(1, 0.5), teacher.target(noise=0.2))
>>> model = LinearSDE(2, 1, dt=0.3)
>>> params = model.init_params(1)
>>> o = linear_stationary(model, params, process)          # L, grad L, Hessian
>>> o.grad.shape, o.hessian.shape
((8,), (8, 8))
>>> g_b = stationary_update_mean(model, params, process)  # E_pi[G~], augmented system
>>> bool(np.allclose(g_b, o.grad, rtol=1e-10, atol=1e-14))
True
>>> tb = tbptt_expected_gradient(model, params, process, tau=4)   # TBPTT(4) at stationarity
>>> tb.block_gradient.shape, bool(np.linalg.norm(tb.bias) > 0)
((8,), True)
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._fluctuation import (
    FluctuationPieces,
    LinearRunStates,
    Pv_theta_gradient,
    fluctuation_pieces_linear,
    linear_run_states,
)
from ._linear_sde import SENSITIVITY_KINDS, linear_sensitivity_map
from ._poisson import LinearPoissonSolution, poisson_solution_linear
from ._stationary import StationaryOracle, linear_stationary, stationary_update_mean
from ._transient import (
    LOSS_INITS,
    GradientPath,
    LossBias,
    SensitivityLaw,
    TBPTTExpectation,
    expected_gradient_path,
    expected_loss_bias,
    tbptt_expected_gradient,
)

__all__ = [
    # stationary quantities ([P1] (2.27), Thm 3.16, (3.65))
    "StationaryOracle",
    "linear_stationary",
    "SENSITIVITY_KINDS",
    "linear_sensitivity_map",
    "stationary_update_mean",
    # transients (Lemmas 3.12, 3.15, Thm 3.16) and TBPTT(tau)
    "LOSS_INITS",
    "LossBias",
    "expected_loss_bias",
    "SensitivityLaw",
    "GradientPath",
    "expected_gradient_path",
    "TBPTTExpectation",
    "tbptt_expected_gradient",
    # the Poisson equation (4.1), Lemma 4.2
    "LinearPoissonSolution",
    "poisson_solution_linear",
    # the fluctuation split into Lemmas 5.2-5.4 (replayed runs on the linear system)
    "FluctuationPieces",
    "LinearRunStates",
    "Pv_theta_gradient",
    "fluctuation_pieces_linear",
    "linear_run_states",
]

# The assembly of the linear system and the Lyapunov machinery behind the oracles (used by the
# library and the tests only): deprecated here for one release.
__getattr__ = _moved_names(
    __name__,
    {
        "LinearGaussianSystem": "rtrl_theory.oracles._lyapunov:LinearGaussianSystem",
        "solve_stein": "rtrl_theory.oracles._lyapunov:solve_stein",
        "LinearJointSystem": "rtrl_theory.oracles._linear_sde:LinearJointSystem",
        "linear_joint_system": "rtrl_theory.oracles._linear_sde:linear_joint_system",
        "LinearSetup": "rtrl_theory.oracles._linear_sde:LinearSetup",
        "linear_setup": "rtrl_theory.oracles._linear_sde:linear_setup",
    },
)
