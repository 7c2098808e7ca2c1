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
from functools import lru_cache

import numpy as np

from rtrl_theory._validate import as_rng, positive_int

__all__ = [
    "ConvergenceTrace",
    "SGD_SPREAD_EXPONENT",
    "SeedStatistics",
    "expected_gradient_slope",
    "log_log_slope",
    "theorem_6_1_seeds",
    "Theorem61Setup",
    "WindowStatistics",
    "delay_line_setup",
    "fieller_ratio_interval",
    "geometric_checkpoints",
    "one_sided_t",
    "theorem_6_1_windows",
    "window_checkpoints",
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
    r"""The configuration of the Theorem 6.1 experiment (see :func:`theorem_6_1_setup`).

    Attributes
    ----------
    model : PaperRNN
        The student of (2.17)-(2.19) of [P1].
    params0 : PaperParams
        The initial parameters :math:`\theta_0`.
    process : DataProcess
        The data (Assumption 2.3), with a ``chain`` that has ``lam`` and ``C_x``.
    schedule : PowerSchedule
        The learning rates :math:`\\eta_t` (Assumption 2.14).
    description : str
        What the set-up is and why (the docstring of the function that built it).

    See Also
    --------
    theorem_6_1_setup, delay_line_setup : build one.
    """

    model: object
    params0: object
    process: object
    schedule: object
    description: str

    def assumptions(self):
        """:func:`~rtrl_theory.bounds.check_assumptions` of this set-up, with its lifted chain."""
        from rtrl_theory.bounds import check_assumptions

        m = self.model
        return check_assumptions(
            m.n_hidden,
            m.n_input,
            m.c_f,
            m.c_g,
            m.bounded_map,
            self.process.chain.lam,
            self.process.chain.C_x,
            self.schedule,
            process=self.process,
        )


#: Leak and gain of the target's trace, M_{t+1} = beta M_t + c X_t (lam_xi = 0.85).
TRACE_BETA, TRACE_C = 0.25, 0.6


def theorem_6_1_setup(seed: int = 0, pretrain_steps: int = 200_000) -> Theorem61Setup:
    r"""Return the project's Theorem 6.1 set-up, inside every hypothesis (checked by the code).

    Paper RNN N = 3, d = 2, f = 0.36 tanh (N C_f = 1.08 < 1.1233, so rho = 0.945 < 1,
    Assumption 2.10), g = tanh; inputs of Example 2.4 with lam = 0.5 and U[-0.5, 0.5]^2 noise
    (C_x = 1); the target needs memory: :math:`Y_t = w\cdot M_t + \eta_t` with the leaky trace
    :math:`M_{t+1} = 0.25 M_t + 0.6 X_t` of the past inputs (``rtrl_theory.data._trace``,
    :math:`|w|_1 = 1`, :math:`\eta\sim U[-0.02, 0.02]`). The lifted chain
    :math:`\xi_t = (X_t, M_t)` contracts in one step in the plain max-norm with
    :math:`\lambda_\xi = \max(0.5, 0.25 + 0.6) = 0.85 < 1` (Assumption 2.3), so
    :math:`\bar\rho = \max(\lambda_\xi, \rho) = 0.945` and ``burn_in_for`` gives 247 steps.
    SGD with the Robbins-Monro schedule :math:`\eta_t = 0.5 / (1 + t / 1000)` (gamma = 1,
    Assumption 2.14). ``setup.assumptions()`` reports all of it.

    Replaces the delay-line set-up :math:`Y_t = w\cdot X_{t-1}` (beta = 0, c = 1), whose lifted
    chain has one-step max-norm constant exactly 1 (outside Assumption 2.3).

    Why a target with memory: inside the hypotheses the sensitivities contract by
    :math:`N C_f / 4 \le 0.28` per step, so with targets of the current input only TBPTT(1) is
    within Monte Carlo error of RTRL; a trace of past inputs makes the recurrence (and its
    truncation) matter. ``seed`` draws the readout w of the target and the initial parameters.

    theta_0 is the end of a pretraining run (``pretrain_steps`` = 2e5 of online RTRL at the
    constant rate 0.5 from ``init_params``; cached per (seed, pretrain_steps)): the sqrt(eta_t) law of
    the check is about the spread of SGD near a stationary point, and from ``init_params`` the
    limit loss still falls ~50x between 4e3 and 4e4 steps even at the constant rate 0.5 (the
    recurrence learns the trace slowly), a deterministic transient that the schedule's window
    would mistake for the spread law. ``pretrain_steps=0``: start from ``init_params``.

    Parameters
    ----------
    seed : int, default 0
        Draws the target's readout w, the trace noise and the initial parameters.
    pretrain_steps : int, default 200_000
        Steps of online RTRL at the constant rate 0.5 before :math:`\theta_0` (0: none).

    Returns
    -------
    Theorem61Setup
        Model, :math:`\theta_0`, process, schedule and this description.

    See Also
    --------
    theorem_6_1_experiment, theorem_6_1_seeds : train from it.
    delay_line_setup : the former set-up, outside Assumption 2.3.
    """
    return _theorem_6_1_setup(int(seed), int(pretrain_steps))


@lru_cache(maxsize=4)
def _theorem_6_1_setup(seed: int, pretrain_steps: int) -> Theorem61Setup:
    from rtrl_theory.cells import PaperRNN
    from rtrl_theory.data import trace_process
    from rtrl_theory.runners import PowerSchedule, train_online

    rng = np.random.default_rng(seed)
    model = PaperRNN(3, 2, c_f=0.36, c_g=1.0)
    process = trace_process(2, 0.5, 0.5, TRACE_BETA, TRACE_C, 0.02, rng=rng)
    params0 = model.init_params(rng)
    schedule = PowerSchedule(0.5, 1000.0, 1.0)
    if pretrain_steps:
        res = train_online(
            model, params0, process, pretrain_steps, schedule=PowerSchedule(0.5, 1.0, 0.0),
            allow_non_robbins_monro=True, rng=np.random.default_rng([seed, 61]),
            record_every=pretrain_steps,
        )
        if res.status != "completed":  # pragma: no cover - the pretraining is stable
            raise RuntimeError(f"theorem_6_1_setup: the pretraining {res.status}: {res.message}")
        params0 = res.params
    return Theorem61Setup(model, params0, process, schedule, theorem_6_1_setup.__doc__)


def delay_line_setup(seed: int = 0) -> Theorem61Setup:
    r"""Return the former Theorem 6.1 set-up (kept to show that the checker flags it).

    As :func:`theorem_6_1_setup` but f = 0.36 tanh with the delay-line target
    :math:`Y_t = w\cdot X_{t-1} + \eta_t`, :math:`\eta\sim U[-0.05, 0.05]`, the readout at three
    times its default scale and :math:`\eta_t = 0.5/(1 + t/20000)`: its lifted chain
    :math:`(X_t, X_{t-1})` has one-step max-norm constant 1, outside Assumption 2.3.

    Parameters
    ----------
    seed : int, default 0
        Draws the teacher's readout and the initial parameters.

    Returns
    -------
    Theorem61Setup
        Model, :math:`\theta_0`, process, schedule and this description; its
        ``assumptions()`` flags the lifted chain.
    """
    from rtrl_theory.cells import PaperRNN
    from rtrl_theory.data import DataProcess, ExampleChain, delayed_input_teacher
    from rtrl_theory.optim import PowerSchedule

    rng = np.random.default_rng(seed)
    model = PaperRNN(3, 2, c_f=0.36, c_g=1.0)
    teacher = delayed_input_teacher(2, 1, rng=rng)
    process = DataProcess(ExampleChain(2, 0.5, 0.5), teacher.target(0.05))
    p = model.init_params(rng)
    params0 = type(p)(3.0 * p.alpha, p.W, p.B)
    schedule = PowerSchedule(0.5, 20000.0, 1.0)
    return Theorem61Setup(model, params0, process, schedule, delay_line_setup.__doc__)


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
    progress : bool, default False
        Show a progress bar for each training run.

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


#: Exponent of the SGD spread: theta_t - theta* has a spread of order eta_t ** SGD_SPREAD_EXPONENT
#: around a stationary point (the stationary variance of a linearised SGD step is ~ eta_t), so
#: |grad L(theta_t)| ~ |H (theta_t - theta*)| ~ eta_t ** 0.5.
SGD_SPREAD_EXPONENT = 0.5


def log_log_slope(steps, values, floor=None) -> float:
    """OLS slope of ``log(max(values, floor))`` against ``log(steps)`` (steps > 0)."""
    t = np.asarray(steps, dtype=float)
    v = np.asarray(values, dtype=float)
    if floor is not None:
        v = np.maximum(v, np.asarray(floor, dtype=float))
    if t.size < 2 or np.any(t <= 0) or np.any(v <= 0):
        raise ValueError("steps, values: expected at least two positive points")
    x, y = np.log(t), np.log(v)
    x = x - x.mean()
    return float(x @ (y - y.mean()) / (x @ x))


def expected_gradient_slope(schedule, steps) -> float:
    r"""Return the log-log slope of :math:`\eta_t^{1/2}` over ``steps``.

    This is the slope that the SGD spread argument predicts for :math:`|\nabla L(\theta_t)|`
    (:data:`SGD_SPREAD_EXPONENT`).
    """
    steps = np.asarray(steps, dtype=float)
    eta = np.asarray(schedule(steps), dtype=float)
    return log_log_slope(steps, eta**SGD_SPREAD_EXPONENT)


@dataclass(frozen=True)
class SeedStatistics:
    r"""Theorem 6.1 over seeds (:func:`theorem_6_1_seeds`).

    Attributes
    ----------
    fit_steps : ndarray (n_fit,)
        Checkpoints of the slope fit (:math:`t \ge` ``t_fit``).
    slopes : ndarray (n_seeds,)
        Per-seed OLS slope of :math:`\log|\nabla L(\theta_t)|` (floored at the Monte Carlo
        floor) against :math:`\log t` on ``fit_steps``.
    expected_slope : float
        :func:`expected_gradient_slope` on ``fit_steps``.
    first, final, floor : ndarray (n_seeds,)
        Debiased :math:`|\nabla L|` at the first fit checkpoint and at the end; the end's floor.
    predicted : ndarray (n_seeds,)
        ``first * (eta_T / eta_first) ** SGD_SPREAD_EXPONENT``: the end value the spread
        argument predicts from the seed's own first fit checkpoint.
    traces : list of ConvergenceTrace
    """

    fit_steps: np.ndarray
    slopes: np.ndarray
    expected_slope: float
    first: np.ndarray
    final: np.ndarray
    floor: np.ndarray
    predicted: np.ndarray
    traces: list

    def slope_interval(self, level: float = 0.95) -> tuple[float, float, float]:
        """(mean, low, high): Student-t interval of the mean slope across seeds."""
        from scipy.stats import t as student

        n = self.slopes.size
        m = float(self.slopes.mean())
        if n < 2:
            return m, -np.inf, np.inf
        hw = float(student.ppf(0.5 + level / 2, n - 1) * self.slopes.std(ddof=1) / np.sqrt(n))
        return m, m - hw, m + hw

    def rms_slope(self, level: float = 0.95, n_boot: int = 2000, rng=0):
        r"""Return the log-log slope of the RMS gradient norm over seeds, with a bootstrap interval.

        (slope, low, high): log-log slope of the root mean square over seeds of
        :math:`|\nabla L(\theta_t)|` (floored) on the fit checkpoints, the estimate of
        :math:`E|\nabla L(\theta_t)|^2 \propto \eta_t` of the spread argument; percentile
        bootstrap interval over seeds (resampling whole seeds).
        """
        rng = as_rng(rng)
        m = np.isin(self.traces[0].steps, self.fit_steps)
        G = np.array([np.maximum(tr.grad_norm[m], tr.grad_floor[m]) for tr in self.traces])
        t = self.fit_steps

        def slope(rows):
            return log_log_slope(t, np.sqrt(np.mean(rows**2, axis=0)))

        est = slope(G)
        n = G.shape[0]
        boot = np.array([slope(G[rng.integers(0, n, n)]) for _ in range(n_boot)])
        lo, hi = np.quantile(boot, [0.5 - level / 2, 0.5 + level / 2])
        return est, float(lo), float(hi)

    def to_dict(self) -> dict:
        d = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}
        d["traces"] = [tr.to_dict() for tr in self.traces]
        return d


