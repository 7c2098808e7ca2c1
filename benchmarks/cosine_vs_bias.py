"""Does gradient cosine or stationary bias predict the final loss across estimators? (issue 13)

A thin front end of :func:`rtrl_theory.online.compare_predictors` on two set-ups:

* ``paper``: [P1]'s RNN, N = 8, c_f = 0.5 (N c_f = 4: a recurrence strong enough for the
  truncations to be biased), the teacher of ``bias_setup("paper")``; SGD, eta_t = 0.1 (1 + t /
  1000)^-0.75, 10,000 steps; predictors from 128 particles x 1,000 steps; final loss L(theta_end)
  from 256 particles x 1,000 steps (the same particles for every estimator). e-prop is left out:
  on this cell it is the immediate estimator (no leak), so it would count one estimator twice.
* ``gru``: GRU-20 char-RNN on tiny-shakespeare (the project's data directory); predictors from
  :class:`~rtrl_theory.online.TextWindows` of the training text (the bias under the text's
  empirical law); RMSprop, eta = 2e-3, a stream of the training text; final loss = held-out bits
  per character (its first 20,000 characters), in nats. RFLO's feedback matrix has the softmax
  head's shape (vocabulary x N); e-prop's leak is the update gate, so it differs from immediate.

    python benchmarks/cosine_vs_bias.py paper --json out.json
    python benchmarks/cosine_vs_bias.py gru --steps 3000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import time

from rtrl_theory.online import TextWindows, bias_setup, compare_predictors
from rtrl_theory.runners import PowerSchedule

PAPER_ALGOS = [
    "exact",
    "uoro",
    "kf-rtrl",
    "snap-1",
    "rflo",
    "immediate",
    "tbptt-2",
    "tbptt-4",
    "tbptt-8",
]
GRU_ALGOS = ["exact", "uoro", "kf-rtrl", "snap-1", "rflo", "eprop", "immediate", "tbptt-4"]


def run_paper(args):
    model, p, proc = bias_setup("paper", 8, rng=args.seed, c_f=0.5)
    return compare_predictors(
        model,
        p,
        proc,
        args.algos or PAPER_ALGOS,
        n_train=args.steps or 10_000,
        schedule=PowerSchedule(eta0=0.1, t0=1000, gamma=0.75),
        meter=dict(n_particles=128, n_steps=1000, burn_in=100),
        loss_sizes=dict(n_particles=256, n_steps=1000, burn_in=100),
        rng=args.seed,
    )


def run_gru(args):
    from rtrl_theory.cells import char_rnn
    from rtrl_theory.data import bits_per_character, next_char_pairs, tiny_shakespeare

    split = tiny_shakespeare()
    model = char_rnn("gru", 20, split.vocab.size)
    p = model.init_params(args.seed)
    n = args.steps or 3000
    X, Y = next_char_pairs(split.train[: n + 1])
    held = split.heldout[:20_000]

    def final_loss(theta):
        return bits_per_character(model, theta, held) * math.log(2.0), float("nan")

    return compare_predictors(
        model,
        p,
        TextWindows(split.train, split.vocab.size),
        args.algos or GRU_ALGOS,
        n_train=n,
        schedule=PowerSchedule(eta0=2e-3, t0=1e5, gamma=0.75),
        optimizer="rmsprop",
        train_data=(X, Y),
        meter=dict(n_particles=16, n_steps=200, burn_in=50),
        final_loss=final_loss,
        rng=args.seed,
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("setup", choices=["paper", "gru"])
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--algos", nargs="+", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    r = (run_paper if args.setup == "paper" else run_gru)(args)
    for i, a in enumerate(r.estimators):
        print(
            f"{a:10s} rel bias {r.rel_bias[i]:8.4f}  cosine {r.cosine[i]:8.5f}  final loss "
            f"{r.final_loss[i]:.6g} ({r.status[i]})"
        )
    print(f"start loss {r.loss_start:.6g}")
    print(r.verdict())
    print(
        f"cell part: Spearman bias {r.spearman_bias_cell:+.2f}, -cosine "
        f"{r.spearman_cosine_cell:+.2f}"
    )
    secs = time.perf_counter() - t0
    print(f"{secs:.0f} s")
    if args.json:
        out = r.to_dict() | {"setup": args.setup, "seconds": secs, "steps": args.steps}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
