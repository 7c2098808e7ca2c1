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

__all__ = [
    "ConvergenceTrace",
    "Theorem61Setup",
    "geometric_checkpoints",
    "gradient_norm_trace",
    "theorem_6_1_experiment",
    "theorem_6_1_setup",
]


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


@dataclass(frozen=True)
class Theorem61Setup:
    """The configuration of the Theorem 6.1 experiment (see :func:`theorem_6_1_setup`)."""

    model: object
    params0: object
    process: object
    schedule: object
    description: str


def theorem_6_1_setup(seed: int = 0) -> Theorem61Setup:
    r"""The project's Theorem 6.1 set-up, inside the theorem's hypotheses.

    Paper RNN N = 3, d = 2, f = 0.36 tanh (N C_f = 1.08 < 1.1233, so rho < 1), g = tanh; inputs
    of Example 2.4 with lam = 0.5 and U[-0.5, 0.5]^2 noise; the target needs memory,
    :math:`Y_t = w\cdot X_{t-1} + \eta_t` (a delay-line teacher, :math:`|w|_1 = 1`,
    :math:`\eta\sim U[-0.05, 0.05]`), so that the truncation of TBPTT matters; the readout
    starts at three times its default scale (away from the stationary point). SGD with the
    Robbins-Monro schedule :math:`\eta_t = 0.5 / (1 + t / 20000)` (gamma = 1: the fastest decay
    Assumption 2.14 allows, and t0 large enough for the recurrent weights to move).

    Why this target: inside the hypotheses the sensitivities contract by :math:`N C_f / 4 \le 0.28`
    per step, so with targets that depend on the current input only TBPTT(1) is within Monte
    Carlo error of RTRL (measured: its bias 5.6e-6 against a floor of 4e-5); a delayed target
    makes the recurrence (and its truncation) matter.
    """
    from rtrl_theory.cells import PaperRNN
    from rtrl_theory.data import DataProcess, ExampleChain, delayed_input_teacher
    from rtrl_theory.optim import PowerSchedule

    rng = np.random.default_rng(seed)
    model = PaperRNN(3, 2, c_f=0.36, c_g=1.0)
    teacher = delayed_input_teacher(2, 1, rng=rng)
    process = DataProcess(ExampleChain(2, 0.5, 0.5), teacher.target(0.05))
    p = model.init_params(rng)
    # Start away from the stationary point (alpha three times the default scale), so that the
    # decrease of |grad L| is visible over more than a decade.
    params0 = type(p)(3.0 * p.alpha, p.W, p.B)
    schedule = PowerSchedule(0.5, 20000.0, 1.0)
    return Theorem61Setup(model, params0, process, schedule, theorem_6_1_setup.__doc__)


def theorem_6_1_experiment(
    runs: dict,
    *,
    setup: Theorem61Setup | None = None,
    checkpoints: int = 10,
    n_particles: int = 400,
    n_steps: int = 300,
    burn_in: int = 60,
    rng=None,
    record_every: int | None = None,
    progress: bool = False,
) -> dict:
    r"""Train with each algorithm of ``runs`` and trace :math:`|\nabla L(\theta_t)|` along the way.

    Parameters
    ----------
    runs : dict
        ``{label: (algo, tau, n_train)}``, e.g. ``{"RTRL": ("rtrl", None, 500_000),
        "TBPTT(1)": ("tbptt", 1, 50_000)}``.
    setup : Theorem61Setup, optional
        Default :func:`theorem_6_1_setup`.
    checkpoints, n_particles, n_steps, burn_in : int
        Passed to :func:`gradient_norm_trace`.
    rng : Generator, int or None
        Training data and Monte Carlo streams are spawned from it.
    record_every : int, optional
        Steps between recorded parameters (default ``n_train // 2000``, so that the geometric
        checkpoints also resolve the first percent of the run).

    Returns
    -------
    dict
        ``{label: (TrainResult, ConvergenceTrace)}``.
    """
    from rtrl_theory.runners import train_online

    setup = theorem_6_1_setup() if setup is None else setup
    rng = as_rng(rng)
    out = {}
    for label, (algo, tau, n_train) in runs.items():
        r_train, r_mc = rng.spawn(2)
        res = train_online(
            setup.model,
            setup.params0,
            setup.process,
            int(n_train),
            schedule=setup.schedule,
            algo=algo,
            tau=tau,
            rng=r_train,
            record_every=record_every or max(1, int(n_train) // 2000),
            progress=progress,
        )
        trace = gradient_norm_trace(
            setup.model,
            res,
            setup.process,
            setup.schedule,
            checkpoints=checkpoints,
            n_particles=n_particles,
            n_steps=n_steps,
            burn_in=burn_in,
            rng=r_mc,
            label=label,
        )
        out[label] = (res, trace)
    return out
