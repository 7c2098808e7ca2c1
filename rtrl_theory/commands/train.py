"""``rtrl-theory train``: online RTRL / TBPTT training with a JSON run record."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rtrl_theory.commands._common import error as _error

DATA_KINDS = ("synthetic", "shakespeare", "lob", "lob-synthetic")


def add_parser(sub):
    """Register the ``train`` subcommand and its flags.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``rtrl-theory`` parser (:func:`rtrl_theory.cli.build_parser`).
    """
    p = sub.add_parser(
        "train",
        help="train online with RTRL or TBPTT and write a JSON run record",
        description=(
            "Online training with RTRL or TBPTT(tau), by SGD (the update of [P1]) or RMSprop "
            "under a decaying learning-rate schedule. --data synthetic (default): the paper RNN "
            "on the data process of Example 2.4 (X_{t+1} = lam A tanh(X_t) + eps, eps ~ "
            "U[-noise, noise]^d) with teacher or Lipschitz targets, one long sequence or "
            "--batch-size independent sequences. --data shakespeare: a character-level GRU or "
            "Elman network (--cell) on the tiny-shakespeare training split (one pass by "
            "default), scored in held-out bits per character ([P1] Section 7.4). --data lob / "
            "lob-synthetic: an Elman tanh network with the two inputs of [P1] Section 7.5 "
            "(previous mid change, clipped and scaled; queue imbalance) on the LOBSTER AMZN "
            "sample (or the synthetic order-flow generator), trained in time order on the "
            "first 70%% of the day and scored on the rest (accuracy, cross-entropy, per class) "
            "beside the class prior and logistic regressions. Real data are read from "
            "--data-dir, else $RTRL_THEORY_DATA, else ../shared/data, and checked by SHA-256. "
            "The JSON record (config, seed, package versions, windowed losses, gradient norms, "
            "held-out metrics; the thinned parameter path in <stem>.params.npz beside it) is "
            "rewritten atomically during the run "
            "(at most every --checkpoint-seconds) and at the end; --checkpoint PATH also keeps "
            "everything needed to continue the run with --resume. "
            "Outputs are checked before any work (a directory, an unwritable place or a busy "
            "path stops the run at once) and locked against a second run on the same path. "
            "SIGINT (Ctrl-C) and SIGTERM stop the run at the end of the current record "
            "interval, recorded as interrupted, with its checkpoint. "
            "Exit status: 0 completed, 2 bad arguments, a missing/altered data file, an unusable "
            "or busy output or a damaged checkpoint (nothing written), 3 diverged or interrupted "
            "(recorded)."
        ),
    )
    p.add_argument(
        "--data",
        choices=DATA_KINDS,
        default="synthetic",
        help="synthetic (default: the paper model), shakespeare, lob, lob-synthetic",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder holding shakespeare/ and lobster/ (default $RTRL_THEORY_DATA, then "
        "../shared/data)",
    )
    p.add_argument(
        "--model", choices=["paper"], default=None, help="synthetic data: model (default paper)"
    )
    p.add_argument(
        "--cell",
        choices=["gru", "lstm", "elman-tanh", "elman-elu", "elman-relu"],
        default=None,
        help="shakespeare: recurrent cell (default gru)",
    )
    p.add_argument("--algo", choices=["rtrl", "tbptt"], default="rtrl")
    p.add_argument(
        "--tau", type=int, default=None, help="tbptt: truncation length (required)"
    )
    p.add_argument(
        "--n-hidden",
        type=int,
        default=None,
        help="hidden units (default 4 synthetic, 20 shakespeare, 10 lob)",
    )
    p.add_argument("--n-input", type=int, default=None, help="synthetic: d (default 2)")
    p.add_argument("--c-f", type=float, default=None, help="synthetic: scale of f (default 0.5/N)")
    p.add_argument("--c-g", type=float, default=None, help="synthetic: scale of g (default 1)")
    p.add_argument("--bounded-map", default=None, help="synthetic: tanh (default) or sigmoid")
    p.add_argument(
        "--lam",
        type=float,
        default=None,
        help="synthetic: contraction of the input chain, in (0,1) (default 0.5)",
    )
    p.add_argument(
        "--noise", type=float, default=None, help="synthetic: input noise half-width (default 0.5)"
    )
    p.add_argument(
        "--target",
        choices=["teacher", "lipschitz"],
        default=None,
        help="synthetic: target (default teacher)",
    )
    p.add_argument(
        "--target-noise",
        type=float,
        default=None,
        help="synthetic: half-width of the bounded target noise (default 0.05)",
    )
    p.add_argument(
        "--teacher-scale",
        type=float,
        default=None,
        help="synthetic, --target teacher: std of the teacher's raw weights (default 2)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="number of time steps (default 1e5 synthetic; one pass over the training split "
        "for real data)",
    )
    p.add_argument(
        "--schedule",
        default=None,
        metavar="SPEC",
        help="learning rates, e.g. 'eta0=0.1,t0=1000,gamma=0.75' (overrides the next three)",
    )
    p.add_argument(
        "--eta0", type=float, default=None, help="default 0.5 synthetic, 2e-3 text, 3e-3 lob"
    )
    p.add_argument(
        "--t0", type=float, default=None, help="default 1e3 synthetic, 1e5 text, 1e4 lob"
    )
    p.add_argument("--gamma", type=float, default=None, help="default 0.75")
    p.add_argument(
        "--allow-non-robbins-monro",
        action="store_true",
        help="run a schedule that violates Assumption 2.14",
    )
    p.add_argument(
        "--block-reduction",
        choices=["sum", "mean"],
        default=None,
        help="tbptt: combine the block's gradients by sum (default) or mean",
    )
    p.add_argument(
        "--optimizer",
        choices=["sgd", "rmsprop"],
        default=None,
        help="sgd (the update of [P1], covered by its theorem; default for synthetic data) or "
        "rmsprop (default for real data), both driven by the schedule",
    )
    p.add_argument(
        "--rmsprop-beta",
        type=float,
        default=None,
        help="RMSprop's decay (default 0.9 synthetic, 0.999 real data: 0.9 stalls on text at "
        "batch 1)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="number of independent sequences sharing the parameters; each update uses the "
        "mean of their gradients (default 1; shakespeare: B contiguous segments of the text; "
        "lob: 1 only)",
    )
    p.add_argument(
        "--eval-every",
        type=int,
        default=None,
        help="real data: also score the held-out part every this many steps (default: at the "
        "end only)",
    )
    p.add_argument(
        "--mid-change-clip",
        type=float,
        default=None,
        help="lob: clip the previous mid change to +-this many ticks, then divide by it",
    )
    p.add_argument(
        "--synthetic-events",
        type=int,
        default=None,
        help="lob-synthetic: events of the simulated day (default 60000)",
    )
    p.add_argument(
        "--backend",
        choices=["auto", "numpy", "numba"],
        default=None,
        help="auto (default: the compiled kernel where it covers the case), numpy, numba",
    )
    p.add_argument(
        "--record-every",
        type=int,
        default=None,
        help="steps between records/checkpoints, and where SIGINT/SIGTERM stop the run "
        "(default steps/200)",
    )
    p.add_argument(
        "--checkpoint-seconds",
        type=float,
        default=None,
        help="rewrite the JSON record and the checkpoint at most this often (seconds, >= 0; "
        "default 10)",
    )
    p.add_argument(
        "--divergence-loss-factor",
        type=float,
        default=None,
        help="diverged when the mean loss of the last --divergence-window steps exceeds this "
        "many times that of the first (default 1000; inf: off)",
    )
    p.add_argument(
        "--divergence-theta-bound",
        type=float,
        default=None,
        help="diverged when |theta| exceeds this (default 1e6; inf: off)",
    )
    p.add_argument(
        "--divergence-window",
        type=int,
        default=None,
        help="steps of the windows of --divergence-loss-factor (default 100)",
    )
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        metavar="PATH",
        help="keep a resumable checkpoint (.npz, written atomically, plus a JSON copy of its "
        "metadata) at PATH",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run saved in --checkpoint; every setting and the seed must match "
        "(checked, naming each difference), only --steps may grow",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument(
        "--out",
        default=None,
        metavar="PATH",
        help="JSON record path (default runs/train-<data>-<algo>-<seed>.json; '-': standard "
        "output, at the end only); the thinned parameter path goes beside it in "
        "<stem>.params.npz. An existing record is not replaced unless --overwrite (or --resume)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing record at --out",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--force",
        action="store_true",
        help="run even if the estimated peak memory exceeds 80%% of the available memory",
    )
    p.set_defaults(func=_cmd_train)



_TRAIN_SCOPES = (
    ("model", "--model", lambda a: a.data == "synthetic", "--data synthetic"),
    ("n_input", "--n-input", lambda a: a.data == "synthetic", "--data synthetic"),
    ("c_f", "--c-f", lambda a: a.data == "synthetic", "--data synthetic"),
    ("c_g", "--c-g", lambda a: a.data == "synthetic", "--data synthetic"),
    ("bounded_map", "--bounded-map", lambda a: a.data == "synthetic", "--data synthetic"),
    ("lam", "--lam", lambda a: a.data == "synthetic", "--data synthetic"),
    ("noise", "--noise", lambda a: a.data == "synthetic", "--data synthetic"),
    ("target", "--target", lambda a: a.data == "synthetic", "--data synthetic"),
    ("target_noise", "--target-noise", lambda a: a.data == "synthetic", "--data synthetic"),
    (
        "teacher_scale",
        "--teacher-scale",
        lambda a: a.data == "synthetic" and a.target in (None, "teacher"),
        "--data synthetic with --target teacher",
    ),
    ("cell", "--cell", lambda a: a.data == "shakespeare", "--data shakespeare"),
    ("mid_change_clip", "--mid-change-clip", lambda a: a.data in ("lob", "lob-synthetic"),
     "--data lob or lob-synthetic"),
    ("synthetic_events", "--synthetic-events", lambda a: a.data == "lob-synthetic",
     "--data lob-synthetic"),
    ("data_dir", "--data-dir", lambda a: a.data in ("shakespeare", "lob"),
     "--data shakespeare or lob (the files it reads)"),
    ("eval_every", "--eval-every", lambda a: a.data != "synthetic",
     "real data (--data shakespeare, lob, lob-synthetic)"),
    ("tau", "--tau", lambda a: a.algo == "tbptt", "--algo tbptt"),
    ("block_reduction", "--block-reduction", lambda a: a.algo == "tbptt", "--algo tbptt"),
)

_TRAIN_DEFAULTS = {
    "model": "paper",
    "cell": "gru",
    "n_input": 2,
    "c_g": 1.0,
    "bounded_map": "tanh",
    "lam": 0.5,
    "noise": 0.5,
    "target": "teacher",
    "target_noise": 0.05,
    "teacher_scale": 2.0,
    "gamma": 0.75,
    "block_reduction": "sum",
    "batch_size": 1,
    "mid_change_clip": 5.0,
    "synthetic_events": 60_000,
    "backend": "auto",
    "checkpoint_seconds": 10.0,
}


def _resolve_train_args(args):
    """Refuse flags that do not apply (they would be recorded as if used) and fill defaults.

    A flag counts as given when its value is not None (every such flag defaults to None).
    Returns a copy of ``args`` with the defaults filled in; raises ValueError naming the flag.
    """
    import math

    for dest, flag, applies, where in _TRAIN_SCOPES:
        if getattr(args, dest) is not None and not applies(args):
            raise ValueError(
                f"{flag}: applies only to {where}; this run is --data {args.data} --algo "
                f"{args.algo}, where it would be ignored. Remove it"
            )
    if args.schedule is not None:
        given = [f for f, v in (("--eta0", args.eta0), ("--t0", args.t0), ("--gamma", args.gamma))
                 if v is not None]
        if given:
            raise ValueError(
                f"{given[0]}: give the learning rates either with --schedule or with --eta0 / "
                f"--t0 / --gamma, not both"
            )
    if args.algo == "tbptt" and args.tau is None:
        raise ValueError("--tau: --algo tbptt needs a truncation length --tau (a positive integer)")
    if args.algo == "tbptt" and args.backend == "numba":
        raise ValueError(
            "--backend: 'numba' is unavailable for --algo tbptt (TBPTT runs the NumPy engine "
            "only); use auto or numpy"
        )
    if args.resume and args.checkpoint is None:
        raise ValueError("resume: --resume needs --checkpoint PATH, the run to continue")
    if args.eval_every is not None and args.eval_every < 1:
        raise ValueError(f"--eval-every: expected a positive integer, got {args.eval_every}")
    if args.checkpoint_seconds is not None and not (
        math.isfinite(args.checkpoint_seconds) and args.checkpoint_seconds >= 0
    ):
        raise ValueError(
            f"--checkpoint-seconds: expected a finite number of seconds >= 0, got "
            f"{args.checkpoint_seconds:g}"
        )
    if args.batch_size is not None and args.batch_size < 1:  # before the memory estimate
        raise ValueError(f"batch_size: expected a positive integer, got {args.batch_size}")
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps: expected a positive integer, got {args.steps}")
    if args.record_every is not None and args.record_every < 1:
        raise ValueError(f"--record-every: expected a positive integer, got {args.record_every}")
    resolved = argparse.Namespace(**vars(args))
    for dest, value in _TRAIN_DEFAULTS.items():
        if getattr(resolved, dest) is None:
            setattr(resolved, dest, value)
    return resolved


def _divergence_rule(args):
    import math

    from rtrl_theory.optim import DivergenceRule

    def off(v, default):
        if v is None:
            return default
        if math.isnan(v):
            raise ValueError("divergence: NaN is not a threshold")
        return None if math.isinf(v) and v > 0 else v

    d = DivergenceRule()
    try:
        return DivergenceRule(
            loss_factor=off(args.divergence_loss_factor, d.loss_factor),
            theta_bound=off(args.divergence_theta_bound, d.theta_bound),
            window=d.window if args.divergence_window is None else args.divergence_window,
        )
    except ValueError as exc:
        raise ValueError(f"--{str(exc).replace(' ', '-', 1)}") from None


class _TermAsInterrupt:
    """Outside the trainer (data loading, final evaluation) SIGTERM acts like Ctrl-C."""

    def __enter__(self):
        import signal
        import threading

        self.prev = None
        if threading.current_thread() is threading.main_thread():
            self.prev = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    def __exit__(self, *exc):
        import signal

        if self.prev is not None:
            signal.signal(signal.SIGTERM, self.prev)


def _cmd_train(args) -> int:
    from rtrl_theory._outputs import OutputError, prepare_outputs
    from rtrl_theory._train_job import run_train_job, train_outputs
    from rtrl_theory.data import DataFileError
    from rtrl_theory.runners import CheckpointError

    def error(msg, code=2):
        return _error("train", msg, code)

    try:
        args = _resolve_train_args(args)
        divergence = _divergence_rule(args)
    except ValueError as exc:
        return error(exc)
    out, params_file, stream, specs = train_outputs(args)
    try:
        outputs = prepare_outputs(specs)
    except OutputError as exc:
        return error(f"{exc} (nothing was run or written)")
    try:
        with outputs, _TermAsInterrupt():
            return run_train_job(args, out, params_file, divergence, stream)
    except KeyboardInterrupt:
        print(
            "rtrl-theory train: interrupted outside the training loop (while loading the data, "
            "or just after the final record was written); the files on disk are the last "
            "complete ones",
            file=sys.stderr,
        )
        return 3
    except CheckpointError as exc:
        return error(
            f"{exc}. The run record {out!r} is intact (not touched); restore the checkpoint "
            f"from a copy, or start afresh with another --checkpoint"
        )
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, DataFileError) as exc:
        return error(exc)