def theorem_6_1_seeds(
    seeds,
    n_train: int,
    *,
    setup: Theorem61Setup | None = None,
    algo: str = "rtrl",
    tau: int | None = None,
    t_fit: float | None = None,
    checkpoints: int = 6,
    n_particles: int = 200,
    n_steps: int = 150,
    burn_in: int | None = None,
    schedule=None,
) -> SeedStatistics:
    r"""Train on independent data streams (one per seed) and summarise :math:`|\nabla L(\theta_t)|`.

    Checkpoints: t = 0 and ``checkpoints - 1`` geometric points in ``[t_fit, n_train]``
    (default ``t_fit = 4 t0`` of the schedule, after which :math:`\eta_t` decays like
    :math:`1/t`). ``burn_in`` defaults to ``burn_in_for(rho_bar, 1e-6)`` with rho_bar of the
    set-up's assumptions report (its lifted chain included). Each seed ``s`` drives the training
    stream (``[s, 0]``) and the Monte Carlo estimates (``[s, 1]``). ``schedule`` overrides the
    set-up's (a negative control may pass a constant rate, outside Assumption 2.14).

    Parameters
    ----------
    seeds : iterable of int
        One independent training run per seed (at least one).
    n_train : int
        Training steps per run.
    setup : Theorem61Setup, optional
        Default :func:`theorem_6_1_setup`.
    algo : {"rtrl", "tbptt"}, default "rtrl"
        The training algorithm ((2.24)-(2.26) of [P1], or TBPTT).
    tau : int, optional
        TBPTT's truncation length (with ``algo="tbptt"``).
    t_fit : float, optional
        First step of the fitted window (default ``4 t0`` of the schedule).
    checkpoints : int, default 6
        Checkpoints per run: t = 0 and ``checkpoints - 1`` geometric points in the window.
    n_particles, n_steps : int, default 200, 150
        Particles and steps per particle of each :math:`|\nabla L(\theta_t)|` estimate
        (:func:`~rtrl_theory.estimators.limit_gradient`).
    burn_in : int, optional
        Burn-in of each estimate (default from :math:`\bar\rho`, above).
    schedule : PowerSchedule, optional
        Replaces the set-up's schedule (training then allows non-Robbins-Monro rates).

    Returns
    -------
    SeedStatistics
        The fit checkpoints; per seed the log-log slope of :math:`|\nabla L(\theta_t)|` against
        t, the debiased norm at the first fit checkpoint and at the end, the end's Monte Carlo
        floor and the end value the SGD spread predicts; the slope expected from the schedule;
        the traces.

    Raises
    ------
    ValueError
        If ``seeds`` is empty, ``n_train`` is not a positive integer or ``t_fit`` is not inside
        ``(0, n_train)``.
    RuntimeError
        If a training run does not complete (diverges).

    See Also
    --------
    theorem_6_1_experiment : one run per algorithm, with the whole trace.
    """
    from rtrl_theory.runners import train_online

    from ._limits import burn_in_for

    setup = theorem_6_1_setup() if setup is None else setup
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds: expected at least one seed")
    n_train = positive_int(n_train, "n_train")
    sched = setup.schedule if schedule is None else schedule
    t0 = float(getattr(setup.schedule, "t0", 1.0))
    t_fit = 4.0 * t0 if t_fit is None else float(t_fit)
    if not 0 < t_fit < n_train:
        raise ValueError(f"t_fit: expected 0 < t_fit < n_train = {n_train}, got {t_fit}")
    if burn_in is None:
        burn_in = burn_in_for(setup.assumptions().rho_bar, 1e-6)
    q = max(1, int(t_fit) // 40)  # checkpoints on a grid of t_fit / 40, so records are sparse
    fit = np.unique(q * np.round(np.geomspace(t_fit, n_train, checkpoints - 1) / q).astype(int))
    record = int(np.gcd.reduce(np.r_[fit, n_train]))
    if algo == "tbptt":
        record = tau * max(1, record // tau) if record % tau == 0 else tau
    traces, slopes, first, final, floor = [], [], [], [], []
    for s in seeds:
        res = train_online(
            setup.model,
            setup.params0,
            setup.process,
            n_train,
            schedule=sched,
            algo=algo,
            tau=tau,
            rng=np.random.default_rng([s, 0]),
            allow_non_robbins_monro=schedule is not None,
            record_every=record,
        )
        if res.status != "completed":
            raise RuntimeError(f"seed {s}: the {algo} run {res.status}: {res.message}")
        sub = _ThinnedResult(res, np.r_[0, fit])
        tr = gradient_norm_trace(
            setup.model,
            sub,
            setup.process,
            sched,
            checkpoints=len(fit) + 1,
            n_particles=n_particles,
            n_steps=n_steps,
            burn_in=burn_in,
            rng=np.random.default_rng([s, 1]),
            label=f"{algo} seed {s}",
        )
        traces.append(tr)
        m = tr.steps >= t_fit
        slopes.append(log_log_slope(tr.steps[m], tr.grad_norm[m], tr.grad_floor[m]))
        first.append(tr.grad_norm[m][0])
        final.append(tr.grad_norm[-1])
        floor.append(tr.grad_floor[-1])
    eta = np.asarray(setup.schedule(np.array([fit[0], fit[-1]], dtype=float)), dtype=float)
    first = np.asarray(first)
    return SeedStatistics(
        fit,
        np.asarray(slopes),
        expected_gradient_slope(setup.schedule, fit),
        first,
        np.asarray(final),
        np.asarray(floor),
        first * (eta[1] / eta[0]) ** SGD_SPREAD_EXPONENT,
        traces,
    )


class _ThinnedResult:
    """A TrainResult restricted to the recorded parameters at the given steps."""

    def __init__(self, res, steps) -> None:
        idx = [int(np.searchsorted(res.path_steps, s)) for s in steps]
        if any(int(res.path_steps[i]) != int(s) for i, s in zip(idx, steps, strict=True)):
            raise ValueError("steps: a checkpoint was not recorded")
        self.path_steps = np.asarray(res.path_steps)[idx]
        self.param_path = np.asarray(res.param_path)[idx]
        self.algo, self.status = res.algo, res.status


def one_sided_t(x) -> tuple[float, float]:
    r"""Return the one-sided Student t-test of :math:`H_0: E x \le 0` against :math:`E x > 0`.

    Parameters
    ----------
    x : array_like (n,)
        Independent observations, n >= 2 (e.g. one per training seed).

    Returns
    -------
    tuple of float
        ``(t, p)``: :math:`t = \bar x / (s / \sqrt n)` (sample sd with ddof = 1) and its upper
        tail probability under :math:`t_{n-1}`. Exact level for normal x; for symmetric x the
        level is close to nominal (conservative for heavy tails).
    """
    from scipy.stats import t as student

    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"x: expected at least two finite values in one dimension, got {x!r}")
    sd = float(x.std(ddof=1))
    m = float(x.mean())
    if sd == 0.0:
        tt = np.inf if m > 0 else (-np.inf if m < 0 else 0.0)
    else:
        tt = m / (sd / np.sqrt(x.size))
    return float(tt), float(student.sf(tt, x.size - 1))


def fieller_ratio_interval(a, b, level: float = 0.95) -> tuple[float, float, float]:
    r"""Return the ratio :math:`E b / E a` of paired means with its two-sided Fieller interval.

    The interval is the set of :math:`\rho` at which the two-sided paired t-test of
    :math:`b - \rho a` does not reject at ``1 - level`` (exact for bivariate normal pairs).

    Parameters
    ----------
    a, b : array_like (n,)
        Paired observations (one pair per seed), n >= 2.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    tuple of float
        ``(ratio, low, high)``; ``low = -inf`` and ``high = inf`` when the set is unbounded
        (mean of a not significantly away from 0).
    """
    from scipy.stats import t as student

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError("a, b: expected two 1-d arrays of the same length >= 2")
    if not 0 < level < 1:
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
    n = a.size
    q2 = float(student.ppf(0.5 + level / 2, n - 1)) ** 2 / n
    C = np.cov(a, b, ddof=1)
    ma, mb = float(a.mean()), float(b.mean())
    # (mb - rho ma)^2 <= q2 (s_bb - 2 rho s_ab + rho^2 s_aa): A rho^2 - 2 B rho + K <= 0
    A = ma * ma - q2 * C[0, 0]
    B = ma * mb - q2 * C[0, 1]
    K = mb * mb - q2 * C[1, 1]
    ratio = mb / ma if ma != 0 else np.inf
    disc = B * B - A * K
    if A <= 0 or disc < 0:
        return float(ratio), -np.inf, np.inf
    root = np.sqrt(disc)
    return float(ratio), float((B - root) / A), float((B + root) / A)


@dataclass(frozen=True)
class WindowStatistics:
    r"""Unbiased :math:`|\nabla L(\theta_t)|^2` estimates over seeds in two windows of a run.

    See :func:`theorem_6_1_windows` and the decision rule of ``proofs_checks/thm_6_1_convergence``.

    Attributes
    ----------
    label : str
    early_steps, late_steps : ndarray of int (J,)
        Checkpoints of the early window :math:`W_a` and of the late window :math:`W_b`.
    q : ndarray (n_seeds, 2 J)
        :math:`Q_s(t) = |\hat g|^2 - \sum_i se_i^2` (not clamped), unbiased for
        :math:`|\nabla L(\theta_t)|^2`; columns: early then late checkpoints.
    noise2 : ndarray (n_seeds, 2 J)
        :math:`\sum_i se_i^2`, the squared Monte Carlo floor of each estimate.
    schedule : callable
        The set-up's schedule :math:`\eta_t` (the spread law's prediction uses it; a negative
        control is judged against the prediction of the schedule it breaks).
    """

    label: str
    early_steps: np.ndarray
    late_steps: np.ndarray
    q: np.ndarray
    noise2: np.ndarray
    schedule: object

    @property
    def early(self) -> np.ndarray:
        """:math:`A_s`: per-seed mean of Q over the early window, shape (n_seeds,)."""
        return self.q[:, : self.early_steps.size].mean(axis=1)

    @property
    def late(self) -> np.ndarray:
        """:math:`B_s`: per-seed mean of Q over the late window, shape (n_seeds,)."""
        return self.q[:, self.early_steps.size :].mean(axis=1)

    def predicted_ratio(self) -> float:
        r"""Return :math:`r = \mathrm{mean}_{W_b}\eta^{2e} / \mathrm{mean}_{W_a}\eta^{2e}`.

        Returns
        -------
        float
            The spread law's :math:`E B / E A` with e = :data:`SGD_SPREAD_EXPONENT` (read at
            call time).
        """
        p = 2.0 * SGD_SPREAD_EXPONENT
        ea = np.asarray(self.schedule(self.early_steps.astype(float)), dtype=float) ** p
        eb = np.asarray(self.schedule(self.late_steps.astype(float)), dtype=float) ** p
        return float(eb.mean() / ea.mean())

    def log_span(self) -> float:
        """Return ``log(tau_b / tau_a)``, tau the geometric mean step of each window.

        Returns
        -------
        float
        """
        return float(np.log(self.late_steps).mean() - np.log(self.early_steps).mean())

    def expected_slope(self) -> float:
        """Return the log-log slope of ``|grad L|`` that the spread law predicts between the windows.

        Returns
        -------
        float
            ``log(r) / (2 log(tau_b / tau_a))``.
        """
        return float(np.log(self.predicted_ratio()) / (2.0 * self.log_span()))

    def rate_test(self, c: float) -> tuple[float, float]:
        r"""Return the one-sided paired t-test of :math:`E B \le c\, r\, E A` (criterion (A)).

        Parameters
        ----------
        c : float
            The allowance on the predicted ratio.

        Returns
        -------
        tuple of float
            ``(t, p)`` of :func:`one_sided_t` on :math:`D_s = B_s - c r A_s`.
        """
        return one_sided_t(self.late - c * self.predicted_ratio() * self.early)

    def log_ratios(self) -> np.ndarray:
        r"""Return :math:`L_s = \log(A_s / B_s)`, window means clamped below at :math:`\epsilon_s`.

        Returns
        -------
        ndarray (n_seeds,)
            :math:`\epsilon_s` = median of the seed's 2J values of :math:`\sum se^2`, over J: a
            function symmetric in the two windows, so exchangeable windows give a symmetric L.
        """
        eps = np.median(self.noise2, axis=1) / self.early_steps.size
        return np.log(np.maximum(self.early, eps)) - np.log(np.maximum(self.late, eps))

    def decrease_test(self) -> tuple[float, float]:
        r"""Return the one-sided t-test of :math:`E L_s \le 0` (criterion (B): decrease shown).

        Returns
        -------
        tuple of float
            ``(t, p)`` of :func:`one_sided_t` on :meth:`log_ratios`.
        """
        return one_sided_t(self.log_ratios())

    def slope_interval(self, level: float = 0.95) -> tuple[float, float, float]:
        r"""Return the slope of ``|grad L|`` between the windows, with its Fieller interval.

        Parameters
        ----------
        level : float
            Two-sided confidence level.

        Returns
        -------
        tuple of float
            ``(slope, low, high)``: ``log(R) / (2 log(tau_b / tau_a))`` for the ratio of seed
            means :math:`R = \bar B / \bar A` and the ends of its Fieller interval
            (:func:`fieller_ratio_interval`; a non-positive end maps to -inf, an unbounded one
            to +inf).
        """
        R, lo, hi = fieller_ratio_interval(self.early, self.late, level)
        k = 2.0 * self.log_span()

        def f(x):
            return float(np.log(x) / k) if x > 0 and np.isfinite(x) else (
                np.inf if x == np.inf else -np.inf
            )

        return f(R), f(lo), f(hi)

    def final_over_floor(self) -> np.ndarray:
        """Return the debiased final ``|grad L|`` over its Monte Carlo floor, per seed.

        Returns
        -------
        ndarray (n_seeds,)
        """
        return np.sqrt(np.maximum(self.q[:, -1], 0.0) / self.noise2[:, -1])

    def to_dict(self) -> dict:
        """Return the arrays as lists, with A, B and the spread law's ratio (JSON-ready).

        Returns
        -------
        dict
        """
        return {
            "label": self.label,
            "early_steps": self.early_steps.tolist(),
            "late_steps": self.late_steps.tolist(),
            "q": self.q.tolist(),
            "noise2": self.noise2.tolist(),
            "early_means": self.early.tolist(),
            "late_means": self.late.tolist(),
            "predicted_ratio": self.predicted_ratio(),
        }


def window_checkpoints(
    n_train: int, n_window: int, t_fit: float, early_spacing: int, late_spacing: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the early window ``t_fit + early_spacing j`` and the late window ending at n_train.

    Parameters
    ----------
    n_train : int
    n_window : int
        J, checkpoints per window.
    t_fit : float
        First checkpoint of the early window.
    early_spacing, late_spacing : int

    Returns
    -------
    tuple of ndarray
        ``(early, late)``, each of J increasing steps; the windows must not overlap.
    """
    n_train = positive_int(n_train, "n_train")
    J = positive_int(n_window, "n_window")
    early = int(t_fit) + positive_int(early_spacing, "early_spacing") * np.arange(J)
    late = n_train - positive_int(late_spacing, "late_spacing") * np.arange(J)[::-1]
    if early[0] <= 0 or early[-1] >= late[0]:
        raise ValueError(
            f"t_fit, spacings: the windows [{early[0]}, {early[-1]}] and [{late[0]}, {late[-1]}] "
            "must be positive and disjoint, the early one first"
        )
    return early, late


def theorem_6_1_windows(
    seeds,
    *,
    setup: Theorem61Setup | None = None,
    n_train: int = 40_000,
    n_window: int = 6,
    t_fit: float | None = None,
    early_spacing: int = 250,
    late_spacing: int = 1000,
    algo: str = "rtrl",
    tau: int | None = None,
    n_particles: int = 25,
    n_steps: int = 150,
    burn_in: int | None = None,
    schedule=None,
    label: str | None = None,
) -> WindowStatistics:
    r"""Train on independent streams and estimate :math:`|\nabla L(\theta_t)|^2` in two windows.

    One online run of ``n_train`` steps per seed from ``setup.params0``; at each checkpoint of
    :func:`window_checkpoints` the particle estimate :math:`\hat g` of
    :math:`\nabla L(\theta_t)` (:func:`~rtrl_theory.estimators.limit_gradient`, fresh data)
    gives the unbiased :math:`Q = |\hat g|^2 - \sum se^2`.

    Parameters
    ----------
    seeds : iterable of int
        Seed s drives the training stream (``[s, 0]``) and the Monte Carlo (``[s, 1]``).
    setup : Theorem61Setup, optional
        Default :func:`theorem_6_1_setup`.
    n_train, n_window, early_spacing, late_spacing : int
        Run length, J and the windows' spacings (:func:`window_checkpoints`).
    t_fit : float, optional
        Start of the early window (default ``4 t0`` of the set-up's schedule).
    algo, tau : str, int
        Passed to :func:`~rtrl_theory.runners.train_online` (``"tbptt"`` with ``tau``).
    n_particles, n_steps : int
        Sizes of each stationary estimate.
    burn_in : int, optional
        Default ``burn_in_for(rho_bar, 1e-6)`` of the set-up's assumptions report.
    schedule : callable, optional
        Train with this schedule instead of the set-up's (a negative control; the prediction
        stays the set-up's).
    label : str, optional

    Returns
    -------
    WindowStatistics
    """
    from rtrl_theory.runners import JointProcess, train_online

    from ._limits import burn_in_for, limit_gradient

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds: expected at least one seed")
    n_particles = positive_int(n_particles, "n_particles")
    if n_particles < 2:
        raise ValueError(f"n_particles: expected at least 2 (a standard error), got {n_particles}")
    setup = theorem_6_1_setup() if setup is None else setup
    t0 = float(getattr(setup.schedule, "t0", 1.0))
    t_fit = 4.0 * t0 if t_fit is None else float(t_fit)
    early, late = window_checkpoints(n_train, n_window, t_fit, early_spacing, late_spacing)
    steps = np.r_[early, late]
    record = int(np.gcd.reduce(np.r_[steps, n_train]))
    if algo == "tbptt" and tau and record % tau:
        raise ValueError(f"tau: the checkpoints must be multiples of tau = {tau}")
    if burn_in is None:
        burn_in = burn_in_for(setup.assumptions().rho_bar, 1e-6)
    sched = setup.schedule if schedule is None else schedule
    Q, N2 = [], []
    for s in seeds:
        res = train_online(
            setup.model,
            setup.params0,
            setup.process,
            int(n_train),
            schedule=sched,
            algo=algo,
            tau=tau,
            rng=np.random.default_rng([s, 0]),
            allow_non_robbins_monro=schedule is not None,
            record_every=record,
        )
        if res.status != "completed":
            raise RuntimeError(f"seed {s}: the {algo} run {res.status}: {res.message}")
        path_steps = np.asarray(res.path_steps)
        idx = np.searchsorted(path_steps, steps)
        if np.any(path_steps[np.minimum(idx, path_steps.size - 1)] != steps):
            raise RuntimeError("a checkpoint was not recorded")  # pragma: no cover
        rngs = np.random.default_rng([s, 1]).spawn(steps.size)
        q, n2 = [], []
        for i, r in zip(idx, rngs, strict=True):
            jp = JointProcess(setup.model, res.param_path[i], setup.process)
            g = limit_gradient(jp, n_particles=n_particles, n_steps=n_steps, burn_in=burn_in, rng=r)
            v2 = float(g.stderr @ g.stderr)
            q.append(float(g.value @ g.value) - v2)
            n2.append(v2)
        Q.append(q)
        N2.append(n2)
    return WindowStatistics(
        label or algo, early, late, np.asarray(Q), np.asarray(N2), setup.schedule
    )
