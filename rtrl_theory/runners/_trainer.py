r"""Online training on one long sequence: RTRL (2.24)-(2.26) of [P1] and TBPTT(tau).

**RTRL** (online forward SGD). The sensitivities run with the *current* parameters
:math:`\theta_t` (states written with a tilde in [P1]) and the parameters move at every step:

.. math::

    \tilde J_{t+1} = \tilde D_t\big(f(B_t)\tilde J_t + \tilde M_t\big), \qquad
    \theta_{t+1} = \theta_t - \eta_t\,(\alpha_t\cdot\tilde S_{t+1} - Y_t)
        \big(\tilde S_{t+1};\ (\tilde J^W_{t+1})^\top\alpha_t;\ (\tilde J^B_{t+1})^\top\alpha_t\big),

with the array time index of THEORY.md section 2 (step t consumes ``X[t]`` and ``Y[t]``).

**TBPTT(tau)** (the usual baseline). The sequence is cut into blocks of tau steps. Each block runs
from the carried state with zero sensitivity, backpropagates within the block (BPTT), and makes one
update; the final state is carried on. CONVENTION (the paper's text does not fix it): block k,
covering steps ``[k tau, (k+1) tau)``, updates with :math:`\eta_{k\tau}` times the *sum* of the
block's per-step gradients, so both algorithms move the parameters by the same amount per step of
data at equal learning rates (``block_reduction="mean"`` divides by tau instead).

**Optimizers** (``optimizer=``, :mod:`rtrl_theory.runners._optimizers`). Each update above is an
SGD step :math:`\theta \leftarrow \theta - \eta_t g`, the update of [P1]. ``optimizer="rmsprop"``
replaces it by RMSprop driven by the same schedule (as in Section 7 of [P1]):
:math:`v \leftarrow \beta v + (1-\beta)g^2`, :math:`\theta \leftarrow \theta - \eta_t
g/(\sqrt v + \epsilon)`, entrywise, :math:`v_0 = 0`. The convergence theorem of [P1] covers SGD only.

**Mini-batches of sequences** (``batch_size=B``, Section 7 of [P1]). B independent sequences
:math:`(X^{(c)}, Y^{(c)})_{c=1..B}` are run side by side with shared parameters. RTRL keeps B
states and sensitivities :math:`(\tilde S^{(c)}_t, \tilde J^{(c)}_t)`, each following
(2.24)-(2.25) with the common :math:`\theta_t`, and updates with the mean over the chains of the
per-step gradients,

.. math:: g_t = \frac1B\sum_{c=1}^B (\alpha_t\cdot\tilde S^{(c)}_{t+1} - Y^{(c)}_t)
          \big(\tilde S^{(c)}_{t+1};\ (\tilde J^{W,(c)}_{t+1})^\top\alpha_t;\
          (\tilde J^{B,(c)}_{t+1})^\top\alpha_t\big).

TBPTT runs BPTT on the B sequences of each block (each from its own carried state) and updates
with the mean over the chains of the block gradients (same block CONVENTION). The recorded
per-step loss is the mean over the chains. ``batch_size=1`` is the single-sequence algorithm.

**Models.** The NumPy path works for any :class:`~rtrl_theory.RNNModel` (any cell of the engine);
the compiled engine (``backend="numba"``, chosen by ``"auto"`` when available) covers RTRL with SGD or
RMSprop and ``batch_size=1`` on every cell with a compiled description (``select_backend``).

A run whose loss, parameters or optimizer state become non-finite stops cleanly: the result says
when and why and keeps everything recorded before (``status="diverged"``). So does a run that
*grows* (:mod:`rtrl_theory.runners._divergence`, ``divergence=``): its mean loss over the last
``window`` steps exceeds ``loss_factor`` times that of its first ``window`` steps, or
:math:`|\theta|` exceeds ``theta_bound`` (checked at the end of each record interval, the only
place the compiled kernels return to Python; defaults 1000, 1e6 and 100 steps, justified there).

**Signals** (``catch_interrupt=True``, the command line). SIGINT (Ctrl-C) and SIGTERM set a flag
that the trainer reads at the end of each record interval, whatever the backend (a compiled
kernel cannot be interrupted inside a chunk); the run then stops there with
``status="interrupted"``, its checkpoint written. The previous handlers are restored on return.

**Checkpoints** (``checkpoint=PATH``, :mod:`rtrl_theory.runners._checkpoint`). At the end of each
record interval the trainer takes a consistent copy of its state (parameters, RTRL sensitivities
or the TBPTT carried state, optimizer state, data position or stream state, step and update
counters); it is written atomically at most every ``checkpoint_seconds`` and at the end of the run
whatever its status (an interrupted run keeps the copy of its last completed interval).
``resume=True`` continues from it; since every path is a step-by-step recursion that does not
depend on where the run is cut, the continued run is the uninterrupted one bit for bit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtrl_theory._validate import as_rng, positive_int
from rtrl_theory.engine import BACKENDS, bptt_sequences, initial_sensitivities
from rtrl_theory.engine._forward import SensitivityState, advance_first_order
from rtrl_theory.optim._divergence import DivergenceRule
from rtrl_theory.optim._optimizers import (
    make_optimizer,
    optimizer_record,
    optimizer_state_is_finite,
)
from rtrl_theory.optim._schedules import validate_schedule

from ._checkpoint import (
    CheckpointError,
    load_checkpoint,
    optimizer_state_from_parts,
    optimizer_state_to_parts,
    write_checkpoint,
)
from ._records import to_jsonable
from ._result import TrainResult
from ._sources import _data_source

__all__ = ["TrainResult", "train_online", "ALGORITHMS", "BACKENDS"]

ALGORITHMS = ("rtrl", "tbptt")
# BACKENDS ("auto", "numpy", "numba") is the engine's (rtrl_theory.engine), defined once there.


class _Interrupted(Exception):
    pass


def _pick_backend(model, algo, backend, optimizer, batch_size):
    """Return the engine's one backend decision (``rtrl_theory.engine.select_backend``): a BackendPlan."""
    from rtrl_theory.engine import select_backend

    return select_backend(
        model, "train_online", backend=backend, optimizer=optimizer, batch_size=batch_size,
        algo=algo,
    )


