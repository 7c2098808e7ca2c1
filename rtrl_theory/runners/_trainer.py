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
when and why and keeps everything recorded before (``status="diverged"``).

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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rtrl_theory._validate import as_array, as_rng, positive_int
from rtrl_theory.data import DataProcess, DataStream
from rtrl_theory.engine import bptt_sequences, initial_sensitivities
from rtrl_theory.engine._forward import SensitivityState, advance_first_order

from ._checkpoint import (
    array_fingerprint,
    load_checkpoint,
    optimizer_state_from_parts,
    optimizer_state_to_parts,
    restore_stream,
    stream_state,
    write_checkpoint,
)
from ._optimizers import make_optimizer, optimizer_record, optimizer_state_is_finite
from ._records import to_jsonable
from ._schedules import validate_schedule

__all__ = ["TrainResult", "train_online", "ALGORITHMS", "BACKENDS"]

ALGORITHMS = ("rtrl", "tbptt")
BACKENDS = ("auto", "numpy", "numba")


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train_online`.

    Attributes
    ----------
    algo : str
    params : parameters after the last completed update (``model.unflatten``)
    losses : ndarray (n_steps_run,)
        Per-step loss :math:`\\tfrac12(\\hat Y_t - Y_t)^2` seen online (mean over the chains of a
        mini-batch); the head's loss for other heads (the cross-entropy in nats for
        ``SoftmaxCrossEntropy``).
    update_steps : ndarray of int (n_updates,)
        Step index of each update (every step for RTRL, block starts for TBPTT).
    grad_norms : ndarray (n_updates,)
        Euclidean norm of the gradient g of each update (the chain mean for a mini-batch; the
        raw gradient, before any RMSprop scaling).
    path_steps, param_path : ndarray (n_path,), (n_path, P)
        Thinned parameter path: :math:`\\theta_t` before step ``path_steps[i]``, plus the final one.
    status : {"completed", "diverged", "interrupted"}
    stopped_at : int or None
        Step at which a diverged or interrupted run stopped.
    message : str
    wall_time : float, seconds
    backend : str
        "numpy" or "numba" (the compiled engine).
    backend_reason : str
        Why that backend runs (``rtrl_theory.engine.select_backend``).
    """

    algo: str
    params: object
    losses: np.ndarray
    update_steps: np.ndarray
    grad_norms: np.ndarray
    path_steps: np.ndarray
    param_path: np.ndarray
    status: str
    stopped_at: int | None
    message: str
    wall_time: float
    backend: str
    config: dict = field(default_factory=dict)
    backend_reason: str = ""

    @property
    def n_steps_run(self) -> int:
        return int(self.losses.shape[0])

    def loss_windows(self, window: int) -> tuple[np.ndarray, np.ndarray]:
        """Means of the per-step loss over consecutive windows: ``(first steps, means)``."""
        window = positive_int(window, "window")
        n = self.n_steps_run // window
        if n == 0:
            return np.zeros(0, dtype=int), np.zeros(0)
        means = self.losses[: n * window].reshape(n, window).mean(axis=1)
        return np.arange(n) * window, means

    def to_dict(self, *, max_points: int = 1000) -> dict:
        """JSON-ready summary: windowed losses and gradient norms (at most ``max_points`` each)."""
        window = max(1, math.ceil(self.n_steps_run / max_points)) if self.n_steps_run else 1
        steps, means = self.loss_windows(window)
        gthin = max(1, math.ceil(self.grad_norms.shape[0] / max_points))
        return {
            "algo": self.algo,
            "backend": self.backend,
            "backend_reason": self.backend_reason,
            "status": self.status,
            "stopped_at": self.stopped_at,
            "message": self.message,
            "n_steps_run": self.n_steps_run,
            "wall_time_s": self.wall_time,
            "config": self.config,
            "losses": {"window": window, "step": steps, "mean": means},
            "final_window_loss": float(means[-1]) if means.size else None,
            "grad_norm": {
                "step": self.update_steps[::gthin],
                "value": self.grad_norms[::gthin],
            },
            "param_path": {"step": self.path_steps, "theta": self.param_path},
            "final_params": np.asarray(self.param_path[-1]) if len(self.param_path) else None,
        }


class _Interrupted(Exception):
    pass


class _ArraySource:
    """Consecutive pieces of arrays ``X`` (B, T, ...), ``Y`` (B, T); the state is the position."""

    kind = "arrays"

    def __init__(self, X, Y):
        self.X, self.Y, self.pos = X, Y, 0

    def take(self, m):
        a = self.pos
        self.pos += m
        return self.X[:, a : a + m], self.Y[:, a : a + m]

    def state(self) -> tuple[dict, dict]:
        return {"kind": self.kind, "position": self.pos}, {}

    def fingerprint(self) -> str:
        return array_fingerprint(self.X, self.Y)

    def restore(self, meta, arrays, done) -> None:
        if meta.get("kind") != self.kind:
            raise ValueError(
                f"data: the checkpointed run read a {meta.get('kind')}, this one arrays (X, Y)"
            )
        if meta.get("fingerprint") != self.fingerprint():
            raise ValueError(
                "data: the arrays differ from those of the checkpointed run (SHA-256 "
                "fingerprint); resume with the same X and Y"
            )
        self.pos = int(meta["position"])


class _StreamSource:
    """Pieces of a :class:`~rtrl_theory.data.DataStream`, (B, m, d) and (B, m)."""

    kind = "stream"

    def __init__(self, stream):
        self.stream = stream

    def take(self, m):
        X, Y = self.stream.next(m)
        return (X, Y) if self.stream.batched else (X[None], Y[None])

    def state(self) -> tuple[dict, dict]:
        meta, arrays = stream_state(self.stream)
        return {"kind": self.kind, **meta}, arrays

    def fingerprint(self) -> None:
        return None

    def restore(self, meta, arrays, done) -> None:
        if meta.get("kind") != self.kind:
            raise ValueError(
                f"data: the checkpointed run read {meta.get('kind')}, this one a data stream"
            )
        restore_stream(self.stream, meta, arrays)


def _kinds(model) -> tuple[str, str]:
    """``(input_kind, target_kind)`` of a model: ``("dense", "real")`` unless it says otherwise."""
    return getattr(model, "input_kind", "dense"), getattr(model, "target_kind", "real")


def _kind_arrays(model, data, n_steps, B):
    """``take`` over ``(X, Y)`` arrays for a model with one-hot inputs or class targets.

    One-hot inputs are integer symbols, ``X`` (T,) or (B, T); class targets integer labels;
    ``model.check_sequence`` validates both (dtype, shape, range).
    """
    input_kind, _ = _kinds(model)
    x_step_ndim = 0 if input_kind == "onehot" else 1  # dims of one step's input
    X, Y = data
    batched = np.ndim(X) == x_step_ndim + 2
    if B != 1 and not batched:
        want = f"({B}, T)" if input_kind == "onehot" else f"({B}, T, {model.n_input})"
        raise ValueError(
            f"X: batch_size = {B} needs X of shape {want} and Y of shape ({B}, T), got X of "
            f"shape {np.shape(X)}"
        )
    X, Y = model.check_sequence(X, Y, batched=batched)
    if not batched:
        X, Y = X[None], Y[None]
    elif X.shape[0] != B:
        raise ValueError(f"X: expected {B} sequences (batch_size), got {X.shape[0]}")
    if X.shape[1] < n_steps:
        raise ValueError(f"data: X has {X.shape[1]} steps, fewer than n_steps = {n_steps}")
    return _ArraySource(X, Y)


def _data_source(data, n_steps, rng, d, batch_size, model=None):
    """A source with ``take(m) -> (X (B, m, d), Y (B, m))`` over arrays, a process or a stream.

    For a model with one-hot inputs or class targets (``model.input_kind == "onehot"``,
    ``model.target_kind == "class"``) the data must be arrays; ``X`` is then (B, m) of int.
    """
    B = batch_size
    if model is not None and _kinds(model) != ("dense", "real"):
        if not (isinstance(data, tuple) and len(data) == 2):
            raise TypeError(
                f"data: a model with input_kind={_kinds(model)[0]!r} and "
                f"target_kind={_kinds(model)[1]!r} takes a tuple (X, Y) of arrays (integer "
                f"symbols / class labels, e.g. rtrl_theory.data next_char_pairs), got "
                f"{type(data).__name__}"
            )
        return _kind_arrays(model, data, n_steps, B)
    if isinstance(data, DataProcess):
        data = data.stream(rng) if B == 1 else data.stream(rng, n_chains=B)
    if isinstance(data, DataStream):
        if data.batched and data.n_chains != B:
            raise ValueError(
                f"data: the stream has n_chains = {data.n_chains} but batch_size = {B}; stream "
                f"the process with n_chains=batch_size"
            )
        if not data.batched and B != 1:
            raise ValueError(
                f"data: expected a stream with n_chains = batch_size = {B}, got a single-chain "
                f"stream (n_chains=None)"
            )
        if data.process.target is None:
            raise ValueError(
                "data: the process has no target; give it a TeacherTarget or LipschitzTarget"
            )
        if data.process.n_input != d:
            raise ValueError(f"data: inputs have d = {data.process.n_input}, the model d = {d}")
        return _StreamSource(data)
    if isinstance(data, tuple) and len(data) == 2:
        if B == 1 and np.ndim(data[0]) != 3:
            X = as_array(data[0], "X", shape=(None, d))
            Y = as_array(data[1], "Y", shape=(X.shape[0],))
            X, Y = X[None], Y[None]
        else:
            if np.ndim(data[0]) != 3:
                raise ValueError(
                    f"X: batch_size = {B} needs X of shape ({B}, T, {d}) and Y of shape "
                    f"({B}, T), got X of shape {np.shape(data[0])}"
                )
            X = as_array(data[0], "X", shape=(B, None, d))
            Y = as_array(data[1], "Y", shape=X.shape[:2])
        if X.shape[1] < n_steps:
            raise ValueError(f"data: X has {X.shape[1]} steps, fewer than n_steps = {n_steps}")
        return _ArraySource(X, Y)
    raise TypeError("data: expected a DataProcess, a DataStream or a tuple (X, Y) of arrays")


def _pick_backend(model, algo, backend, optimizer, batch_size):
    """The engine's one backend decision (``rtrl_theory.engine.select_backend``): a BackendPlan."""
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
    algo : {"rtrl", "tbptt"}
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
        and checkpoint as of the last completed record interval).
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

    Returns
    -------
    TrainResult
        ``config`` records the optimizer and the batch size (and the checkpoint and the steps at
        which the run was resumed).
    """
    if algo not in ALGORITHMS:
        raise ValueError(f"algo: expected one of {ALGORITHMS}, got {algo!r}")
    n_steps = positive_int(n_steps, "n_steps")
    if algo == "tbptt":
        if tau is None:
            raise ValueError("tau: TBPTT needs a truncation length tau (a positive integer)")
        tau = positive_int(tau, "tau")
        if block_reduction not in ("sum", "mean"):
            raise ValueError(f"block_reduction: expected 'sum' or 'mean', got {block_reduction!r}")
    validate_schedule(schedule, allow_non_robbins_monro=allow_non_robbins_monro)
    optimizer = make_optimizer(optimizer)
    B = positive_int(batch_size, "batch_size")
    theta = model.as_flat(params).copy()
    rng = as_rng(rng)
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
    ckpt = load_checkpoint(checkpoint) if resume else None
    source = _data_source(data, n_steps, rng, model.n_input, B, model)
    if record_every is None:
        record_every = max(1, n_steps // 200)
    record_every = positive_int(record_every, "record_every")
    if algo == "tbptt":
        record_every = tau * math.ceil(record_every / tau)
    plan = _pick_backend(model, algo, backend, optimizer, B)
    backend, backend_reason = plan.name, plan.reason
    config = {
        "algo": algo,
        "tau": tau,
        "block_reduction": block_reduction if algo == "tbptt" else None,
        "optimizer": optimizer_record(optimizer),
        "batch_size": B,
        "n_steps": n_steps,
        "record_every": record_every,
        "schedule": schedule.to_dict() if hasattr(schedule, "to_dict") else repr(schedule),
        "allow_non_robbins_monro": allow_non_robbins_monro,
    }
    model_desc = {"repr": repr(model), "n_params": int(model.n_params)}

    P = theta.shape[0]
    losses = np.empty(n_steps)
    n_updates_max = n_steps if algo == "rtrl" else math.ceil(n_steps / tau)
    gnorms = np.empty(n_updates_max)
    ustep = np.empty(n_updates_max, dtype=np.int64)
    path_steps = [0]
    path = [theta.copy()]
    done = 0
    n_up = 0
    wall_before = 0.0
    status, stopped_at, message = "completed", None, f"completed {n_steps} steps"
    state = initial_sensitivities(model.cell, B) if algo == "rtrl" else None
    S = model.cell.initial_state(B)
    opt_state = optimizer.init(theta)
    if ckpt is not None:
        _check_resumable(ckpt, config, model_desc, n_steps, P)
        a = ckpt.arrays
        done = ckpt.step
        n_up = int(ckpt.meta["n_updates"])
        theta = a["theta"].copy()
        losses[:done] = a["losses"]
        gnorms[:n_up] = a["grad_norms"]
        ustep[:n_up] = a["update_steps"]
        path_steps = [int(v) for v in a["path_steps"]]
        path = [row.copy() for row in a["param_path"]]
        if algo == "rtrl":
            state = SensitivityState(
                a["sens_S"].copy(),
                a["sens_Jt"].copy(),
                a["sens_Ht"].copy() if "sens_Ht" in a else None,
            )
        else:
            S = a["carry_S"].copy()
        opt_state = optimizer_state_from_parts(opt_state, ckpt.meta["optimizer_state"], a)
        source.restore(ckpt.meta["data"], a, done)
        wall_before = float(ckpt.meta["wall_time"])
        config["resumed_at"] = [*ckpt.meta["config"].get("resumed_at", []), done]
        message = f"completed {n_steps} steps"
    if checkpoint is not None:
        config["checkpoint"] = str(checkpoint)
    t_start = time.perf_counter()
    fingerprint = source.fingerprint() if checkpoint is not None else None

    def commit():
        """A consistent copy of the run's state at ``done`` (what a checkpoint holds)."""
        data_meta, data_arrays = source.state()
        return {
            "done": done,
            "n_up": n_up,
            "theta": theta.copy(),
            "state": None
            if state is None
            else SensitivityState(
                state.S.copy(), state.Jt.copy(), None if state.Ht is None else state.Ht.copy()
            ),
            "S": None if algo == "rtrl" else np.array(S, copy=True),
            "opt_state": optimizer_state_to_parts(opt_state) if checkpoint is not None else None,
            "data": (data_meta, data_arrays),
            "n_path": len(path),
        }

    committed = commit()

    def write(c, status_):
        d_meta, d_arrays = c["data"]
        opt_meta, opt_arrays = c["opt_state"]
        arrays = {
            "theta": c["theta"],
            "losses": losses[: c["done"]],
            "grad_norms": gnorms[: c["n_up"]],
            "update_steps": ustep[: c["n_up"]],
            "path_steps": np.array(path_steps[: c["n_path"]], dtype=np.int64),
            "param_path": np.array(path[: c["n_path"]]),
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
            "wall_time": wall_before + time.perf_counter() - t_start,
            "backend": backend,
            "config": config,
            "model": model_desc,
            "optimizer_state": opt_meta,
            "data": {**d_meta, "fingerprint": fingerprint},
        }
        write_checkpoint(checkpoint, meta, arrays)

    def snapshot(status_, stopped_, message_):
        return TrainResult(
            algo,
            model.unflatten(theta),
            losses[:done].copy(),
            ustep[:n_up].copy(),
            gnorms[:n_up].copy(),
            np.array(path_steps),
            np.array(path),
            status_,
            stopped_,
            message_,
            wall_before + time.perf_counter() - t_start,
            backend,
            config,
            backend_reason=backend_reason,
        )

    last_write = time.monotonic()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=n_steps,
            initial=done,
            unit="step",
            desc=f"{algo}",
            leave=False,
            dynamic_ncols=True,
        )
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            while done < n_steps:
                m = min(record_every, n_steps - done)
                X, Y = source.take(m)
                if algo == "rtrl":
                    etas = _etas(schedule, done, m)
                    if backend == "numba":
                        from . import _fast

                        out = _fast.rtrl_chunk_compiled(
                            model, theta, state, X, Y, etas, optimizer, opt_state
                        )
                        theta, state, opt_state, cl, cg, fail, why = out
                    else:
                        out = _rtrl_chunk_numpy(
                            model, theta, state, X, Y, etas, optimizer, opt_state
                        )
                        theta, state, opt_state, cl, cg, fail, why = out
                    k = cl.shape[0]
                    losses[done : done + k] = cl
                    gnorms[n_up : n_up + cg.shape[0]] = cg
                    ustep[n_up : n_up + cg.shape[0]] = np.arange(done, done + cg.shape[0])
                    n_up += cg.shape[0]
                    if fail >= 0:
                        status, stopped_at = "diverged", done + fail
                        done += k
                        message = f"{why} {stopped_at}; stopped, keeping the {done} recorded steps"
                        break
                    done += m
                else:
                    fail_msg = None
                    for a in range(0, m, tau):
                        Xb, Yb = X[:, a : a + tau], Y[:, a : a + tau]
                        n_b = Xb.shape[1]
                        res = bptt_sequences(model, theta, Xb, Yb, S0=S)
                        sl = res.step_losses.mean(axis=0)
                        bad = ~np.isfinite(sl)
                        if bad.any():
                            j = int(np.argmax(bad))
                            losses[done + a : done + a + j] = sl[:j]
                            stopped_at = done + a + j
                            fail_msg = f"loss became non-finite ({sl[j]}) at step {stopped_at}"
                            done += a + j
                            break
                        scale = n_b if block_reduction == "sum" else 1.0
                        grad = scale * res.grad.mean(axis=0)
                        eta = _etas(schedule, done + a, 1)[0]
                        new_theta, new_opt = optimizer.update(theta, grad, eta, opt_state)
                        losses[done + a : done + a + n_b] = sl
                        gnorms[n_up] = math.sqrt(float(grad @ grad))
                        ustep[n_up] = done + a
                        n_up += 1
                        why = _update_failure(optimizer, new_theta, new_opt)
                        if why is not None:
                            stopped_at = done + a
                            fail_msg = f"{why} of the block starting at step {stopped_at}"
                            done += a + n_b
                            break
                        theta, S, opt_state = new_theta, res.S_T, new_opt
                    if fail_msg is not None:
                        status = "diverged"
                        message = f"{fail_msg}; stopped, keeping the {done} recorded steps"
                        break
                    done += m
                path_steps.append(done)
                path.append(theta.copy())
                committed = commit()
                if bar is not None:
                    bar.update(m)
                if checkpoint is not None and (
                    time.monotonic() - last_write >= checkpoint_seconds and done < n_steps
                ):
                    write(committed, "running")
                    last_write = time.monotonic()
                if on_record is not None:
                    on_record(snapshot("running", None, f"{done} of {n_steps} steps"))
    except KeyboardInterrupt:
        if not catch_interrupt:
            if checkpoint is not None:
                write(committed, "interrupted")
            raise
        # Back to the last completed record interval: parameters, states and losses agree there.
        done, n_up = committed["done"], committed["n_up"]
        theta = committed["theta"]
        del path_steps[committed["n_path"] :], path[committed["n_path"] :]
        status, stopped_at = "interrupted", done
        message = f"interrupted by the user after {done} steps"
    finally:
        if bar is not None:
            bar.close()
    if path_steps[-1] != done or status != "completed":
        path_steps.append(done)
        path.append(theta.copy())
    assert path[-1].shape == (P,)
    if checkpoint is not None:
        if status == "diverged":
            # Keep the recorded steps (the failing one included) with the last good state.
            committed = {
                **committed,
                "done": done,
                "n_up": n_up,
                "theta": theta.copy(),
                "n_path": len(path),
            }
        else:
            committed = {**committed, "n_path": len(path)}
        write(committed, status)
    return snapshot(status, stopped_at, message)


_RESUME_KEYS = (
    ("algo", "algo"),
    ("tau", "tau"),
    ("block_reduction", "block_reduction"),
    ("optimizer", "optimizer"),
    ("batch_size", "batch_size"),
    ("schedule", "schedule"),
    ("allow_non_robbins_monro", "allow_non_robbins_monro"),
)


def _check_resumable(ckpt, config, model_desc, n_steps, P) -> None:
    """Refuse to continue a checkpoint under another configuration (errors name the argument)."""
    meta = ckpt.meta
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
