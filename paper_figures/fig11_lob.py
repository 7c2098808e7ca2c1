r"""Fig. 11 of [P1]: limit order book, RTRL against TBPTT(tau) for the next mid-price move.

What [P1]'s figure shows (Section 7.5). "A single-layer Elman recurrent network" with tanh
units reads "the previous price change and the current order book queue imbalance" at each order
book event and outputs, through a softmax, the probabilities that the mid price goes down, stays
or goes up at the next event; cross-entropy loss; "Figure 11 compares the training results from
TBPTT and RTRL" on about 180 million Amazon events (2014-2017, proprietary).

Choices (the paper's numbers were lost; the project's, documented here and in
:mod:`rtrl_theory.runners._real_data`, which the CLI ``rtrl-theory train --data lob`` shares):

* **Data.** The LOBSTER free sample, AMZN 2012-06-21, level 1 (57,515 events, one day: about
  3,000 times less than [P1]'s data, so the results are qualitative), from the data directory
  (``$RTRL_THEORY_DATA`` or ``../shared/data``). If the files are absent the figure uses a
  synthetic day of the queue-reactive generator (:func:`rtrl_theory.data.simulate_order_flow`,
  60,000 events) and says so in its title; an altered file is an error. Features
  (:func:`rtrl_theory.data.lob_features`): the previous mid change in ticks, clipped to
  :math:`\pm 5` ticks and divided by 5 (it reaches :math:`\pm 33` ticks on this day; 99% of the
  moves are within 6.5), and the level-1 queue imbalance in [-1, 1]. Labels: next mid move
  down / unchanged / up, in event time.
* **Split.** In time: the first 70% of the day (40,259 events, 9:30 to about 14:10) train, in
  order, one pass, batch 1; the remaining 17,255 events are held out and scored with the final
  parameters, after a warm-up of the state over the last 1,000 training events. The class balance
  shifts over the day (unchanged: 49.8% of the training part, 57.3% of the held-out part).
* **Model.** Elman, N = 10 tanh units (153 parameters), 2 dense inputs, softmax over 3 classes
  (:func:`rtrl_theory.runners._real_data.lob_model`).
* **Training.** RMSprop (beta = 0.999) with :math:`\eta_t = \eta_0/(1 + t/10^4)^{0.75}`,
  :math:`\eta_0 \in \{10^{-3}, 3\cdot10^{-3}, 10^{-2}\}` (on this day beta = 0.9 was worse for
  RTRL at every :math:`\eta_0`); RTRL against TBPTT(5) and TBPTT(20) (one update per block); 3
  initialisations (SeedSequence children of the seed), shared by all algorithms.
* **Baselines.** The class prior of the training part, and multinomial logistic regressions on
  the imbalance and on both (scaled) inputs, fitted on the training part by Newton's method
  (:mod:`rtrl_theory.data._lob_baselines`), scored on the same held-out events.
* **Plots.** (a) Online training cross-entropy (nats per event) in windows of 1% of the pass,
  median over the initialisations, at :math:`\eta_0 = 3\cdot10^{-3}`, with the prior's
  cross-entropy on the training part for reference; (b) held-out cross-entropy and (c) held-out
  accuracy against :math:`\eta_0`, one dot per initialisation and a line through the medians,
  beside the baselines (horizontal lines).

Quick mode (tests): the first 3,000 events, :math:`\eta_0 = 3\cdot10^{-3}`, RTRL and TBPTT(5), one
initialisation.
"""

from __future__ import annotations

import numpy as np

from paper_figures import _common, _runcache

NAME = "fig11_lob"
DEFAULT_SEED = 11
VERSION = 1
TITLE = "Fig. 11 of [P1] (reproduction): limit order book, RTRL vs TBPTT"
N_WINDOWS = 100


def _source() -> str:
    """``"lob"`` when the LOBSTER sample files are in the data directory, else the generator."""
    from rtrl_theory.data import MissingDataError, lobster_sample_paths

    try:
        lobster_sample_paths(verify=False)
    except (FileNotFoundError, MissingDataError):
        return "lob-synthetic"
    return "lob"


def settings(quick: bool) -> dict:
    return {
        "source": _source(),
        "max_events": 3000 if quick else None,
        "n_hidden": 10,
        "eta0": [3e-3] if quick else [1e-3, 3e-3, 1e-2],
        "taus": [5] if quick else [5, 20],
        "replicates": 1 if quick else 3,
        "t0": 1e4,
        "gamma": 0.75,
        "rmsprop_beta": 0.999,
        "mid_change_clip": 5.0,
        "train_fraction": 0.7,
        "windows": N_WINDOWS,
    }


