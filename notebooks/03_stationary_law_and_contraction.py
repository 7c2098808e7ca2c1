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
# # 03 - The stationary law of the joint process and its W1 contraction
#
# At a fixed parameter $\theta$ the joint process $Z_t = (X_t, \eta_t, S_t, J_t, H_t)$ of the
# data, the hidden state and its sensitivities is a Markov chain. Proposition 3.1 of [P1]: two
# copies contract in Wasserstein-1 at the geometric rate $\bar\rho = \max(\lambda, \rho)$
# ($\lambda$ the input chain's contraction, $\rho$ Assumption 2.10's constant); Theorem 3.11:
# hence a unique stationary law $\pi$, approached from any start, with time averages equal to
# averages under $\pi$. This notebook
#
# 1. measures the contraction rate with a synchronous coupling (same noise, the max-norm
#    distance: an upper bound on W1) and an independent one (exact W1 by POT: a lower bound),
#    beside $\bar\rho$ and $\lambda$;
# 2. runs ensembles from two different initial laws to stationarity and compares their
#    marginals, their W1 distance to a reference ensemble over time and its finite-sample floor;
# 3. compares time averages along one trajectory with ensemble averages.
#
# `QUICK` (default on; `RTRL_THEORY_QUICK=0` for the full sizes) sets particles and steps.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from rtrl_theory import PaperRNN, estimate_contraction_rate
from rtrl_theory.bounds import check_assumptions
from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
from rtrl_theory.estimators import burn_in_for, ensemble_summary, time_vs_ensemble, w1_empirical
from rtrl_theory.plotting import plot_contraction, plot_marginals
from rtrl_theory.runners import JointProcess

QUICK = os.environ.get("RTRL_THEORY_QUICK", "1") == "1"
K = 500 if QUICK else 4000  # particles per ensemble
print("quick mode" if QUICK else "full mode", f"- {K} particles")

# %% [markdown]
# The configuration of the Monte Carlo checks (inside every hypothesis of the theorem): paper
# RNN $N = 3$, $d = 2$, $f = 0.3\tanh$, $g = \tanh$; inputs of Example 2.4 with
# $\lambda = 0.5$; a Lipschitz target $\tanh(w\cdot x)$ plus $U[-0.1, 0.1]$ noise.

# %%
N, d, c_f, lam = 3, 2, 0.3, 0.5
model = PaperRNN(N, d, c_f=c_f, c_g=1.0)
params = model.init_params(1)
process = DataProcess(ExampleChain(d, lam, 0.5), LipschitzTarget.random(d, noise=0.1, rng=0))
report = check_assumptions(N, d, c_f, 1.0, "tanh", lam, process.chain.C_x)
rho_bar = report.rho_bar
print(
    f"rho = {report.rho:.4f}, lam = {lam}, rho_bar = {rho_bar:.4f}; hypotheses hold: "
    f"{report.hypotheses_hold}"
)

# %% [markdown]
# ## 1. Contraction rates
#
# Synchronous coupling: the point law ($X_0 = 0$, $S_0 = 0$, zero sensitivities) against the
# uniform law on the a-priori box, all coordinates, second-order process. Independent
# coupling: inputs started at $+1$ and $-1$, exact W1 of the first input coordinate (it
# contracts at $\lambda$).

# %%
jp2 = JointProcess(model, params, process, order=2)
x0 = jp2.flatten(jp2.initial(K, rng=31, law="point"))
y0 = jp2.flatten(jp2.initial(K, rng=32, law="box"))
sync = estimate_contraction_rate(jp2.markov_step, x0, y0, 60, coupling="synchronous", rng=33)

jp1 = JointProcess(model, params, process, order=1)
K1 = 4 * K
a = jp1.flatten(jp1.initial(K1, rng=34, law="point", x0=np.ones(d)))
b = jp1.flatten(jp1.initial(K1, rng=35, law="point", x0=-np.ones(d), S0=np.ones(N)))
indep = estimate_contraction_rate(
    jp1.markov_step,
    a,
    b,
    15,
    coupling="independent",
    rng=36,
    blocks={**jp1.blocks, "X0": slice(0, 1)},
    block="X0",
    min_points=4,
)
print("synchronous:", sync.summary())
print("independent:", indep.summary())

