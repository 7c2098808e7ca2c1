r"""The synthetic experiments of [P1] Section 7 (Figs. 1-9): set-ups, the sweep, the plots.

Every Section 7 figure compares online RTRL ((2.24)-(2.26) of [P1], with mini-batches of
sequences) and TBPTT(tau) trained by RMSprop with a decaying learning rate, over a grid of initial
learning rates :math:`\eta_0` and truncations tau, on data from a teacher network of the
student's own class (THEORY.md section 10). [P1]'s numbers were lost with its formulas; the
choices below are the project's and are the same for all these figures unless a figure's own
docstring says otherwise:

* **Sizes.** N = 10 hidden units, d = 5 inputs: "relatively small models" ([P1] Section 7), with
  110 (Elman), 160 (linear) and 260 (neural SDE) parameters, where RTRL's O(N P) sensitivity
  update per step costs about as much as TBPTT(1) in the NumPy engine.
* **Mini-batch** B = 8 sequences: the gradient noise falls by about :math:`\sqrt 8` while a step
  of the batched engine costs about 1.3 times a single-sequence step.
* **Horizon** 60 000 steps per run (480 000 sequence-steps), loss curves in 100 windows of 600
  steps. This is what the time budget allows (a figure in at most about ten minutes on two
  cores: 5 learning rates x 5 algorithms x 3 replicates = 75 runs).
* **Optimizer.** RMSprop (beta = 0.9, eps = 1e-8; :class:`rtrl_theory.runners.RMSprop`) with
  :math:`\eta_t = \eta_0 / \sqrt{1 + t/t_0}`, :math:`t_0` = 1% of the horizon, so the step size
  falls tenfold over a run. The power 1/2 is the usual decay for adaptive methods, whose step is
  :math:`\eta_t` per coordinate whatever the gradient's size; it is not a Robbins-Monro schedule
  (:math:`\sum\eta_t^2 = \infty`), which is why the runs pass ``allow_non_robbins_monro=True``.
  Assumption 2.14 and Theorem 2.15 of [P1] concern plain SGD; RMSprop is outside them anyway
  (THEORY.md section 9, item 4).
* **Grid.** :math:`\eta_0 \in \{3\cdot10^{-4}, 10^{-3}, 3\cdot10^{-3}, 10^{-2}, 3\cdot10^{-2}\}`
  (two decades, half-decade steps: from too slow to unstable for these problems, the same grid
  for every figure so that no problem gets a hand-picked range) and
  :math:`\tau \in \{1, 5, 10, 20\}`: from one step to about the teachers' relaxation time (the
  slowest mode of the default Wishart teacher decays in about :math:`1/(\Delta\lambda_{\min})
  \approx 100` steps, see :func:`rtrl_theory.data.wishart_matrix`).
* **TBPTT convention** (:mod:`rtrl_theory.runners._trainer`): non-overlapping blocks of tau
  steps, one RMSprop update per block (with the block's summed gradient; RMSprop makes the sum
  vs mean choice irrelevant up to eps). At equal :math:`\eta_0`, TBPTT(tau) therefore makes tau
  times fewer updates than RTRL over the same data, as in the usual TBPTT implementations.
* **Replicates.** 3 replicates; replicate r draws the teacher, the student's initial parameters
  and the data stream from SeedSequence child r of the figure's seed, and all configurations of a
  replicate share them (common random numbers: differences between algorithms at one replicate
  are not seed noise).
* **Plots.** :math:`\log_{10}` of the loss averaged over windows of 1% of the horizon, thin lines
  for the replicates and a bold line for their median. A run whose loss, parameters or RMSprop
  state become non-finite is recorded as diverged: its curve stops there, with a cross, and it
  counts as :math:`+\infty` in the medians (so a median curve stops when most replicates have
  diverged). Panels are clipped 1.5 decades above the median first-window loss, so blow-ups leave
  them at the top. The last panel gives each configuration's final loss (last window) against
  :math:`\eta_0`: dots per replicate, lines through the medians.

Quick mode (tests): N = 4, d = 2, B = 4, 800 steps, :math:`\eta_0 \in \{10^{-3}, 10^{-2}\}`,
:math:`\tau \in \{1, 4\}`, one replicate.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from rtrl_theory import ElmanRNN, LinearSDE, NeuralSDE
from rtrl_theory.data import elman_teacher, linear_sde_teacher, neural_sde_teacher
from rtrl_theory.runners import PowerSchedule, SweepSpec, run_sweep, sweep_to_arrays, train_online

try:
    from . import _common
except ImportError:  # run as a script from paper_figures/
    import _common

__all__ = [
    "Setup",
    "setup",
    "run_one_factory",
    "compute_sweep",
    "plot_grid",
    "plot_rtrl",
    "summary",
    "figure",
    "HALVES",
]

KINDS = ("linear", "elman", "neural_sde")


@dataclass(frozen=True)
class Setup:
    """One Section 7 experiment (see the module docstring for the reasons behind each value)."""

    kind: str
    n_hidden: int
    n_input: int
    activation: str | None
    teacher_gamma: float | None
    u_std: float | None
    input_std: float
    dt: float | None
    batch_size: int
    n_steps: int
    window: int
    eta0s: tuple
    taus: tuple
    n_replicates: int
    schedule_power: float = 0.5
    t0_fraction: float = 0.01

    def to_dict(self) -> dict:
        d = asdict(self)
        d["eta0s"], d["taus"] = list(self.eta0s), list(self.taus)
        return d

    @property
    def t0(self) -> float:
        return self.t0_fraction * self.n_steps

    def spec(self, *, rtrl: bool = True, tbptt: bool = True) -> SweepSpec:
        return SweepSpec(
            self.eta0s,
            self.taus if tbptt else (),
            n_replicates=self.n_replicates,
            include_rtrl=rtrl,
        )


#: The Elman experiments of Figs. 3-8 (the reasons are in the figure scripts' docstrings).
ELMAN_RELU = {"activation": "relu", "teacher_gamma": 0.3}
ELMAN_TANH = {"activation": "tanh", "teacher_gamma": 0.3}
ELMAN_TANH_GAMMA2 = {"activation": "tanh", "teacher_gamma": 1.0}


def setup(kind: str, quick: bool, **overrides) -> Setup:
    """The shared set-up of ``kind`` ("linear", "elman", "neural_sde"), with ``overrides``."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    if quick:  # tests: seconds per figure
        sizes = dict(n_hidden=4, n_input=2, batch_size=4, n_steps=800, window=40)
        sizes.update(eta0s=(1e-3, 1e-2), taus=(1, 4), n_replicates=1)
    else:
        sizes = dict(n_hidden=10, n_input=5, batch_size=8, n_steps=60_000, window=600)
        sizes.update(eta0s=(3e-4, 1e-3, 3e-3, 1e-2, 3e-2), taus=(1, 5, 10, 20), n_replicates=3)
    base = Setup(
        kind=kind,
        activation=None if kind == "linear" else "tanh",
        teacher_gamma=None if kind == "linear" else 0.4,
        # Elman: std of U*'s entries, 1/sqrt(d) so that U* X_t has unit variance per unit.
        u_std=1.0 / math.sqrt(sizes["n_input"]) if kind == "elman" else None,
        input_std=1.0,
        dt=None if kind == "elman" else 0.1,
        **sizes,
    )
    return replace(base, **overrides)


