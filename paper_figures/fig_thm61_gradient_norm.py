r"""Theorem 6.1 of [P1] in a figure: :math:`|\nabla L(\theta_t)|` along online RTRL and TBPTT runs.

What it shows. Theorem 6.1 of [P1]: under Assumptions 2.3, 2.10 and 2.14 the online RTRL
parameters (2.24)-(2.26) satisfy :math:`|\nabla L(\theta_t)| \to 0`, where L is the limit loss
of Section 3.3 (the fluctuation of (2.28) averaging out). The figure draws, against the training
step t (log-log), the debiased norm :math:`|\nabla L(\theta_t)|` estimated at checkpoints by
particles of the joint process at the frozen parameter (Theorem 3.16), with its Monte Carlo floor
(dotted: a norm below it cannot be told from 0), for RTRL and for TBPTT(1) and TBPTT(4) trained
in the same way; the limit loss :math:`L(\theta_t)` with its standard error; and the
:math:`\eta`-weighted running mean of the fluctuation, which must tend to 0. RTRL's norm should
keep falling (about like :math:`t^{-1/2}`, the spread of SGD around the stationary point, the
dashed guide); TBPTT's should stop on a plateau set by its truncation bias. In the full run
TBPTT(1) does (its ``|grad L|`` stays near 0.07, and its limit loss rises again after 1e5 steps as
the biased updates carry it away from the stationary point), while TBPTT(4) follows RTRL to
within the Monte Carlo resolution over 1e6 steps: with a one-step delay and sensitivities that
contract by :math:`N C_f/4 \approx 0.27` per step, a 4-step truncation leaves a bias below what
these estimates resolve. [P1] has no such
figure: it illustrates the theorem the project checks (``rtrl-theory verify --only thm-6.1``).

Choices. The set-up is the check's, :func:`rtrl_theory.estimators.theorem_6_1_setup`, inside the
theorem's hypotheses: paper RNN N = 3, d = 2, :math:`f = 0.36\tanh` (:math:`\rho < 1`),
:math:`g = \tanh`, inputs of Example 2.4 with :math:`\lambda = 0.5`, a delay-line teacher
:math:`Y_t = w\cdot X_{t-1} + \eta_t` (memory, so truncation matters), plain SGD with the
Robbins-Monro schedule :math:`\eta_t = 0.5/(1 + t/20000)`. Full mode uses the check's full sizes
(``proofs_checks/thm_6_1_convergence.py``): RTRL 4e6 steps, TBPTT(1) 1e6 steps, 14 geometric
checkpoints, 400 particles x 300 steps after a burn-in of 60, and seed 61, so the RTRL and TBPTT(1)
curves are the check's full-mode runs; TBPTT(4) (1e6 steps) is added to show that a longer
truncation lowers, but does not remove, the plateau. TBPTT runs are shorter because the NumPy
TBPTT engine costs about 50-100 us per step against about 3 us for the compiled RTRL kernel.
Quick mode: 1e4 / 2e3 steps, 3 checkpoints, 40 particles x 30 steps.
"""

from __future__ import annotations

import sys

import numpy as np

try:
    from . import _common
except ImportError:  # run as a script: python paper_figures/fig_thm61_gradient_norm.py
    import _common

NAME = "fig_thm61_gradient_norm"
DEFAULT_SEED = 61
VERSION = 1
TITLE = r"Theorem 6.1 of [P1]: $|\nabla L(\theta_t)| \to 0$ along online RTRL; TBPTT(1) plateaus"


def settings(quick: bool) -> dict:
    if quick:
        runs = {"RTRL": ["rtrl", None, 10_000], "TBPTT(1)": ["tbptt", 1, 2_000]}
        runs["TBPTT(4)"] = ["tbptt", 4, 2_000]
        return {
            "runs": runs,
            "checkpoints": 3,
            "n_particles": 40,
            "n_steps": 30,
            "burn_in": 10,
        }
    return {
        "runs": {
            "RTRL": ["rtrl", None, 4_000_000],
            "TBPTT(1)": ["tbptt", 1, 1_000_000],
            "TBPTT(4)": ["tbptt", 4, 1_000_000],
        },
        "checkpoints": 14,
        "n_particles": 400,
        "n_steps": 300,
        "burn_in": 60,
    }