# %%
plot_contraction(
    {"synchronous": sync, "independent (X0)": indep},
    rho_bar=rho_bar,
    lam=lam,
    title="Contraction of the joint process (Prop. 3.1 / Thm 3.11 of [P1])",
)
plt.show()

# %% [markdown]
# A measured rate above $\bar\rho$ would contradict Proposition 3.1; below it, the gap shows how
# conservative the constant $\rho$ is.

# %%
for label, est in (("synchronous", sync), ("independent", indep)):
    print(
        f"{label:12s} rate {est.rate:.4f}, CI [{est.rate_ci[0]:.4f}, {est.rate_ci[1]:.4f}] "
        f"<= rho_bar {rho_bar:.4f}: {est.rate_ci[0] <= rho_bar}"
    )

# %% [markdown]
# ## 2. Convergence to the stationary law
#
# Two ensembles, from the point law at $X_0 = (1, 1)$ and from the box, against a reference
# ensemble run for three burn-in times ($\bar\rho^{\,\text{burn-in}} < 10^{-6}$); the W1
# distance on $(X, S)$ falls to the floor given by two independent reference ensembles.

# %%
burn = burn_in_for(rho_bar, 1e-6)
T = 3 * burn
block = ["X", "S"]
ref = jp1.run(jp1.initial(K, rng=110), T, rng=111)
ref2 = jp1.run(jp1.initial(K, rng=112, law="box"), T, rng=113)
floor = w1_empirical(jp1.flatten(ref, block), jp1.flatten(ref2, block))
curves = {}
every = max(1, T // 30)
for law, seed in (("point", 115), ("box", 116)):
    kw = {"x0": np.ones(d)} if law == "point" else {}
    z = jp1.initial(K, rng=seed, law=law, **kw)
    dist = [w1_empirical(jp1.flatten(z, block), jp1.flatten(ref, block))]
    jp1.run(
        z,
        T,
        rng=seed + 10,
        every=every,
        callback=lambda zt, dist=dist: dist.append(
            w1_empirical(jp1.flatten(zt, block), jp1.flatten(ref, block))
        ),
    )
    curves[law] = dist

fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
for law, dist in curves.items():
    steps = np.minimum(np.arange(len(dist)) * every, T)
    ax.semilogy(steps, dist, "o-", ms=3, label=f"from the {law} law")
ax.axhline(floor, color="k", ls=":", label=f"floor (two reference ensembles) {floor:.3g}")
ax.set_xlabel("step t")
ax.set_ylabel("W1 on (X, S) to the reference")
ax.set_title(f"Theorem 3.11: both starts reach the stationary law (K = {K})")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Marginals of the hidden state under the stationary law, from the two reference ensembles
# (started from different laws).

# %%
plot_marginals(
    {
        **{f"S_{i + 1} (ref, point start)": ref.S[:, i] for i in range(N)},
        **{f"S_{i + 1} (ref2, box start)": ref2.S[:, i] for i in range(N)},
    },
    bins=30,
    title="Stationary marginals of S",
)
plt.show()

# %% [markdown]
# ## 3. Time averages = ensemble averages
#
# One trajectory, after burn-in, against the reference ensemble: the mean of each $S_i$ and
# of the loss, with batch-means standard errors.

# %%
series = []
one = jp1.run(jp1.initial(1, rng=117), burn, rng=118)
n_time = 20 * (200 if QUICK else 1000)
jp1.run(one, n_time, rng=119, callback=lambda zt: series.append(np.r_[zt.S[0], jp1.loss(zt)[0]]))
series = np.asarray(series)
ensemble = np.c_[ref.S, jp1.loss(ref)]
cmp = time_vs_ensemble(series, ensemble)
names = [f"S_{i + 1}" for i in range(N)] + ["loss"]
for j, name in enumerate(names):
    print(
        f"{name:5s} time {cmp.time_mean[j]:+.4f} +- {cmp.time_se[j]:.4f}   ensemble "
        f"{cmp.ensemble_mean[j]:+.4f} +- {cmp.ensemble_se[j]:.4f}   z = {cmp.z[j]:+.2f}"
    )
print(ensemble_summary(ref.S).mean)

# %% [markdown]
# The verification suite checks the same two statements with these set-ups and seeds:
# `rtrl-theory verify --only prop-3.1 thm-3.11`.
