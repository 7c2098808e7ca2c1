r"""Whether gradient cosine or stationary bias predicts where training ends up (issue 13, item 4).

For a set of estimators, both predictors are measured once, at the starting parameters
:math:`\theta_0` and on the same particles (:func:`stationary_bias_table`): the relative
stationary bias :math:`|b_A(\theta_0)|/|\nabla L(\theta_0)|` and the cosine between
:math:`E_{\pi_A}[\tilde G_A](\theta_0)` and :math:`\nabla L(\theta_0)`. Then online training
with each estimator from :math:`\theta_0` (the same data stream for every estimator: common
random numbers) gives the final loss :math:`L(\theta_{end})`, measured by an evaluator shared by
all estimators (the same particles or the same held-out text). The verdict is the Spearman rank
correlation across the n estimators of the final loss with the relative bias and with
:math:`-` cosine (both oriented so that +1 means "predicts perfectly"), each with its two-sided
p-value (exact permutation distribution for n <= 10 would be better; scipy's t approximation is
reported, so with n around 8 read them as rough). The same correlations on the cell part
(``*_cell``: the head's gradient is exact for every estimator and dominates the full vector on
the paper's RNN, so the full cosine is near 1 for all of them) are reported beside. A run that diverges gets final loss
:math:`+\infty` (ranked worst). Neither predictor sees the estimator's variance, which also
decides the final loss at a finite step size; the comparison shows how far each gets without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rtrl_theory._validate import as_rng, positive_int

from ._bias import _particle_source, stationary_bias_table

__all__ = ["PredictorComparison", "compare_predictors", "stationary_loss"]


def stationary_loss(model, params, process, *, n_particles, n_steps, burn_in, rng=None):
    r"""Particle estimate of :math:`L(\theta) = E_\pi[\ell]`, (2.27) of [P1]: ``(mean, stderr)``.

    K independent particles (a DataProcess, or :class:`TextWindows`), ``burn_in`` steps
    discarded, the time average of the loss over ``n_steps`` per particle; the standard error is
    over particles (i.i.d.).
    """
    theta = model.flatten(params)
    K = positive_int(n_particles, "n_particles")
    n = positive_int(n_steps, "n_steps")
    b = int(burn_in)
    draw = _particle_source(process, K, b + n, as_rng(rng))
    cell, head = model.cell, model.head
    th, tc = model.split(theta)
    prep = cell.prepare(tc)
    S = cell.initial_state(K)
    acc = np.zeros(K)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(b + n):
            X, Y = draw()
            S = cell.step(prep, S, X)
            if t >= b:
                acc += head.derivatives(th, S, Y).loss
    a = acc / n
    return float(a.mean()), float(a.std(ddof=1) / math.sqrt(K))


@dataclass(frozen=True)
class PredictorComparison:
    r"""Per-estimator predictors and outcomes, and the rank correlations (module docstring).

    Attributes
    ----------
    estimators : tuple of str
        The estimators, in the order of the arrays (n of them).
    rel_bias : ndarray, shape (n,)
        :math:`|b_A(\theta_0)|/|\nabla L(\theta_0)|` per estimator.
    cosine : ndarray, shape (n,)
        The cosine between :math:`E_{\pi_A}[\tilde G_A](\theta_0)` and :math:`\nabla L(\theta_0)`.
    final_loss, final_loss_stderr : ndarray, shape (n,)
        :math:`L(\theta_{end})` after training with each estimator, and its standard error
        (``inf`` and ``nan`` for a run that did not complete).
    status : tuple of str
        Each training run's status (``"completed"``, ``"diverged"``, ...).
    spearman_bias, p_bias : float
        Spearman's rank correlation of ``rel_bias`` with ``final_loss``, and its p-value.
    spearman_cosine, p_cosine : float
        The same for ``-cosine``.
    n_estimators : int
        n.
    loss_start : float
        :math:`L(\theta_0)`, for scale.
    rel_bias_cell, cosine_cell : ndarray, shape (n,)
        The two predictors on the cell parameters only.
    spearman_bias_cell, spearman_cosine_cell : float
        Their rank correlations with ``final_loss``.
    """

    estimators: tuple
    rel_bias: np.ndarray
    cosine: np.ndarray
    final_loss: np.ndarray
    final_loss_stderr: np.ndarray
    status: tuple
    spearman_bias: float
    p_bias: float
    spearman_cosine: float
    p_cosine: float
    n_estimators: int
    loss_start: float
    rel_bias_cell: np.ndarray = None
    cosine_cell: np.ndarray = None
    spearman_bias_cell: float = float("nan")
    spearman_cosine_cell: float = float("nan")

    def verdict(self) -> str:
        b, c = self.spearman_bias, self.spearman_cosine
        better = "stationary bias" if b > c else "cosine" if c > b else "neither"
        if not (min(self.p_bias, self.p_cosine) < 0.05):
            better = f"{better} (neither significant at 5%)"
        return (
            f"{better} ranks the final loss better across {self.n_estimators} estimators "
            f"(Spearman: bias {b:+.2f}, p = {self.p_bias:.2g}; -cosine {c:+.2f}, "
            f"p = {self.p_cosine:.2g})"
        )

    def to_dict(self) -> dict:
        return {
            "estimators": list(self.estimators),
            "rel_bias": self.rel_bias.tolist(),
            "cosine": self.cosine.tolist(),
            "final_loss": [float(x) for x in self.final_loss],
            "final_loss_stderr": self.final_loss_stderr.tolist(),
            "status": list(self.status),
            "spearman_bias": self.spearman_bias,
            "p_bias": self.p_bias,
            "spearman_cosine": self.spearman_cosine,
            "p_cosine": self.p_cosine,
            "n_estimators": self.n_estimators,
            "loss_start": self.loss_start,
            "rel_bias_cell": self.rel_bias_cell.tolist(),
            "cosine_cell": self.cosine_cell.tolist(),
            "spearman_bias_cell": self.spearman_bias_cell,
            "spearman_cosine_cell": self.spearman_cosine_cell,
            "verdict": self.verdict(),
        }


def compare_predictors(
    model,
    params,
    process,
    estimators,
    *,
    n_train: int,
    schedule,
    meter: dict,
    train_data=None,
    optimizer="sgd",
    batch_size: int = 1,
    final_loss=None,
    loss_sizes: dict | None = None,
    rng=None,
    progress: bool = False,
) -> PredictorComparison:
    r"""Rank correlation of cosine and of stationary bias with the final loss (module docstring).

    Parameters
    ----------
    model, params, process
        As :func:`stationary_bias` (``process`` a DataProcess or :class:`TextWindows`).
    estimators : sequence of str
        At least 3 names.
    n_train, schedule, optimizer, batch_size
        Online training from ``params`` with each estimator (``train_online(algo=NAME)``).
    meter : dict
        ``n_particles``, ``n_steps``, ``burn_in`` of the meter at ``params``.
    train_data : optional
        What training reads (arrays ``(X, Y)`` for a text); default ``process``.
    final_loss : callable theta -> (loss, stderr), optional
        Default: the particle estimate of :math:`L(\theta)` ((2.27) of [P1]) on ``process`` with
        ``loss_sizes``, the same particles for every estimator.
    loss_sizes : dict, optional
        ``n_particles``, ``n_steps``, ``burn_in`` of that default evaluation (needed without
        ``final_loss``).
    rng : seed or Generator
        Spawns the meter's, the training's and the loss evaluation's streams; training and
        evaluation streams are the same for every estimator.
    progress : bool, default False
        Show a progress bar for the meter.

    Returns
    -------
    PredictorComparison
        Both predictors, the final losses and the rank correlations.

    Raises
    ------
    ValueError
        With fewer than 3 estimators, or with neither ``final_loss`` nor ``loss_sizes``.

    See Also
    --------
    stationary_bias_table : the meter at ``params``.
    train_to_limit : where training with one estimator ends up, on the linear SDE.
    """
    from ._train import train_online_estimator as train_online  # = runners.train_online(algo=NAME)

    names = tuple(estimators)
    if len(names) < 3:
        raise ValueError("estimators: at least 3 are needed for a rank correlation")
    n_train = positive_int(n_train, "n_train")
    if final_loss is None and loss_sizes is None:
        raise ValueError("loss_sizes: give the evaluation sizes or a final_loss callable")
    r_meter, r_train, r_loss = as_rng(rng).spawn(3)
    seed_train = int(r_train.integers(2**63))
    seed_loss = int(r_loss.integers(2**63))
    table = stationary_bias_table(
        model, params, process, names, rng=r_meter, progress=progress, **meter
    )
    if final_loss is None:

        def final_loss(theta):
            return stationary_loss(model, theta, process, rng=seed_loss, **loss_sizes)

    loss0 = final_loss(model.flatten(params))[0]
    losses, ses, status = [], [], []
    for name in names:
        run = train_online(
            model,
            params,
            process if train_data is None else train_data,
            n_train,
            schedule=schedule,
            algo=name,
            optimizer=optimizer,
            batch_size=batch_size,
            rng=seed_train,
        )
        status.append(run.status)
        if run.status != "completed":
            losses.append(math.inf)
            ses.append(math.nan)
            continue
        v, se = final_loss(model.flatten(run.params))
        losses.append(v if math.isfinite(v) else math.inf)
        ses.append(se)
    rel = np.array([e.rel_bias for e in table])
    cos = np.array([e.cosine for e in table])
    fl = np.array(losses)
    rb, pb = stats.spearmanr(rel, fl)
    rc, pc = stats.spearmanr(-cos, fl)
    relc = np.array([e.rel_bias_cell for e in table])
    cosc = np.array([e.cosine_cell for e in table])
    rbc = stats.spearmanr(relc, fl)[0]
    rcc = stats.spearmanr(-cosc, fl)[0]
    return PredictorComparison(
        estimators=names,
        rel_bias=rel,
        cosine=cos,
        final_loss=fl,
        final_loss_stderr=np.array(ses),
        status=tuple(status),
        spearman_bias=float(rb),
        p_bias=float(pb),
        spearman_cosine=float(rc),
        p_cosine=float(pc),
        n_estimators=len(names),
        loss_start=float(loss0),
        rel_bias_cell=relc,
        cosine_cell=cosc,
        spearman_bias_cell=float(rbc),
        spearman_cosine_cell=float(rcc),
    )
