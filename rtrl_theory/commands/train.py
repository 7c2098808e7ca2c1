"""``rtrl-theory train``: online RTRL / TBPTT training with a JSON run record."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rtrl_theory.commands._common import pick


DATA_KINDS = ("synthetic", "shakespeare", "lob", "lob-synthetic")


def add_parser(sub):
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
        choices=["gru", "elman-tanh", "elman-elu", "elman-relu"],
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



def _setup_synthetic(args, seed_seq):
    import numpy as np

    from rtrl_theory import PaperRNN
    from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget, TeacherTarget

    model = PaperRNN(
        pick(args.n_hidden, 4),
        args.n_input,
        c_f=args.c_f,
        c_g=args.c_g,
        bounded_map=args.bounded_map,
    )
    rng_teacher, rng_init, rng_data, rng_w = (np.random.default_rng(s) for s in seed_seq.spawn(4))
    chain = ExampleChain(args.n_input, args.lam, args.noise)
    if args.target == "teacher":
        target = TeacherTarget(
            model,
            model.init_params(rng_teacher, scale=args.teacher_scale),
            noise=args.target_noise,
        )
    else:
        target = LipschitzTarget.random(args.n_input, noise=args.target_noise, rng=rng_w)
    return {
        "model": model,
        "params": model.init_params(rng_init),
        "data": DataProcess(chain, target),
        "rng": rng_data,
        "n_steps": pick(args.steps, 100_000),
        "schedule_defaults": (0.5, 1000.0),
        "optimizer_default": ("sgd", 0.9),
        "model_config": {
            "name": args.model,
            "n_hidden": model.n_hidden,
            "n_input": model.n_input,
            "c_f": model.c_f,
            "c_g": model.c_g,
            "bounded_map": model.bounded_map,
            "n_params": model.n_params,
        },
        "data_config": {
            "kind": "synthetic",
            "chain": "example-2.4",
            "lam": chain.lam,
            "noise": chain.noise,
            "C_x": chain.C_x,
            "target": args.target,
            "target_noise": args.target_noise,
            "teacher_scale": args.teacher_scale if args.target == "teacher" else None,
        },
        "evaluate": None,
        "extra": {},
    }


def _setup_shakespeare(args, seed_seq):
    import math

    import numpy as np

    from rtrl_theory.cells import char_rnn
    from rtrl_theory.data import (
        TINY_SHAKESPEARE,
        bits_per_character,
        next_char_pairs,
        parallel_streams,
        tiny_shakespeare,
    )

    split = tiny_shakespeare(args.data_dir)
    model = char_rnn(args.cell, pick(args.n_hidden, 20), split.vocab.size)
    (rng_init,) = (np.random.default_rng(s) for s in seed_seq.spawn(1))
    if args.batch_size == 1:
        data = next_char_pairs(split.train)
        n_avail = data[0].shape[0]
    else:
        data = parallel_streams(split.train, args.batch_size)
        n_avail = data[0].shape[1]

    def evaluate(params):
        bpc = bits_per_character(model, model.as_flat(params), split.heldout)
        return {"heldout_bits_per_char": bpc}

    return {
        "model": model,
        "params": model.init_params(rng_init),
        "data": data,
        "rng": None,
        "n_steps": pick(args.steps, n_avail),
        "schedule_defaults": (2e-3, 1e5),
        "optimizer_default": ("rmsprop", 0.999),
        "model_config": {
            "name": "char-rnn",
            "cell": args.cell,
            "n_hidden": model.n_hidden,
            "n_vocab": split.vocab.size,
            "n_params": model.n_params,
        },
        "data_config": {
            "kind": "shakespeare",
            "file": TINY_SHAKESPEARE.relpath,
            "sha256": TINY_SHAKESPEARE.sha256,
            "n_train_chars": split.n_train,
            "n_heldout_chars": split.n_heldout,
            "steps_available": n_avail,
            "streams": args.batch_size,
        },
        "evaluate": evaluate,
        "extra": {"loss_unit": "nats per character (bits = nats / ln 2)", "ln2": math.log(2.0)},
    }


def _setup_lob(args, seed_seq):
    import numpy as np

    from rtrl_theory.runners._real_data import load_lob_split, lob_baselines, lob_metrics, lob_model

    if args.batch_size != 1:
        raise ValueError(
            f"batch_size: the order book is one sequence (one day); expected 1, got "
            f"{args.batch_size}"
        )
    rng_data, rng_init = (np.random.default_rng(s) for s in seed_seq.spawn(2))
    split = load_lob_split(
        args.data,
        args.data_dir,
        mid_change_clip=args.mid_change_clip,
        n_synthetic=args.synthetic_events,
        rng=rng_data,
    )
    model = lob_model(pick(args.n_hidden, 10))

    def evaluate(params):
        return lob_metrics(model, params, split)

    return {
        "model": model,
        "params": model.init_params(rng_init),
        "data": (split.X_train, split.y_train),
        "rng": None,
        "n_steps": pick(args.steps, split.n_train),
        "schedule_defaults": (3e-3, 1e4),
        "optimizer_default": ("rmsprop", 0.999),
        "model_config": {
            "name": "elman-tanh (dense inputs, softmax over 3 classes)",
            "n_hidden": model.n_hidden,
            "n_input": 2,
            "n_classes": 3,
            "n_params": model.n_params,
        },
        "data_config": {"kind": args.data, **split.to_dict()},
        "evaluate": evaluate,
        "extra": {
            "class_balance": split.class_balance(),
            "baselines": lob_baselines(split),
            "loss_unit": "nats per event",
        },
    }


def _check_train_memory(args, model, n_steps, record_every) -> None:
    """Refuse (MemoryLimitError, a ValueError) a run whose peak memory exceeds 80% of the
    machine's available memory, unless --force (rtrl_theory._memory)."""
    from rtrl_theory._memory import check_memory, estimate_memory

    sizes = {"n_steps": n_steps, "algo": args.algo, "tau": args.tau}
    sizes.update(batch_size=args.batch_size, record_every=record_every, json_record=False)
    what = f"train --data {args.data} --algo {args.algo} (model {model!r})"
    est = estimate_memory(model, "train", **sizes)
    check_memory(est, force=args.force, what=what, hint="pass --force")