def _teacher_and_student(s: Setup, rng):
    N, d = s.n_hidden, s.n_input
    if s.kind == "linear":
        return linear_sde_teacher(N, d, rng, dt=s.dt), LinearSDE(N, d, dt=s.dt)
    if s.kind == "elman":
        teacher = elman_teacher(
            N, d, rng, activation=s.activation, gamma=s.teacher_gamma, input_std=s.u_std
        )
        # (7.4) has no bias: the student is the teacher's class exactly.
        return teacher, ElmanRNN(N, d, activation=s.activation, bias=False)
    teacher = neural_sde_teacher(N, d, rng, dt=s.dt, activation=s.activation, gamma=s.teacher_gamma)
    return teacher, NeuralSDE(N, d, dt=s.dt, activation=s.activation)


def run_one_factory(s: Setup):
    """``run_one(config, rng) -> TrainResult`` for :func:`rtrl_theory.runners.run_sweep`.

    The replicate's Generator is split (``rng.spawn(3)``) into the teacher's draw, the student's
    initial parameters and the data stream, so they are the same for every configuration of the
    replicate.
    """

    def run_one(config, rng):
        r_teacher, r_init, r_data = rng.spawn(3)
        teacher, model = _teacher_and_student(s, r_teacher)
        params = model.init_params(r_init)
        schedule = PowerSchedule(config.eta0, s.t0, s.schedule_power)
        return train_online(
            model,
            params,
            teacher.process(s.input_std),
            s.n_steps,
            schedule=schedule,
            algo=config.algo,
            tau=config.tau,
            optimizer="rmsprop",
            batch_size=s.batch_size,
            rng=r_data,
            # RMSprop's step-size decay eta0 / sqrt(1 + t / t0) is not Robbins-Monro (module
            # docstring); Assumption 2.14 concerns SGD, which these experiments do not use.
            allow_non_robbins_monro=True,
        )

    return run_one