def compute(quick, rng, *, progress=False) -> dict:
    """Train each algorithm and trace L and grad L at geometric checkpoints."""
    from rtrl_theory.estimators import theorem_6_1_experiment

    s = settings(quick)
    runs = {k: (a, t, int(n)) for k, (a, t, n) in s["runs"].items()}
    out = theorem_6_1_experiment(
        runs,
        checkpoints=s["checkpoints"],
        n_particles=s["n_particles"],
        n_steps=s["n_steps"],
        burn_in=s["burn_in"],
        rng=rng,
        progress=progress,
    )
    data = {"labels": np.array(list(out), dtype=str)}
    for i, (res, tr) in enumerate(out.values()):
        data[f"steps_{i}"] = tr.steps
        data[f"grad_norm_{i}"] = tr.grad_norm
        data[f"grad_floor_{i}"] = tr.grad_floor
        data[f"loss_{i}"] = tr.loss
        data[f"loss_se_{i}"] = tr.loss_se
        data[f"fluct_running_{i}"] = tr.fluct_running
        data[f"status_{i}"] = np.array(res.status)
        data[f"train_wall_{i}"] = np.array(res.wall_time)
    return data


def _color(label: str):
    if label == "RTRL":
        return _common.RTRL_COLOR
    return _common.tbptt_color(int(label[label.index("(") + 1 : -1]))


@_common.styled
def plot(data):
    fig, axes = _common.new_figure(1, 3, width=3.4, height=3.0)
    ax_g, ax_l, ax_f = axes[0]
    labels = [str(x) for x in data["labels"]]
    for i, label in enumerate(labels):
        c = _color(label)
        t = data[f"steps_{i}"] + 1.0
        g, floor = data[f"grad_norm_{i}"], data[f"grad_floor_{i}"]
        pos = g > 0
        ax_g.plot(t[pos], g[pos], "o-", color=c, ms=3.5, label=label)
        ax_g.plot(t, floor, ":", color=c, lw=1.0)
        ax_l.errorbar(
            t, data[f"loss_{i}"], yerr=2 * data[f"loss_se_{i}"], fmt="o-", color=c, ms=3,
            capsize=2, label=label,
        )  # fmt: skip
        fr = data[f"fluct_running_{i}"]
        ax_f.plot(t[1:], fr, "o-", color=c, ms=3, label=label)
    i_rtrl = labels.index("RTRL") if "RTRL" in labels else None
    if i_rtrl is not None:
        t = data[f"steps_{i_rtrl}"] + 1.0
        g = data[f"grad_norm_{i_rtrl}"]
        t_end, g_end = t[-1], g[-1]
        if g_end > 0:
            tt = np.geomspace(t[1] if t.size > 1 else t[0], t_end, 20)
            ax_g.plot(tt, g_end * (tt / t_end) ** -0.5, "--", color="0.4", lw=1.0,
                      label=r"$\propto t^{-1/2}$")  # fmt: skip
    from matplotlib.lines import Line2D

    handles, names = ax_g.get_legend_handles_labels()
    handles.append(Line2D([], [], ls=":", color="0.3"))
    names.append("Monte Carlo floor")
    fig.legend(handles, names, loc="outside lower center", ncols=len(names))
    for ax in (ax_g, ax_l, ax_f):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training step t + 1")
    ax_g.set_ylabel(r"$|\nabla L(\theta_t)|$ (debiased)")
    ax_g.set_title("gradient of the limit loss")
    ax_l.set_ylabel(r"$L(\theta_t)$ ($\pm$ 2 s.e.)")
    ax_l.set_title("limit loss")
    ax_f.set_ylabel("norm of the running mean")
    ax_f.set_title("fluctuation of (2.28), running mean")
    fig.suptitle(
        f"{TITLE}\npaper RNN N = 3, d = 2, delay-line teacher, SGD "
        r"$\eta_t = 0.5/(1 + t/20000)$",
        fontsize=9,
    )
    return fig


def summary(data) -> str:
    lines = []
    for i, label in enumerate(str(x) for x in data["labels"]):
        g, fl = data[f"grad_norm_{i}"], data[f"grad_floor_{i}"]
        L = data[f"loss_{i}"]
        fall = g[0] / g[-1] if g[-1] > 0 else float("inf")
        lines.append(
            f"{label:9s} t_end={int(data[f'steps_{i}'][-1]):>8d}  |grad L| {g[0]:.3g} -> "
            f"{g[-1]:.3g} (fall {fall:.1f}x, {g[-1] / fl[-1]:.1f} x floor {fl[-1]:.2g})  "
            f"L {L[0]:.4g} -> {L[-1]:.4g}  fluct {data[f'fluct_running_{i}'][-1]:.2g}  "
            f"[{data[f'status_{i}']}]"
        )
    return "\n".join(lines)


def main(argv=None):
    return _common.run_figure(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
