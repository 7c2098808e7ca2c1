r"""Online training with an approximate gradient estimator.

Online training with an approximate gradient estimator: (2.24)-(2.26) of [P1] with
:math:`\tilde J` in place of J.

At every step the estimator advances its state from the linearization at the current
:math:`\theta_t` and the parameters move by the optimizer's update of :math:`\tilde G_A` (the
chain mean for a mini-batch). An estimator with ``update_every = tau`` (TBPTT(tau)) has its
per-step terms summed over blocks of tau steps and applied at the block's end with
:math:`\eta` of the block start (the lagged update; the "sum" CONVENTION of
``rtrl_theory.runners._trainer``). Reached from ``train_online(..., algo=NAME)`` for every name
other than "rtrl" and "tbptt"; NumPy engine only, no checkpoints.
"""

from __future__ import annotations

import math
import time

import numpy as np

from rtrl_theory._validate import as_rng, positive_int

from ._registry import make_estimator

__all__ = ["train_online_estimator"]


def _source(data, n_steps, rng, B, model_kind=None):
    """Return a function ``take(m) -> (X (B, m, d), Y (B, m))`` over a process, stream or arrays."""
    from rtrl_theory.data import DataProcess, DataStream

    if isinstance(data, DataProcess):
        data = data.stream(rng, n_chains=B if B > 1 else None)
    if isinstance(data, DataStream):
        if data.n_chains != B:
            raise ValueError(f"data: the stream has {data.n_chains} chains, batch_size is {B}")
        batched = data.batched

        def take(m):
            X, Y = data.next(m)
            return (X, Y) if batched else (X[None], Y[None])

        return take
    if isinstance(data, tuple) and len(data) == 2:
        X, Y = (np.asarray(a) for a in data)
        onehot = getattr(model_kind, "input_kind", "dense") == "onehot"
        if X.ndim == (1 if onehot else 2):
            X, Y = X[None], Y[None]
        if X.shape[0] != B or X.shape[1] < n_steps:
            raise ValueError(
                f"data: expected arrays of {B} chains and at least {n_steps} steps, got X of "
                f"shape {X.shape}"
            )
        pos = [0]

        def take(m):
            a = pos[0]
            pos[0] += m
            return X[:, a : a + m], Y[:, a : a + m]

        return take
    raise TypeError("data: expected a DataProcess, a DataStream or a tuple (X, Y) of arrays")


def train_online_estimator(
    model,
    params,
    data,
    n_steps: int,
    *,
    schedule,
    algo: str,
    optimizer="sgd",
    batch_size: int = 1,
    rng=None,
    record_every: int | None = None,
    allow_non_robbins_monro: bool = False,
    progress: bool = False,
    estimator_rng=None,
):
    """Train online with the estimator named ``algo`` (module docstring).

    Parameters are those of :func:`rtrl_theory.runners.train_online` (a subset: no
    checkpoints, NumPy engine); ``rng`` drives the data stream and ``estimator_rng`` the
    estimator's own randomness (default: a stream spawned from ``rng``).

    Returns
    -------
    TrainResult
        With ``backend="numpy"`` and ``config["estimator"]`` the estimator's name.
    """
    from rtrl_theory.optim import make_optimizer, validate_schedule
    from rtrl_theory.runners._result import TrainResult

    n_steps = positive_int(n_steps, "n_steps")
    B = positive_int(batch_size, "batch_size")
    validate_schedule(schedule, allow_non_robbins_monro=allow_non_robbins_monro)
    rng = as_rng(rng)
    take = _source(
        data, n_steps, rng, B, model
    )  # first: the stream is the trainer's, draw for draw
    r_est = as_rng(estimator_rng) if estimator_rng is not None else rng.spawn(1)[0]
    est = make_estimator(algo, model, rng=r_est)
    optimizer = make_optimizer(optimizer)
    theta = model.flatten(params).copy()
    record_every = max(1, n_steps // 200) if record_every is None else record_every
    record_every = positive_int(record_every, "record_every")
    tau = est.update_every
    opt_state = optimizer.init(theta)
    cell, head = model.cell, model.head
    state = est.initial(B)
    S = cell.initial_state(B)
    losses = np.empty(n_steps)
    gnorms, ustep = [], []
    path_steps, path = [0], [theta.copy()]
    status, stopped_at, message = "completed", None, f"completed {n_steps} steps"
    acc = np.zeros(model.n_params)
    t_start = time.perf_counter()
    bar = None
    if progress:
        from rtrl_theory._progress import tqdm_class
        tqdm = tqdm_class()

        bar = tqdm(total=n_steps, unit="step", desc=est.name, leave=False)
    done = 0
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            while done < n_steps and status == "completed":
                m = min(record_every, n_steps - done)
                X, Y = take(m)
                for k in range(m):
                    t = done + k
                    th, tc = model.split(theta)
                    prep = cell.prepare(tc)
                    lin = cell.linearize(prep, S, X[:, k])
                    S = lin.S_next
                    hd = head.derivatives(th, S, Y[:, k])
                    state = est.advance(state, lin, r_est, inplace=True)
                    g = est.gradient(state, hd, Y[:, k]).mean(axis=0)
                    loss = float(hd.loss.mean())
                    losses[t] = loss
                    if not math.isfinite(loss):
                        status, stopped_at = "diverged", t
                        message = f"loss became non-finite ({loss}) at step {t}"
                        losses = losses[: t + 1]
                        break
                    acc += g
                    if (t + 1) % tau and t + 1 < n_steps:
                        continue
                    step0 = t + 1 - ((t % tau) + 1)
                    eta = float(schedule(step0))
                    new_theta, opt_state = optimizer.update(theta, acc, eta, opt_state)
                    gnorms.append(math.sqrt(float(acc @ acc)))
                    ustep.append(step0)
                    acc = np.zeros_like(acc)
                    if not np.all(np.isfinite(new_theta)):
                        status, stopped_at = "diverged", t
                        message = f"parameters became non-finite in the update of step {t}"
                        losses = losses[: t + 1]
                        break
                    theta = new_theta
                done += m if status == "completed" else 0
                path_steps.append(done if status == "completed" else stopped_at)
                path.append(theta.copy())
                if bar is not None:
                    bar.update(m)
    finally:
        if bar is not None:
            bar.close()
    config = {
        "algo": algo,
        "estimator": est.name,
        "update_every": tau,
        "batch_size": B,
        "n_steps": n_steps,
        "record_every": record_every,
        "schedule": schedule.to_dict() if hasattr(schedule, "to_dict") else repr(schedule),
    }
    return TrainResult(
        algo,
        model.unflatten(theta),
        losses,
        np.array(ustep, dtype=np.int64),
        np.array(gnorms),
        np.array(path_steps),
        np.array(path),
        status,
        stopped_at,
        message,
        time.perf_counter() - t_start,
        "numpy",
        config,
    )