def compute_sweep(
    s: Setup,
    rng,
    *,
    rtrl: bool = True,
    tbptt: bool = True,
    cache_dir=None,
    recompute: bool = False,
    progress: bool = False,
    n_jobs: int | None = None,
    dask_scheduler: str | None = None,
) -> dict:
    """Run the sweep of ``s`` and return its arrays (:func:`rtrl_theory.runners.sweep_to_arrays`).

    The sweep's root seed is the first draw of ``rng``; runs are cached in
    ``cache_dir/<kind>`` under keys that include the whole set-up, so two figures drawing the same
    set-up with the same seed (an RTRL figure and its TBPTT companion) share their runs.
    ``n_jobs`` and ``dask_scheduler`` (default: the script's ``--jobs`` and ``--dask-scheduler``,
    :func:`paper_figures._common.sweep_options`) choose where the runs execute; the results do not
    depend on them.
    """
    options = _common.sweep_options()
    n_jobs = options["n_jobs"] if n_jobs is None else n_jobs
    dask_scheduler = options["dask_scheduler"] if dask_scheduler is None else dask_scheduler
    if dask_scheduler is not None:
        # Dask workers need not have paper_figures on their path (it runs from the repository
        # root): ship this module's functions to them by value; rtrl_theory is imported there.
        import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    seed = int(rng.integers(2**63))
    context = {"experiment": "paper_figures/_section7", "setup": s.to_dict()}
    runs = run_sweep(
        s.spec(rtrl=rtrl, tbptt=tbptt).configs(),
        run_one_factory(s),
        seed=seed,
        window=s.window,
        cache_dir=None if cache_dir is None else Path(cache_dir) / s.kind,
        context=context,
        recompute=recompute,
        progress=progress,
        n_jobs=n_jobs,
        dask_scheduler=dask_scheduler,
    )
    data = sweep_to_arrays(runs)
    data["window"] = np.array(s.window)
    data["n_steps"] = np.array(s.n_steps)
    data["sweep_seed"] = np.array(seed, dtype=np.uint64)
    data["setup_json"] = np.array(json.dumps(s.to_dict(), sort_keys=True))
    return data


# ------------------------------------------------------------------------------------------------
# reading the arrays
# ------------------------------------------------------------------------------------------------
def _setup_of(data) -> dict:
    return json.loads(str(data["setup_json"]))


def _labels(data, algos=("rtrl", "tbptt")) -> list[tuple[str, int]]:
    """(algo, tau) pairs present, RTRL first then increasing tau."""
    pairs = {(str(a), int(t)) for a, t in zip(data["algo"], data["tau"], strict=True)}
    pairs = [p for p in pairs if p[0] in algos]
    return sorted(pairs, key=lambda p: (p[0] != "rtrl", p[1]))


def _label(algo: str, tau: int) -> str:
    return "RTRL" if algo == "rtrl" else f"TBPTT({tau})"


def _color(algo: str, tau: int):
    return _common.RTRL_COLOR if algo == "rtrl" else _common.tbptt_color(tau)


def _select(data, algo, tau, eta0) -> np.ndarray:
    return np.flatnonzero(
        (data["algo"] == algo) & (data["tau"] == tau) & np.isclose(data["eta0"], eta0)
    )


def _log10(x):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.log10(np.asarray(x, dtype=float))


def _final_log_losses(data, idx) -> np.ndarray:
    """log10 of each run's last-window loss; +inf for a diverged run."""
    out = []
    for i in idx:
        if str(data["status"][i]) != "completed":
            out.append(math.inf)
            continue
        row = data["loss"][i]
        k = int(np.count_nonzero(~np.isnan(row)))
        out.append(float(_log10(row[k - 1])) if k else math.inf)
    return np.asarray(out)


