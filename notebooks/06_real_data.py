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
# # 06 - Real data: characters of Shakespeare and a limit order book
#
# [P1] Section 7 ends with two real-data experiments: character-level language models on
# tiny-shakespeare (GRU and Elman networks trained online by RTRL) and the prediction of the
# next mid-price move of a limit order book from its recent events. This notebook runs small
# versions of both with the library's data layer (`rtrl_theory.data`) and trainer:
#
# 1. a GRU trained online by RTRL (and by TBPTT for comparison) on the characters, scored in
#    bits per character on held-out text against the unigram and uniform predictions;
# 2. a GRU with dense inputs (previous mid-price change, queue imbalance) trained by RTRL on the
#    order-book events, scored by its cross-entropy on the later part of the day against the
#    class prior and a logistic regression on the imbalance.
#
# **Data.** The files are read from the data directory: `$RTRL_THEORY_DATA`, or
# `../shared/data` beside the project (`rtrl_theory.data.resolve_data_dir`), with `shakespeare/`
# and `lobster/` inside, checksums verified. Without them, the text part says so and is skipped,
# and the order-book part runs on synthetic order flow (`simulate_order_flow`, a queue-reactive
# book written in LOBSTER's format).
#
# `QUICK` (default on; `RTRL_THEORY_QUICK=0` for the full sizes) sets the number of training
# steps and events.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from rtrl_theory import sequence_loss
from rtrl_theory.cells import GRURNN, char_rnn
from rtrl_theory.data import (
    bits_per_character,
    class_balance,
    lob_features,
    lobster_sample_paths,
    logistic_baseline,
    next_char_pairs,
    prior_baseline,
    read_lobster,
    resolve_data_dir,
    simulate_order_flow,
    split_by_time,
    tiny_shakespeare,
)
from rtrl_theory.runners import PowerSchedule, train_online

QUICK = os.environ.get("RTRL_THEORY_QUICK", "1") == "1"
# A missing or altered file raises an OSError (FileNotFoundError, MissingDataError) or a
# ValueError (ChecksumError, a malformed file): either way, the parts below fall back.
DATA_ERRORS = (OSError, ValueError)
try:
    data_dir = resolve_data_dir()
except DATA_ERRORS as exc:
    data_dir = None
    print(f"no data directory: {exc}")
print("quick mode" if QUICK else "full mode", f"- data directory: {data_dir}")


def windowed(x, window):
    """Means of consecutive windows (for the training curves)."""
    k = len(x) // window
    return np.asarray(x[: k * window]).reshape(k, window).mean(axis=1)


# %% [markdown]
# ## 1. Characters: tiny-shakespeare
#
# The corpus (1.1 M characters, 65 symbols) split 90 / 10 into training and held-out text; a
# GRU with one-hot inputs and a softmax head reads the training text once, online, one
# character per step, with RMSprop and $\eta_t = \eta_0/\sqrt{1 + t/t_0}$.

# %%
try:
    text = tiny_shakespeare(data_dir)
except DATA_ERRORS as exc:
    text = None
    print(f"tiny-shakespeare is not available, the text part is skipped:\n{exc}")
else:
    V = len(text.vocab.chars)
    print(f"{V} symbols; {text.train.size} training and {text.heldout.size} held-out characters")
    print(repr(text.vocab.decode(text.train[:120])))