#: Flags that apply only to some --data kinds or algorithms: (dest, flag, applies?, where).
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

    from rtrl_theory.runners import DivergenceRule

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


def _params_path(out):
    """The ``.npz`` of the thinned parameter path beside a record: ``run.json`` -> ``run.params.npz``."""
    out = Path(out)
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(stem + ".params.npz")


def _write_param_path(path, steps, theta) -> None:
    import io

    import numpy as np

    from rtrl_theory._outputs import write_bytes

    buf = io.BytesIO()
    np.savez(buf, step=np.asarray(steps, dtype=np.int64), theta=np.asarray(theta, dtype=float))
    write_bytes(path, buf.getvalue())


def _summary_window(n: int) -> int:
    """Steps of the summary's loss window: min(n, max(1000, n // 100))."""
    return min(n, max(1000, n // 100))


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
    from rtrl_theory._outputs import OutputError, OutputSpec, is_stdout, path_kind, prepare_outputs
    from rtrl_theory.data import DataFileError
    from rtrl_theory.runners import CheckpointError
    from rtrl_theory.runners._checkpoint import sidecar_path

    def error(msg, code=2):
        print(f"rtrl-theory train: error: {msg}", file=sys.stderr)
        return code

    try:
        args = _resolve_train_args(args)
        divergence = _divergence_rule(args)
    except ValueError as exc:
        return error(exc)
    out = args.out if args.out is not None else str(
        Path("runs") / f"train-{args.data}-{args.algo}-{args.seed}.json"
    )
    # standard output, a device or a FIFO is a stream: the record is written once, at the end,
    # and the parameter path is not stored
    stream = is_stdout(out) or path_kind(out) in ("character device", "FIFO")
    params_file = None if stream else _params_path(out)
    specs = [
        OutputSpec(
            "--out",
            out,
            overwrite=args.overwrite or args.resume,
            overwrite_hint="it is the record of an earlier run; pass --overwrite to replace it, "
            "--resume (with its --checkpoint) to continue it, or choose another --out",
        ),
    ]
    if params_file is not None:
        specs.append(
            OutputSpec(
                "--out (parameter path)",
                params_file,
                stdout_ok=False,
                stream_ok=False,
                overwrite=args.overwrite or args.resume,
                overwrite_hint="it belongs to an earlier run's record; pass --overwrite to "
                "replace it",
                lock=False,
            )
        )
    if args.checkpoint is not None:
        specs.append(
            OutputSpec(
                "--checkpoint",
                args.checkpoint,
                stdout_ok=False,
                stream_ok=False,
                overwrite=args.resume,
                overwrite_hint="pass --resume to continue that run, or remove it to start afresh",
            )
        )
        specs.append(
            OutputSpec(
                "--checkpoint (metadata copy)",
                sidecar_path(args.checkpoint),
                stdout_ok=False,
                stream_ok=False,
                lock=False,
            )
        )
    try:
        outputs = prepare_outputs(specs)
    except OutputError as exc:
        return error(f"{exc} (nothing was run or written)")
    try:
        with outputs, _TermAsInterrupt():
            return _train_checked(args, out, params_file, divergence, stream)
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


def _train_checked(args, out, params_file, divergence, stream) -> int:
    """``train`` after its arguments and outputs are checked (outputs locked by the caller)."""
    import json
    import math
    import shlex

    import numpy as np

    from rtrl_theory._outputs import is_stdout
    from rtrl_theory.runners import (
        PowerSchedule,
        RMSprop,
        environment_info,
        load_checkpoint,
        train_online,
        write_json_atomic,
    )

    to_stdout = is_stdout(out)
    info = sys.stderr if to_stdout else sys.stdout
    setups = {
        "synthetic": _setup_synthetic,
        "shakespeare": _setup_shakespeare,
        "lob": _setup_lob,
        "lob-synthetic": _setup_lob,
    }
    done0 = None
    if args.resume:  # read (and check) the checkpoint before any long work
        done0 = load_checkpoint(args.checkpoint).step
    s = setups[args.data](args, np.random.SeedSequence(args.seed))
    eta0_d, t0_d = s["schedule_defaults"]
    schedule = (
        PowerSchedule.parse(args.schedule)
        if args.schedule
        else PowerSchedule(pick(args.eta0, eta0_d), pick(args.t0, t0_d), args.gamma)
    )
    opt_name = pick(args.optimizer, s["optimizer_default"][0])
    beta = pick(args.rmsprop_beta, s["optimizer_default"][1])
    if opt_name == "sgd" and args.rmsprop_beta is not None:
        raise ValueError("rmsprop_beta: given with --optimizer sgd; use --optimizer rmsprop")
    optimizer = RMSprop(beta=beta) if opt_name == "rmsprop" else "sgd"
    model = s["model"]
    evaluate = s["evaluate"]
    assumptions = None
    if args.data == "synthetic":
        from rtrl_theory.bounds import check_assumptions

        report = check_assumptions(
            model.n_hidden,
            model.n_input,
            model.c_f,
            model.c_g,
            model.bounded_map,
            s["data_config"]["lam"],
            s["data_config"]["C_x"],
            schedule,
        )
        assumptions = report.to_dict()
        if not report.hypotheses_hold:
            failed = [k for k, h in report.hypotheses.items() if h["holds"] is False]
            print(
                "warning: outside the convergence theorem's hypotheses ("
                + "; ".join(failed)
                + "): training anyway; the record's 'assumptions' says so",
                file=sys.stderr,
            )
    config = {
        "data": s["data_config"],
        "model": s["model_config"],
        "algo": args.algo,
        "tau": args.tau,
        "steps": s["n_steps"],
        "schedule": schedule.to_dict(),
        "block_reduction": args.block_reduction if args.algo == "tbptt" else None,
        "optimizer": opt_name,
        "rmsprop_beta": beta if opt_name == "rmsprop" else None,
        "batch_size": args.batch_size,
        "backend": args.backend,
        "allow_non_robbins_monro": args.allow_non_robbins_monro,
        "eval_every": args.eval_every,
        "divergence": divergence.to_dict(),
        "checkpoint": str(args.checkpoint) if args.checkpoint else None,
    }
    # What --resume must match: everything but the length and where things are written.
    run_config = {
        "seed": args.seed,
        **{k: v for k, v in config.items() if k not in ("steps", "checkpoint")},
    }
    header = {
        "schema": "rtrl-theory/train-run/2",
        "command": shlex.join(["rtrl-theory", *getattr(args, "_argv", sys.argv[1:])]),
        "seed": args.seed,
        "config": config,
        "assumptions": assumptions,
        **environment_info(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **s["extra"],
    }
    curve = []  # held-out metrics along the run
    if args.resume and not to_stdout and Path(out).is_file():
        try:  # keep the earlier part of the held-out curve
            curve = list(json.loads(Path(out).read_text()).get("heldout_curve", []))
        except (OSError, ValueError):
            curve = []

    def record(res, final=None):
        d = res.to_dict()
        rec = {**header, **d, "config": {**config, "trainer": d["config"]}}
        rec["resumed_at"] = list(d["config"].get("resumed_at", []))
        # the parameter path lives beside the record: its size grows with P x snapshots
        pp = d.pop("param_path")
        rec["param_path"] = {
            "file": None if params_file is None else Path(params_file).name,
            "n_snapshots": len(pp["step"]),
            "n_params": int(model.n_params),
            "note": "theta before step[i] (and the final one), arrays 'step' and 'theta' of the "
            "file" if params_file is not None else "not stored: the record went to a stream "
            "(standard output, a device or a FIFO)",
        }
        n = res.n_steps_run
        w = _summary_window(n)
        mean = float(res.losses[n - w :].mean()) if n else None
        rec["summary"] = {
            "window_steps": w,
            "mean_loss": mean,
            "unit": s["extra"].get("loss_unit", "squared error 1/2 (Y_hat - Y)^2"),
        }
        if args.data == "shakespeare":
            rec["losses_bits"] = {
                "window": d["losses"]["window"],
                "step": d["losses"]["step"],
                "mean": np.asarray(d["losses"]["mean"]) / s["extra"]["ln2"],
            }
            rec["summary"]["bits_per_char"] = None if mean is None else mean / s["extra"]["ln2"]
        if evaluate is not None:
            rec["heldout_curve"] = [c for c in curve if c["step"] <= res.n_steps_run]
            rec["heldout"] = final
        return rec

    def write(res, final=None):
        if params_file is not None:  # the .npz first: the record names what is on disk
            _write_param_path(params_file, res.path_steps, res.param_path)
        write_json_atomic(out, record(res, final))

    last_write = [time.monotonic()]
    next_eval = [args.eval_every]

    def on_record(partial):
        if evaluate is not None and args.eval_every is not None:
            if partial.n_steps_run >= next_eval[0]:
                curve[:] = [c for c in curve if c["step"] < partial.n_steps_run]
                curve.append({"step": partial.n_steps_run, **evaluate(partial.params)})
                k = partial.n_steps_run // args.eval_every + 1
                next_eval[0] = k * args.eval_every
        # Rewrite the record at most every --checkpoint-seconds: each write is fsync'ed.
        if not stream and time.monotonic() - last_write[0] >= args.checkpoint_seconds:
            write(partial)
            last_write[0] = time.monotonic()

    if done0 is not None and args.eval_every is not None:
        next_eval[0] = (done0 // args.eval_every + 1) * args.eval_every
    record_every = args.record_every
    if record_every is None and args.eval_every is not None:
        record_every = max(1, min(args.eval_every, s["n_steps"] // 200))
    _check_train_memory(args, model, s["n_steps"], record_every)  # before any allocation
    result = train_online(
        model,
        s["params"],
        s["data"],
        s["n_steps"],
        schedule=schedule,
        algo=args.algo,
        tau=args.tau,
        block_reduction=args.block_reduction,
        optimizer=optimizer,
        batch_size=args.batch_size,
        rng=s["rng"],
        record_every=record_every,
        backend=args.backend,
        allow_non_robbins_monro=args.allow_non_robbins_monro,
        progress=not args.no_progress,
        on_record=on_record,
        catch_interrupt=True,
        checkpoint=args.checkpoint,
        checkpoint_seconds=args.checkpoint_seconds,
        resume=args.resume,
        divergence=divergence,
        run_config=run_config,
    )
    final = None
    if evaluate is not None and result.status == "completed":
        try:
            final = {"step": result.n_steps_run, **evaluate(result.params)}
        except KeyboardInterrupt:
            import dataclasses

            result = dataclasses.replace(
                result,
                status="interrupted",
                stopped_at=result.n_steps_run,
                message=f"interrupted during the final held-out evaluation, after "
                f"{result.n_steps_run} steps (the checkpoint says completed)",
            )
        else:
            if not curve or curve[-1]["step"] != result.n_steps_run:
                curve.append(final)
    import signal

    # the final record is written whole: a signal arriving now is delivered just after it
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        write(result, final)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    print(
        f"{result.algo}: {result.status} after {result.n_steps_run} steps "
        f"in {result.wall_time:.1f} s (backend {result.backend})",
        file=info,
    )
    n = result.n_steps_run
    if n:
        w = _summary_window(n)
        mean = float(result.losses[n - w :].mean())
        unit = {"shakespeare": "nats per character", "synthetic": "(squared error)"}.get(
            args.data, "nats per event"
        )
        line = f"online loss {mean:.6g} {unit}, mean of the last {w} steps"
        if args.data == "shakespeare":
            line += f" = {mean / math.log(2.0):.6g} bits per character"
        print(line, file=info)
    if final is not None and args.data == "shakespeare":
        print(f"held-out bits per character {final['heldout_bits_per_char']:.4f}", file=info)
    elif final is not None:
        print(
            f"held-out accuracy {final['accuracy']:.4f}, cross-entropy "
            f"{final['cross_entropy']:.4f} nats per event",
            file=info,
        )
        for b in s["extra"]["baselines"].values():
            print(
                f"  {b['name']:<26} accuracy {b['accuracy']:.4f}, cross-entropy "
                f"{b['cross_entropy']:.4f}",
                file=info,
            )
    if result.status != "completed":
        print(result.message, file=info)
    print(f"wrote {'standard output' if to_stdout else out}", file=info)
    if params_file is not None:
        print(f"parameter path {params_file}", file=info)
    if args.checkpoint is not None:
        print(f"checkpoint {args.checkpoint}", file=info)
    return 0 if result.status == "completed" else 3