def _run(split, st, algo, tau, eta0, seed, progress):
    from rtrl_theory.runners._real_data import train_lob

    def run(ckpt, resume):
        res, met = train_lob(
            split,
            algo=algo,
            tau=tau,
            n_hidden=st["n_hidden"],
            **_runcache.training_options(st, eta0, seed, ckpt, resume, progress),
        )
        _, end_steps, means = _runcache.windowed_curve(res, st["windows"])
        per = met.get("per_class", {})
        return {
            "status": res.status,
            "n_steps_run": res.n_steps_run,
            "wall_time": res.wall_time,
            "accuracy": met.get("accuracy"),
            "cross_entropy": met.get("cross_entropy"),
            "recall": [per[k]["accuracy"] if per else None for k in ("down", "unchanged", "up")],
            "curve_step": end_steps.tolist(),
            "curve_ce": means.tolist(),
        }

    return run


def compute(quick, rng, *, cache_dir=None, recompute=False, progress=False) -> dict:
    """Train RTRL and TBPTT(tau) at each eta0 and initialisation; score them and the baselines."""
    from rtrl_theory.data import prior_baseline
    from rtrl_theory.runners._real_data import load_lob_split, lob_baselines

    st = settings(quick)
    data_rng, *inits = rng.spawn(1 + st["replicates"])
    split = load_lob_split(
        st["source"],
        train_fraction=st["train_fraction"],
        mid_change_clip=st["mid_change_clip"],
        max_events=st["max_events"],
        rng=data_rng,
    )
    seeds = [int(g.integers(2**32)) for g in inits]
    algos = [("rtrl", 0)] + [("tbptt", t) for t in st["taus"]]
    rows = []
    for eta0 in st["eta0"]:
        for algo, tau in algos:
            for r, seed in enumerate(seeds):
                payload = {"figure": NAME, "version": VERSION, "settings": st, "algo": algo,
                           "tau": tau, "eta0": eta0, "seed": seed,
                           "data": split.to_dict()}  # fmt: skip
                res = _runcache.cached_run(
                    cache_dir,
                    f"{NAME}-{algo}{tau or ''}-{eta0:g}-r{r}",
                    payload,
                    _run(split, st, algo, tau or None, eta0, seed, progress),
                    recompute=recompute,
                )
                rows.append((algo, tau, eta0, r, res))
    W = max(len(x[-1]["curve_step"]) for x in rows)
    curve_step = np.full((len(rows), W), np.nan)
    curve_ce = np.full((len(rows), W), np.nan)
    for i, x in enumerate(rows):
        k = len(x[-1]["curve_step"])
        curve_step[i, :k] = x[-1]["curve_step"]
        curve_ce[i, :k] = x[-1]["curve_ce"]

    def num(v):
        return float("nan") if v is None else float(v)

    base = lob_baselines(split)
    keys = ("prior", "logistic_imbalance", "logistic_both")
    return {
        "source": np.array(split.source),
        "description": np.array(split.description),
        "algo": np.array([x[0] for x in rows]),
        "tau": np.array([x[1] for x in rows], dtype=int),
        "eta0": np.array([x[2] for x in rows]),
        "replicate": np.array([x[3] for x in rows], dtype=int),
        "status": np.array([x[4]["status"] for x in rows]),
        "wall_time": np.array([x[4]["wall_time"] for x in rows]),
        "accuracy": np.array([num(x[4]["accuracy"]) for x in rows]),
        "cross_entropy": np.array([num(x[4]["cross_entropy"]) for x in rows]),
        "recall": np.array([[num(v) for v in x[4]["recall"]] for x in rows]),
        "curve_step": curve_step,
        "curve_ce": curve_ce,
        "baseline_names": np.array([base[k]["name"] for k in keys]),
        "baseline_accuracy": np.array([base[k]["accuracy"] for k in keys]),
        "baseline_cross_entropy": np.array([base[k]["cross_entropy"] for k in keys]),
        "baseline_recall": np.array(
            [
                [base[k]["per_class"][c]["accuracy"] for c in ("down", "unchanged", "up")]
                for k in keys
            ]
        ),
        "prior_train_ce": np.array(prior_baseline(split.y_train, split.y_train).cross_entropy),
        "balance_train": np.array(split.class_balance()["train"]),
        "balance_test": np.array(split.class_balance()["test"]),
        "n_train": np.array(split.n_train),
        "n_test": np.array(split.n_test),
    }


def _pairs(data):
    out = []
    for a, t in zip(data["algo"], data["tau"], strict=True):
        if (str(a), int(t)) not in out:
            out.append((str(a), int(t)))
    return out


def _style(algo, tau):
    if algo == "rtrl":
        return _common.RTRL_COLOR, "RTRL"
    return _common.tbptt_color(tau), f"TBPTT({tau})"


