r"""The stationary bias of an online gradient estimator, measured against exact RTRL.

At fixed :math:`\theta`, an online estimator A and the data form a Markov chain
:math:`(X_t, S_t, \Xi^A_t)` (data, hidden state, A's approximate sensitivity state). Its
stationary law :math:`\pi_A` gives A's *stationary mean* :math:`E_{\pi_A}[\tilde G_A]`, the
direction online SGD with A follows on average, and its *stationary bias*

.. math:: b_A(\theta) = E_{\pi_A}[\tilde G_A] - \nabla L(\theta), \qquad
          \nabla L(\theta) = E_{\pi_\theta}[\tilde G] \quad\text{(Theorem 3.16 of [P1])}.

Estimator (common random numbers). K independent particles each carry the data, one hidden
state S, exact RTRL's :math:`J` and every estimator's state. Since S does not depend on the
estimator, all of them read the *same* linearization :math:`(D_t, I_t)` at every step and differ
only in their sensitivity; the bias is measured on the per-step differences
:math:`\Delta_t = \tilde G_A(Z_t) - \tilde G(Z_t)`, whose variance is far below that of either
term when A is close to exact. After ``burn_in`` steps (to forget the initial law; every
recursion here contracts geometrically, (3.45)), particle k contributes the time average

.. math:: d_k = \frac1n\sum_{t = b}^{b+n-1}\Delta^{(k)}_t, \qquad
          \hat b = \frac1K\sum_k d_k, \qquad \widehat{se}_p = \frac{s_p}{\sqrt K},

with :math:`s_p` the sample standard deviation of :math:`(d_k)_p` over the particles.

Confidence intervals. The particles are independent and identically distributed (independent
data streams and estimator signs, the same initial law), so the :math:`d_k` are i.i.d. vectors
with mean :math:`b_A + O(\bar\rho^{b})` (the burn-in error) and finite covariance
:math:`\Sigma/n_{\text{eff}}`. By the central limit theorem over particles,
:math:`\sqrt K(\hat b_p - b_p)/s_p` is asymptotically Student-t with K - 1 degrees of freedom,
which gives the per-coordinate interval :math:`\hat b_p \pm t_{K-1,1-\alpha/2}\,\widehat{se}_p`
(``bias_ci``). No batch-means correction is needed: the time correlation within a particle is
inside :math:`d_k` and the averaging across particles is over independent chains. For a linear
functional :math:`u^\top b` with a fixed u the same argument applies to :math:`u^\top d_k`
(``bias_along`` uses :math:`u = \nabla L/|\nabla L|`). The norm: :math:`|\hat b|^2` overestimates
:math:`|b|^2` by :math:`\mathrm{tr}\,\mathrm{Cov}(\hat b)` on average, so ``bias_norm`` is the
debiased :math:`\sqrt{\max(0, |\hat b|^2 - \sum_p\widehat{se}_p^2)}` and ``noise`` =
:math:`\sqrt{\sum_p \widehat{se}_p^2}` the level below which a norm cannot be resolved;
``bias_norm_ci`` is built from two one-sided bounds, each at level :math:`1 - \alpha/2`:

* lower (split sample): the direction :math:`u = \hat b_A/|\hat b_A|` is estimated on the first
  half A of the particles, and :math:`u^\top b` on the other half B with its Student-t bound;
  since :math:`|b| \ge u^\top b` for any unit u fixed independently of B, the bound
  :math:`\max(0, u^\top\hat b_B - t\,\widehat{se}_B)` is valid whatever the correlation of the
  coordinates;
* upper (Welch-Satterthwaite): :math:`K|\hat b - b|^2` is approximately a weighted sum of
  :math:`\chi^2_1` variables with weights the eigenvalues of :math:`\Sigma` (the covariance of
  :math:`d_k`); matching two moments, :math:`K|\hat b - b|^2 \approx c\,\chi^2_\nu` with
  :math:`c = \mathrm{tr}\Sigma^2/\mathrm{tr}\Sigma`, :math:`\nu = (\mathrm{tr}\Sigma)^2/
  \mathrm{tr}\Sigma^2`, so :math:`|b| \le |\hat b| + \sqrt{c\,\chi^2_{\nu, 1-\alpha/2}/K}`.

(The coordinates of :math:`d_k` are strongly correlated, e.g. on the paper's RNN
:math:`\nu` is far below P, so a bound that treated them as independent would be wrong.)

``variance`` is the trace of the per-step covariance of :math:`\tilde G_A` under the stationary
law, :math:`\sum_p \mathrm{Var}_\pi(\tilde G_{A,p})`, estimated from all K n samples; its ratio
to exact RTRL's is ``variance_ratio``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from rtrl_theory._validate import as_rng, positive_int

from ._exact import ExactRTRL
from ._registry import make_estimator

__all__ = ["BiasEstimate", "stationary_bias", "stationary_bias_table"]


@dataclass(frozen=True)
class BiasEstimate:
    r"""The stationary bias of one estimator at one :math:`\theta` (module docstring).

    Attributes
    ----------
    estimator : str
    grad_L, grad_L_stderr : ndarray (P,)
        :math:`\nabla L(\theta)` from exact RTRL on the same particles, and its standard error.
    bias, bias_stderr : ndarray (P,)
        :math:`\hat b`, per coordinate.
    bias_ci : ndarray (P, 2)
        Per-coordinate confidence interval at ``level``.
    bias_norm : float
        Debiased :math:`|b|` (module docstring).
    bias_norm_raw : float
        :math:`|\hat b|`, not debiased.
    bias_norm_ci : (float, float)
        Confidence interval of :math:`|b|` at ``level``.
    noise : float
        :math:`\sqrt{\sum_p \widehat{se}_p^2}`.
    bias_along, bias_along_stderr : float
        :math:`u^\top\hat b` with :math:`u = \nabla L/|\nabla L|`, and its standard error.
    rel_bias : float
        ``bias_norm / |grad_L|``.
    rel_bias_ci : (float, float)
        ``bias_norm_ci / |grad_L|``.
    cosine : float
        Between :math:`E[\tilde G_A] = \nabla L + \hat b` and :math:`\nabla L`.
    rel_bias_cell, cosine_cell : float
        The same on the cell parameters only (the head's gradient is exact in every
        estimator, so the bias lives there; where the head's gradient dominates
        :math:`\nabla L`, e.g. the paper's RNN with its small recurrent map, these are the
        informative ones).
    variance, variance_exact, variance_ratio : float
        Trace of the per-step covariance of :math:`\tilde G_A`, of exact RTRL's, their ratio.
    cost_per_step, cost_per_step_exact : float
        Measured seconds per particle and step of the estimator's own work (advance and
        gradient; the shared forward pass and linearization excluded), and exact RTRL's.
    memory, memory_exact : int
        Floats of sensitivity state per particle.
    n_particles, n_steps, burn_in : int
    level : float
    bias_samples : ndarray (K, P)
        The per-particle time averages :math:`d_k` (i.i.d. across particles), for other linear
        functionals or joint tests; left out of :meth:`to_dict`.
    """

    estimator: str
    grad_L: np.ndarray
    grad_L_stderr: np.ndarray
    bias: np.ndarray
    bias_stderr: np.ndarray
    bias_ci: np.ndarray
    bias_norm: float
    bias_norm_raw: float
    bias_norm_ci: tuple
    noise: float
    bias_along: float
    bias_along_stderr: float
    rel_bias: float
    rel_bias_ci: tuple
    cosine: float
    rel_bias_cell: float
    cosine_cell: float
    variance: float
    variance_exact: float
    variance_ratio: float
    cost_per_step: float
    cost_per_step_exact: float
    memory: int
    memory_exact: int
    n_particles: int
    n_steps: int
    burn_in: int
    level: float
    bias_samples: np.ndarray = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (arrays as lists)."""
        out = {}
        for k, v in asdict(self).items():
            if k == "bias_samples":
                continue
            if isinstance(v, np.ndarray):
                v = v.tolist()
            elif isinstance(v, tuple):
                v = [float(x) for x in v]
            out[k] = v
        return out

    def row(self) -> dict:
        """Return the table row: estimator, rel bias, cosine, variance ratio, cost, memory."""
        return {
            "estimator": self.estimator,
            "rel_bias": self.rel_bias,
            "rel_bias_ci": self.rel_bias_ci,
            "cosine": self.cosine,
            "rel_bias_cell": self.rel_bias_cell,
            "cosine_cell": self.cosine_cell,
            "variance_ratio": self.variance_ratio,
            "cost_per_step": self.cost_per_step,
            "memory": self.memory,
        }