def _ylim(data) -> tuple[float, float]:
    ll = _log10(data["loss"])
    finite = ll[np.isfinite(ll)]
    if finite.size == 0:
        return -1.0, 1.0
    # The top is 1.5 decades above the typical (median) first-window loss, not the largest: a
    # run that blows up within its first window would otherwise squash every other curve.
    first = ll[:, 0][np.isfinite(ll[:, 0])]
    lo = float(finite.min()) - 0.15
    hi = float(np.median(first) if first.size else np.median(finite)) + 1.5
    return lo, max(hi, lo + 1.0)


def _draw_runs(ax, data, idx, color, label, ylim, *, lw=1.6, ls="-", thin=True):
    """Replicates as thin lines, their median log-loss bold, crosses where runs diverged.

    A diverged run counts as +inf after its stop, so the median stops when most replicates have
    diverged (the statistic of the summary panel).
    """
    window = int(data["window"])
    lo, hi = ylim
    ll = _log10(data["loss"][idx])
    x = data["steps"][idx] + window / 2
    if thin and len(idx) > 1:
        for j in range(len(idx)):
            ax.plot(x[j], ll[j], color=color, lw=0.6, alpha=0.35, ls=ls)
    med = np.median(np.where(np.isnan(ll), np.inf, ll), axis=0)
    alive = np.isfinite(med)
    k = int(np.argmin(alive)) if not alive.all() else alive.size
    # RTRL's median on top: it is the curve every panel compares the others with
    z = 3 if color == _common.RTRL_COLOR else 2
    xm = np.arange(k) * window + window / 2  # window i of every run starts at i * window
    ax.plot(xm, med[:k], color=color, lw=lw, ls=ls, label=label, zorder=z)
    for j, i in enumerate(idx):
        if str(data["status"][i]) == "diverged":
            row = ll[j][np.isfinite(ll[j])]
            y = float(row[-1]) if row.size else hi
            y = min(max(y, lo), hi - 0.03 * (hi - lo))
            ax.plot(
                [max(int(data["stopped_at"][i]), 1)],
                [y],
                marker="x",
                ms=6,
                mew=1.6,
                color=color,
                ls="none",
                clip_on=False,
            )


def _summary_panel(ax, data, pairs, ylim):
    """Final windowed log-loss (median over replicates) against eta0; crosses = diverged."""
    eta0s = np.unique(data["eta0"])
    lo, hi = ylim
    for algo, tau in pairs:
        med = []
        for e in eta0s:
            finals = _final_log_losses(data, _select(data, algo, tau, e))
            ok = finals[np.isfinite(finals)]
            ax.plot([e] * ok.size, ok, ".", color=_color(algo, tau), ms=3, alpha=0.5, clip_on=True)
            med.append(float(np.median(finals)) if finals.size else math.nan)
        med = np.asarray(med)
        fin = np.isfinite(med)
        ax.plot(eta0s, np.where(fin, med, np.nan), "o-", color=_color(algo, tau), ms=3.5)
        if (~fin).any():
            ax.plot(
                eta0s[~fin],
                np.full((~fin).sum(), hi - 0.03 * (hi - lo)),
                "x",
                color=_color(algo, tau),
                ms=6,
                mew=1.6,
                clip_on=False,
            )
    ax.set_xscale("log")
    ax.set_ylim(lo, hi)
    ax.set_xlabel(r"initial learning rate $\eta_0$")
    ax.set_ylabel(r"final $\log_{10}$ loss (median)")
    ax.set_title("end of training (x: median run diverged)")


def _describe(s: dict) -> str:
    kind = {"linear": "linear RNN", "elman": "Elman", "neural_sde": "neural SDE"}[s["kind"]]
    parts = [kind]
    if s["kind"] != "linear":
        parts.append(s["activation"])
    if s.get("teacher_gamma") is not None:
        parts.append(rf"$\gamma$ = {s['teacher_gamma']:g}")
    if s["input_std"] != 1.0:
        parts.append(f"input std {s['input_std']:g}")
    parts.append(f"N = {s['n_hidden']}, d = {s['n_input']}, B = {s['batch_size']}")
    parts.append(rf"RMSprop, $\eta_t = \eta_0/\sqrt{{1 + t/{s['n_steps'] * s['t0_fraction']:g}}}$")
    parts.append(f"{s['n_replicates']} replicate(s)")
    return ", ".join(parts)


