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
# (`rtrl_theory.estimators`) and compares with an independent estimate: finite differences of
# $L$ with common random numbers, a log-log slope, and a nested Monte Carlo of the series
# solution of the Poisson equation.
#
# `QUICK` (default on; `RTRL_THEORY_QUICK=0` for the full sizes) sets particles and steps.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from rtrl_theory import PaperRNN
from rtrl_theory.bounds import check_assumptions
from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
from rtrl_theory.estimators import (
    burn_in_for,
    finite_difference_limit_gradient,
    limit_gradient,
    limit_loss,
    loss_bias_curve,
    poisson_identity,
    projected_update_lipschitz,
    stationary_average,
    terms_for,
    w1_to_stationary,
)
from rtrl_theory.runners import JointProcess

QUICK = os.environ.get("RTRL_THEORY_QUICK", "1") == "1"
print("quick mode" if QUICK else "full mode")

# %% [markdown]
# The configuration of the Monte Carlo checks: paper RNN $N = 3$, $d = 2$, $f = 0.3\tanh$,
# $g = \tanh$; Example 2.4 inputs ($\lambda = 0.5$); Lipschitz target with noise 0.1.

# %%
N, d, c_f, lam = 3, 2, 0.3, 0.5
model = PaperRNN(N, d, c_f=c_f, c_g=1.0)
params = model.init_params(1)
process = DataProcess(ExampleChain(d, lam, 0.5), LipschitzTarget.random(d, noise=0.1, rng=0))
rho_bar = check_assumptions(N, d, c_f, 1.0, "tanh", lam, process.chain.C_x).rho_bar
jp = JointProcess(model, params, process, order=1)
sizes = {
    "n_particles": 400 if QUICK else 4000,
    "n_steps": 200 if QUICK else 1000,
    "burn_in": burn_in_for(rho_bar, 1e-6),  # rho_bar^burn_in < 1e-6
}
print(f"rho_bar = {rho_bar:.4f}, sizes {sizes}")

# %% [markdown]
# ## 1. Limit loss and limit gradient

# %%
L = limit_loss(jp, rng=315, **sizes)
g = limit_gradient(jp, rng=316, **sizes)
fd = finite_difference_limit_gradient(jp, h=1e-4, rng=317, **sizes)
print(f"L(theta) = {float(L.value):.5f} +- {float(L.stderr):.5f}")
z = g.z_scores(fd)
print(
    f"E_pi[G~] vs finite differences of L: max |z| = {np.max(np.abs(z)):.2f} over {z.size} "
    "coordinates"
)

# %%
P = g.value.size
idx = np.arange(P)
fig, axes = plt.subplots(
    2, 1, figsize=(8, 4.5), sharex=True, height_ratios=[2, 1], layout="constrained"
)
axes[0].errorbar(idx - 0.15, g.value, 2 * g.stderr, fmt="o", ms=3, label="E_pi[G~] (Thm 3.16)")
axes[0].errorbar(
    idx + 0.15, fd.value, 2 * fd.stderr, fmt="s", ms=3, label="finite differences of L"
)
axes[0].set_ylabel("dL/dtheta_i")
axes[0].legend(fontsize=8)
axes[0].set_title(
    "Limit gradient: stationary mean of RTRL's direction vs differences of L (2 s.e.)"
)
axes[1].bar(idx, z, color="tab:gray")
axes[1].axhline(0, color="k", lw=0.8)
axes[1].set_ylabel("z-score")
axes[1].set_xlabel("coordinate of theta = (alpha, vec W, vec B)")
plt.show()

# %% [markdown]
# ## 2. Lemma 3.12: $E L_T - L = O(1/T)$
#
# The bias of the finite-horizon loss, estimated by coupling with a stationary ensemble
# (unbiased), against $T$ on log-log axes; its slope should be $-1$.

# %%
T_grid = 2 ** np.arange(0, 10 if QUICK else 12)
T, bias, se = loss_bias_curve(
    jp, T_grid, n_particles=4 * sizes["n_particles"], burn_in=sizes["burn_in"], rng=312
)
use = (T >= 16) & (np.abs(bias) > 5 * se)
slope = np.polyfit(np.log(T[use]), np.log(np.abs(bias[use])), 1)[0] if use.sum() >= 2 else np.nan
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.errorbar(T, np.abs(bias), 2 * se, fmt="o-", ms=3, label="|E L_T - L| (2 s.e.)")
ax.loglog(T, np.abs(bias[-1]) * T[-1] / T, "k--", lw=0.8, label="C / T")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("horizon T")
ax.set_title(f"Lemma 3.12: fitted slope {slope:.3f} (claim -1)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3. The Poisson equation
#
# With $G(z) = \hat g\cdot\tilde G(\theta, z)$ (RTRL's direction projected on the estimated
# gradient), (4.1) says $v(z) - (Pv)(z) = G(z) - \bar G$ for the series solution
# $v = \sum_n (P^n G - \bar G)$; `poisson_identity` estimates both sides at a few points by
# nested Monte Carlo and the bound (4.6) on $|v|$.

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
    jp,
    points,
    G,
    float(Gbar.value),
    Gbar_stderr=float(Gbar.stderr),
    n_inner=n_inner,
    n_outer=n_outer,
    n_terms=terms_for(rho_bar, 1e-3),
    rng=423,
    L_G=L_G,
    rho_bar=rho_bar,
    w1_to_pi=w1_to_stationary(jp, points, stationary_sample),
)
print(
    f"Gbar = {float(Gbar.value):.5f}; {res.n_terms} series terms; max |z| of (4.1) = "
    f"{np.max(np.abs(res.z_scores)):.2f}"
)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), layout="constrained")
m = np.arange(M)
axes[0].errorbar(m - 0.1, res.lhs, 2 * res.stderr, fmt="o", ms=3, label="v(z) - Pv(z)")
axes[0].plot(m + 0.1, res.rhs, "s", ms=4, label="G(z) - Gbar")
axes[0].set_xlabel("point z")
axes[0].set_title("Identity (4.1) at random points z")
axes[0].legend(fontsize=8)
axes[1].bar(m - 0.2, np.abs(res.v), 0.4, yerr=2 * res.v_stderr, label="|v(z)|")
axes[1].bar(m + 0.2, res.bound, 0.4, label="bound (4.6)")
axes[1].set_yscale("log")
axes[1].set_xlabel("point z")
axes[1].set_title("|v(z)| and the bound (4.6)")
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 4. The checks of the verification suite

# %%
from rtrl_theory.checks import format_table, run_checks  # noqa: E402

print(format_table(run_checks(["lemma-3.12", "thm-3.16", "lemma-4.2"], quick=QUICK)))