def _norm_interval(dk: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float]:
    """Lower (split-sample) and upper (Welch-Satterthwaite) bounds on |b| (module docstring)."""
    K = dk.shape[0]
    half = 1.0 - (1.0 - level) / 2.0  # each one-sided bound at 1 - alpha / 2
    raw = float(np.linalg.norm(b))
    lower = 0.0
    h = K // 2
    if h >= 2 and K - h >= 2:
        bA = dk[:h].mean(axis=0)
        nA = float(np.linalg.norm(bA))
        if nA > 0:
            proj = dk[h:] @ (bA / nA)
            se = float(proj.std(ddof=1) / math.sqrt(K - h))
            lower = max(0.0, float(proj.mean()) - float(stats.t.ppf(half, K - h - 1)) * se)
    D = dk - b
    G = D @ D.T / (K - 1)  # K x K: tr(Sigma) = tr(G), tr(Sigma^2) = |G|_F^2
    tr1 = float(np.trace(G))
    tr2 = float(np.sum(G * G))
    if tr1 > 0 and tr2 > 0:
        c, nu = tr2 / tr1, tr1 * tr1 / tr2
        upper = raw + math.sqrt(c * float(stats.chi2.ppf(half, nu)) / K)
    else:
        upper = raw
    return lower, upper


