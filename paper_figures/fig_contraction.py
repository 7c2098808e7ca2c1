r"""Contraction of the joint process (Proposition 3.1 / Theorem 3.11 of [P1]) against rho_bar.

What it shows. At a fixed parameter, the joint process :math:`Z_t = (X_t, \eta_t, S_t, J_t, H_t)`
of the data, the state and its first and second sensitivities is a Markov chain that contracts in
W1 at the geometric rate :math:`\bar\rho = \max(\lambda, \rho)` ((2.16), Proposition 3.1,
Theorem 3.11 of [P1]; :math:`\lambda` the input chain's contraction, :math:`\rho` Assumption
2.10's constant). Two ensembles of particles started from different laws are run with the same
noise (synchronous coupling: the mean max-norm distance, an upper bound on W1) and with
independent noise (independent coupling: the exact W1 of the first input coordinate by POT, a
lower bound on the joint W1); the distances are drawn on a log scale with their fitted geometric
rates (thick translucent segments), the finite-sample floor of the independent coupling, and the
bound :math:`d_0\bar\rho^t` (dashed) and :math:`d_0\lambda^t` (dash-dotted). A fitted rate above
:math:`\bar\rho` would contradict the proposition. [P1] has no such figure: it illustrates the
statement the project checks (``rtrl-theory contraction``).

Choices. The set-up is :class:`rtrl_theory.setups.PaperSetup` and the couplings are built exactly
as ``rtrl-theory contraction`` builds them (``rtrl_theory.setups.ContractionExperiment.run``, which
draws its generators from an integer seed, not from this script's spawned stream, so it is not
called here: point-mass vs uniform-on-the-a-priori-box initial laws for
the synchronous coupling, inputs started at +1 vs -1 for the independent one, second-order
states carried). Two set-ups, both inside the theorem's hypotheses, with inputs of Example 2.4
(:math:`\lambda = 0.5`, noise half-width 0.5) and a random Lipschitz target with noise 0.1:

* (a) the CLI's default, paper RNN N = 4, d = 2, :math:`c_f = 0.5/N`, :math:`c_g = 1`, tanh:
  :math:`\rho < \lambda`, so :math:`\bar\rho = \lambda` and the data's rate is the binding one;
* (b) N = 3, d = 2, :math:`c_f = 0.3` (the README's example, the regime of the Theorem 6.1
  set-up): :math:`\rho \approx 0.74 > \lambda`, so :math:`\bar\rho = \rho` and the bound is on the
  network's part; the gap between the measured rate and :math:`\rho` shows how conservative
  Assumption 2.10's constant is.

Full mode: 4000 particles per ensemble (the floor of the independent coupling falls like
:math:`K^{-1/2}`), 60 synchronous and 15 independent steps (the CLI's horizons: beyond them the
distances reach their floors); seed 0 (the CLI's default). Quick mode: 200 particles, 30 and 10
steps.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from paper_figures import _common

NAME = "fig_contraction"
DEFAULT_SEED = 0
VERSION = 1
TITLE = r"Contraction of the joint process $Z_t$ at fixed $\theta$ (Prop. 3.1 / Thm 3.11 of [P1])"

#: The two set-ups (module docstring).
SETUPS = {
    "a": {"n_hidden": 4, "n_input": 2, "c_f": 0.125, "c_g": 1.0, "bounded_map": "tanh"},
    "b": {"n_hidden": 3, "n_input": 2, "c_f": 0.3, "c_g": 1.0, "bounded_map": "tanh"},
}
DATA = {"lam": 0.5, "noise": 0.5, "target_noise": 0.1, "order": 2, "block": "X0"}


def settings(quick: bool) -> dict:
    sizes = (
        {"particles": 200, "steps": 30, "indep_steps": 10}
        if quick
        else {"particles": 4000, "steps": 60, "indep_steps": 15}
    )
    return {"setups": SETUPS, "data": DATA, **sizes}


def _couplings(cfg: dict, data: dict, sizes: dict, rng):
    """The synchronous and independent estimates of ``rtrl-theory contraction`` for one set-up."""
    from rtrl_theory.estimators import estimate_contraction_rate
    from rtrl_theory.setups import PaperConfig, PaperSetup

    rngs = rng.spawn(6)
    config = PaperConfig(
        **cfg, lam=data["lam"], noise=data["noise"], target_noise=data["target_noise"]
    )
    # target weights from rngs[0], initial parameters from rngs[1]; the joint process of order 2
    setup = PaperSetup.build(config, (rngs[0], rngs[1]), order=data["order"])
    model, report, jp = setup.model, setup.assumptions, setup.joint
    if not report.hypotheses_hold:
        raise ValueError(f"set-up {cfg}: outside the theorem's hypotheses (rho_bar undefined)")
    K = sizes["particles"]
    x0 = jp.flatten(jp.initial(K, rngs[2], law="point"))
    y0 = jp.flatten(jp.initial(K, rngs[3], law="box"))  # the CLI's law when the box exists
    sync = estimate_contraction_rate(
        jp.markov_step, x0, y0, sizes["steps"], coupling="synchronous", rng=rngs[4]
    )
    a = jp.flatten(jp.initial(K, rngs[2], law="point", x0=np.ones(model.n_input)))
    b = jp.flatten(
        jp.initial(K, rngs[3], law="point", x0=-np.ones(model.n_input), S0=np.ones(model.n_hidden))
    )
    indep = estimate_contraction_rate(
        jp.markov_step,
        a,
        b,
        sizes["indep_steps"],
        coupling="independent",
        rng=rngs[5],
        blocks={**jp.blocks, "X0": slice(0, 1)},
        block=data["block"],
        min_points=4,
    )
    return report, {"synchronous": sync, "independent": indep}


def compute(quick, rng) -> dict:
    """Both couplings for both set-ups; each set-up draws from its own spawned stream."""
    s = settings(quick)
    sizes = {k: s[k] for k in ("particles", "steps", "indep_steps")}
    out = {"setups": np.array(list(SETUPS), dtype=str)}
    for key, r in zip(SETUPS, rng.spawn(len(SETUPS)), strict=True):
        report, est = _couplings(SETUPS[key], DATA, sizes, r)
        out[f"{key}_rho_bar"] = np.array(report.rho_bar)
        out[f"{key}_rho"] = np.array(report.rho)
        out[f"{key}_lam"] = np.array(DATA["lam"])
        for name, e in est.items():
            p = f"{key}_{name}_"
            out[p + "distances"] = np.asarray(e.distances, dtype=float)
            out[p + "rate"] = np.array(e.rate)
            out[p + "rate_ci"] = np.asarray(e.rate_ci, dtype=float)
            out[p + "window"] = np.asarray(e.window, dtype=np.int64)
            out[p + "floor"] = np.array(e.floor)
    return out


def _estimates(data, key):
    """ContractionEstimate-like records (the fields ``plot_contraction`` reads)."""
    ests = {}
    for name in ("synchronous", "independent"):
        p = f"{key}_{name}_"
        ests[name] = SimpleNamespace(
            distances=data[p + "distances"],
            rate=float(data[p + "rate"]),
            rate_ci=tuple(float(v) for v in data[p + "rate_ci"]),
            window=tuple(int(v) for v in data[p + "window"]),
            floor=float(data[p + "floor"]),
        )
    return ests


@_common.styled
def plot(data):
    from rtrl_theory.plotting import plot_contraction

    keys = [str(k) for k in data["setups"]]
    fig, axes = _common.new_figure(1, len(keys), width=4.6, height=3.6)
    for ax, key in zip(axes[0], keys, strict=True):
        cfg = SETUPS[key]
        rho_bar, rho = float(data[f"{key}_rho_bar"]), float(data[f"{key}_rho"])
        plot_contraction(
            _estimates(data, key),
            rho_bar=rho_bar,
            lam=float(data[f"{key}_lam"]),
            ax=ax,
            title=(
                f"({key}) N = {cfg['n_hidden']}, c_f = {cfg['c_f']:g}: rho = {rho:.3f}, "
                f"rho_bar = {rho_bar:.3f}"
            ),
        )
        ax.legend(fontsize=6, loc="lower left")  # the decay runs top left to bottom right
    fig.suptitle(TITLE, fontsize=9)
    return fig


def summary(data) -> str:
    lines = []
    for key in (str(k) for k in data["setups"]):
        rb = float(data[f"{key}_rho_bar"])
        for name in ("synchronous", "independent"):
            p = f"{key}_{name}_"
            lo, hi = data[p + "rate_ci"]
            lines.append(
                f"({key}) {name:<12s} rate {float(data[p + 'rate']):.4f} [{lo:.4f}, {hi:.4f}]  "
                f"rho_bar {rb:.4f}  rho {float(data[f'{key}_rho']):.4f}"
            )
    return "\n".join(lines)


main = _common.script_main(__name__)  # and run it when executed as a script
