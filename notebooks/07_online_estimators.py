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
# # 07 - Online gradient estimators and their stationary bias
#
# Exact RTRL carries the influence $J_t = \partial S_t/\partial\vartheta$ (N x P numbers) and
# its update direction $\tilde G$ has stationary mean $\nabla L(\theta)$ (Theorem 3.16 of
# [P1]). Cheaper online estimators replace $J_t$ by an approximation: UORO and KF-RTRL by random
# low-rank factors (unbiased), SnAp-n, e-prop, RFLO and the immediate term by a sparse or
# truncated recursion (biased), TBPTT($\tau$) by a restart every $\tau$ steps. All of them live in
# `rtrl_theory.online` and advance from the cell's linearization, like the exact engine.
#
# What decides where online training with an estimator A ends up is its **stationary bias**
# $b_A(\theta) = E_{\pi_A}[\tilde G_A] - \nabla L(\theta)$, under the stationary law that A
# itself creates. `stationary_bias` measures it against exact RTRL on the same particles
# (common random numbers).
#
# `QUICK` (default on; `RTRL_THEORY_QUICK=0` for the full sizes) sets the number of particles
# and steps.

# %%
import itertools
import os

import matplotlib.pyplot as plt
import numpy as np

from rtrl_theory.online import (
    UORO,
    bias_setup,
    graph_diameter,
    recurrence_graph,
    stationary_bias,
    stationary_bias_table,
)
from rtrl_theory.plotting import plot_estimator_costs

QUICK = os.environ.get("RTRL_THEORY_QUICK", "1") == "1"
print("quick mode" if QUICK else "full mode")

# %% [markdown]
# ## 1. Unbiased by construction: one UORO step, averaged over its signs
#
# UORO keeps $\tilde J = \tilde s\tilde\theta^\top$ and mixes in a random sign vector
# $\nu\in\{\pm1\}^N$. Averaging one step over **all** $2^N$ sign vectors gives exactly
# $D_t\tilde J + I_t$, RTRL's recursion: the estimator is unbiased step by step.

# %%
model, params, process = bias_setup("paper", 4, 0)
th, tc = model.split(model.flatten(params))
rng = np.random.default_rng(0)
lin = model.cell.linearize(
    model.cell.prepare(tc), rng.uniform(0, 1, (1, 4)), rng.normal(size=(1, 2))
)
est = UORO(model)
st = est.initial(1)
for v in st.arrays.values():
    v[:] = rng.normal(size=v.shape)


class Signs:  # a stand-in generator that returns a chosen sign vector
    def __init__(self, bits):
        self.bits = np.array(bits)

    def integers(self, lo, hi, size):
        return self.bits.reshape(size)


mean = np.mean(
    [est.influence(est.advance(st, lin, Signs(b)))[0] for b in itertools.product([0, 1], repeat=4)],
    axis=0,
)
D = lin.state_jac.dense()[0]
target = est.influence(st)[0] @ D.T  # (D J~)^T in the engine's layout
# add the immediate term: UORO with theta~ = 0 and s~ = 0 leaves exactly nu nu^T I, mean I
zero = est.initial(1)
imm = np.mean(
    [
        est.influence(est.advance(zero, lin, Signs(b)))[0]
        for b in itertools.product([0, 1], repeat=4)
    ],
    axis=0,
)
print("max |E[one step] - (D J~ + I)| =", np.abs(mean - (target + imm)).max())

# %% [markdown]
# ## 2. The stationary-bias table on [P1]'s RNN and on an Elman network
#
# One row per estimator: relative bias with its 95% interval, cosine with $\nabla L$, the same
# two on the cell parameters only (the head's gradient is exact in every estimator), the ratio of
# the per-step variance to exact RTRL's, the measured cost per particle and step, and the memory.

