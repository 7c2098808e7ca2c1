# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 - Limit loss, its gradient (Theorem 3.16) and the Poisson equation (Section 4)
#
# Under the stationary law $\pi$ of the joint process (notebook 03) [P1] defines the limit loss
# $L(\theta) = E_\pi[\tfrac12(y - \alpha\cdot s)^2]$ (2.27) and proves
#
# * Lemma 3.12: the finite-horizon loss converges to it, $E L_T(\theta) - L(\theta) = O(1/T)$;
# * Theorem 3.16: $\nabla L(\theta) = E_\pi[\tilde G(\theta, Z)]$, the stationary mean of RTRL's
#   update direction: RTRL follows the gradient of the limit loss on average;
# * Section 4: the fluctuation $\tilde G - \nabla L$ is controlled through the Poisson equation
#   $v - Pv = G - \bar G$, whose solution is bounded by $L_G\,W_1(\delta_z, \pi)/(1-\bar\rho)$
#   ((4.1), (4.6)).
#
# This notebook estimates each of them by Monte Carlo on the particles of the joint process
# (`rtrl_theory.estimators`) and compares with known answers: the exact stationary and transient
# moments of a linear-Gaussian system (`rtrl_theory.oracles`: `linear_stationary`,
# `expected_gradient_path`, `expected_loss_bias`, `poisson_solution_linear`), the exact Poisson
# solution of a finite chain, and on the paper RNN the measured quantities against [P1]'s bounds
# (the checks lemma-3.12, thm-3.16, lemma-4.2 of `rtrl-theory verify`).
#
# `QUICK` (default on; `RTRL_THEORY_QUICK=0` for the full sizes) sets particles and steps.

# %%
import os
from dataclasses import replace

import numpy as np

from rtrl_theory import LinearSDE
from rtrl_theory.data import linear_sde_teacher
from rtrl_theory.estimators import (
    FiniteChainProcess,
    burn_in_for,
    coupled_bias_curve,
    dobrushin_coefficient,
    expected_function_curve,
    finite_chain_lipschitz,
    finite_chain_poisson,
    finite_chain_stationary,
    finite_chain_stationary_mean,
    finite_difference_limit_gradient,
    limit_gradient,
    limit_loss,
    poisson_identity,
    poisson_solution,
    projected_update_lipschitz,
    stationary_average,
    terms_for,
    w1_to_stationary,
)
from rtrl_theory.oracles import (
    SensitivityLaw,
    expected_gradient_path,
    expected_loss_bias,
    linear_stationary,
    poisson_solution_linear,
)
from rtrl_theory.plotting import (
    plot_bias_curve,
    plot_estimate_comparison,
    plot_expected_path,
    plot_measured_vs_bound,
    plot_poisson_solution,
)
from rtrl_theory.runners import JointProcess
from rtrl_theory.setups import PaperConfig, PaperSetup

QUICK = os.environ.get("RTRL_THEORY_QUICK", "1") == "1"
print("quick mode" if QUICK else "full mode")

# %% [markdown]
# ## 1. A linear-Gaussian system with known answers
#
# A `LinearSDE(3, 2, dt=0.5)` student ((7.1) of [P1]) on Gaussian inputs with a linear teacher and
# uniform noise: the joint process of data, state and sensitivities is linear, so $L$,
# $\nabla L$ and $\nabla^2 L$ are exact (differentiated Lyapunov equations, no pathwise
# derivative). Theorem 3.16: the particles' stationary mean of $\tilde G$ is $\nabla L$.

# %%
teacher = linear_sde_teacher(3, 2, rng=0, dt=0.5, dof=30)
lin_process = teacher.process(input_std=1.0, noise=0.3)
lin_model = LinearSDE(3, 2, dt=0.5)
lin_params = lin_model.init_params(1, a_scale=0.3)
oracle = linear_stationary(lin_model, lin_params, lin_process)
lin_jp = JointProcess(lin_model, lin_params, lin_process, order=1)
lin_burn = burn_in_for(oracle.spectral_radius, 1e-10)
lin_g = limit_gradient(
    lin_jp, n_particles=400 if QUICK else 4000, n_steps=100 if QUICK else 1000,
    burn_in=lin_burn, rng=160,
)  # fmt: skip
print(f"spectral radius {oracle.spectral_radius:.3f}; exact L = {oracle.loss:.5f}")
plot_estimate_comparison(
    lin_g.value, lin_g.stderr, oracle.grad, labels=("E_pi[G~], particles", "exact grad L"),
    xlabel="coordinate of theta", ylabel="dL/dtheta_i",
    title="Theorem 3.16 on the linear system: E_pi[G~] vs the exact grad L",
);  # fmt: skip

