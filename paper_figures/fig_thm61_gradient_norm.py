r"""Theorem 6.1 of [P1] in a figure: :math:`|\nabla L(\theta_t)|` over seeds, and the descent
decomposition (2.28), (5.1) along training.

What it shows. Left: the check's statistic (``proofs_checks/thm_6_1_convergence.py``, version 2):
at each checkpoint of an early and a late window, the square root of the seed mean of the unbiased
estimates :math:`Q_s(t) = |\hat g|^2 - \sum se^2` of :math:`|\nabla L(\theta_t)|^2` (markers;
bars: +- one standard error across seeds, which includes the Monte Carlo noise), for online RTRL
and for the negative control (RTRL at the constant rate :math:`\eta_0`, outside Assumption 2.14;
in full mode also TBPTT(1), whose truncation bias makes it plateau); the spread law
:math:`E|\nabla L|^2 \propto \eta_t` through the early window (solid), and the allowance
c = 2 of criterion (A) (dashed); the legend gives the slope between the windows with its 95%
Fieller interval and the expected slope. The Monte Carlo floor is dotted. Middle: along RTRL runs on a linear-Gaussian system with the
closed-form stationary oracle (``rtrl_theory.oracles``), the cumulative descent
:math:`\sum_s -\eta_s|\nabla L|^2`, the cumulative fluctuation
:math:`\sum_s -\eta_s\nabla L\cdot(\tilde G_s - \nabla L)` and the cumulative remainder
:math:`\sum_s R_s` (Lemma 5.5: :math:`|R_s| \le C\eta_s^2`) against t (mean over seeds,
gamma = 1). Right: the root mean square over seeds of the fluctuation partial sums
:math:`|\sum_{s<T}\eta_s(\tilde G_s - \nabla L(\theta_s))|` against :math:`\sum_{s<T}\eta_s^2`
for three schedules (gamma = 0.6, 0.8, 1), with the martingale guide :math:`\propto
(\sum\eta^2)^{1/2}` (Prop. 5.1, Lemmas 5.2-5.4).

Choices. Left: the check's set-up (:func:`rtrl_theory.estimators.theorem_6_1_setup`: a
leaky-trace target whose lifted chain contracts in one step, lam_xi = 0.85, rho = 0.945,
:math:`\eta_t = 0.5/(1 + t/1000)`) and sizes (``proofs_checks/thm_6_1_convergence.py``: 12 seeds
x 4e4 steps, windows of 6 checkpoints; full 32 with TBPTT(1)). Middle and right: the systems of
``proofs_checks/_decomposition.py`` (LinearSDE N = 2, AR(1) inputs, linear teacher,
:math:`\eta_t = 0.1 (1 + t/20)^{-\gamma}`), 3 seeds x 200 steps (full 12 x 2000). Quick mode:
3 seeds x 6000 steps on the left (windows at 1000 + 100 j and 6000 - 250 j, 4 checkpoints),
2 seeds x 100 steps elsewhere.
"""

from __future__ import annotations

import numpy as np

try:
    from . import _common
except ImportError:  # run as a script: python paper_figures/fig_thm61_gradient_norm.py
    import _common

NAME = "fig_thm61_gradient_norm"
DEFAULT_SEED = 0
VERSION = 3
TITLE = r"Theorem 6.1 of [P1]: $|\nabla L(\theta_t)| \to 0$ along online RTRL, over seeds"


def settings(quick: bool) -> dict:
    if quick:
        return {"n_seeds": 3, "n_train": 6000, "t_fit": 1000, "n_window": 4, "early": 100,
                "late": 250, "n_const": 2, "n_tbptt": 0, "n_particles": 25, "n_steps": 60,
                "dec_seeds": 2, "dec_train": 100}
    return {"n_seeds": 32, "n_train": 40_000, "t_fit": 4000, "n_window": 6, "early": 250,
            "late": 1000, "n_const": 8, "n_tbptt": 4, "n_particles": 100, "n_steps": 300,
            "dec_seeds": 12, "dec_train": 2000}


GAMMAS = (0.6, 0.8, 1.0)


def _stats_arrays(prefix, st, data):
    data[f"{prefix}_steps"] = np.r_[st.early_steps, st.late_steps]
    data[f"{prefix}_q"] = st.q
    data[f"{prefix}_noise2"] = st.noise2
    data[f"{prefix}_slope"] = np.array(st.slope_interval(0.95))
    data[f"{prefix}_expected"] = np.array(st.expected_slope())
    data[f"{prefix}_ratio"] = np.array(st.predicted_ratio())
    # the spread law's shape of E|grad L|^2 along the checkpoints: eta_t^(2e) of the set-up
    from rtrl_theory.estimators import _convergence

    steps = data[f"{prefix}_steps"].astype(float)
    data[f"{prefix}_law"] = np.asarray(st.schedule(steps)) ** (2 * _convergence.SGD_SPREAD_EXPONENT)