# %%
algos = ["exact", "uoro", "kf-rtrl", "snap-1", "snap-2", "rflo", "eprop", "immediate", "tbptt-8"]
sizes = (
    dict(n_particles=32, n_steps=200, burn_in=50)
    if QUICK
    else dict(n_particles=256, n_steps=2000, burn_in=200)
)
tables = {}
for name in ("paper", "elman"):
    model, params, process = bias_setup(name, 4 if QUICK else 8, 0)
    tables[name] = stationary_bias_table(model, params, process, algos, rng=1, **sizes)
    print(f"{name}: |grad L| = {np.linalg.norm(tables[name][0].grad_L):.3g}")
    for e in tables[name]:
        print(
            f"  {e.estimator:<10} rel bias {e.rel_bias:9.3g} [{e.rel_bias_ci[0]:.2g}, "
            f"{e.rel_bias_ci[1]:.2g}]  cos {e.cosine:.5f}  rel bias (cell) {e.rel_bias_cell:8.3g}"
            f"  cos (cell) {e.cosine_cell:8.5f}  var ratio {e.variance_ratio:6.3g}"
            f"  cost {1e6 * e.cost_per_step:6.2f} us  memory {e.memory}"
        )

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (name, table) in zip(axes, tables.items(), strict=True):
    plot_estimator_costs(table, ax=ax, title=name)
plt.show()

# %% [markdown]
# On [P1]'s RNN inside the theorem's hypotheses ($c_f = 0.5/N$) the recurrence is weak: the
# readout's gradient dominates $\nabla L$ and every estimator's bias is small; on the Elman
# network the recurrence matters and the estimators separate. RFLO's random feedback makes its
# cell direction nearly orthogonal (or opposite) to the true one there.
#
# ## 3. SnAp-n on a ring: exact once $n - 1$ reaches the diameter
#
# An Elman network whose recurrent matrix is a directed ring of 5 neurons has a recurrence graph
# of diameter 4. SnAp-5 keeps every entry of $J$ that can be nonzero: it is exact RTRL; SnAp-4
# misses the farthest ones.

# %%
from rtrl_theory.cells import ElmanParams, ElmanRNN  # noqa: E402
from rtrl_theory.data import DataProcess, GaussianInputs, TeacherTarget  # noqa: E402


def ring(N, seed):
    r = np.random.default_rng(seed)
    W = np.zeros((N, N))
    W[(np.arange(N) + 1) % N, np.arange(N)] = r.uniform(0.5, 0.9, N) * r.choice([-1, 1], N)
    return ElmanParams(
        r.normal(size=N) / np.sqrt(N), r.normal(size=(N, 2)), W, 0.1 * r.normal(size=N)
    )


N = 5
ring_model = ElmanRNN(N, 2, activation="tanh", bias=True)
student, teacher = ring(N, 0), ring(N, 1)
ring_process = DataProcess(GaussianInputs(2, 1.0), TeacherTarget(ring_model, teacher, noise=0.1))
_, tc = ring_model.split(ring_model.flatten(student))
lin = ring_model.cell.linearize(ring_model.cell.prepare(tc), np.zeros((1, N)), np.zeros((1, 2)))
print("diameter of the ring:", graph_diameter(recurrence_graph(lin.state_jac)))
ring_sizes = (
    dict(n_particles=32, n_steps=100, burn_in=20)
    if QUICK
    else dict(n_particles=256, n_steps=1000, burn_in=100)
)
for n in range(1, N + 1):
    e = stationary_bias(ring_model, student, ring_process, f"snap-{n}", rng=2, **ring_sizes)
    print(f"SnAp-{n}: max |bias| = {np.abs(e.bias).max():.2e}, rel bias {e.rel_bias:.2e}")

# %% [markdown]
# ## 4. Known answer on a linear system
#
# For the linear SDE (7.1) on linear data, the stationary mean of every linear sensitivity
# recursion is a closed form (`rtrl_theory.oracles`, an augmented Lyapunov equation). The meter's
# SnAp-1 bias sits on it within its confidence interval.

