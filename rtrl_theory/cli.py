"""Command-line interface: ``rtrl-theory`` (also ``python -m rtrl_theory``).

Subcommands
-----------
verify       run the checks of ``proofs_checks`` and print the table (the toolkit's main job)
assumptions  check the hypotheses of the convergence theorem for a configuration
contraction  measure the W1 contraction rate of the joint process beside rho_bar
train       train a model online with RTRL or TBPTT and write a JSON run record atomically
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]


def _add_model_args(p):
    """The paper RNN's flags, shared by train and assumptions."""
    p.add_argument("--n-hidden", type=int, default=4, help="N (default 4)")
    p.add_argument("--n-input", type=int, default=2, help="d (default 2)")
    p.add_argument("--c-f", type=float, default=None, help="scale of f (default 0.5/N)")
    p.add_argument("--c-g", type=float, default=1.0, help="scale of g (default 1)")
    p.add_argument("--bounded-map", default="tanh", help="tanh (default) or sigmoid")


def _add_verify(sub):
    p = sub.add_parser(
        "verify",
        help="run the verification checks of [P1]'s statements",
        description="Run the checks in proofs_checks/ and print a table; exit 1 if any fails.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        dest="quick",
        action="store_true",
        default=True,
        help="small sizes, seconds per check (default)",
    )
    mode.add_argument(
        "--full", dest="quick", action="store_false", help="larger sizes and horizons"
    )
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these check ids")
    p.add_argument("--list", action="store_true", help="list the check ids and exit")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    p.add_argument("--markdown", type=Path, metavar="PATH", help="also write a Markdown table")
    p.set_defaults(func=_cmd_verify)


def _cmd_verify(args) -> int:
    from rtrl_theory.checks import (
        discover,
        format_markdown,
        format_table,
        results_to_json,
        run_checks,
    )
    from rtrl_theory.runners import write_json_atomic

    if args.list:
        for cid, mod in discover().items():
            print(f"{cid:14s} {getattr(mod, 'STATEMENT', '')}")
        return 0

    def progress(cid):
        print(f"running {cid} ...", file=sys.stderr, flush=True)

    try:
        results = run_checks(args.only, quick=args.quick, progress=progress)
    except ValueError as exc:
        print(f"rtrl-theory verify: error: {exc}", file=sys.stderr)
        return 2
    print(format_table(results))
    if args.json:
        write_json_atomic(args.json, results_to_json(results, quick=args.quick))
        print(f"wrote {args.json}", file=sys.stderr)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.markdown.with_name(args.markdown.name + ".tmp")
        tmp.write_text(format_markdown(results), encoding="utf-8")
        tmp.replace(args.markdown)
        print(f"wrote {args.markdown}", file=sys.stderr)
    return 1 if any(r.failed for r in results) else 0


DATA_KINDS = ("synthetic", "shakespeare", "lob", "lob-synthetic")