def compute(quick, rng, *, progress=False) -> dict:
    """Multi-seed gradient traces and control(s); decompositions on a linear-Gaussian system."""
    from rtrl_theory import LinearSDE, oracles
    from rtrl_theory.data import AR1Chain, DataProcess, linear_sde_teacher
    from rtrl_theory.estimators import descent_decomposition, theorem_6_1_windows
    from rtrl_theory.runners import PowerSchedule, train_online

    s = settings(quick)
    base = int(np.random.default_rng(rng).integers(0, 2**31))
    mc = dict(n_particles=s["n_particles"], n_steps=s["n_steps"], t_fit=s["t_fit"],
              n_train=s["n_train"], n_window=s["n_window"], early_spacing=s["early"],
              late_spacing=s["late"])  # fmt: skip
    data = {}
    st = theorem_6_1_windows(range(base, base + s["n_seeds"]), **mc)
    _stats_arrays("rtrl", st, data)
    const = theorem_6_1_windows(
        range(base + 300, base + 300 + s["n_const"]), schedule=PowerSchedule(0.5, 1.0, 0.0), **mc,
    )  # fmt: skip
    _stats_arrays("const", const, data)
    if s["n_tbptt"]:
        tb = theorem_6_1_windows(
            range(base + 500, base + 500 + s["n_tbptt"]), algo="tbptt", tau=1, **mc
        )
        _stats_arrays("tbptt", tb, data)
    teacher = linear_sde_teacher(2, 1, rng=0, dt=0.3, dof=20)
    process = DataProcess(AR1Chain(1, 0.5), teacher.target(noise=0.2))
    model = LinearSDE(2, 1, dt=0.3)
    params = model.init_params(1)

    def oracle(theta):
        o = oracles.linear_stationary(model, theta, process)
        return o.loss, o.grad, o.hessian

    for gamma in GAMMAS:
        sched = PowerSchedule(0.1, 20.0, gamma)
        D, F, R, S = [], [], [], []
        for k in range(s["dec_seeds"]):
            res = train_online(model, params, process, s["dec_train"], schedule=sched,
                               rng=np.random.default_rng([base, k, int(100 * gamma)]),
                               record_every=1)  # fmt: skip
            d = descent_decomposition(res, sched, oracle)
            D.append(np.cumsum(d.descent))
            F.append(np.cumsum(d.fluctuation))
            R.append(np.cumsum(d.remainder))
            S.append(np.linalg.norm(np.cumsum(d.eta[:, None] * d.noise, axis=0), axis=1))
            eta = d.eta
        g = f"g{int(100 * gamma)}"
        data[f"{g}_cum_descent"] = np.mean(D, axis=0)
        data[f"{g}_cum_fluct"] = np.mean(F, axis=0)
        data[f"{g}_cum_remainder"] = np.mean(R, axis=0)
        data[f"{g}_rms_S"] = np.sqrt(np.mean(np.square(S), axis=0))
        data[f"{g}_sum_eta2"] = np.cumsum(eta**2)
    return data