def _validate(model, params, process, n_particles, n_steps, burn_in, level):
    from rtrl_theory.data import DataProcess

    from ._windows import TextWindows

    theta = model.flatten(params)
    if isinstance(process, TextWindows):
        if getattr(model.cell, "input_kind", "dense") != "onehot" or (
            model.n_input != process.n_vocab
        ):
            raise ValueError(
                f"model: text windows need a one-hot cell with {process.n_vocab} inputs"
            )
    else:
        if not isinstance(process, DataProcess) or process.target is None:
            raise TypeError(
                "process: expected a DataProcess with a target (Lipschitz or teacher) or "
                "TextWindows"
            )
        if process.n_input != model.n_input:
            raise ValueError(
                f"process: inputs have d = {process.n_input}, the model d = {model.n_input}"
            )
        if getattr(model.cell, "input_kind", "dense") != "dense":
            raise ValueError(
                "model: the meter needs a cell with dense inputs (a DataProcess drives it)"
            )
    K = positive_int(n_particles, "n_particles")
    if K < 2:
        raise ValueError("n_particles: at least 2 particles are needed for a confidence interval")
    n_steps = positive_int(n_steps, "n_steps")
    burn_in = int(burn_in)
    if burn_in < 0:
        raise ValueError(f"burn_in: expected a non-negative integer, got {burn_in!r}")
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
    return theta, K, n_steps, burn_in, level


def _particle_source(process, K, total, r_data):
    """``draw() -> (X, Y)`` for K particles: a DataProcess chain + target, or text windows."""
    from ._windows import TextWindows

    if isinstance(process, TextWindows):
        return process.sampler(K, total, r_data)
    chain, target = process.chain, process.target
    state = {"X": np.zeros((K, process.n_input)), "teacher": target.initial_state(K)}

    def draw():
        X = chain.step(state["X"], chain.draw_noise(r_data, (K,)))
        eta = r_data.uniform(-target.noise, target.noise, size=K)
        Yt, state["teacher"] = target.evaluate(X[:, None, :], eta[:, None], state["teacher"])
        state["X"] = X
        return X, Yt[:, 0]

    return draw