def _chain_mean_grad(model, hd, Jt):
    """Gradient of (2.24)-(2.26) averaged over the K chains: ``(mean dtheta_h ; mean Jt dS)``."""
    Ph = model.n_head_params
    grad = np.empty(model.n_params)
    if Jt.shape[0] == 1:  # the single-sequence algorithm, exactly as before mini-batches
        grad[:Ph] = hd.dtheta[0]
        grad[Ph:] = Jt[0] @ hd.dS[0]
    else:
        grad[:Ph] = hd.dtheta.mean(axis=0)
        grad[Ph:] = np.matmul(Jt, hd.dS[:, :, None])[:, :, 0].mean(axis=0)
    return grad


def _rtrl_chunk_numpy(model, theta, state, X, Y, etas, optimizer, opt_state):
    """Online RTRL over one chunk of B chains with the reference NumPy engine (module docstring).

    ``X`` (B, m, d), ``Y`` (B, m). Returns ``(theta, state, opt_state, losses (k,), grad_norms (k,),
    fail, why)`` with ``fail = -1`` or the chunk index of the step that diverged; on failure
    ``theta``, ``state`` and ``opt_state`` are those before that step.
    """
    cell, head = model.cell, model.head
    m = X.shape[1]
    losses = np.empty(m)
    gnorms = np.empty(m)
    for t in range(m):
        th, tc = model.split(theta)
        prep = cell.prepare(tc)
        new_state, _ = advance_first_order(cell, prep, state, X[:, t])
        hd = head.derivatives(th, new_state.S, Y[:, t])
        loss = float(hd.loss.mean())
        if not math.isfinite(loss):
            return (
                theta,
                state,
                opt_state,
                losses[:t],
                gnorms[:t],
                t,
                f"loss became non-finite ({loss}) at step",
            )
        grad = _chain_mean_grad(model, hd, new_state.Jt)
        new_theta, new_opt = optimizer.update(theta, grad, etas[t], opt_state)
        losses[t] = loss
        gnorms[t] = math.sqrt(float(grad @ grad))
        why = _update_failure(optimizer, new_theta, new_opt)
        if why is not None:
            return theta, state, opt_state, losses[: t + 1], gnorms[: t + 1], t, why + " of step"
        theta, state, opt_state = new_theta, new_state, new_opt
    return theta, state, opt_state, losses, gnorms, -1, ""


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk of training (a record interval of m steps) returns, on every backend.

    Attributes
    ----------
    theta : ndarray (P,)
        Parameters after the chunk's last good update.
    state : object
        The carried state (RTRL: sensitivities and hidden state of the backend; TBPTT: S_T of the
        last good block).
    opt_state : object
        The optimizer's state after the last good update.
    losses : ndarray (n_done,)
        Per-step losses to store at steps ``done .. done + n_done``.
    update_steps, grad_norms : ndarray (n_updates,)
        Step of each update and the norm of its gradient.
    n_done : int
        Steps consumed: m, or fewer when the chunk stopped on a failure.
    failure : str or None
        What went wrong, with the step (None: the chunk completed).
    failed_at : int or None
        The step at which it went wrong.
    """

    theta: np.ndarray
    state: object
    opt_state: object
    losses: np.ndarray
    update_steps: np.ndarray
    grad_norms: np.ndarray
    n_done: int
    failure: str | None = None
    failed_at: int | None = None


def _rtrl_chunk(backend, model, theta, state, X, Y, etas, optimizer, opt_state, done):
    """Run m steps of exact RTRL with an update per step on ``backend`` -> :class:`ChunkResult`.

    The only place that dispatches on the backend: ``X, Y`` have shape (B, m, .), ``etas`` (m,),
    ``done`` is the index of the chunk's first step.
    """
    if backend == "numba":  # the compiled engine, any cell it covers (select_backend)
        from . import _fast

        out = _fast.rtrl_chunk_compiled(model, theta, state, X, Y, etas, optimizer, opt_state)
        theta, state, opt_state, cl, cg, fail, why = out
    else:
        out = _rtrl_chunk_numpy(model, theta, state, X, Y, etas, optimizer, opt_state)
        theta, state, opt_state, cl, cg, fail, why = out
    steps = np.arange(done, done + cg.shape[0])
    if fail >= 0:
        k = cl.shape[0]
        return ChunkResult(theta, state, opt_state, cl, steps, cg, k, f"{why} {done + fail}",
                           done + fail)
    return ChunkResult(theta, state, opt_state, cl, steps, cg, etas.shape[0])


def _tbptt_chunk(model, theta, S, X, Y, tau, schedule, block_reduction, optimizer, opt_state,
                 done):
    """Run m steps of TBPTT(tau) with one update per block.

    Run m steps of TBPTT(tau): BPTT inside each block of ``tau`` steps from the carried state
    ``S``, one update per block -> :class:`ChunkResult` (``state`` the last good S_T).
    """
    m = X.shape[1]
    losses, gnorms, ustep = [], [], []
    failure = failed_at = None
    n_done = m
    for a in range(0, m, tau):
        Xb, Yb = X[:, a : a + tau], Y[:, a : a + tau]
        n_b = Xb.shape[1]
        res = bptt_sequences(model, theta, Xb, Yb, S0=S)
        sl = res.step_losses.mean(axis=0)
        bad = ~np.isfinite(sl)
        if bad.any():
            j = int(np.argmax(bad))
            losses.append(sl[:j])
            failed_at = done + a + j
            failure = f"loss became non-finite ({sl[j]}) at step {failed_at}"
            n_done = a + j
            break
        scale = n_b if block_reduction == "sum" else 1.0
        grad = scale * res.grad.mean(axis=0)
        eta = _etas(schedule, done + a, 1)[0]
        new_theta, new_opt = optimizer.update(theta, grad, eta, opt_state)
        losses.append(sl)
        gnorms.append(math.sqrt(float(grad @ grad)))
        ustep.append(done + a)
        why = _update_failure(optimizer, new_theta, new_opt)
        if why is not None:
            failed_at = done + a
            failure = f"{why} of the block starting at step {failed_at}"
            n_done = a + n_b
            break
        theta, S, opt_state = new_theta, res.S_T, new_opt
    return ChunkResult(
        theta, S, opt_state, np.concatenate(losses) if losses else np.zeros(0),
        np.asarray(ustep, dtype=np.int64), np.asarray(gnorms, dtype=float), n_done, failure,
        failed_at,
    )


def _update_failure(optimizer, new_theta, new_opt):
    """None if the update is finite, else the start of the divergence message."""
    if not np.all(np.isfinite(new_theta)):
        return "parameters became non-finite in the update"
    if not optimizer_state_is_finite(optimizer, new_opt):
        return "optimizer state became non-finite in the update"
    return None


def train_online(
    model,
    params,
    data,
    n_steps: int,
    *,
    schedule,
    algo: str = "rtrl",
    tau: int | None = None,
    block_reduction: str = "sum",
    optimizer="sgd",
    batch_size: int = 1,
    rng=None,
    record_every: int | None = None,
    backend: str = "auto",
    allow_non_robbins_monro: bool = False,
    progress: bool = False,
    on_record: Callable[[TrainResult], None] | None = None,
    catch_interrupt: bool = False,
    checkpoint=None,
    checkpoint_seconds: float = 60.0,
    resume: bool = False,
    divergence: DivergenceRule | dict | None = None,
    run_config: dict | None = None,
    log_sensitivities: bool = False,
) -> TrainResult:
    r"""Train ``model`` online with RTRL (2.24)-(2.26) or TBPTT(tau), on one sequence or a batch.

    Parameters
    ----------
    model : RNNModel
        Any cell of the engine; a ``PaperRNN`` can use the compiled fast path.
    params : initial parameters (PaperParams or flat vector)
        Ignored when resuming (the checkpoint's parameters are used; the shape must match).
    data : DataProcess, DataStream, or tuple of arrays
        A process is streamed with ``rng`` in pieces of ``record_every`` steps (with
        ``n_chains=batch_size`` when ``batch_size > 1``). A stream must have
        ``n_chains = batch_size`` (or be single-chain when ``batch_size = 1``). Arrays are
        ``(X (T, d), Y (T,))`` or ``(X (B, T, d), Y (B, T))`` with ``B = batch_size`` and
        ``T >= n_steps``. A model with ``input_kind = "onehot"`` (character-level models,
        ``rtrl_theory.cells.char_rnn``) takes integer symbols ``X`` (T,) or (B, T); one with
        ``target_kind = "class"`` integer labels ``Y``; such models take arrays only (e.g.
        ``rtrl_theory.data.next_char_pairs`` / ``parallel_streams``).
    n_steps : int
        Time steps (each step consumes one step of each of the B sequences). When resuming, the
        total including the checkpointed steps (it may exceed the earlier run's ``n_steps``).
    schedule : PowerSchedule or callable t -> eta_t
        Must satisfy Assumption 2.14 unless ``allow_non_robbins_monro=True``; it drives every
        optimizer. [P1]'s convergence theorem covers the SGD update only.
    allow_non_robbins_monro : bool, default False
        Run with a schedule that violates Assumption 2.14 (or cannot be checked), outside the
        hypotheses of [P1]'s convergence theorem; by default such a schedule raises ValueError
        (:func:`~rtrl_theory.optim.validate_schedule`). Recorded in ``config``.
    algo : {"rtrl", "tbptt"} or an online estimator name
        Any other name of ``rtrl_theory.online.ESTIMATOR_NAMES`` ("uoro", "kf-rtrl",
        "snap-2", "tbptt-8", ...) trains with that approximate estimator
        (``rtrl_theory.online._train.train_online_estimator``: NumPy engine, no checkpoints).
    tau : int
        Truncation length, required for TBPTT.
    block_reduction : {"sum", "mean"}
        TBPTT only: how the block's per-step gradients combine (module docstring).
    optimizer : {"sgd", "rmsprop"} or optimizer object
        ``"sgd"`` (default): :math:`\theta \leftarrow \theta - \eta_t g`, the update of [P1].
        ``"rmsprop"``: :class:`~rtrl_theory.runners.RMSprop` with beta = 0.9, eps = 1e-8; pass
        ``RMSprop(beta=..., eps=...)`` or any object with ``init``/``update`` for other settings
        (see :mod:`rtrl_theory.runners._optimizers`).
    batch_size : int, default 1
        Number B of independent sequences sharing the parameters; each update uses the mean over
        the chains of their gradients and the recorded loss is the chain mean (module docstring).
    rng : Generator, int or None
        Drives the data stream when ``data`` is a process (when resuming, the stream's generator
        states come from the checkpoint instead).
    record_every : int, optional
        Steps between parameter-path snapshots, ``on_record`` calls and checkpoint opportunities
        (default about n_steps/200, rounded up to a multiple of tau for TBPTT).
    backend : {"auto", "numpy", "numba"}
        Decided by :func:`~rtrl_theory.engine.select_backend` (the result's ``backend_reason``
        says why): RTRL with SGD or RMSprop and ``batch_size=1`` on any cell with a compiled
        description (paper RNN, Elman, linear / neural SDE, GRU, LSTM) and the readout or
        softmax head runs compiled under "auto"; every other case runs the NumPy engine, and
        ``"numba"`` raises there (TBPTT included).
    progress : bool
        Show a progress bar on stderr.
    on_record : callable, optional
        Called with the partial :class:`TrainResult` after each record interval.
    catch_interrupt : bool
        Turn KeyboardInterrupt into a result with ``status="interrupted"`` (parameters, losses
        and checkpoint as of the last completed record interval), and (in the main thread)
        handle SIGINT and SIGTERM: the run stops at the end of the current record interval with
        ``status="interrupted"`` (module docstring).
    checkpoint : str or os.PathLike, optional
        Path of a checkpoint (:mod:`rtrl_theory.runners._checkpoint`: one ``.npz`` written
        atomically, plus a JSON copy of its metadata) holding everything needed to continue:
        parameters, RTRL sensitivities or the TBPTT carried state, optimizer state, data position
        (arrays) or stream state (bit generators, chain and target states), the recorded arrays
        and the step counter. Written at the end of a record interval when ``checkpoint_seconds``
        have passed since the last write, and at the end of the run whatever its status. A fresh
        run (``resume=False``) refuses to overwrite an existing checkpoint.
    checkpoint_seconds : float, default 60
        Least time between two checkpoint writes during the run (0: every record interval).
    resume : bool
        Continue from ``checkpoint`` (which must exist, and not be of a diverged run) with the
        same model, data, schedule, algorithm, tau, optimizer and batch size (checked). The
        continued run is *exactly* the uninterrupted one (same parameters and losses, bit for
        bit) when it runs on the same backend: every path is a step-by-step recursion whose
        result does not depend on where the run was cut, the stream draws are chunking-invariant,
        and TBPTT checkpoints fall on block boundaries (``record_every`` is a multiple of tau;
        only the final checkpoint of a run whose ``n_steps`` is not a multiple of tau ends inside
        a block, and continuing from it starts a new block there).

    divergence : DivergenceRule or dict, optional
        When a run counts as diverged beyond non-finite values
        (:class:`~rtrl_theory.runners.DivergenceRule`: ``loss_factor=1000``,
        ``theta_bound=1e6``, ``window=100`` by default; recorded in ``config["divergence"]``).
    run_config : dict, optional
        The caller's whole run configuration (JSON-able: seed, data, model, ...), stored in the
        checkpoint; on ``resume`` every field must be equal, else ValueError naming the fields.
    log_sensitivities : bool, default False
        RTRL only: after each record interval, log the largest :math:`|\tilde J|` per parameter
        column into ``TrainResult.sensitivity_log`` (the a-priori box of Remark 2.15 along the
        run; with ``record_every=1`` at every step). Off: no cost. Not kept in checkpoints: a
        resumed run's log covers the resumed part only.

    Returns
    -------
    TrainResult
        ``config`` records the optimizer and the batch size (and the checkpoint and the steps at
        which the run was resumed).
    """
    if algo not in ALGORITHMS:
        return _train_estimator(
            model, params, data, n_steps, schedule, algo, tau, optimizer, batch_size, rng,
            record_every, backend, allow_non_robbins_monro, progress, checkpoint, resume,
        )
    n_steps, tau, divergence, optimizer, B, theta, checkpoint, checkpoint_seconds = _check_options(
        model, params, n_steps, algo, tau, block_reduction, schedule, allow_non_robbins_monro,
        divergence, optimizer, batch_size, checkpoint, checkpoint_seconds, resume,
    )  # fmt: skip
    rng = as_rng(rng)
    ckpt = load_checkpoint(checkpoint) if resume else None
    source = _data_source(data, n_steps, rng, model.n_input, B, model)
    record_every = _record_every(record_every, n_steps, algo, tau)
    plan = _pick_backend(model, algo, backend, optimizer, B)  # the engine's one decision
    config = _config(algo, tau, block_reduction, optimizer, B, n_steps, record_every, schedule,
                     allow_non_robbins_monro, divergence)
    run = _Run(model, theta, algo, plan, B, n_steps, tau, optimizer, config, run_config,
               checkpoint, source)
    if ckpt is not None:
        run.resume(ckpt)
    run.sens_log = [] if (log_sensitivities and algo == "rtrl") else None  # Remark 2.15
    run.start()
    last_write = time.monotonic()
    stop = _SignalStop(catch_interrupt)
    bar = _progress_bar(progress, n_steps, run.done, algo)
    try:
        stop.install()
        with np.errstate(over="ignore", invalid="ignore"):
            while run.done < n_steps:
                m = min(record_every, n_steps - run.done)
                X, Y = source.take(m)
                if run.apply(run.chunk(X, Y, m, schedule, tau, block_reduction), m, divergence):
                    break
                if bar is not None:
                    bar.update(m)
                if checkpoint is not None and (
                    time.monotonic() - last_write >= checkpoint_seconds and run.done < n_steps
                ):
                    run.write(run.committed, "running")
                    last_write = time.monotonic()
                if on_record is not None:
                    on_record(run.snapshot("running", None, f"{run.done} of {n_steps} steps"))
                if stop.signame is not None and run.done < n_steps:
                    run.stop("interrupted", run.done,
                             f"interrupted by {stop.signame} after {run.done} steps")
                    break
    except KeyboardInterrupt:
        if not catch_interrupt:
            if checkpoint is not None:
                run.write(run.committed, "interrupted")
            raise
        run.rollback()  # back to the last completed record interval
    finally:
        stop.restore()
        if bar is not None:
            bar.close()
    return run.finish()


def _train_estimator(model, params, data, n_steps, schedule, algo, tau, optimizer, batch_size,
                     rng, record_every, backend, allow_non_robbins_monro, progress, checkpoint,
                     resume):
    """``train_online(algo=NAME)`` for a name other than rtrl / tbptt."""
    # --- online estimators hook (issue 13): any other name goes to rtrl_theory.online ---
    from rtrl_theory.online._registry import is_estimator_name
    from rtrl_theory.online._train import train_online_estimator

    if not is_estimator_name(algo):
        raise ValueError(
            f"algo: expected one of {ALGORITHMS} or an online estimator name "
            f"(rtrl_theory.online.ESTIMATOR_NAMES, e.g. 'uoro', 'snap-2'), got {algo!r}"
        )
    if checkpoint is not None or resume or backend == "numba" or tau is not None:
        raise ValueError(
            f"algo: {algo!r} runs on the NumPy engine without checkpoints or tau; leave "
            f"checkpoint, resume, backend='numba' and tau unset (TBPTT is 'tbptt-TAU')"
        )
    return train_online_estimator(
        model, params, data, n_steps, schedule=schedule, algo=algo, optimizer=optimizer,
        batch_size=batch_size, rng=rng, record_every=record_every,
        allow_non_robbins_monro=allow_non_robbins_monro, progress=progress,
    )  # fmt: skip
    # --- end of the online estimators hook ---


def _check_options(model, params, n_steps, algo, tau, block_reduction, schedule,
                   allow_non_robbins_monro, divergence, optimizer, batch_size, checkpoint,
                   checkpoint_seconds, resume):
    """``train_online``'s arguments checked (errors name the argument), in its order."""
    n_steps = positive_int(n_steps, "n_steps")
    if algo == "tbptt":
        if tau is None:
            raise ValueError("tau: TBPTT needs a truncation length tau (a positive integer)")
        tau = positive_int(tau, "tau")
        if block_reduction not in ("sum", "mean"):
            raise ValueError(f"block_reduction: expected 'sum' or 'mean', got {block_reduction!r}")
    validate_schedule(schedule, allow_non_robbins_monro=allow_non_robbins_monro)
    divergence = DivergenceRule.coerce(divergence)
    optimizer = make_optimizer(optimizer)
    B = positive_int(batch_size, "batch_size")
    theta = model.flatten(params).copy()
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        checkpoint_seconds = float(checkpoint_seconds)
        if not checkpoint_seconds >= 0:
            raise ValueError(
                f"checkpoint_seconds: expected a non-negative number, got {checkpoint_seconds!r}"
            )
        if not resume and checkpoint.exists():
            raise FileExistsError(
                f"checkpoint: {str(checkpoint)!r} exists; pass resume=True (--resume) to continue "
                f"that run, or remove the file to start afresh"
            )
    elif resume:
        raise ValueError("resume: needs checkpoint=PATH, the checkpoint to continue")
    return n_steps, tau, divergence, optimizer, B, theta, checkpoint, checkpoint_seconds


def _record_every(record_every, n_steps, algo, tau) -> int:
    """Return the steps per record interval: default n_steps // 200; a multiple of tau for TBPTT."""
    if record_every is None:
        record_every = max(1, n_steps // 200)
    record_every = positive_int(record_every, "record_every")
    if algo == "tbptt":
        record_every = tau * math.ceil(record_every / tau)
    return record_every


def _config(algo, tau, block_reduction, optimizer, B, n_steps, record_every, schedule,
            allow_non_robbins_monro, divergence) -> dict:
    """Return the run's configuration as recorded (and checked on resume)."""
    return {
        "algo": algo,
        "tau": tau,
        "block_reduction": block_reduction if algo == "tbptt" else None,
        "optimizer": optimizer_record(optimizer),
        "batch_size": B,
        "n_steps": n_steps,
        "record_every": record_every,
        "schedule": schedule.to_dict() if hasattr(schedule, "to_dict") else repr(schedule),
        "allow_non_robbins_monro": allow_non_robbins_monro,
        "divergence": divergence.to_dict(),
    }


def _progress_bar(progress, n_steps, done, algo):
    if not progress:
        return None
    from rtrl_theory._progress import tqdm_class
    tqdm = tqdm_class()

    return tqdm(total=n_steps, initial=done, unit="step", desc=f"{algo}", leave=False,
                dynamic_ncols=True)


class _Run:
    """The run recorder of :func:`train_online`.

    The run recorder of :func:`train_online`: the run's state (parameters, carried states,
    optimizer state, losses, gradient norms, the parameter path), what a chunk's
    :class:`ChunkResult` does to it, consistent copies (:meth:`commit`), checkpoints
    (:meth:`write`) and the :class:`TrainResult` (:meth:`snapshot`).
    """

    def __init__(self, model, theta, algo, plan, B, n_steps, tau, optimizer, config,
                 run_config, checkpoint, source):
        self.model, self.algo, self.n_steps = model, algo, n_steps
        self.backend, self.backend_reason = plan.name, plan.reason
        self.optimizer, self.config, self.run_config = optimizer, config, run_config
        self.checkpoint, self.source = checkpoint, source
        self.model_desc = {"repr": repr(model), "n_params": int(model.n_params)}
        self.P = theta.shape[0]
        self.losses = np.empty(n_steps)
        n_updates_max = n_steps if algo == "rtrl" else math.ceil(n_steps / tau)
        self.gnorms = np.empty(n_updates_max)
        self.ustep = np.empty(n_updates_max, dtype=np.int64)
        self.path_steps = [0]
        self.path = [theta.copy()]
        self.done = 0
        self.n_up = 0
        self.wall_before = 0.0
        self.status, self.stopped_at = "completed", None
        self.message = f"completed {n_steps} steps"
        self.theta = theta
        self.state = initial_sensitivities(model.cell, B) if algo == "rtrl" else None
        self.S = model.cell.initial_state(B)
        self.opt_state = optimizer.init(theta)
        self.sens_log = None  # Remark 2.15 log: a list of (step, max |J~| per column) when on

    def resume(self, ckpt) -> None:
        """Continue the run saved in ``ckpt`` (checked against this run's configuration)."""
        algo = self.algo
        _check_resumable(ckpt, self.config, self.model_desc, self.n_steps, self.P,
                         self.run_config)
        missing = [k for k in ("theta", "losses", "grad_norms", "update_steps", "path_steps",
                               "param_path", "sens_S" if algo == "rtrl" else "carry_S")
                   if k not in ckpt.arrays]
        if missing:
            raise CheckpointError(
                f"checkpoint: {str(ckpt.path)!r} is damaged: it lacks the arrays "
                f"{', '.join(missing)}"
            )
        a = ckpt.arrays
        done = self.done = ckpt.step
        self.n_up = n_up = int(ckpt.meta["n_updates"])
        self.theta = a["theta"].copy()
        self.losses[:done] = a["losses"]
        self.gnorms[:n_up] = a["grad_norms"]
        self.ustep[:n_up] = a["update_steps"]
        self.path_steps = [int(v) for v in a["path_steps"]]
        self.path = [row.copy() for row in a["param_path"]]
        if algo == "rtrl":
            self.state = SensitivityState(
                a["sens_S"].copy(),
                a["sens_Jt"].copy(),
                a["sens_Ht"].copy() if "sens_Ht" in a else None,
            )
        else:
            self.S = a["carry_S"].copy()
        self.opt_state = optimizer_state_from_parts(self.opt_state, ckpt.meta["optimizer_state"],
                                                    a)
        self.source.restore(ckpt.meta["data"], a, done)
        self.wall_before = float(ckpt.meta["wall_time"])
        self.config["resumed_at"] = [*ckpt.meta["config"].get("resumed_at", []), done]
        self.message = f"completed {self.n_steps} steps"

    def start(self) -> None:
        if self.checkpoint is not None:
            self.config["checkpoint"] = str(self.checkpoint)
        self.t_start = time.perf_counter()
        self.fingerprint = self.source.fingerprint() if self.checkpoint is not None else None
        self.committed = self.commit()

    def chunk(self, X, Y, m, schedule, tau, block_reduction) -> ChunkResult:
        """Return the next ``m`` steps on this run's algorithm and backend."""
        if self.algo == "rtrl":
            return _rtrl_chunk(self.backend, self.model, self.theta, self.state, X, Y,
                               _etas(schedule, self.done, m), self.optimizer, self.opt_state,
                               self.done)
        return _tbptt_chunk(self.model, self.theta, self.S, X, Y, tau, schedule, block_reduction,
                            self.optimizer, self.opt_state, self.done)

    def stop(self, status, stopped_at, message) -> None:
        self.status, self.stopped_at, self.message = status, stopped_at, message

    def apply(self, c: ChunkResult, m: int, divergence) -> bool:
        """Record a chunk; True when the run must stop (a failure or divergence by growth)."""
        self.theta, self.opt_state = c.theta, c.opt_state
        if self.algo == "rtrl":
            self.state = c.state
        else:
            self.S = c.state
        done, n_up = self.done, self.n_up
        self.losses[done : done + c.n_done] = c.losses
        u = c.grad_norms.shape[0]
        self.gnorms[n_up : n_up + u] = c.grad_norms
        self.ustep[n_up : n_up + u] = c.update_steps
        self.n_up += u
        if c.failure is not None:
            self.done += c.n_done
            self.stop("diverged", c.failed_at,
                      f"{c.failure}; stopped, keeping the {self.done} recorded steps")
            return True
        self.done += m
        grown = _grown(divergence, self.losses, self.done - m, self.done, self.theta)
        if grown is not None:
            self.stop("diverged", grown[0], grown[1])
            return True
        self.path_steps.append(self.done)
        self.path.append(self.theta.copy())
        if self.sens_log is not None:
            self.sens_log.append((self.done, np.abs(self.state.Jt).max(axis=(0, 2))))
        self.committed = self.commit()
        return False

    def commit(self) -> dict:
        """Return a consistent copy of the run's state at ``done`` (what a checkpoint holds)."""
        data_meta, data_arrays = self.source.state()
        state = self.state
        return {
            "done": self.done,
            "n_up": self.n_up,
            "theta": self.theta.copy(),
            "state": None
            if state is None
            else SensitivityState(
                state.S.copy(), state.Jt.copy(), None if state.Ht is None else state.Ht.copy()
            ),
            "S": None if self.algo == "rtrl" else np.array(self.S, copy=True),
            "opt_state": optimizer_state_to_parts(self.opt_state)
            if self.checkpoint is not None
            else None,
            "data": (data_meta, data_arrays),
            "n_path": len(self.path),
        }

    def write(self, c, status_) -> None:
        """Write the committed copy ``c`` as the checkpoint, with status ``status_``."""
        d_meta, d_arrays = c["data"]
        opt_meta, opt_arrays = c["opt_state"]
        arrays = {
            "theta": c["theta"],
            "losses": self.losses[: c["done"]],
            "grad_norms": self.gnorms[: c["n_up"]],
            "update_steps": self.ustep[: c["n_up"]],
            "path_steps": np.array(self.path_steps[: c["n_path"]], dtype=np.int64),
            "param_path": np.array(self.path[: c["n_path"]]),
            **opt_arrays,
            **d_arrays,
        }
        if c["state"] is not None:
            arrays["sens_S"], arrays["sens_Jt"] = c["state"].S, c["state"].Jt
            if c["state"].Ht is not None:
                arrays["sens_Ht"] = c["state"].Ht
        else:
            arrays["carry_S"] = c["S"]
        meta = {
            "done": c["done"],
            "n_updates": c["n_up"],
            "status": status_,
            "wall_time": self.wall_before + time.perf_counter() - self.t_start,
            "backend": self.backend,
            "config": self.config,
            "model": self.model_desc,
            "optimizer_state": opt_meta,
            "data": {**d_meta, "fingerprint": self.fingerprint},
            "run_config": self.run_config,
        }
        write_checkpoint(self.checkpoint, meta, arrays)

    def snapshot(self, status_, stopped_, message_) -> TrainResult:
        return TrainResult(
            self.algo,
            self.model.unflatten(self.theta),
            self.losses[: self.done].copy(),
            self.ustep[: self.n_up].copy(),
            self.gnorms[: self.n_up].copy(),
            np.array(self.path_steps),
            np.array(self.path),
            status_,
            stopped_,
            message_,
            self.wall_before + time.perf_counter() - self.t_start,
            self.backend,
            self.config,
            backend_reason=self.backend_reason,
            sensitivity_log=None
            if self.sens_log is None
            else {
                "steps": np.array([d for d, _ in self.sens_log], dtype=np.int64),
                "max_abs_J": np.array([j for _, j in self.sens_log]).reshape(
                    len(self.sens_log), -1
                ),
            },
        )

    def rollback(self) -> None:
        """Roll back to the last completed record interval after Ctrl-C.

        After Ctrl-C: back to the last completed record interval, where parameters, states
        and losses agree.
        """
        c = self.committed
        self.done, self.n_up = c["done"], c["n_up"]
        self.theta = c["theta"]
        del self.path_steps[c["n_path"] :], self.path[c["n_path"] :]
        self.stop("interrupted", self.done, f"interrupted by the user after {self.done} steps")

    def finish(self) -> TrainResult:
        """Close the parameter path, write the final checkpoint, return the result."""
        if self.path_steps[-1] != self.done or self.status != "completed":
            self.path_steps.append(self.done)
            self.path.append(self.theta.copy())
        assert self.path[-1].shape == (self.P,)
        if self.checkpoint is not None:
            if self.status == "diverged":
                # Keep the recorded steps (the failing one included) with the last good state.
                committed = {
                    **self.committed,
                    "done": self.done,
                    "n_up": self.n_up,
                    "theta": self.theta.copy(),
                    "n_path": len(self.path),
                }
            else:
                committed = {**self.committed, "n_path": len(self.path)}
            self.write(committed, self.status)
        return self.snapshot(self.status, self.stopped_at, self.message)


_RESUME_KEYS = (
    ("algo", "algo"),
    ("tau", "tau"),
    ("block_reduction", "block_reduction"),
    ("optimizer", "optimizer"),
    ("batch_size", "batch_size"),
    ("schedule", "schedule"),
    ("allow_non_robbins_monro", "allow_non_robbins_monro"),
    ("divergence", "divergence"),
)


def _check_resumable(ckpt, config, model_desc, n_steps, P, run_config=None) -> None:
    """Refuse to continue a checkpoint under another configuration (errors name the argument)."""
    meta = ckpt.meta
    if run_config is not None:
        old_rc = meta.get("run_config")
        if old_rc is None:
            raise ValueError(
                f"resume: {str(ckpt.path)!r} does not record its run configuration (an older "
                f"checkpoint), so the settings of this run cannot be checked against it"
            )
        diffs = _config_diffs(to_jsonable(old_rc), to_jsonable(run_config))
        if diffs:
            raise ValueError(
                "resume: this run's settings differ from the checkpointed run's: "
                + "; ".join(f"{k}: checkpoint {a!r}, now {b!r}" for k, a, b in diffs)
                + ". Resume with the same settings, or start a new run with another --checkpoint"
            )
    if ckpt.status == "diverged":
        raise ValueError(
            f"checkpoint: {str(ckpt.path)!r} is of a run that diverged at step {ckpt.step}; "
            f"there is nothing to continue"
        )
    old = meta["config"]
    for key, arg in _RESUME_KEYS:
        a, b = to_jsonable(old.get(key)), to_jsonable(config.get(key))
        if key == "schedule" and (isinstance(a, str) or isinstance(b, str)):
            continue  # a plain callable: its repr names an address, not its values
        if key == "divergence" and a is None:
            continue  # a checkpoint written before the growth rule existed
        if a != b:
            raise ValueError(
                f"{arg}: the checkpointed run used {a!r}, this call {b!r}; resume with the same "
                f"settings"
            )
    if meta["model"]["n_params"] != P or meta["model"]["repr"] != model_desc["repr"]:
        raise ValueError(
            f"model: the checkpointed run trained {meta['model']['repr']}, this call "
            f"{model_desc['repr']}"
        )
    if n_steps < ckpt.step:
        raise ValueError(
            f"n_steps: {n_steps} is fewer than the {ckpt.step} steps already in the checkpoint"
        )


def _config_diffs(old, new, prefix="") -> list:
    """``(dotted key, old, new)`` for every field that differs between two JSON-like dicts."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            out += _config_diffs(old.get(k), new.get(k), f"{prefix}{k}.")
        return out
    return [] if old == new else [(prefix.rstrip("."), old, new)]


def _grown(rule, losses, start, done, theta):
    """``(step, message)`` when the run has grown past the divergence rule, else None."""
    from rtrl_theory.optim._divergence import divergence_step

    step, why = divergence_step(losses[:done], rule, start=start)
    if step is None:
        why = rule.theta_message(theta)
        step = done if why is not None else None
    if step is None:
        return None
    return step, (
        f"diverged: {why} (step {step}); stopped at step {done}, keeping the {done} recorded "
        f"steps"
    )


class _SignalStop:
    """SIGINT/SIGTERM handlers that set a flag read between record intervals (main thread only)."""

    def __init__(self, active: bool):
        self.active = active
        self.signame = None
        self._previous = {}

    def _handler(self, signum, frame):
        import signal
        import sys

        if self.signame is None:
            self.signame = signal.Signals(signum).name
            print(
                f"\n{self.signame}: stopping at the end of this record interval (the record and "
                f"checkpoint are then written)",
                file=sys.stderr,
                flush=True,
            )

    def install(self) -> None:
        import signal
        import threading

        if not self.active or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handler)

    def restore(self) -> None:
        import signal

        for sig, prev in self._previous.items():
            signal.signal(sig, prev)
        self._previous = {}


def _etas(schedule, start: int, m: int) -> np.ndarray:
    etas = np.asarray(schedule(np.arange(start, start + m)), dtype=float).reshape(-1)
    if etas.shape[0] != m:
        etas = np.array([float(schedule(t)) for t in range(start, start + m)])
    if not np.all(np.isfinite(etas)) or np.any(etas <= 0):
        bad = int(np.argmax(~np.isfinite(etas) | (etas <= 0)))
        raise ValueError(
            f"schedule: learning rates must be positive and finite, got eta_{start + bad} = "
            f"{float(etas[bad])!r}"
        )
    return etas
