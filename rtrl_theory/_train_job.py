"""The ``train`` command's run, once its options and outputs are checked.

The ``train`` command's run: a :class:`~rtrl_theory.setups.TrainSetup` trained by
:func:`~rtrl_theory.runners.train_online`, with its JSON record, parameter path, held-out curve
and summary (what ``rtrl-theory train`` does once its options and outputs are checked).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rtrl_theory.setups import TrainSetup, check_assumptions
from rtrl_theory.setups import _pick as pick

__all__ = ["TermAsInterrupt", "run_train_job", "params_path", "train_outputs"]


def _check_train_memory(opts, model, n_steps, record_every) -> None:
    """Refuse a run whose peak memory exceeds 80% of the available memory.

    Refuse (MemoryLimitError, a ValueError) a run whose peak memory exceeds 80% of the
    machine's available memory, unless --force (rtrl_theory._memory).
    """
    from rtrl_theory._memory import check_memory, estimate_memory

    sizes = {"n_steps": n_steps, "algo": opts.algo, "tau": opts.tau}
    sizes.update(batch_size=opts.batch_size, record_every=record_every, json_record=False)
    what = f"train --data {opts.data} --algo {opts.algo} (model {model!r})"
    est = estimate_memory(model, "train", **sizes)
    check_memory(est, force=opts.force, what=what, hint="pass --force")




def params_path(out):
    """Return the ``.npz`` of the thinned parameter path beside a record: ``run.json`` -> ``run.params.npz``."""
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
    """Return the steps of the summary's loss window: min(n, max(1000, n // 100))."""
    return min(n, max(1000, n // 100))



def run_train_job(opts, out, params_file, divergence, stream) -> int:
    """``train`` after its arguments and outputs are checked (outputs locked by the caller)."""
    import json
    import math
    import shlex

    import numpy as np

    from rtrl_theory._outputs import environment_info, is_stdout, write_json_atomic
    from rtrl_theory.runners import PowerSchedule, RMSprop, load_checkpoint, train_online

    to_stdout = is_stdout(out)
    info = sys.stderr if to_stdout else sys.stdout
    done0 = None
    if opts.resume:  # read (and check) the checkpoint before any long work
        done0 = load_checkpoint(opts.checkpoint).step
    s = TrainSetup.from_options(opts, np.random.SeedSequence(opts.seed))
    eta0_d, t0_d = s.schedule_defaults
    schedule = (
        PowerSchedule.parse(opts.schedule)
        if opts.schedule
        else PowerSchedule(pick(opts.eta0, eta0_d), pick(opts.t0, t0_d), opts.gamma)
    )
    opt_name = pick(opts.optimizer, s.optimizer_default[0])
    beta = pick(opts.rmsprop_beta, s.optimizer_default[1])
    if opt_name == "sgd" and opts.rmsprop_beta is not None:
        raise ValueError("rmsprop_beta: given with --optimizer sgd; use --optimizer rmsprop")
    optimizer = RMSprop(beta=beta) if opt_name == "rmsprop" else "sgd"
    model = s.model
    evaluate = s.evaluate
    assumptions = None
    if opts.data == "synthetic":
        report = check_assumptions(model, s.data.chain, schedule)
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
        "data": s.data_config,
        "model": s.model_config,
        "algo": opts.algo,
        "tau": opts.tau,
        "steps": s.n_steps,
        "schedule": schedule.to_dict(),
        "block_reduction": opts.block_reduction if opts.algo == "tbptt" else None,
        "optimizer": opt_name,
        "rmsprop_beta": beta if opt_name == "rmsprop" else None,
        "batch_size": opts.batch_size,
        "backend": opts.backend,
        "allow_non_robbins_monro": opts.allow_non_robbins_monro,
        "eval_every": opts.eval_every,
        "divergence": divergence.to_dict(),
        "checkpoint": str(opts.checkpoint) if opts.checkpoint else None,
    }
    # What --resume must match: everything but the length and where things are written.
    run_config = {
        "seed": opts.seed,
        **{k: v for k, v in config.items() if k not in ("steps", "checkpoint")},
    }
    header = {
        "schema": "rtrl-theory/train-run/2",
        "command": shlex.join(["rtrl-theory", *getattr(opts, "_argv", sys.argv[1:])]),
        "seed": opts.seed,
        "config": config,
        "assumptions": assumptions,
        **environment_info(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **s.extra,
    }
    curve = []  # held-out metrics along the run
    if opts.resume and not to_stdout and Path(out).is_file():
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
            "unit": s.extra.get("loss_unit", "squared error 1/2 (Y_hat - Y)^2"),
        }
        if opts.data == "shakespeare":
            rec["losses_bits"] = {
                "window": d["losses"]["window"],
                "step": d["losses"]["step"],
                "mean": np.asarray(d["losses"]["mean"]) / s.extra["ln2"],
            }
            rec["summary"]["bits_per_char"] = None if mean is None else mean / s.extra["ln2"]
        if evaluate is not None:
            rec["heldout_curve"] = [c for c in curve if c["step"] <= res.n_steps_run]
            rec["heldout"] = final
        return rec

    def write(res, final=None):
        if params_file is not None:  # the .npz first: the record names what is on disk
            _write_param_path(params_file, res.path_steps, res.param_path)
        write_json_atomic(out, record(res, final))

    last_write = [time.monotonic()]
    next_eval = [opts.eval_every]

    def on_record(partial):
        if evaluate is not None and opts.eval_every is not None:
            if partial.n_steps_run >= next_eval[0]:
                curve[:] = [c for c in curve if c["step"] < partial.n_steps_run]
                curve.append({"step": partial.n_steps_run, **evaluate(partial.params)})
                k = partial.n_steps_run // opts.eval_every + 1
                next_eval[0] = k * opts.eval_every
        # Rewrite the record at most every --checkpoint-seconds: each write is fsync'ed.
        if not stream and time.monotonic() - last_write[0] >= opts.checkpoint_seconds:
            write(partial)
            last_write[0] = time.monotonic()

    if done0 is not None and opts.eval_every is not None:
        next_eval[0] = (done0 // opts.eval_every + 1) * opts.eval_every
    record_every = opts.record_every
    if record_every is None and opts.eval_every is not None:
        record_every = max(1, min(opts.eval_every, s.n_steps // 200))
    _check_train_memory(opts, model, s.n_steps, record_every)  # before any allocation
    result = train_online(
        model,
        s.params,
        s.data,
        s.n_steps,
        schedule=schedule,
        algo=opts.algo,
        tau=opts.tau,
        block_reduction=opts.block_reduction,
        optimizer=optimizer,
        batch_size=opts.batch_size,
        rng=s.rng,
        record_every=record_every,
        backend=opts.backend,
        allow_non_robbins_monro=opts.allow_non_robbins_monro,
        progress=not opts.no_progress,
        on_record=on_record,
        catch_interrupt=True,
        checkpoint=opts.checkpoint,
        checkpoint_seconds=opts.checkpoint_seconds,
        resume=opts.resume,
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
            opts.data, "nats per event"
        )
        line = f"online loss {mean:.6g} {unit}, mean of the last {w} steps"
        if opts.data == "shakespeare":
            line += f" = {mean / math.log(2.0):.6g} bits per character"
        print(line, file=info)
    if final is not None and opts.data == "shakespeare":
        print(f"held-out bits per character {final['heldout_bits_per_char']:.4f}", file=info)
    elif final is not None:
        print(
            f"held-out accuracy {final['accuracy']:.4f}, cross-entropy "
            f"{final['cross_entropy']:.4f} nats per event",
            file=info,
        )
        for b in s.extra["baselines"].values():
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
    if opts.checkpoint is not None:
        print(f"checkpoint {opts.checkpoint}", file=info)
    return 0 if result.status == "completed" else 3


def train_outputs(opts):
    """Return the ``train`` outputs to check and lock: ``(out, params_file, stream, specs)``.

    ``out`` the record (default ``runs/train-<data>-<algo>-<seed>.json``); standard output, a
    device or a FIFO is a stream (``stream`` True): the record is written once, at the end, and
    the parameter path (``params_file``) is not stored. ``specs`` are OutputSpecs of
    :mod:`rtrl_theory._outputs` for the record, the parameter path and the checkpoint.
    """
    from rtrl_theory._outputs import OutputSpec, is_stdout, path_kind
    from rtrl_theory.runners._checkpoint import sidecar_path

    out = opts.out if opts.out is not None else str(
        Path("runs") / f"train-{opts.data}-{opts.algo}-{opts.seed}.json"
    )
    # standard output, a device or a FIFO is a stream: the record is written once, at the end,
    # and the parameter path is not stored
    stream = is_stdout(out) or path_kind(out) in ("character device", "FIFO")
    params_file = None if stream else params_path(out)
    specs = [
        OutputSpec(
            "--out",
            out,
            overwrite=opts.overwrite or opts.resume,
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
                overwrite=opts.overwrite or opts.resume,
                overwrite_hint="it belongs to an earlier run's record; pass --overwrite to "
                "replace it",
                lock=False,
            )
        )
    if opts.checkpoint is not None:
        specs.append(
            OutputSpec(
                "--checkpoint",
                opts.checkpoint,
                stdout_ok=False,
                stream_ok=False,
                overwrite=opts.resume,
                overwrite_hint="pass --resume to continue that run, or remove it to start afresh",
            )
        )
        specs.append(
            OutputSpec(
                "--checkpoint (metadata copy)",
                sidecar_path(opts.checkpoint),
                stdout_ok=False,
                stream_ok=False,
                lock=False,
            )
        )
    return out, params_file, stream, specs


class TermAsInterrupt:
    """Make SIGTERM act like Ctrl-C (KeyboardInterrupt) while the context is open.

    For the parts of a run outside the trainer (data loading, final evaluation), which has its
    own handler; a no-op outside the main thread (signals go to the main thread only).
    """

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