def stationary_bias_table(
    model,
    params,
    process,
    estimators,
    *,
    n_particles: int,
    n_steps: int,
    burn_in: int,
    rng=None,
    level: float = 0.95,
    progress: bool = False,
) -> tuple[BiasEstimate, ...]:
    r""":func:`stationary_bias` for several estimators on the same particles, in one pass.

    Every estimator and exact RTRL read the same data and hidden states (module docstring).
    When an estimator is TBPTT(tau), ``burn_in`` and ``n_steps`` are rounded up to multiples of
    tau (of the least common multiple of the taus) so that averages run over whole blocks.

    Parameters
    ----------
    model : RNNModel
        Any cell with dense inputs (paper RNN, Elman, linear SDE, neural SDE, GRU).
    params : parameter object or ndarray, shape (P,)
        The point :math:`\theta` at which the biases are measured.
    process : DataProcess or TextWindows
        Inputs and targets, or random windows of a text for a one-hot cell.
    estimators : sequence of str or OnlineEstimator
        Names of :data:`~rtrl_theory.online.ESTIMATOR_NAMES` (``"uoro"``, ``"snap-2"``,
        ``"tbptt-8"``, ...) or estimator objects bound to ``model``.
    n_particles : int
        K >= 2 independent particles.
    n_steps : int
        Steps averaged per particle after the burn-in (rounded up to whole TBPTT blocks).
    burn_in : int
        Steps discarded first (rounded up likewise).
    rng : Generator, int or None
        Drives the data (one stream) and each estimator's random numbers (one stream each).
    level : float, default 0.95
        Confidence level of the intervals.
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    tuple of BiasEstimate
        One per estimator, in the order of ``estimators``; exact RTRL's :math:`\nabla L`
        (Theorem 3.16 of [P1]) is shared.

    See Also
    --------
    stationary_bias : one estimator.
    rtrl_theory.oracles.stationary_update_mean : the exact stationary mean on a linear system.
    """
    theta, K, n_steps, burn_in, level = _validate(
        model, params, process, n_particles, n_steps, burn_in, level
    )
    if isinstance(estimators, str) or not hasattr(estimators, "__iter__"):
        estimators = [estimators]
    rng = as_rng(rng)
    r_data, r_est = rng.spawn(2)
    est_rngs = r_est.spawn(len(estimators))
    ests = [make_estimator(e, model, rng=r) for e, r in zip(estimators, est_rngs, strict=True)]
    if not ests:
        raise ValueError("estimators: expected at least one estimator")
    block = math.lcm(*[getattr(e, "tau", 1) for e in ests])
    burn_in = block * math.ceil(burn_in / block)
    n_steps = block * math.ceil(n_steps / block)

    cell, head = model.cell, model.head
    th, tc = model.split(theta)
    prep = cell.prepare(tc)
    P = model.n_params
    exact = ExactRTRL(model)
    st_ex = exact.initial(K)
    states = [e.initial(K) for e in ests]
    S = cell.initial_state(K)
    total = burn_in + n_steps
    draw = _particle_source(process, K, total, r_data)
    sum_ex = np.zeros((K, P))
    sq_ex = np.zeros(P)
    sum_d = [np.zeros((K, P)) for _ in ests]
    sum_g = [np.zeros(P) for _ in ests]
    sq_g = [np.zeros(P) for _ in ests]
    secs = [0.0] * len(ests)
    secs_ex = 0.0
    bar = None
    if progress:
        from rtrl_theory._progress import tqdm_class
        tqdm = tqdm_class()

        bar = tqdm(total=total, unit="step", desc="stationary bias", leave=False)
    try:
        for t in range(total):
            X, Y = draw()
            lin = cell.linearize(prep, S, X)
            S = lin.S_next
            hd = head.derivatives(th, S, Y)
            t0 = time.perf_counter()
            st_ex = exact.advance(st_ex, lin, inplace=True)
            g_ex = exact.gradient(st_ex, hd, Y)
            secs_ex += time.perf_counter() - t0
            record = t >= burn_in
            if record:
                sum_ex += g_ex
                sq_ex += (g_ex * g_ex).sum(axis=0)
            for i, e in enumerate(ests):
                t0 = time.perf_counter()
                states[i] = e.advance(states[i], lin, est_rngs[i], inplace=True)
                g = e.gradient(states[i], hd, Y)
                secs[i] += time.perf_counter() - t0
                if record:
                    sum_d[i] += g - g_ex
                    sum_g[i] += g.sum(axis=0)
                    sq_g[i] += (g * g).sum(axis=0)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()

    tq = float(stats.t.ppf(0.5 + level / 2.0, K - 1))
    n_samples = K * n_steps
    ex_samples = sum_ex / n_steps
    grad_L = ex_samples.mean(axis=0)
    grad_se = ex_samples.std(axis=0, ddof=1) / math.sqrt(K)
    var_ex = float(np.sum(sq_ex / n_samples - (sum_ex.sum(axis=0) / n_samples) ** 2))
    gnorm = float(np.linalg.norm(grad_L))
    u_grad = grad_L / gnorm if gnorm > 0 else np.zeros(P)
    cost_ex = secs_ex / (total * K)
    out = []
    for i, e in enumerate(ests):
        dk = sum_d[i] / n_steps
        b = dk.mean(axis=0)
        se = dk.std(axis=0, ddof=1) / math.sqrt(K)
        ci = np.stack([b - tq * se, b + tq * se], axis=1)
        raw = float(np.linalg.norm(b))
        noise = float(np.sqrt(np.sum(se * se)))
        norm = math.sqrt(max(0.0, raw * raw - noise * noise))
        norm_ci = _norm_interval(dk, b, level)
        along = dk @ u_grad
        mean_A = grad_L + b
        denom = float(np.linalg.norm(mean_A)) * gnorm
        cosine = float(mean_A @ grad_L / denom) if denom > 0 else float("nan")
        Ph = model.n_head_params
        gc, bc = grad_L[Ph:], b[Ph:]
        gcn = float(np.linalg.norm(gc))
        nc2 = float(bc @ bc - se[Ph:] @ se[Ph:])
        rel_cell = math.sqrt(max(0.0, nc2)) / gcn if gcn > 0 else float("nan")
        dc = float(np.linalg.norm(gc + bc)) * gcn
        cos_cell = float((gc + bc) @ gc / dc) if dc > 0 else float("nan")
        mean_g = sum_g[i] / n_samples
        var = float(np.sum(sq_g[i] / n_samples - mean_g * mean_g))
        out.append(
            BiasEstimate(
                estimator=e.name,
                grad_L=grad_L,
                grad_L_stderr=grad_se,
                bias=b,
                bias_stderr=se,
                bias_ci=ci,
                bias_norm=norm,
                bias_norm_raw=raw,
                bias_norm_ci=norm_ci,
                noise=noise,
                bias_along=float(along.mean()),
                bias_along_stderr=float(along.std(ddof=1) / math.sqrt(K)),
                rel_bias=norm / gnorm if gnorm > 0 else float("nan"),
                rel_bias_ci=(norm_ci[0] / gnorm, norm_ci[1] / gnorm)
                if gnorm > 0
                else (float("nan"),) * 2,
                cosine=cosine,
                rel_bias_cell=rel_cell,
                cosine_cell=cos_cell,
                variance=var,
                variance_exact=var_ex,
                variance_ratio=var / var_ex if var_ex > 0 else float("nan"),
                cost_per_step=secs[i] / (total * K),
                cost_per_step_exact=cost_ex,
                memory=int(e.memory()),
                memory_exact=int(exact.memory()),
                n_particles=K,
                n_steps=n_steps,
                burn_in=burn_in,
                level=level,
                bias_samples=dk,
            )
        )
    return tuple(out)