@_common.styled
def plot(data):
    fig, axes = _common.new_figure(1, 3, width=3.4, height=3.0)
    ax_g, ax_d, ax_s = axes[0]
    groups = [("rtrl", "RTRL", _common.RTRL_COLOR), ("const", r"RTRL, constant $\eta_0$", "0.5")]
    if "tbptt_q" in data:
        groups.append(("tbptt", "TBPTT(1)", _common.tbptt_color(1)))
    for key, label, c in groups:
        t = data[f"{key}_steps"].astype(float)
        Q = data[f"{key}_q"]
        m = Q.mean(axis=0)
        se = Q.std(axis=0, ddof=1) / np.sqrt(Q.shape[0]) if Q.shape[0] > 1 else 0 * m
        y = np.sqrt(np.maximum(m, 1e-300))
        lo = np.sqrt(np.maximum(m - se, 1e-300))
        hi = np.sqrt(np.maximum(m + se, 1e-300))
        slope = data[f"{key}_slope"]
        ax_g.errorbar(t, y, yerr=[y - lo, hi - y], fmt="o", color=c, ms=3, lw=0.8,
                      label=f"{label}: slope {slope[0]:.2f} [{slope[1]:.2f}, {slope[2]:.2f}]")
        ax_g.plot(t, np.sqrt(data[f"{key}_noise2"].mean(axis=0)), ":", color=c, lw=1.0)
    t = data["rtrl_steps"].astype(float)
    J = t.size // 2
    Q = data["rtrl_q"]
    s_star = float(data["rtrl_expected"])
    shape = data["rtrl_law"]  # eta_t^(2e) of the set-up's schedule
    law = np.mean(Q[:, :J]) * shape / np.mean(shape[:J])
    ax_g.plot(t, np.sqrt(law), "-", color="0.3", lw=1.0,
              label=rf"$E|\nabla L|^2 \propto \eta_t$ (slope {s_star:.2f})")
    ax_g.plot(t[J:], np.sqrt(2.0 * law[J:]), "--", color="0.3", lw=0.8,
              label="allowance c = 2 of (A)")
    ax_g.set_xscale("log")
    ax_g.set_yscale("log")
    ax_g.set_xlabel("training step t")
    ax_g.set_ylabel(r"$\sqrt{\mathrm{mean}_s\, Q_s(t)}$ ($\pm$ se; dotted: floor)")
    ax_g.set_title("Theorem 6.1 over seeds")
    ax_g.legend(fontsize=6)
    t = np.arange(1, data["g100_cum_descent"].size + 1)
    ax_d.plot(t, data["g100_cum_descent"], label=r"descent $\sum -\eta|\nabla L|^2$")
    ax_d.plot(t, data["g100_cum_fluct"], label=r"fluctuation $\sum -\eta\nabla L\cdot(v - Pv)$")
    ax_d.plot(t, data["g100_cum_remainder"], label=r"remainder $\sum R_t$")
    ax_d.axhline(0.0, color="0.6", lw=0.6)
    ax_d.set_xscale("log")
    ax_d.set_xlabel("step t")
    ax_d.set_ylabel(r"cumulative change of $L(\theta_t)$")
    ax_d.set_title(r"decomposition (2.28), (5.1); $\gamma = 1$")
    ax_d.legend(fontsize=6)
    for gamma in GAMMAS:
        g = f"g{int(100 * gamma)}"
        ax_s.plot(data[f"{g}_sum_eta2"], data[f"{g}_rms_S"], label=rf"$\gamma = {gamma:g}$")
    v = data["g60_sum_eta2"]
    ref = data["g60_rms_S"][-1]
    ax_s.plot(v, ref * np.sqrt(v / v[-1]), "--", color="0.4", lw=1.0,
              label=r"$\propto (\sum\eta^2)^{1/2}$")  # fmt: skip
    ax_s.set_xscale("log")
    ax_s.set_yscale("log")
    ax_s.set_xlabel(r"$\sum_{s<T}\eta_s^2$")
    ax_s.set_ylabel(r"RMS $|\sum_{s<T}\eta_s(\tilde G_s - \nabla L)|$")
    ax_s.set_title("fluctuation sums (Prop. 5.1)")
    ax_s.legend(fontsize=6)
    fig.suptitle(
        f"{TITLE}\nleft: paper RNN N = 3, leaky-trace target (lam_xi = 0.85), "
        r"$\eta_t = 0.5/(1 + t/1000)$; middle, right: linear-Gaussian system, closed-form oracle",
        fontsize=9,
    )
    return fig


def summary(data) -> str:
    lines = []
    for key in ("rtrl", "const", "tbptt"):
        if f"{key}_q" not in data:
            continue
        sl = data[f"{key}_slope"]
        Q = data[f"{key}_q"]
        J = Q.shape[1] // 2
        lines.append(
            f"{key:6s} seeds={Q.shape[0]} t_end={int(data[f'{key}_steps'][-1])} ratio of seed "
            f"means {Q[:, J:].mean() / Q[:, :J].mean():.3f} (spread law "
            f"{float(data[f'{key}_ratio']):.3f}); slope {sl[0]:.3f} [{sl[1]:.3f}, {sl[2]:.3f}] "
            f"(expected {float(data[f'{key}_expected']):.3f})"
        )
    for gamma in GAMMAS:
        g = f"g{int(100 * gamma)}"
        lines.append(
            f"gamma {gamma:g}: cum descent {data[f'{g}_cum_descent'][-1]:.4f}, fluctuation "
            f"{data[f'{g}_cum_fluct'][-1]:.4f}, remainder {data[f'{g}_cum_remainder'][-1]:.2e}, "
            f"RMS|S_T| {data[f'{g}_rms_S'][-1]:.3f}, sum eta^2 {data[f'{g}_sum_eta2'][-1]:.3f}"
        )
    return "\n".join(lines)


main = _common.script_main(__name__)
