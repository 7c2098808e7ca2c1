r"""Stationary bias of online gradient estimators against their cost (issue 13; Theorem 3.16 of [P1]).

What it shows. At a fixed parameter, each online estimator A (UORO, KF-RTRL, SnAp-1/2, RFLO,
e-prop, the immediate term, TBPTT(8), exact RTRL) creates its own stationary law, under which its
update direction has mean :math:`E_{\pi_A}[\tilde G_A]`; exact RTRL's is :math:`\nabla L`
(Theorem 3.16 of [P1]). The stationary bias :math:`b_A = E_{\pi_A}[\tilde G_A] - \nabla L` is
measured by ``rtrl_theory.online.stationary_bias_table`` with exact RTRL on the same particles
(common random numbers). Panels (a) and (b) draw the measured cost per particle and step against
the relative bias :math:`|b_A|/|\nabla L|` with its 95% interval (hollow markers: bias not
resolved above the noise; exact RTRL and SnAp-2 on a dense network are exactly 0). Panel (c)
puts the cosine between :math:`E[\tilde G_A]` and :math:`\nabla L` beside the relative bias, on
the cell parameters (the head's gradient is exact in every estimator): two summaries of the same
vector, the cosine blind to the bias's component along :math:`\nabla L`. Points at the left edge
(1e-6) have a bias not resolved above the noise (0 after debiasing); their :math:`1 - \cos` is
the Monte Carlo noise of the estimated mean, not a bias.

Choices. (a) [P1]'s RNN, N = 8, d = 2, :math:`c_f = 0.5/N` (inside the theorem's hypotheses:
a weak recurrence, so every bias is small), Example 2.4 inputs, a teacher of the same class;
(b) Elman tanh, N = 8, the Section 7.2 teacher: a strong recurrence. Set-ups of
``rtrl_theory.online.bias_setup`` (seed 0), the student at its own initialisation. Full mode:
256 (a) and 128 (b) particles, 2000 and 1000 steps after a burn-in of 200 (the command
``rtrl-theory estimators`` at its defaults for (a)); quick mode: N = 3, 8 particles, 24 steps.
Costs are measured on a shared machine: indicative only.
"""

from __future__ import annotations

import numpy as np

try:
    from . import _common
except ImportError:  # run as a script: python paper_figures/fig_estimators.py
    import _common

NAME = "fig_estimators"
DEFAULT_SEED = 0
VERSION = 1
TITLE = "Stationary bias of online gradient estimators against cost (exact RTRL on the same data)"
ALGOS = ("exact", "uoro", "kf-rtrl", "snap-1", "snap-2", "rflo", "eprop", "immediate", "tbptt-8")
FIELDS = (
    "cost_per_step",
    "rel_bias",
    "rel_bias_ci",
    "cosine",
    "rel_bias_cell",
    "cosine_cell",
    "variance_ratio",
    "memory",
)


def settings(quick: bool) -> dict:
    if quick:
        runs = {
            "paper": {"n_hidden": 3, "particles": 8, "steps": 24, "burn_in": 8},
            "elman": {"n_hidden": 3, "particles": 8, "steps": 24, "burn_in": 8},
        }
    else:
        runs = {
            "paper": {"n_hidden": 8, "particles": 256, "steps": 2000, "burn_in": 200},
            "elman": {"n_hidden": 8, "particles": 128, "steps": 1000, "burn_in": 200},
        }
    return {"algos": list(ALGOS), "runs": runs}


def compute(quick, rng) -> dict:
    from rtrl_theory.online import bias_setup, stationary_bias_table

    s = settings(quick)
    out = {"models": np.array(list(s["runs"]), dtype=str), "algos": np.array(ALGOS, dtype=str)}
    for (name, run), r in zip(s["runs"].items(), rng.spawn(len(s["runs"])), strict=True):
        model, params, process = bias_setup(name, run["n_hidden"], 0)
        res = stationary_bias_table(
            model, params, process, ALGOS, n_particles=run["particles"], n_steps=run["steps"],
            burn_in=run["burn_in"], rng=r,
        )  # fmt: skip
        for f in FIELDS:
            out[f"{name}_{f}"] = np.array([getattr(e, f) for e in res], dtype=float)
        out[f"{name}_grad_norm"] = np.array(float(np.linalg.norm(res[0].grad_L)))
    return out


def _rows(data, name):
    algos = [str(a) for a in data["algos"]]
    rows = []
    for i, a in enumerate(algos):
        rows.append(
            {
                "estimator": a,
                "cost_per_step": float(data[f"{name}_cost_per_step"][i]),
                "rel_bias": float(data[f"{name}_rel_bias"][i]),
                "rel_bias_ci": tuple(float(v) for v in data[f"{name}_rel_bias_ci"][i]),
            }
        )
    return rows


@_common.styled
def plot(data):
    from rtrl_theory.plotting import plot_estimator_costs

    models = [str(m) for m in data["models"]]
    fig, axes = _common.new_figure(1, len(models) + 1, width=4.2, height=3.6)
    for ax, name, tag in zip(axes[0], models, "ab", strict=False):
        plot_estimator_costs(_rows(data, name), ax=ax, title=f"({tag}) {name}")
        ax.legend(fontsize=5, loc="lower left")
    ax = axes[0][-1]
    for name, marker in zip(models, "os", strict=False):
        x = np.maximum(data[f"{name}_rel_bias_cell"], 1e-6)
        y = 1.0 - data[f"{name}_cosine_cell"]
        ax.scatter(x, np.maximum(y, 1e-9), marker=marker, label=name)
        for a, xi, yi in zip(data["algos"], x, y, strict=True):
            ax.annotate(str(a), (xi, max(yi, 1e-9)), fontsize=6, xytext=(3, 2),
                        textcoords="offset points")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"relative bias on the cell parameters $|b_{cell}|/|\nabla_{cell} L|$")
    ax.set_ylabel(r"$1 - \cos(E[\tilde G_A], \nabla L)$ (cell)")
    ax.set_title("(c) cosine against stationary bias")
    ax.legend(fontsize=6)
    fig.suptitle(TITLE, fontsize=9)
    return fig


def summary(data) -> str:
    lines = []
    for name in (str(m) for m in data["models"]):
        lines.append(f"{name}: |grad L| = {float(data[f'{name}_grad_norm']):.4g}")
        for i, a in enumerate(data["algos"]):
            lines.append(
                f"  {a!s:<10} rel bias {data[f'{name}_rel_bias'][i]:.3g}  cosine "
                f"{data[f'{name}_cosine'][i]:.5f}  var ratio {data[f'{name}_variance_ratio'][i]:.3g}"
                f"  cost {1e6 * data[f'{name}_cost_per_step'][i]:.2f} us  memory "
                f"{int(data[f'{name}_memory'][i])}"
            )
    return "\n".join(lines)


main = _common.script_main(__name__)