# %% [markdown]
# ## 2. Theorem 3.16: $E[\tilde G_t]$ forgets a correlated $J_0$ law
#
# Particles start from the stationary (data, state) with $J_0 = 0.5 - 0.5\,J + U[-1, 1]$: a law
# *correlated* with the state (on these zero-mean systems an independent $J_0$ would leave
# $E[\tilde G_t]$ unchanged). `expected_gradient_path` gives the exact $E[\tilde G_t]$ from the
# same law (`SensitivityLaw.scaled_stationary`); both converge to $\nabla L$.

# %%
T_path = 2 * burn_in_for(oracle.spectral_radius, 1e-7)
K_path = 1000 if QUICK else 4000
law = SensitivityLaw.scaled_stationary(
    lin_model, lin_params, lin_process, -0.5, mean=0.5, noise_var=1 / 3
)
exact_path = expected_gradient_path(lin_model, lin_params, lin_process, T_path + 1, law)
rng = np.random.default_rng(3163)
z0 = lin_jp.run(lin_jp.initial(K_path, rng), lin_burn, rng)
z0 = replace(z0, Jt=0.5 - 0.5 * z0.Jt + rng.uniform(-1.0, 1.0, z0.Jt.shape))
mean, se, _ = expected_function_curve(
    lin_jp, lin_jp.update_direction, T_path, n_particles=K_path, rng=rng, law=z0
)
plot_expected_path(
    np.arange(T_path + 1), mean, se, exact_path.mean, oracle.grad, components=[3, 6, 9],
    title="E[G~_t] from a correlated J_0 law: particles vs the exact path (oracle)",
);  # fmt: skip

# %% [markdown]
# ## 3. Lemma 3.12: $E L_T - L = O(1/T)$
#
# On the linear system the bias is exact (`expected_loss_bias`, data stationary, $S_0 = 0$); the
# particles estimate it by the synchronous coupling with a stationary ensemble
# (`coupled_bias_curve`, unbiased).

# %%
rng = np.random.default_rng(3121)
zb = lin_jp.run(lin_jp.initial(K_path, rng), lin_burn, rng)
zb = lin_jp.step(replace(zb, S=np.zeros_like(zb.S), Jt=np.zeros_like(zb.Jt)), rng)
T, bias, bias_se, *_ = coupled_bias_curve(
    lin_jp, lambda z: lin_jp.loss(z)[:, None], np.unique(np.geomspace(1, 64, 13).astype(int)),
    n_particles=K_path, burn_in=lin_burn, rng=rng, law=zb,
)  # fmt: skip
exact_bias = expected_loss_bias(lin_model, lin_params, lin_process, T, init="stationary_data")
plot_bias_curve(
    T, bias[:, 0], bias_se[:, 0], exact=exact_bias.bias,
    title=f"Lemma 3.12 (linear system): T (E L_T - L) -> {exact_bias.limit:.4g} (exact)",
);  # fmt: skip

# %% [markdown]
# ## 4. The paper RNN: limit loss and gradient
#
# Paper RNN $N = 3$, $d = 2$, $f = 0.3\tanh$, $g = \tanh$; Example 2.4 inputs ($\lambda = 0.5$);
# Lipschitz target with noise 0.1. $E_\pi[\tilde G]$ beside finite differences of $L$ with
# common random numbers (which share the particles, so agreement is a consistency check; the
# check thm-3.16 uses a forward-only route with independent seeds).

# %%
N, d, c_f, lam = 3, 2, 0.3, 0.5
setup = PaperSetup.build(  # noise 0.5, target noise 0.1, c_g = 1, tanh: PaperConfig's defaults
    PaperConfig(n_hidden=N, n_input=d, c_f=c_f, lam=lam),
    (np.random.default_rng(0), np.random.default_rng(1)),  # target weights, initial parameters
    order=1,
)
model, params, process, jp = setup.model, setup.params, setup.process, setup.joint
rho_bar = setup.assumptions.rho_bar
sizes = {
    "n_particles": 400 if QUICK else 4000,
    "n_steps": 200 if QUICK else 1000,
    "burn_in": burn_in_for(rho_bar, 1e-6),  # rho_bar^burn_in < 1e-6
}
L = limit_loss(jp, rng=315, **sizes)
g = limit_gradient(jp, rng=316, **sizes)
fd = finite_difference_limit_gradient(jp, h=1e-4, rng=317, **sizes)
print(f"rho_bar = {rho_bar:.4f}; L(theta) = {float(L.value):.5f} +- {float(L.stderr):.5f}")
plot_estimate_comparison(
    g.value, g.stderr, fd.value, fd.stderr,
    labels=("E_pi[G~] (Thm 3.16)", "finite differences of L"),
    xlabel="coordinate of theta = (alpha, vec W, vec B)", ylabel="dL/dtheta_i",
    title="Limit gradient of the paper RNN (2 s.e.)",
);  # fmt: skip

# %% [markdown]
# ## 5. The Poisson equation (Section 4)
#
# **Finite chain.** On a 5-state chain the solution (4.3) of (4.1) is exact
# (`finite_chain_poisson`, a linear solve); `poisson_solution` estimates the truncated series
# $\sum_{n<n_{terms}}(P^n G - \bar G)$ (truncation $\le 10^{-4}$) by Monte Carlo. The bound (4.6)
# reads $|v(i)| \le L_G(1-\pi_i)/(1-\bar\rho)$ with the Dobrushin coefficient $\bar\rho$.