# %%
from rtrl_theory import LinearSDE  # noqa: E402
from rtrl_theory.data import AR1Chain, linear_sde_teacher  # noqa: E402
from rtrl_theory.oracles import (  # noqa: E402
    linear_sensitivity_map,
    linear_stationary,
    stationary_update_mean,
)

t = linear_sde_teacher(2, 1, rng=0, dt=0.3, dof=20)
lin_process = DataProcess(AR1Chain(1, 0.5), t.target(noise=0.2))
lin_model = LinearSDE(2, 1, dt=0.3)
lin_params = lin_model.init_params(1)
grad = linear_stationary(lin_model, lin_params, lin_process).grad
closed = (
    stationary_update_mean(
        lin_model,
        lin_params,
        lin_process,
        sensitivity=linear_sensitivity_map(lin_model, lin_params, "snap-1"),
    )
    - grad
)
lin_sizes = (
    dict(n_particles=200, n_steps=600, burn_in=60)
    if QUICK
    else dict(n_particles=800, n_steps=2400, burn_in=60)
)
e = stationary_bias(lin_model, lin_params, lin_process, "snap-1", rng=3, **lin_sizes)
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
idx = np.arange(grad.size)
ax.errorbar(idx, e.bias, 2 * e.bias_stderr, fmt="o", label="meter (2 s.e.)")
ax.plot(idx, closed, "kx", label="closed form (oracle)")
ax.set_xlabel("parameter (C, vec A, vec B)")
ax.set_ylabel("SnAp-1 stationary bias")
ax.legend(fontsize=8)
plt.show()
print("max |z| =", np.max(np.abs((e.bias - closed)[2:] / e.bias_stderr[2:])))

# %% [markdown]
# ## 5. Where training ends up (a first look at issue 13, item 4)
#
# Online SGD with a biased estimator A settles where its stationary mean vanishes,
# $E_{\pi_A}[\tilde G_A](\theta_A) = 0$, that is where $\nabla L(\theta_A) = -b_A(\theta_A)$:
# the gradient left at the end of training is the estimator's own stationary bias. On the linear
# system both sides are closed forms at the final parameters (no Monte Carlo); what remains,
# $|E[\tilde G_A](\theta_{end})|$, is the SGD noise floor, the same for exact RTRL.

# %%
from rtrl_theory.oracles import tbptt_expected_gradient  # noqa: E402
from rtrl_theory.runners import PowerSchedule, train_online  # noqa: E402

n_train = 20_000 if QUICK else 200_000
schedule = PowerSchedule(eta0=0.05, t0=2000, gamma=0.75)
print(
    f"{'estimator':<10} {'|grad L(end)|':>14} {'|b_A(end)|':>11} {'|E G_A(end)|':>13} {'cos(grad L, -b_A)':>18}"
)
for algo in ("exact", "immediate", "snap-1", "tbptt-4"):
    run = train_online(
        lin_model, lin_params, lin_process, n_train, schedule=schedule, algo=algo, rng=3
    )
    th_end = lin_model.flatten(run.params)
    g_end = linear_stationary(lin_model, th_end, lin_process).grad
    if algo == "exact":
        m_end = g_end
    elif algo == "tbptt-4":
        m_end = tbptt_expected_gradient(lin_model, th_end, lin_process, 4).mean_gradient
    else:
        D = linear_sensitivity_map(lin_model, th_end, algo)
        m_end = stationary_update_mean(lin_model, th_end, lin_process, sensitivity=D)
    b_end = m_end - g_end
    nb = np.linalg.norm(b_end)
    cos = float(-(g_end @ b_end) / (np.linalg.norm(g_end) * nb)) if nb > 0 else float("nan")
    print(
        f"{algo:<10} {np.linalg.norm(g_end):14.4g} {nb:11.4g} {np.linalg.norm(m_end):13.3g} {cos:18.4f}"
    )