def _add_train(sub):
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
            "thinned parameter path, held-out metrics) is rewritten atomically during the run "
            "(at most every --checkpoint-seconds) and at the end; --checkpoint PATH also keeps "
            "everything needed to continue the run with --resume. "
            "Exit status: 0 completed, 2 bad arguments or a missing/altered data file, 3 "
            "diverged or interrupted (recorded)."
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
    p.add_argument("--model", choices=["paper"], default="paper", help="synthetic data: model")
    p.add_argument(
        "--cell",
        choices=["gru", "elman-tanh", "elman-elu", "elman-relu", "lstm"],
        default="gru",
        help="shakespeare: recurrent cell (default gru)",
    )
    p.add_argument("--algo", choices=["rtrl", "tbptt"], default="rtrl")
    p.add_argument(
        "--tau", type=int, default=None, help="TBPTT truncation length (required for tbptt)"
    )
    p.add_argument(
        "--n-hidden",
        type=int,
        default=None,
        help="hidden units (default 4 synthetic, 20 shakespeare, 10 lob)",
    )
    p.add_argument("--n-input", type=int, default=2, help="synthetic: d (default 2)")
    p.add_argument("--c-f", type=float, default=None, help="synthetic: scale of f (default 0.5/N)")
    p.add_argument("--c-g", type=float, default=1.0, help="synthetic: scale of g (default 1)")
    p.add_argument("--bounded-map", default="tanh", help="synthetic: tanh (default) or sigmoid")
    p.add_argument(
        "--lam", type=float, default=0.5, help="contraction of the input chain, in (0,1)"
    )
    p.add_argument("--noise", type=float, default=0.5, help="input noise half-width (default 0.5)")
    p.add_argument("--target", choices=["teacher", "lipschitz"], default="teacher")
    p.add_argument(
        "--target-noise",
        type=float,
        default=0.05,
        help="half-width of the bounded target noise (default 0.05)",
    )
    p.add_argument(
        "--teacher-scale",
        type=float,
        default=2.0,
        help="std of the teacher's raw weights (default 2)",
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
    p.add_argument("--gamma", type=float, default=0.75)
    p.add_argument(
        "--allow-non-robbins-monro",
        action="store_true",
        help="run a schedule that violates Assumption 2.14",
    )
    p.add_argument(
        "--block-reduction",
        choices=["sum", "mean"],
        default="sum",
        help="TBPTT: combine the block's gradients by sum (default) or mean",
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
        default=1,
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
        default=5.0,
        help="lob: clip the previous mid change to +-this many ticks, then divide by it",
    )
    p.add_argument(
        "--synthetic-events",
        type=int,
        default=60_000,
        help="lob-synthetic: events of the simulated day (default 60000)",
    )
    p.add_argument("--backend", choices=["auto", "numpy", "numba"], default="auto")
    p.add_argument(
        "--record-every",
        type=int,
        default=None,
        help="steps between records/checkpoints (default steps/200)",
    )
    p.add_argument(
        "--checkpoint-seconds",
        type=float,
        default=10.0,
        help="rewrite the JSON record and the checkpoint at most this often (default 10)",
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
        help="continue the run saved in --checkpoint (same data, model and settings)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON record path (default runs/train-<data>-<algo>-<seed>.json)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)


def _pick(value, default):
    return default if value is None else value


def _setup_synthetic(args, seed_seq):
    import numpy as np

    from rtrl_theory import PaperRNN
    from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget, TeacherTarget

    model = PaperRNN(
        _pick(args.n_hidden, 4),
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
        "n_steps": _pick(args.steps, 100_000),
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
    model = char_rnn(args.cell, _pick(args.n_hidden, 20), split.vocab.size)
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
        "n_steps": _pick(args.steps, n_avail),
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
    model = lob_model(_pick(args.n_hidden, 10))

    def evaluate(params):
        return lob_metrics(model, params, split)

    return {
        "model": model,
        "params": model.init_params(rng_init),
        "data": (split.X_train, split.y_train),
        "rng": None,
        "n_steps": _pick(args.steps, split.n_train),
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


def _cmd_train(args) -> int:
    import json

    import numpy as np

    from rtrl_theory.data import DataFileError
    from rtrl_theory.runners import (
        PowerSchedule,
        RMSprop,
        environment_info,
        train_online,
        write_json_atomic,
    )

    setups = {
        "synthetic": _setup_synthetic,
        "shakespeare": _setup_shakespeare,
        "lob": _setup_lob,
        "lob-synthetic": _setup_lob,
    }
    out = args.out or Path("runs") / f"train-{args.data}-{args.algo}-{args.seed}.json"
    try:
        if args.resume and args.checkpoint is None:
            raise ValueError("resume: --resume needs --checkpoint PATH, the run to continue")
        if args.eval_every is not None and args.eval_every < 1:
            raise ValueError(f"eval_every: expected a positive integer, got {args.eval_every}")
        s = setups[args.data](args, np.random.SeedSequence(args.seed))
        eta0_d, t0_d = s["schedule_defaults"]
        schedule = (
            PowerSchedule.parse(args.schedule)
            if args.schedule
            else PowerSchedule(_pick(args.eta0, eta0_d), _pick(args.t0, t0_d), args.gamma)
        )
        opt_name = _pick(args.optimizer, s["optimizer_default"][0])
        beta = _pick(args.rmsprop_beta, s["optimizer_default"][1])
        if opt_name == "sgd" and args.rmsprop_beta is not None:
            raise ValueError("rmsprop_beta: given with --optimizer sgd; use --optimizer rmsprop")
        optimizer = RMSprop(beta=beta) if opt_name == "rmsprop" else "sgd"
        model = s["model"]
        evaluate = s["evaluate"]
        config = {
            "data": s["data_config"],
            "model": s["model_config"],
            "algo": args.algo,
            "tau": args.tau,
            "steps": s["n_steps"],
            "schedule": schedule.to_dict(),
            "block_reduction": args.block_reduction,
            "optimizer": opt_name,
            "rmsprop_beta": beta if opt_name == "rmsprop" else None,
            "batch_size": args.batch_size,
            "backend": args.backend,
            "allow_non_robbins_monro": args.allow_non_robbins_monro,
            "eval_every": args.eval_every,
            "checkpoint": str(args.checkpoint) if args.checkpoint else None,
        }
        header = {
            "schema": "rtrl-theory/train-run/1",
            "command": "train",
            "seed": args.seed,
            "config": config,
            **environment_info(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **s["extra"],
        }
        curve = []  # held-out metrics along the run
        if args.resume and out.exists():
            try:  # keep the earlier part of the held-out curve
                curve = list(json.loads(out.read_text()).get("heldout_curve", []))
            except (OSError, ValueError):
                curve = []

        def record(res, final=None):
            d = res.to_dict()
            rec = {**header, **d, "config": {**config, "trainer": d["config"]}}
            if args.data == "shakespeare":
                rec["losses_bits"] = {
                    "window": d["losses"]["window"],
                    "step": d["losses"]["step"],
                    "mean": np.asarray(d["losses"]["mean"]) / s["extra"]["ln2"],
                }
            if evaluate is not None:
                rec["heldout_curve"] = [c for c in curve if c["step"] <= res.n_steps_run]
                rec["heldout"] = final
            return rec

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
            if time.monotonic() - last_write[0] >= args.checkpoint_seconds:
                write_json_atomic(out, record(partial))
                last_write[0] = time.monotonic()

        if args.resume:
            from rtrl_theory.runners import load_checkpoint

            done0 = load_checkpoint(args.checkpoint).step
            if args.eval_every is not None:
                next_eval[0] = (done0 // args.eval_every + 1) * args.eval_every
        record_every = args.record_every
        if record_every is None and args.eval_every is not None:
            record_every = max(1, min(args.eval_every, s["n_steps"] // 200))
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
        )
        final = None
        if evaluate is not None and result.status != "diverged":
            final = {"step": result.n_steps_run, **evaluate(result.params)}
            if not curve or curve[-1]["step"] != result.n_steps_run:
                curve.append(final)
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, DataFileError) as exc:
        print(f"rtrl-theory train: error: {exc}", file=sys.stderr)
        return 2
    write_json_atomic(out, record(result, final))
    summary = result.to_dict()
    print(
        f"{result.algo}: {result.status} after {result.n_steps_run} steps "
        f"in {result.wall_time:.1f} s (backend {result.backend})"
    )
    if summary["final_window_loss"] is not None:
        print(
            f"final window loss {summary['final_window_loss']:.6g} "
            f"(window {summary['losses']['window']} steps)"
        )
    if final is not None and args.data == "shakespeare":
        print(f"held-out bits per character {final['heldout_bits_per_char']:.4f}")
    elif final is not None:
        print(
            f"held-out accuracy {final['accuracy']:.4f}, cross-entropy "
            f"{final['cross_entropy']:.4f} nats per event"
        )
        for b in s["extra"]["baselines"].values():
            print(
                f"  {b['name']:<26} accuracy {b['accuracy']:.4f}, cross-entropy "
                f"{b['cross_entropy']:.4f}"
            )
    if result.status != "completed":
        print(result.message)
    print(f"wrote {out}")
    if args.checkpoint is not None:
        print(f"checkpoint {args.checkpoint}")
    return 0 if result.status == "completed" else 3


def _add_fetch_data(sub):
    p = sub.add_parser(
        "fetch-data",
        help="download the real data sets into a data directory, checked by SHA-256",
        description=(
            "Download tiny-shakespeare (shakespeare) or the LOBSTER AMZN 2012-06-21 level-1 "
            "sample (lob-sample) into DATA_DIR, in the layout `train --data-dir` reads. Each "
            "file is checked against the SHA-256 the project pins before it is moved into "
            "place; files already there with the right digest are kept. Exit status: 0 done, "
            "2 bad arguments, a failed download or a file that is not the pinned one."
        ),
    )
    p.add_argument(
        "datasets",
        nargs="+",
        choices=["shakespeare", "lob-sample"],
        metavar="DATASET",
        help="shakespeare, lob-sample",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="folder to fill (then pass it as --data-dir or RTRL_THEORY_DATA)",
    )
    p.add_argument(
        "--url",
        default=None,
        help="download address (only with one DATASET); default the project's",
    )
    p.add_argument("--force", action="store_true", help="download even if already there")
    p.set_defaults(func=_cmd_fetch_data)


def _cmd_fetch_data(args) -> int:
    from rtrl_theory.data import DataFileError, fetch_data

    if args.url is not None and len(args.datasets) != 1:
        print("error: --url: give exactly one DATASET with --url", file=sys.stderr)
        return 2
    for name in args.datasets:
        try:
            paths = fetch_data(name, args.data_dir, url=args.url, force=args.force)
        except (ValueError, DataFileError) as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            return 2
        for path in paths:
            print(f"{name}: {path} (sha256 verified)")
    return 0


def _add_assumptions(sub):
    p = sub.add_parser(
        "assumptions",
        help="check the hypotheses of the convergence theorem for a configuration",
        description=(
            "Print every constant, the a-priori radii, the contraction constants, whether each "
            "hypothesis holds (N C_f < 4, rho < 1, lam < 1, Robbins-Monro of the schedule), "
            "rho_bar = max(lam, rho), lam + rho and the largest c_f with rho < 1 at this N. "
            "Exit status: 0 all hypotheses hold, 1 some fail, 2 bad arguments."
        ),
    )
    _add_model_args(p)
    p.add_argument("--lam", type=float, default=0.5, help="data contraction lam (default 0.5)")
    p.add_argument("--c-x", type=float, default=1.0, help="input bound C_x (default 1)")
    p.add_argument(
        "--schedule",
        default=None,
        metavar="SPEC",
        help="learning-rate schedule to test, e.g. 'eta0=0.1,t0=100,gamma=0.75'",
    )
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the report as JSON")
    p.set_defaults(func=_cmd_assumptions)


def _cmd_assumptions(args) -> int:
    from rtrl_theory.bounds import check_assumptions
    from rtrl_theory.runners import write_json_atomic

    try:
        c_f = args.c_f if args.c_f is not None else 0.5 / max(args.n_hidden, 1)
        report = check_assumptions(
            args.n_hidden,
            args.n_input,
            c_f,
            args.c_g,
            args.bounded_map,
            args.lam,
            args.c_x,
            args.schedule,
        )
    except (ValueError, TypeError) as exc:
        print(f"rtrl-theory assumptions: error: {exc}", file=sys.stderr)
        return 2
    print(report.format())
    if args.json:
        write_json_atomic(args.json, report.to_dict())
        print(f"wrote {args.json}", file=sys.stderr)
    return 0 if report.hypotheses_hold else 1


def _add_contraction(sub):
    p = sub.add_parser(
        "contraction",
        help="measure the W1 contraction rate of the joint process beside rho_bar",
        description=(
            "Run two particle ensembles of the joint process Z_t = (X, eta, S, J, H) at fixed "
            "theta from different initial laws (a point mass and the uniform law on the a-priori "
            "box), coupled synchronously (same noise: E||Z - Z'||, an upper bound on W1) and/or "
            "independently (W1 by POT on a block: a lower bound on the joint W1), fit the "
            "geometric rates and print them beside rho_bar = max(lam, rho) and lam. A "
            "configuration outside the theorem's hypotheses runs anyway, flagged. Exit status: "
            "0 rates consistent with rho_bar, 1 a rate above it, 2 bad arguments."
        ),
    )
    _add_model_args(p)
    p.add_argument("--lam", type=float, default=0.5, help="contraction of the input chain")
    p.add_argument("--noise", type=float, default=0.5, help="input noise half-width")
    p.add_argument("--target-noise", type=float, default=0.1, help="target noise half-width")
    p.add_argument(
        "--order",
        type=int,
        choices=[1, 2],
        default=2,
        help="2: carry the second-order states H (default); 1: S and J only",
    )
    p.add_argument("--particles", type=int, default=1000, help="K, particles per ensemble")
    p.add_argument("--steps", type=int, default=60, help="T, steps (synchronous coupling)")
    p.add_argument("--coupling", choices=["synchronous", "independent", "both"], default="both")
    p.add_argument(
        "--block",
        default="X0",
        help="block for the independent coupling's W1: X0 (the first input coordinate: exact "
        "1-D W1, fast, smallest floor; default), X, S, J, H, eta, all, or a comma list",
    )
    p.add_argument(
        "--indep-steps",
        type=int,
        default=15,
        help="steps for the independent coupling (default 15)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, metavar="PATH", help="write the rate table as JSON")
    p.add_argument("--plot", type=Path, metavar="PATH", help="save the decay plot (PNG/PDF)")
    p.add_argument(
        "--marginals",
        type=Path,
        metavar="PATH",
        help="save histograms of S and of a few J entries under the stationary law (after a "
        "burn-in of rho_bar^n < 1e-6), with their summaries in the JSON",
    )
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_contraction)


def _cmd_contraction(args) -> int:
    import numpy as np

    from rtrl_theory import PaperRNN
    from rtrl_theory.bounds import check_assumptions
    from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
    from rtrl_theory.estimators import estimate_contraction_rate
    from rtrl_theory.runners import JointProcess, environment_info, write_json_atomic

    try:
        c_f = args.c_f if args.c_f is not None else 0.5 / max(args.n_hidden, 1)
        model = PaperRNN(
            args.n_hidden, args.n_input, c_f=c_f, c_g=args.c_g, bounded_map=args.bounded_map
        )
        seeds = np.random.SeedSequence(args.seed).spawn(6)
        rngs = [np.random.default_rng(s) for s in seeds]
        chain = ExampleChain(args.n_input, args.lam, args.noise)
        proc = DataProcess(
            chain, LipschitzTarget.random(args.n_input, noise=args.target_noise, rng=rngs[0])
        )
        params = model.init_params(rngs[1])
        report = check_assumptions(
            model.n_hidden,
            model.n_input,
            model.c_f,
            model.c_g,
            model.bounded_map,
            args.lam,
            chain.C_x,
        )
        if not report.hypotheses_hold:
            failed = [k for k, h in report.hypotheses.items() if h["holds"] is False]
            print(
                "warning: outside the theorem's hypotheses ("
                + "; ".join(failed)
                + "): running anyway, results flagged",
                file=sys.stderr,
            )
        law_b = "box" if report.radii is not None else "point"
        jp = JointProcess(model, params, proc, order=args.order)
        K = args.particles
        block = args.block.split(",") if "," in args.block else args.block
        results = {}
        if args.coupling in ("synchronous", "both"):
            x0 = jp.flatten(jp.initial(K, rngs[2], law="point"))
            kw = (
                {}
                if law_b == "box"
                else {"x0": -np.ones(model.n_input), "S0": np.ones(model.n_hidden)}
            )
            y0 = jp.flatten(jp.initial(K, rngs[3], law=law_b, **kw))
            results["synchronous"] = estimate_contraction_rate(
                jp.markov_step,
                x0,
                y0,
                args.steps,
                coupling="synchronous",
                rng=rngs[4],
                progress=not args.no_progress,
            )
        if args.coupling in ("independent", "both"):
            a = jp.flatten(jp.initial(K, rngs[2], law="point", x0=np.ones(model.n_input)))
            b = jp.flatten(
                jp.initial(
                    K, rngs[3], law="point", x0=-np.ones(model.n_input), S0=np.ones(model.n_hidden)
                )
            )
            results["independent"] = estimate_contraction_rate(
                jp.markov_step,
                a,
                b,
                args.indep_steps,
                coupling="independent",
                rng=rngs[5],
                blocks={**jp.blocks, "X0": slice(0, 1)},
                block=block,
                min_points=4,
                progress=not args.no_progress,
            )
    except (ValueError, TypeError) as exc:
        print(f"rtrl-theory contraction: error: {exc}", file=sys.stderr)
        return 2
    rho_bar = report.rho_bar
    head = f"{'coupling':<12} {'block':<10} {'rate':>8} {'95% CI':>22} {'floor':>10} {'points':>6}  verdict"
    print(head)
    print("-" * len(head))
    ok = True
    rows = {}
    for name, est in results.items():
        consistent = (
            None
            if rho_bar is None
            else (est.rate <= rho_bar if name == "synchronous" else est.consistent_with(rho_bar))
        )
        ok = ok and consistent is not False
        blk = "all" if name == "synchronous" else args.block
        verdict = (
            "n/a (rho_bar undefined)"
            if consistent is None
            else ("<= rho_bar" if consistent else "ABOVE rho_bar")
        )
        print(
            f"{name:<12} {blk:<10} {est.rate:8.4f} [{est.rate_ci[0]:9.4f}, {est.rate_ci[1]:9.4f}] "
            f"{est.floor:10.3g} {est.n_used:6d}  {verdict}"
        )
        rows[name] = {
            "rate": est.rate,
            "rate_ci": list(est.rate_ci),
            "floor": est.floor,
            "n_used": est.n_used,
            "block": blk,
            "consistent_with_rho_bar": consistent,
            "distances": est.distances.tolist(),
        }
    print(
        f"rho_bar = max(lam, rho) = {'undefined' if rho_bar is None else f'{rho_bar:.4f}'}, "
        f"lam = {args.lam:g}, rho = {'undefined' if report.rho is None else f'{report.rho:.4f}'}"
        + ("" if report.hypotheses_hold else "  [outside the hypotheses]")
    )
    first = next(iter(rows.values()))
    record = {
        "schema": "rtrl-theory/contraction/1",
        "seed": args.seed,
        "rate": first["rate"],
        "rate_ci": first["rate_ci"],
        "rho_bar": rho_bar,
        "lam": args.lam,
        "rho": report.rho,
        "hypotheses_hold": report.hypotheses_hold,
        "couplings": rows,
        "config": {
            "n_hidden": model.n_hidden,
            "n_input": model.n_input,
            "c_f": model.c_f,
            "c_g": model.c_g,
            "bounded_map": model.bounded_map,
            "noise": args.noise,
            "target_noise": args.target_noise,
            "order": args.order,
            "particles": K,
            "steps": args.steps,
            "indep_steps": args.indep_steps,
            "block": args.block,
        },
        **environment_info(),
    }
    if args.marginals:
        from rtrl_theory.estimators import burn_in_for, ensemble_summary
        from rtrl_theory.plotting import plot_marginals, save_figure

        burn = burn_in_for(rho_bar, 1e-6) if rho_bar is not None and rho_bar < 1 else 200
        zs = jp.run(jp.initial(K, rngs[2]), burn, rngs[3])
        Jflat = zs.Jt.reshape(K, -1)
        picks = np.argsort(-np.abs(Jflat).mean(axis=0))[:4]  # the largest J entries
        samples = {f"S[{k}]": zs.S[:, k] for k in range(model.n_hidden)}
        samples.update(
            {f"J[p={p // model.n_hidden}, k={p % model.n_hidden}]": Jflat[:, p] for p in picks}
        )
        summ = ensemble_summary(np.column_stack(list(samples.values())))
        record["stationary_marginals"] = {
            "burn_in": burn,
            "labels": list(samples),
            "mean": summ.mean.tolist(),
            "std": summ.std.tolist(),
        }
        save_figure(
            plot_marginals(samples, title=f"stationary marginals (K = {K}, {burn} steps)"),
            args.marginals,
        )
        print(f"wrote {args.marginals}", file=sys.stderr)
    if args.json:
        write_json_atomic(args.json, record)
        print(f"wrote {args.json}", file=sys.stderr)
    if args.plot:
        from rtrl_theory.plotting import plot_contraction, save_figure

        fig = plot_contraction(results, rho_bar=rho_bar, lam=args.lam)
        save_figure(fig, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    from rtrl_theory import __version__

    parser = argparse.ArgumentParser(
        prog="rtrl-theory",
        description=(
            "Check the convergence theory of Real-Time Recurrent Learning (Lam, Sirignano, "
            "Spiliopoulos, arXiv:2501.08040) symbolically and numerically, and train RNNs "
            "with exact RTRL or TBPTT."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_verify(sub)
    _add_assumptions(sub)
    _add_contraction(sub)
    _add_train(sub)
    _add_fetch_data(sub)
    from rtrl_theory import figures_cli, report

    figures_cli.add_parser(sub)
    report.add_parser(sub)
    return parser


def run_one_command(name: str, add_parser, argv=None) -> int:
    """Run one subcommand ``name`` (registered by ``add_parser(subparsers)``) outside ``main``.

    For ``python -m rtrl_theory.<module>``: ``argv`` may omit the command's name.
    """
    parser = argparse.ArgumentParser(prog="rtrl-theory")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_parser(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != name:
        argv = [name, *argv]
    args = parser.parse_args(argv)
    return args.func(args)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