# %%
r = np.random.default_rng(4242)
P_fc = 0.7 * np.eye(5) + 0.3 * r.dirichlet(np.ones(5), size=5)
G_fc = r.standard_normal(5)
chain = FiniteChainProcess(P_fc)
rho_fc = dobrushin_coefficient(P_fc)
v_fc, v_fc_se = poisson_solution(
    chain, chain.initial(np.arange(5)), chain.function(G_fc),
    finite_chain_stationary_mean(P_fc, G_fc), n_inner=4000 if QUICK else 40000,
    n_terms=terms_for(rho_fc, 1e-4), rng=420,
)  # fmt: skip
bound_fc = finite_chain_lipschitz(G_fc) * (1 - finite_chain_stationary(P_fc)) / (1 - rho_fc)
plot_poisson_solution(
    v_fc, v_fc_se, finite_chain_poisson(P_fc, G_fc), bound_fc,
    labels=[f"state {i}" for i in range(5)],
    title=f"Poisson equation on a finite chain (Dobrushin rho_bar = {rho_fc:.3f})",
);  # fmt: skip

# %% [markdown]
# **Linear system.** With $G = \nabla L\cdot\tilde G$ ((4.11)), `poisson_solution_linear` gives
# $v$ in closed form (a quadratic form in the joint state); the truncated series by Monte Carlo
# at three points off stationarity.

# %%
rng = np.random.default_rng(422)
zp = lin_jp.run(lin_jp.initial(3, rng), lin_burn, rng)
zp = replace(zp, Jt=0.5 - 0.5 * zp.Jt + rng.uniform(-1.0, 1.0, zp.Jt.shape))
v_lin = poisson_solution_linear(lin_model, lin_params, lin_process, direction="grad")
v_mc, v_mc_se = poisson_solution(
    lin_jp, zp, lambda z: lin_jp.update_direction(z) @ oracle.grad, float(v_lin.Gbar),
    n_inner=2000 if QUICK else 20000, n_terms=burn_in_for(oracle.spectral_radius, 1e-8), rng=rng,
)  # fmt: skip
plot_poisson_solution(
    v_mc, v_mc_se, v_lin(zp), title="Poisson solution on the linear system: series vs exact"
);  # fmt: skip

# %% [markdown]
# **Paper RNN.** No closed form: (4.1) at random points by nested Monte Carlo
# (`poisson_identity`), and $|v|$ against the bound (4.6) $L_G W_1(\delta_z,\pi)/(1-\bar\rho)$.

# %%
ghat = g.value


def G(z):
    return jp.update_direction(z) @ ghat


Gbar, stationary_sample = stationary_average(jp, G, rng=420, **sizes)
M, n_outer, n_inner = (6, 20, 60) if QUICK else (16, 40, 200)
points = jp.run(jp.initial(M, rng=421, law="box"), 1, rng=422)
target = process.target
L_G = projected_update_lipschitz(
    jp, ghat, C_y=target.scale + target.noise, L_target=target.lipschitz
)
res = poisson_identity(
    jp, points, G, float(Gbar.value), Gbar_stderr=float(Gbar.stderr), n_inner=n_inner,
    n_outer=n_outer, n_terms=terms_for(rho_bar, 1e-3), rng=423, L_G=L_G, rho_bar=rho_bar,
    w1_to_pi=w1_to_stationary(jp, points, stationary_sample),
)  # fmt: skip
plot_estimate_comparison(
    res.lhs, res.stderr, res.rhs, labels=("v(z) - Pv(z)", "G(z) - Gbar"), xlabel="point z",
    ylabel="value", title="Identity (4.1) at random points z (paper RNN)",
);  # fmt: skip
plot_measured_vs_bound(
    [f"z{i}" for i in range(M)], np.abs(res.v), res.bound, title="|v(z)| / bound (4.6)"
);  # fmt: skip

# %% [markdown]
# ## 6. The checks of the verification suite
#
# lemma-3.12 measures $\sup_T T|E L_T - L|$ by coupling, from several initial laws and on
# several configurations (saturated weights, $c_f$ near its maximum), against its bound
# $L_\ell W_1(\mu_0, \pi)/(1-\bar\rho)$ with constants from `update_bounds`.

# %%
from rtrl_theory.checks import format_table, run_checks  # noqa: E402

results = run_checks(["lemma-3.12", "thm-3.16", "lemma-4.2"], quick=QUICK)
print(format_table(results))
rows = results[0].details
plot_measured_vs_bound(
    list(rows), [x["sup"] for x in rows.values()], [x["C"] for x in rows.values()],
    title="Lemma 3.12: sup_T T |E L_T - L| / bound, per configuration and initial law",
);  # fmt: skip