# %%
n_hidden, n_train = (16, 20_000) if QUICK else (32, 400_000)
heldout = None if text is None else text.heldout[: 10_000 if QUICK else None]
curves, scores = {}, {}
if text is not None:
    x, y = next_char_pairs(text.train[: n_train + 1])
    model = char_rnn("gru", n_hidden, V)
    theta0 = model.init_params(0)
    for label, algo, tau in (("RTRL", "rtrl", None), ("TBPTT(5)", "tbptt", 5)):
        res = train_online(
            model,
            theta0,
            (x, y),
            n_train,
            schedule=PowerSchedule(3e-3, 0.01 * n_train, 0.5),
            algo=algo,
            tau=tau,
            optimizer="rmsprop",
            allow_non_robbins_monro=True,  # RMSprop's decay, as in [P1] Section 7
        )
        curves[label] = windowed(res.losses, n_train // 50) / np.log(2)  # nats -> bits
        scores[label] = bits_per_character(model, model.flatten(res.params), heldout)
        print(
            f"{label}: {res.status} in {res.wall_time:.1f} s ({res.backend}); held-out "
            f"{scores[label]:.3f} bits per character"
        )
    counts = np.bincount(text.train, minlength=V) + 1.0  # add-one smoothing
    p = counts / counts.sum()
    scores["unigram"] = float(-np.mean(np.log2(p[heldout[1:]])))
    scores["uniform"] = float(np.log2(V))
    scores["untrained GRU"] = bits_per_character(model, theta0, heldout)
    print(", ".join(f"{k} {v:.3f}" for k, v in scores.items()), "(held-out bits per character)")

# %%
if text is not None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    for label, c in curves.items():
        axes[0].plot(np.arange(c.size) * (n_train // 50), c, label=label)
    for name in ("unigram", "uniform"):
        axes[0].axhline(scores[name], ls=":", color="gray")
        axes[0].text(0, scores[name], f" {name}", va="bottom", fontsize=8, color="gray")
    axes[0].set_xlabel("characters read")
    axes[0].set_ylabel("training loss (bits per character)")
    axes[0].legend(fontsize=8)
    names = list(scores)
    axes[1].barh(names, [scores[n] for n in names], color="tab:blue")
    axes[1].set_xlabel("held-out bits per character")
    fig.suptitle(f"GRU, N = {n_hidden}, online on tiny-shakespeare ({n_train} characters)")
    plt.show()

# %% [markdown]
# ## 2. A limit order book: the next mid-price move
#
# Each event $t$ of the day gives an input $X_t$ = (previous mid-price change in ticks, level-1
# queue imbalance) and a label $y_t \in$ {down, unchanged, up}: the move of the mid price at the
# next event (`lob_features`). The first 70% of the events train, the rest test (a split in
# time).

# %%
try:
    day = read_lobster(*lobster_sample_paths(data_dir))
    source = "LOBSTER sample, AMZN 2012-06-21, level 1"
except DATA_ERRORS as exc:
    print(f"the LOBSTER sample is not available ({exc}); using synthetic order flow")
    day = simulate_order_flow(20_000 if QUICK else 60_000, rng=2024)
    source = "synthetic order flow (simulate_order_flow)"
X, y = lob_features(day)
n_events = 12_000 if QUICK else X.shape[0]
split = split_by_time(X[:n_events], y[:n_events], 0.7)
print(
    f"{source}: {day.n_events} events, {n_events} used; class balance (down, same, up) "
    f"{np.round(class_balance(y[:n_events]), 3)}"
)

# %%
prior = prior_baseline(split.y_train, split.y_test)
logit = logistic_baseline(split.X_train, split.y_train, split.X_test, split.y_test)
lob_model = GRURNN(8, 2, 3, input_kind="dense")
n_lob = split.y_train.size
res = train_online(
    lob_model,
    lob_model.init_params(0),
    (split.X_train, split.y_train),
    n_lob,
    schedule=PowerSchedule(1e-3, 0.01 * n_lob, 0.5),
    optimizer="rmsprop",
    allow_non_robbins_monro=True,
)
ce = {
    "class prior": prior.cross_entropy,
    "logistic (imbalance)": logit.cross_entropy,
    "GRU, RTRL": sequence_loss(lob_model, res.params, split.X_test, split.y_test),
}
for name, value in ce.items():
    print(f"{name:22s} test cross-entropy {value:.4f} nats per event")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), layout="constrained")
axes[0].plot(windowed(res.losses, max(n_lob // 40, 1)), color="tab:red")
axes[0].axhline(prior.cross_entropy, ls=":", color="gray", label="class prior (test)")
axes[0].set_xlabel(f"window of {max(n_lob // 40, 1)} events")
axes[0].set_ylabel("training cross-entropy (nats)")
axes[0].legend(fontsize=8)
names = list(ce)
axes[1].barh(names, [ce[n] for n in names], color=["gray", "tab:blue", "tab:red"])
axes[1].set_xlim(min(ce.values()) - 0.05, max(ce.values()) + 0.02)
axes[1].set_xlabel("test cross-entropy (nats per event)")
fig.suptitle(f"Next mid-price move, {source}")
plt.show()

# %% [markdown]
# One day of one stock is about 3,000 times less data than [P1]'s experiment: the numbers are
# qualitative. The paper-size versions are the scripts of `paper_figures/` for these data sets.