@_common.styled
def plot_grid(data, title: str, *, algos=("rtrl", "tbptt"), reference_rtrl: bool = False):
    """One panel per initial learning rate (log-loss against step) and a summary panel.

    ``algos`` selects the algorithms drawn; ``reference_rtrl`` adds RTRL's mean curve as a dashed
    reference (the TBPTT figures of an RTRL/TBPTT pair).
    """
    s = _setup_of(data)
    eta0s = np.unique(data["eta0"])
    pairs = _labels(data, algos)
    ylim = _ylim(data)
    n = eta0s.size + 1
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig, axes = _common.new_figure(nrows, ncols, width=3.3, height=2.6)
    flat = list(axes.flat)
    for ax, e in zip(flat, eta0s, strict=False):
        if reference_rtrl:
            idx = _select(data, "rtrl", 0, e)
            if idx.size:
                _draw_runs(
                    ax, data, idx, "0.45", "RTRL (median)", ylim, lw=1.2, ls="--", thin=False
                )
        for algo, tau in pairs:
            _draw_runs(
                ax, data, _select(data, algo, tau, e), _color(algo, tau), _label(algo, tau), ylim
            )
        ax.set_ylim(*ylim)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 3))
        ax.set_title(rf"$\eta_0$ = {e:g}")
        ax.set_xlabel("step t")
        ax.set_ylabel(r"$\log_{10}$ loss (window mean)")
    summary_pairs = pairs + ([("rtrl", 0)] if reference_rtrl and ("rtrl", 0) not in pairs else [])
    _summary_panel(flat[eta0s.size], data, summary_pairs, ylim)
    for ax in flat[n:]:
        ax.set_visible(False)
    handles, labels = flat[0].get_legend_handles_labels()
    if reference_rtrl:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color=_common.RTRL_COLOR, marker="o", ms=3.5))
        labels.append("RTRL (summary)")
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6))
    fig.suptitle(f"{title}\n{_describe(s)}", fontsize=9)
    return fig


@_common.styled
def plot_rtrl(data, title: str):
    """RTRL only: one curve per initial learning rate (light to dark red) and the summary."""
    s = _setup_of(data)
    eta0s = np.unique(data["eta0"])
    ylim = _ylim(data)
    fig, axes = _common.new_figure(1, 2, width=3.8, height=2.9)
    ax, ax_sum = axes[0]
    for i, e in enumerate(eta0s):
        _draw_runs(
            ax,
            data,
            _select(data, "rtrl", 0, e),
            _common.lr_color(i, eta0s.size),
            rf"$\eta_0$ = {e:g}",
            ylim,
        )
    ax.set_ylim(*ylim)
    ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 3))
    ax.set_xlabel("step t")
    ax.set_ylabel(r"$\log_{10}$ loss (window mean)")
    ax.set_title("RTRL, one curve per initial learning rate")
    ax.legend(loc="upper right")
    _summary_panel(ax_sum, data, [("rtrl", 0)], ylim)
    fig.suptitle(f"{title}\n{_describe(s)}", fontsize=9)
    return fig


def summary(data) -> str:
    """End-of-run numbers: per eta0, RTRL's and the best TBPTT's median final log10 loss."""
    lines = ["eta0      RTRL final   best TBPTT (tau) final   diverged runs"]
    pairs = _labels(data)
    for e in np.unique(data["eta0"]):
        rt = _final_log_losses(data, _select(data, "rtrl", 0, e))
        best, best_tau = math.inf, None
        for algo, tau in pairs:
            if algo != "tbptt":
                continue
            m = float(np.median(_final_log_losses(data, _select(data, algo, tau, e))))
            if m < best:
                best, best_tau = m, tau
        sel = np.isclose(data["eta0"], e)
        div = [
            f"{_label(str(a), int(t))}"
            for a, t, st in zip(
                data["algo"][sel], data["tau"][sel], data["status"][sel], strict=True
            )
            if str(st) == "diverged"
        ]
        rt_s = f"{np.median(rt):+.2f}" if rt.size else "  n/a"
        tb_s = f"{best:+.2f} ({best_tau})" if best_tau is not None else "n/a"
        lines.append(f"{e:<9g} {rt_s:>10}   {tb_s:>22}   {', '.join(div) or '-'}")
    best = {}
    for algo, tau in pairs:
        for e in np.unique(data["eta0"]):
            m = float(np.median(_final_log_losses(data, _select(data, algo, tau, e))))
            key = "RTRL" if algo == "rtrl" else "TBPTT"
            if m < best.get(key, (math.inf,))[0]:
                best[key] = (m, f"{_label(algo, tau)} at eta0 = {e:g}")
    lines.append(
        "best over the grid: "
        + "; ".join(
            f"{k} {v[0]:+.2f} ({v[1]})"
            for k, v in sorted(best.items(), key=lambda kv: kv[0] != "RTRL")
        )
    )
    lines.append(
        f"(median over replicates of log10 of the mean loss over the last {int(data['window'])} "
        "steps; inf = diverged)"
    )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# the figure factory