BASE_STYLE = {0: ("0.3", ":"), 1: ("0.5", "--"), 2: ("0.1", "-.")}


@_common.styled
def plot(data):
    fig, axes = _common.new_figure(1, 3, width=3.3, height=2.8)
    ax_c, ax_ce, ax_acc = axes[0]
    etas = np.unique(data["eta0"])
    eta_c = etas[np.argmin(np.abs(np.log(etas / 3e-3)))]
    for algo, tau in _pairs(data):
        color, name = _style(algo, tau)
        sel = (data["algo"] == algo) & (data["tau"] == tau)
        cur = sel & np.isclose(data["eta0"], eta_c)
        steps = data["curve_step"][np.flatnonzero(cur)[0]]
        ok = np.isfinite(steps)
        ax_c.plot(
            steps[ok], np.nanmedian(data["curve_ce"][cur], axis=0)[ok], color=color, label=name
        )
        for ax, key in ((ax_ce, "cross_entropy"), (ax_acc, "accuracy")):
            ax.scatter(data["eta0"][sel], data[key][sel], s=10, color=color, alpha=0.6)
            med = [np.nanmedian(data[key][sel & np.isclose(data["eta0"], e)]) for e in etas]
            ax.plot(etas, med, color=color, marker="o", ms=3, label=name)
    ax_c.axhline(float(data["prior_train_ce"]), color="0.4", ls=":", lw=1, label="class prior")
    ax_c.set_xlabel("events seen (training part, in time order)")
    ax_c.set_ylabel("online cross-entropy (nats/event)")
    ax_c.set_title(f"(a) training, $\\eta_0$ = {eta_c:g}")
    lo = np.nanmin(data["curve_ce"])
    ax_c.set_ylim(lo - 0.02, max(float(data["prior_train_ce"]) + 0.1, lo + 0.15))
    for i, name in enumerate(data["baseline_names"]):
        c, ls = BASE_STYLE[i]
        ax_ce.axhline(data["baseline_cross_entropy"][i], color=c, ls=ls, lw=1, label=str(name))
        ax_acc.axhline(data["baseline_accuracy"][i], color=c, ls=ls, lw=1, label=str(name))
    for ax, lab, title in (
        (ax_ce, "cross-entropy (nats per event)", "(b) held-out cross-entropy"),
        (ax_acc, "accuracy", "(c) held-out accuracy"),
    ):
        ax.set_xscale("log")
        ax.set_xlabel(r"$\eta_0$")
        ax.set_ylabel(lab)
        ax.set_title(title)
    ax_c.legend(frameon=False)
    ax_ce.legend(frameon=False, fontsize=6, loc="best")
    src = str(data["source"])
    flag = "LOBSTER AMZN 2012-06-21" if src == "lob" else "SYNTHETIC order flow (data absent)"
    fig.suptitle(
        f"{TITLE}\n{flag}: {int(data['n_train'])} training / {int(data['n_test'])} held-out events"
    )
    return fig


def summary(data) -> str:
    """Median held-out scores per (algorithm, eta0) beside the baselines."""
    lines = [
        f"data: {data['description']}",
        "class balance (down, unchanged, up): train "
        + ", ".join(f"{v:.3f}" for v in data["balance_train"])
        + "; held-out "
        + ", ".join(f"{v:.3f}" for v in data["balance_test"]),
        "config        eta0     held-out CE  accuracy  recall(down, unch., up)   wall",
    ]
    for algo, tau in _pairs(data):
        _, name = _style(algo, tau)
        for e in np.unique(data["eta0"]):
            sel = (data["algo"] == algo) & (data["tau"] == tau) & np.isclose(data["eta0"], e)
            rec = np.nanmedian(data["recall"][sel], axis=0)
            lines.append(
                f"{name:<12} {e:<8g} {np.nanmedian(data['cross_entropy'][sel]):>11.4f}  "
                f"{np.nanmedian(data['accuracy'][sel]):>8.4f}  "
                f"{rec[0]:.3f}, {rec[1]:.3f}, {rec[2]:.3f}        "
                f"{np.median(data['wall_time'][sel]):.1f} s"
            )
    for i, name in enumerate(data["baseline_names"]):
        rec = data["baseline_recall"][i]
        lines.append(
            f"{str(name):<21} {data['baseline_cross_entropy'][i]:>11.4f}  "
            f"{data['baseline_accuracy'][i]:>8.4f}  {rec[0]:.3f}, {rec[1]:.3f}, {rec[2]:.3f}"
        )
    return "\n".join(lines)


main = _common.script_main(__name__)  # and run it when executed as a script
