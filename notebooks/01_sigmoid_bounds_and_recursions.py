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
# # 01 - Sigmoid bounds (Lemma 2.9) and the symbolic forward recursions (2.20)-(2.23)
#
# [P1] (Lam, Sirignano, Spiliopoulos, arXiv:2501.08040) builds its a-priori bounds on the
# suprema of the derivatives of the sigmoid and of the bounded maps $f, g$ (Lemma 2.9). This
# notebook
#
# 1. derives $\sup|\sigma^{(n)}|$, $\sup|\tanh^{(n)}|$ and the constants of the bounded maps
#    exactly with SymPy, confirmed by interval arithmetic (`rtrl_theory.symbolic`), and draws
#    the derivatives against their suprema;
# 2. proves symbolically that the forward recursions (2.20)-(2.23) (RTRL's sensitivities) are
#    the derivatives of the unrolled network, and cross-checks the numerical engine against the
#    lambdified SymPy expressions;
# 3. runs the corresponding checks of the verification suite.
#
# **Quick mode.** `QUICK` (default on; environment variable `RTRL_THEORY_QUICK=0` for the full
# sizes) selects the sizes of the checks; quick mode runs in seconds.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from scipy.special import expit

from rtrl_theory.symbolic import derive_activation_bounds, prove_recursions, verify_recursions

QUICK = os.environ.get("RTRL_THEORY_QUICK", "1") == "1"
print("quick mode" if QUICK else "full mode")

# %% [markdown]
# ## 1. Exact suprema of the derivatives
#
# `derive_activation_bounds` writes $h^{(n)}$ as a polynomial $P_n$ of $u = h(x)$, finds the
# critical points of $P_n$ on the range of $h$ exactly, and confirms every supremum with
# interval arithmetic on a cover of the real line.

# %%
settings = {"n_pieces": 16, "dps": 30} if QUICK else {"n_pieces": 256, "dps": 60}
bounds = derive_activation_bounds(4, bounded_n_max=3, **settings)
print(f"all confirmed by interval arithmetic: {bounds.all_confirmed}")
print(f"{'map':<16}{'n':>3}  {'exact sup':<42}{'float':>12}  interval")
for e in bounds.entries:
    print(
        f"{e.map:<16}{e.order:>3}  {str(e.sup):<42}{e.sup_float:>12.6g}  "
        f"{'yes' if e.interval_confirmed else 'NO'}"
    )

# %% [markdown]
# Lemma 2.9 claims $\sup|\sigma'| = 1/4$, $\sup|\sigma''| = \sqrt3/18$,
# $\sup|\sigma'''| = 1/8$:

# %%
claimed = {1: sp.Rational(1, 4), 2: sp.sqrt(3) / 18, 3: sp.Rational(1, 8)}
for n, value in claimed.items():
    derived = bounds.get("sigmoid", n).sup
    print(
        f"sigma^({n}): derived {derived}, claimed {value}, equal: {sp.simplify(derived - value) == 0}"
    )

# %% [markdown]
# The derivatives of the sigmoid, drawn from the derived polynomials $P_n(\sigma(x))$, with the
# derived suprema (dashed) and where they are attained (dots).

# %%
x = np.linspace(-8, 8, 801)
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for n in (1, 2, 3, 4):
    e = bounds.get("sigmoid", n)
    P = sp.lambdify(e.var, e.poly, "numpy")
    (line,) = ax.plot(x, P(expit(x)), label=rf"$\sigma^{{({n})}}$")
    ax.axhline(e.sup_float, color=line.get_color(), ls="--", lw=0.8)
    ax.axhline(-e.sup_float, color=line.get_color(), ls="--", lw=0.8)
    for u in e.argmax:
        xs = float(sp.log(u / (1 - u)))  # sigma^{-1}(u)
        ax.plot([xs], [P(float(u))], "o", color=line.get_color(), ms=4)
ax.set_xlabel("x")
ax.set_title(r"Derivatives of the sigmoid and their exact suprema (Lemma 2.9 of [P1])")
ax.legend(ncols=4, fontsize=8)
plt.show()

# %% [markdown]
# ## 2. The forward recursions are the derivatives of the unrolled network
#
# `prove_recursions` unrolls the paper RNN symbolically for a few steps with generic
# $\sigma, f, g$ and shows that $J_t$ (and $H_t$ at order 2) from the recursions (2.20)-(2.23)
# minus the SymPy derivative of $S_t$ expands to zero.

# %%
proof = prove_recursions(2, 2, 2 if QUICK else 3, order=1 if QUICK else 2, method="expand")
print(f"N, d, T = {proof.sizes}, order {proof.order}")
for name, n in proof.n_entries.items():
    print(f"  {name}: {n} entries, {proof.n_nonzero[name]} differences not identically zero")

# %% [markdown]
# `verify_recursions` repeats the proof (also for a single step from a generic state: the
# induction step) and evaluates the lambdified expressions against the NumPy and compiled
# engines at random points.

# %%
rng = np.random.default_rng(20221)
if QUICK:
    verification = verify_recursions(
        [(2, 2, 3)], rng=rng, order=1, methods=("expand",), n_points=2, tol=1e-12
    )
else:
    verification = verify_recursions(
        [(2, 2, 3), (3, 3, 4)], rng=rng, order=2, methods=("expand", "poly"), n_points=5
    )
print(verification.describe())
print("passed:", verification.passed)

# %% [markdown]
# ## 3. The checks of the verification suite
#
# The same statements as `rtrl-theory verify --only lemma-2.9 eq-2.20` checks them.

# %%
from rtrl_theory.checks import format_table, run_checks  # noqa: E402

results = run_checks(["lemma-2.9", "eq-2.20"], quick=QUICK)
print(format_table(results))