# ------------------------------------------------------------------------------------------------
#: What a Section 7 script draws: the whole sweep ("both": RTRL and TBPTT(tau) side by side),
#: the RTRL half ("rtrl", Figs. 3, 5, 7) or the TBPTT half ("tbptt", Figs. 4, 6, 8: RTRL's
#: median as a dashed reference, its runs read from the companion's run cache).
HALVES = ("both", "rtrl", "tbptt")


def figure(module_name: str, title: str, kind: str, *, half: str = "both", **overrides):
    """Make the module ``module_name`` a Section 7 figure script; return its ``main``.

    A script calls it last, as ``main = _section7.figure(__name__, TITLE, kind, ...)``; executed
    as a script (``module_name == "__main__"``) it also runs the figure on the command line's
    flags (:func:`paper_figures._common.script_main`).

    The script keeps its caption (the module docstring) and its preset (the arguments); this
    installs the contract of :mod:`paper_figures._common` on it: ``NAME`` (the file's stem, which
    names its outputs and caches), ``TITLE``, ``DEFAULT_SEED`` (7, shared by all Section 7
    figures), ``VERSION`` (1), ``settings(quick)``, ``compute(quick, rng, *, cache_dir,
    recompute, progress)``, ``plot(data)``, ``summary(data)`` and ``main(argv)``.

    Parameters
    ----------
    module_name : str
        The script's ``__name__`` (``"__main__"`` when it runs as a script).
    title : str
        The figure's title, drawn above its panels.
    kind : {"linear", "elman", "neural_sde"}
        The model class of (7.1), (7.4) or (7.6) of [P1] (:func:`setup`).
    half : {"both", "rtrl", "tbptt"}
        Which part of the sweep the figure computes and draws (:data:`HALVES`).
    **overrides
        Fields of :class:`Setup` that differ from the shared set-up (e.g. ``input_std=5.0``).

    Returns
    -------
    callable
        ``main(argv=None) -> dict``, :func:`paper_figures._common.run_figure` on the module.
    """
    if half not in HALVES:
        raise ValueError(f"half: expected one of {HALVES}, got {half!r}")
    setup(kind, True, **overrides)  # a wrong kind or field fails at import, not mid-run
    module = sys.modules[module_name]

    def settings(quick: bool) -> dict:
        return setup(kind, quick, **overrides).to_dict()

    def compute(quick, rng, *, cache_dir=None, recompute=False, progress=False) -> dict:
        return compute_sweep(
            setup(kind, quick, **overrides),
            rng,
            tbptt=half != "rtrl",
            cache_dir=cache_dir,
            recompute=recompute,
            progress=progress,
        )

    compute.__doc__ = {
        "both": "Run the sweep (RTRL and TBPTT(tau) at each eta0, every replicate).",
        "rtrl": "Run the RTRL half of the sweep (each eta0, every replicate).",
        "tbptt": "Run the whole sweep; the RTRL runs come from the companion's run cache.",
    }[half]

    def plot(data):
        if half == "rtrl":
            return plot_rtrl(data, title)
        if half == "tbptt":
            return plot_grid(data, title, algos=("tbptt",), reference_rtrl=True)
        return plot_grid(data, title)

    for function in (settings, compute, plot):
        function.__module__, function.__qualname__ = module.__name__, function.__name__
    names = dict(NAME=Path(module.__file__).stem, TITLE=title, DEFAULT_SEED=7, VERSION=1)
    names.update(settings=settings, compute=compute, plot=plot, summary=summary)
    for name, value in names.items():
        setattr(module, name, value)
    module.main = _common.script_main(module_name)  # runs it when the script is executed
    return module.main
