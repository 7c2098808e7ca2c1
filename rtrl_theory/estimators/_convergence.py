r"""Theorem 6.1 of [P1] in numbers: along an online RTRL run, :math:`\nabla L(\theta_t) \to 0`.

The update (2.26) splits as (2.28) into a step of steepest descent on the limit loss and a
fluctuation,

.. math:: \theta_{t+1} - \theta_t = -\eta_t\nabla L(\theta_t)
          - \eta_t\big[\tilde G(\theta_t, \tilde Z_t) - \nabla L(\theta_t)\big],

and Theorem 6.1 shows that :math:`\nabla L(\theta_t) \to 0` almost surely (convergence to a
stationary point of the limit loss), the fluctuation averaging out (Lemmas 5.2-5.5).

Measurement. At checkpoints :math:`t_i` of a training run, :math:`L(\theta_{t_i})` and
:math:`\nabla L(\theta_{t_i})` are estimated with the stationary estimators
(:func:`~rtrl_theory.estimators.limit_gradient`: particles of the joint process at the fixed
parameter, on data independent of the training stream). The gradient norm is reported debiased,
:math:`\sqrt{\max(0, |\hat g|^2 - \sum se^2)}`, beside its Monte Carlo floor
:math:`\sqrt{\sum se^2}` (below which a norm cannot be told from zero).

The fluctuation needs no extra simulation: between two recorded parameters, the
:math:`\eta`-weighted mean of the online directions is :math:`-(\theta_{t_{i+1}} - \theta_{t_i})
/ \sum_{s} \eta_s`, and its difference with :math:`\nabla L(\theta_{t_i})` is the window's mean
fluctuation, with :math:`\nabla L` inside the window taken as the trapezoid of its end points
(exact for SGD up to the curvature of :math:`\nabla L` along the path). Its
:math:`\eta`-weighted running mean must tend to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_rng, positive_int

__all__ = ["ConvergenceTrace", "gradient_norm_trace", "geometric_checkpoints"]


@dataclass(frozen=True)
class ConvergenceTrace:
    r"""Limit loss and gradient along a training run (module docstring).

    Attributes
    ----------
    label : str
    steps : ndarray of int (n_checkpoints,)
    loss, loss_se : ndarray
        :math:`L(\theta_{t_i})` and its standard error.
    grad_norm, grad_floor : ndarray
        Debiased :math:`|\nabla L(\theta_{t_i})|` and the Monte Carlo floor.
    grad : ndarray (n_checkpoints, P)
    fluct_norm : ndarray (n_checkpoints - 1,)
        Norm of each window's mean fluctuation.
    fluct_running : ndarray (n_checkpoints - 1,)
        Norm of the eta-weighted running mean of the fluctuations up to each window.
    status : str
        The training run's status ("completed", "diverged", ...).
    """

    label: str
    steps: np.ndarray
    loss: np.ndarray
    loss_se: np.ndarray
    grad_norm: np.ndarray
    grad_floor: np.ndarray
    grad: np.ndarray
    fluct_norm: np.ndarray
    fluct_running: np.ndarray
    status: str

    def to_dict(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}


def geometric_checkpoints(path_steps, n: int) -> np.ndarray:
    """About ``n`` indices into ``path_steps`` spaced geometrically in step (0 and the end kept)."""
    path_steps = np.asarray(path_steps)
    n = positive_int(n, "n")
    last = int(path_steps[-1])
    positive = path_steps[path_steps > 0]
    if last <= 0 or positive.size == 0:
        return np.array([0])
    targets = np.r_[0, np.geomspace(positive[0], last, max(1, n - 1))]
    return np.unique([int(np.argmin(np.abs(path_steps - t))) for t in targets])


def gradient_norm_trace(
    model,
    result,
    process,
    schedule,
    *,
    checkpoints: int = 8,
    n_particles: int = 400,
    n_steps: int = 200,
    burn_in: int = 50,
    rng=None,
    label: str | None = None,
    order: int = 1,
) -> ConvergenceTrace:
    r"""Estimate :math:`L(\theta_t)`, :math:`\nabla L(\theta_t)` and the fluctuation along ``result``.

    Parameters
    ----------
    model : RNNModel
    result : TrainResult
        A run of :func:`~rtrl_theory.runners.train_online` (its thinned parameter path is used).
    process : DataProcess
        The data process (simulated afresh, independently of the training stream).
    schedule : callable
        The run's learning-rate schedule (to weight the fluctuation windows).
    checkpoints : int
        About this many checkpoints, geometrically spaced along the path.
    n_particles, n_steps, burn_in : int
        Sizes of each stationary estimate (see :func:`~rtrl_theory.estimators.limit_gradient`).
    rng : Generator, int or None
    """
    from rtrl_theory.runners import JointProcess

    from ._limits import limit_gradient, limit_loss

    rng = as_rng(rng)
    steps = np.asarray(result.path_steps)
    idx = geometric_checkpoints(steps, checkpoints)
    losses, loss_se, norms, floors, grads = [], [], [], [], []
    for i in idx:
        theta = result.param_path[i]
        jp = JointProcess(model, theta, process, order=order)
        r1, r2 = rng.spawn(2)
        kw = dict(n_particles=n_particles, n_steps=n_steps, burn_in=burn_in)
        g = limit_gradient(jp, rng=r1, **kw)
        L = limit_loss(jp, rng=r2, **kw)
        n2 = float(g.value @ g.value)
        s2 = float(g.stderr @ g.stderr)
        norms.append(np.sqrt(max(0.0, n2 - s2)))
        floors.append(np.sqrt(s2))
        grads.append(g.value)
        losses.append(float(L.value))
        loss_se.append(float(L.stderr))
    grads = np.asarray(grads)
    # window means of the online directions from the parameter path, (2.28); the gradient of L
    # inside a window is the trapezoid of its end points (error: the curvature of the path).
    fl, run = [], []
    acc = np.zeros(grads.shape[1])
    wsum = 0.0
    for j, (a, b) in enumerate(zip(idx[:-1], idx[1:], strict=True)):
        eta_sum = float(np.sum(schedule(np.arange(steps[a], steps[b]))))
        mean_dir = -(result.param_path[b] - result.param_path[a]) / eta_sum
        f = mean_dir - 0.5 * (grads[j] + grads[j + 1])
        fl.append(float(np.linalg.norm(f)))
        acc += eta_sum * f
        wsum += eta_sum
        run.append(float(np.linalg.norm(acc / wsum)))
    return ConvergenceTrace(
        label or result.algo,
        steps[idx],
        np.asarray(losses),
        np.asarray(loss_se),
        np.asarray(norms),
        np.asarray(floors),
        grads,
        np.asarray(fl),
        np.asarray(run),
        result.status,
    )
