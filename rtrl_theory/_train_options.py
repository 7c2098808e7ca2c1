"""The ``train`` command's options, declared as data, and their resolution.

:data:`TRAIN_OPTIONS` is the table of ``rtrl-theory train``'s flags (the parser is built from it by
:func:`rtrl_theory.commands._common.add_command`); :data:`TRAIN_SCOPES` says where each
set-up-specific flag applies and :data:`TRAIN_DEFAULTS` what the flags left out mean.
:func:`resolve_train_options` refuses a flag given where it does not apply (it would be recorded
as if used) and fills in the defaults; :func:`divergence_rule` turns the divergence flags into a
:class:`~rtrl_theory.optim.DivergenceRule`. What the options build is
:class:`~rtrl_theory.setups.TrainSetup`; the run is :func:`rtrl_theory._train_job.run_train_job`.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

from rtrl_theory._options import flag

__all__ = [
    "DATA_KINDS",
    "TRAIN_DEFAULTS",
    "TRAIN_DESCRIPTION",
    "TRAIN_HELP",
    "TRAIN_OPTIONS",
    "TRAIN_SCOPES",
    "divergence_rule",
    "resolve_train_options",
]

DATA_KINDS = ("synthetic", "shakespeare", "lob", "lob-synthetic")

TRAIN_HELP = "train online with RTRL or TBPTT and write a JSON run record"

TRAIN_DESCRIPTION = (
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
)

#: The flags of ``rtrl-theory train``, in the order of its help. Every flag whose meaning depends
#: on the set-up defaults to None (given = not None; :data:`TRAIN_DEFAULTS` fills it in).
TRAIN_OPTIONS = (
    flag(
        "--data",
        choices=DATA_KINDS,
        default="synthetic",
        help="synthetic (default: the paper model), shakespeare, lob, lob-synthetic",
    ),
    flag(
        "--data-dir",
        type=Path,
        default=None,
        help="folder holding shakespeare/ and lobster/ (default $RTRL_THEORY_DATA, then "
        "../shared/data)",
    ),
    flag(
        "--model", choices=["paper"], default=None, help="synthetic data: model (default paper)"
    ),
    flag(
        "--cell",
        choices=["gru", "lstm", "elman-tanh", "elman-elu", "elman-relu"],
        default=None,
        help="shakespeare: recurrent cell (default gru)",
    ),
    flag("--algo", choices=["rtrl", "tbptt"], default="rtrl"),
    flag(
        "--tau", type=int, default=None, help="tbptt: truncation length (required)"
    ),
    flag(
        "--n-hidden",
        type=int,
        default=None,
        help="hidden units (default 4 synthetic, 20 shakespeare, 10 lob)",
    ),
    flag("--n-input", type=int, default=None, help="synthetic: d (default 2)"),
    flag("--c-f", type=float, default=None, help="synthetic: scale of f (default 0.5/N)"),
    flag("--c-g", type=float, default=None, help="synthetic: scale of g (default 1)"),
    flag("--bounded-map", default=None, help="synthetic: tanh (default) or sigmoid"),
    flag(
        "--lam",
        type=float,
        default=None,
        help="synthetic: contraction of the input chain, in (0,1) (default 0.5)",
    ),
    flag(
        "--noise", type=float, default=None, help="synthetic: input noise half-width (default 0.5)"
    ),
    flag(
        "--target",
        choices=["teacher", "lipschitz"],
        default=None,
        help="synthetic: target (default teacher)",
    ),
    flag(
        "--target-noise",
        type=float,
        default=None,
        help="synthetic: half-width of the bounded target noise (default 0.05)",
    ),
    flag(
        "--teacher-scale",
        type=float,
        default=None,
        help="synthetic, --target teacher: std of the teacher's raw weights (default 2)",
    ),
    flag(
        "--steps",
        type=int,
        default=None,
        help="number of time steps (default 1e5 synthetic; one pass over the training split "
        "for real data)",
    ),
    flag(
        "--schedule",
        default=None,
        metavar="SPEC",
        help="learning rates, e.g. 'eta0=0.1,t0=1000,gamma=0.75' (overrides the next three)",
    ),
    flag(
        "--eta0", type=float, default=None, help="default 0.5 synthetic, 2e-3 text, 3e-3 lob"
    ),
    flag(
        "--t0", type=float, default=None, help="default 1e3 synthetic, 1e5 text, 1e4 lob"
    ),
    flag("--gamma", type=float, default=None, help="default 0.75"),
    flag(
        "--allow-non-robbins-monro",
        action="store_true",
        help="run a schedule that violates Assumption 2.14",
    ),
    flag(
        "--block-reduction",
        choices=["sum", "mean"],
        default=None,
        help="tbptt: combine the block's gradients by sum (default) or mean",
    ),
    flag(
        "--optimizer",
        choices=["sgd", "rmsprop"],
        default=None,
        help="sgd (the update of [P1], covered by its theorem; default for synthetic data) or "
        "rmsprop (default for real data), both driven by the schedule",
    ),
    flag(
        "--rmsprop-beta",
        type=float,
        default=None,
        help="RMSprop's decay (default 0.9 synthetic, 0.999 real data: 0.9 stalls on text at "
        "batch 1)",
    ),
    flag(
        "--batch-size",
        type=int,
        default=None,
        help="number of independent sequences sharing the parameters; each update uses the "
        "mean of their gradients (default 1; shakespeare: B contiguous segments of the text; "
        "lob: 1 only)",
    ),
    flag(
        "--eval-every",
        type=int,
        default=None,
        help="real data: also score the held-out part every this many steps (default: at the "
        "end only)",
    ),
    flag(
        "--mid-change-clip",
        type=float,
        default=None,
        help="lob: clip the previous mid change to +-this many ticks, then divide by it",
    ),
    flag(
        "--synthetic-events",
        type=int,
        default=None,
        help="lob-synthetic: events of the simulated day (default 60000)",
    ),
    flag(
        "--backend",
        choices=["auto", "numpy", "numba"],
        default=None,
        help="auto (default: the compiled kernel where it covers the case), numpy, numba",
    ),
    flag(
        "--record-every",
        type=int,
        default=None,
        help="steps between records/checkpoints, and where SIGINT/SIGTERM stop the run "
        "(default steps/200)",
    ),
    flag(
        "--checkpoint-seconds",
        type=float,
        default=None,
        help="rewrite the JSON record and the checkpoint at most this often (seconds, >= 0; "
        "default 10)",
    ),
    flag(
        "--divergence-loss-factor",
        type=float,
        default=None,
        help="diverged when the mean loss of the last --divergence-window steps exceeds this "
        "many times that of the first (default 1000; inf: off)",
    ),
    flag(
        "--divergence-theta-bound",
        type=float,
        default=None,
        help="diverged when |theta| exceeds this (default 1e6; inf: off)",
    ),
    flag(
        "--divergence-window",
        type=int,
        default=None,
        help="steps of the windows of --divergence-loss-factor (default 100)",
    ),
    flag(
        "--checkpoint",
        type=Path,
        default=None,
        metavar="PATH",
        help="keep a resumable checkpoint (.npz, written atomically, plus a JSON copy of its "
        "metadata) at PATH",
    ),
    flag(
        "--resume",
        action="store_true",
        help="continue the run saved in --checkpoint; every setting and the seed must match "
        "(checked, naming each difference), only --steps may grow",
    ),
    flag("--seed", type=int, default=0, help="seed of every random draw (default 0)"),
    flag(
        "--out",
        default=None,
        metavar="PATH",
        help="JSON record path (default runs/train-<data>-<algo>-<seed>.json; '-': standard "
        "output, at the end only); the thinned parameter path goes beside it in "
        "<stem>.params.npz. An existing record is not replaced unless --overwrite (or --resume)",
    ),
    flag(
        "--overwrite",
        action="store_true",
        help="replace an existing record at --out",
    ),
    flag("--no-progress", action="store_true", help="no progress bar"),
    flag(
        "--force",
        action="store_true",
        help="run even if the estimated peak memory exceeds 80%% of the available memory",
    ),
)

#: ``(dest, flag, applies(args), where)``: a flag given where ``applies`` is False is refused.
TRAIN_SCOPES = (
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

#: The value of each set-up-specific flag left out (the flags whose default depends on the data
#: set, such as ``--n-hidden`` or ``--eta0``, are resolved by :class:`~rtrl_theory.setups.TrainSetup`).
TRAIN_DEFAULTS = {
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


def resolve_train_options(args):
    """Refuse flags that do not apply (they would be recorded as if used) and fill defaults.

    A flag counts as given when its value is not None (every such flag defaults to None).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed flags of :data:`TRAIN_OPTIONS`.

    Returns
    -------
    argparse.Namespace
        A copy of ``args`` with :data:`TRAIN_DEFAULTS` filled in.

    Raises
    ------
    ValueError
        A flag given where it does not apply (:data:`TRAIN_SCOPES`), or a bad value; the message
        names the flag.
    """
    for dest, name, applies, where in TRAIN_SCOPES:
        if getattr(args, dest) is not None and not applies(args):
            raise ValueError(
                f"{name}: applies only to {where}; this run is --data {args.data} --algo "
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
    resolved = copy.copy(args)
    for dest, value in TRAIN_DEFAULTS.items():
        if getattr(resolved, dest) is None:
            setattr(resolved, dest, value)
    return resolved


def divergence_rule(args):
    """Return the :class:`~rtrl_theory.optim.DivergenceRule` of the ``--divergence-*`` flags.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed flags; a flag left out keeps the rule's default, ``inf`` switches it off.

    Returns
    -------
    DivergenceRule
        The rule applied by the trainer.

    Raises
    ------
    ValueError
        A NaN or otherwise invalid threshold (the message names the flag).
    """
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