def stationary_bias(
    model,
    params,
    process,
    estimator,
    *,
    n_particles: int,
    n_steps: int,
    burn_in: int,
    rng=None,
    level: float = 0.95,
    progress: bool = False,
) -> BiasEstimate:
    r"""Return the stationary bias :math:`b_A(\theta) = E_{\pi_A}[\tilde G_A] - \nabla L(\theta)`.

    Parameters
    ----------
    model : RNNModel
        Any cell with dense inputs (paper RNN, Elman, linear SDE, neural SDE, GRU).
    params : parameter object or flat vector (P,)
    process : DataProcess or TextWindows
        Inputs and targets (Lipschitz or teacher), or random windows of a text for a one-hot
        cell (:class:`~rtrl_theory.online.TextWindows`: the bias under the text's empirical
        law, what that means is in its docstring).
    estimator : str or OnlineEstimator
        A name of :data:`~rtrl_theory.online.ESTIMATOR_NAMES` (``"exact"``, ``"uoro"``,
        ``"kf-rtrl"``, ``"snap-1"``, ``"snap-2"``, ``"rflo"``, ``"eprop"``, ``"immediate"``,
        ``"tbptt-8"``) or an estimator object bound to ``model``.
    n_particles : int
        K >= 2 independent particles (the confidence intervals are over them).
    n_steps : int
        Steps averaged per particle after the burn-in.
    burn_in : int
        Steps discarded first.
    rng : Generator, int or None
        Drives the data (one stream) and the estimator's signs (another).
    level : float, default 0.95
        Confidence level of the intervals.
    progress : bool
        Show a progress bar.

    Returns
    -------
    BiasEstimate

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN
    >>> from rtrl_theory.data import DataProcess, ExampleChain, TeacherTarget
    >>> model = PaperRNN(3, 2)
    >>> proc = DataProcess(ExampleChain(2, lam=0.5), TeacherTarget(model, model.init_params(0)))
    >>> est = stationary_bias(model, model.init_params(1), proc, "snap-2",
    ...                       n_particles=8, n_steps=20, burn_in=10, rng=2)
    >>> float(np.abs(est.bias).max()) < 1e-12  # dense recurrence: SnAp-2 is exact RTRL
    True
    """
    return stationary_bias_table(
        model,
        params,
        process,
        [estimator],
        n_particles=n_particles,
        n_steps=n_steps,
        burn_in=burn_in,
        rng=rng,
        level=level,
        progress=progress,
    )[0]
