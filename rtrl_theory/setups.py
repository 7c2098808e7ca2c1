"""Experiment set-ups as library objects: what the commands, figure scripts and notebooks build.

- :class:`PaperConfig` / :class:`PaperSetup` -- the paper RNN of [P1] (2.17)-(2.19) on the data
  process of Example 2.4 with a Lipschitz target: model, parameters, process, the report of the
  convergence theorem's hypotheses (Assumptions 2.3, 2.10, 2.14) and the joint process
  Z_t = (X, eta, S, J, H) of [P1] eq. (3.3).
- :class:`ContractionExperiment` -> :class:`ContractionReport` -- the W1 contraction rate of the
  joint process ([P1] Proposition 3.10) measured from two initial laws, beside rho_bar.
- :class:`TrainSetup` -- the three training recipes of ``rtrl-theory train`` (synthetic data,
  tiny shakespeare, the order book).
- :func:`check_assumptions` -- the hypotheses for a model and a chain given as objects.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rtrl_theory import bounds

__all__ = [
    "PaperConfig",
    "PaperSetup",
    "ContractionExperiment",
    "ContractionReport",
    "TrainSetup",
    "check_assumptions",
]


def check_assumptions(model, chain, schedule=None):
    """Hypotheses of [P1]'s convergence theorem for a paper RNN ``model`` and a data ``chain``.

    Parameters
    ----------
    model : PaperRNN
        Supplies N, d, c_f, c_g and the bounded map (Assumption 2.10).
    chain : ExampleChain
        Supplies lam (Assumption 2.3(1)) and the input bound C_x.
    schedule : PowerSchedule, str or None
        Tested against Assumption 2.14 (Robbins-Monro).

    Returns
    -------
    AssumptionsReport
        The same report as the scalar form :func:`rtrl_theory.bounds.check_assumptions`, which
        this calls (so a change of that function acts on both).
    """
    return bounds.check_assumptions(
        model.n_hidden,
        model.n_input,
        model.c_f,
        model.c_g,
        model.bounded_map,
        chain.lam,
        chain.C_x,
        schedule,
    )


def _failed(report) -> list[str]:
    return [k for k, h in report.hypotheses.items() if h["holds"] is False]


@dataclass(frozen=True)
class PaperConfig:
    r"""The paper RNN and its data process (Example 2.4 with a Lipschitz target).

    ``c_f=None`` means 0.5 / N. A configuration only; :meth:`PaperSetup.build` draws the
    target's weights and the initial parameters.

    Parameters
    ----------
    n_hidden : int, default 4
        N, the hidden units of the RNN (2.17)-(2.19) of [P1].
    n_input : int, default 2
        d, the input dimension.
    c_f : float, optional
        Scale of the recurrent bounded map f (C_f = c_f); None (the default) gives 0.5 / N,
        so N C_f = 0.5 < 4 (Lemmas 3.5, 3.7).
    c_g : float, default 1.0
        Scale of the input bounded map g.
    bounded_map : {"tanh", "sigmoid"}, default "tanh"
        The form of f and g: ``c tanh`` or ``c (2 sigma - 1)``.
    lam : float, default 0.5
        :math:`\lambda`, the contraction of the input chain (2.8), Assumption 2.3 (1).
    noise : float, default 0.5
        Half-width of the chain's uniform noise :math:`\varepsilon`.
    target_noise : float, default 0.1
        :math:`c_\eta`, half-width of the target noise of :class:`~rtrl_theory.data.LipschitzTarget`.

    See Also
    --------
    PaperSetup : the built set-up.
    """

    n_hidden: int = 4
    n_input: int = 2
    c_f: float | None = None
    c_g: float = 1.0
    bounded_map: str = "tanh"
    lam: float = 0.5
    noise: float = 0.5
    target_noise: float = 0.1


@dataclass(frozen=True)
class PaperSetup:
    r"""A built :class:`PaperConfig`: model, parameters, process, assumptions, joint process.

    Made by :meth:`build`; the fields are what the commands, figures and checks use.

    Parameters
    ----------
    config : PaperConfig
        The configuration it was built from.
    model : PaperRNN
        The RNN (2.17)-(2.19) of [P1].
    params : PaperParams
        Initial parameters :math:`\theta = (\alpha, W, B)` (``model.init_params``).
    process : DataProcess
        The :class:`~rtrl_theory.data.ExampleChain` of Example 2.4 with a
        :class:`~rtrl_theory.data.LipschitzTarget`.
    assumptions : AssumptionsReport
        The hypotheses of the convergence theorem (Assumptions 2.3, 2.10, 2.14), from
        :func:`check_assumptions`.
    joint : JointProcess, optional
        The joint process :math:`Z_t = (X_t, \eta_t, S_t, J_t, H_t)` at fixed :math:`\theta`
        (Section 3 of [P1]); None (the default) until :meth:`joint_process` builds it.

    See Also
    --------
    ContractionExperiment : measures the contraction of ``joint``.
    """

    config: PaperConfig
    model: Any
    params: Any
    process: Any
    assumptions: Any
    joint: Any = None

    @classmethod
    def build(cls, config: PaperConfig, rng, *, order: int = 1, force: bool = False,
              joint: bool = True) -> PaperSetup:
        """Build the set-up.

        Parameters
        ----------
        config : PaperConfig
        rng : int, numpy.random.SeedSequence, numpy.random.Generator or (Generator, Generator)
            Randomness of the target's weights, then of the initial parameters; a pair gives
            one generator to each.
        order : {1, 2}
            Order of the joint process (2 adds the second-order sensitivities).
        force : bool
            Passed to the joint process's memory check.
        joint : bool
            Build the joint process (False: ``joint`` is None; see :meth:`joint_process`).
        """
        from rtrl_theory.cells import PaperRNN
        from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget

        if isinstance(rng, tuple):
            rng_target, rng_params = rng
        else:
            rng_target = rng_params = np.random.default_rng(rng)
        c_f = config.c_f if config.c_f is not None else 0.5 / max(config.n_hidden, 1)
        model = PaperRNN(
            config.n_hidden, config.n_input, c_f=c_f, c_g=config.c_g,
            bounded_map=config.bounded_map,
        )
        chain = ExampleChain(config.n_input, config.lam, config.noise)
        process = DataProcess(
            chain,
            LipschitzTarget.random(config.n_input, noise=config.target_noise, rng=rng_target),
        )
        params = model.init_params(rng_params)
        report = check_assumptions(model, chain)
        setup = cls(config, model, params, process, report)
        if joint:
            setup = setup.joint_process(order=order, force=force)
        return setup

    def joint_process(self, order: int = 1, force: bool = False) -> PaperSetup:
        """Return this set-up with its joint process ([P1] eq. 3.3) built."""
        from dataclasses import replace

        from rtrl_theory.runners import JointProcess

        jp = JointProcess(self.model, self.params, self.process, order=order, force=force)
        return replace(self, joint=jp)


@dataclass(frozen=True)
class ContractionReport:
    """What :meth:`ContractionExperiment.run` measured.

    ``estimates`` maps a coupling to its ContractionEstimate; ``rows`` to the record's row
    (rate, 95% CI, floor, points, block, verdict ``consistent_with_rho_bar``: True, False or None
    when rho_bar is undefined). ``ok`` is False when a rate lies above rho_bar.

    Parameters
    ----------
    setup : PaperSetup
        The set-up the couplings ran on (with its joint process).
    experiment : ContractionExperiment
        The experiment's settings.
    estimates : dict of str -> ContractionEstimate
        Per coupling (``"synchronous"``, ``"independent"``), the fitted W1 decay rate with its
        distances and CI (:func:`~rtrl_theory.estimators.estimate_contraction_rate`).
    rows : dict of str -> dict
        Per coupling, the JSON row: ``rate``, ``rate_ci``, ``floor``, ``n_used``, ``block``,
        ``consistent_with_rho_bar`` and ``distances``.
    ok : bool
        False when some rate lies above rho_bar = max(lam, rho) (Proposition 3.10 of [P1]).
    marginals : dict, optional
        With ``marginals=True``: summaries (``burn_in``, ``labels``, ``mean``, ``std``) of S and
        of the four largest entries of J under the (near) stationary law; else None.
    marginal_samples : dict of str -> ndarray, optional
        The K particle values behind ``marginals``, each of shape (K,); else None.
    """

    setup: PaperSetup
    experiment: ContractionExperiment
    estimates: dict
    rows: dict
    ok: bool
    marginals: dict | None = None
    marginal_samples: dict | None = None

    @property
    def rho_bar(self):
        """The contraction factor rho_bar = max(lam, rho) of Proposition 3.1 of [P1], from the assumptions."""
        return self.setup.assumptions.rho_bar

    def format(self) -> str:
        """Return the rate table and the rho_bar line, as printed by ``rtrl-theory contraction``."""
        rep, lam = self.setup.assumptions, self.setup.config.lam
        head = (f"{'coupling':<12} {'block':<10} {'rate':>8} {'95% CI':>22} {'floor':>10} "
                f"{'points':>6}  verdict")
        lines = [head, "-" * len(head)]
        for name, r in self.rows.items():
            c = r["consistent_with_rho_bar"]
            verdict = ("n/a (rho_bar undefined)" if c is None
                       else ("<= rho_bar" if c else "ABOVE rho_bar"))
            lines.append(
                f"{name:<12} {r['block']:<10} {r['rate']:8.4f} [{r['rate_ci'][0]:9.4f}, "
                f"{r['rate_ci'][1]:9.4f}] {r['floor']:10.3g} {r['n_used']:6d}  {verdict}"
            )
        rb = self.rho_bar
        lines.append(
            f"rho_bar = max(lam, rho) = {'undefined' if rb is None else f'{rb:.4f}'}, "
            f"lam = {lam:g}, rho = {'undefined' if rep.rho is None else f'{rep.rho:.4f}'}"
            + ("" if rep.hypotheses_hold else "  [outside the hypotheses]")
        )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Return the JSON record (schema ``rtrl-theory/contraction/1``)."""
        from rtrl_theory._outputs import environment_info

        e, m, rep = self.experiment, self.setup.model, self.setup.assumptions
        first = next(iter(self.rows.values()))
        record = {
            "schema": "rtrl-theory/contraction/1",
            "seed": e.seed,
            "rate": first["rate"],
            "rate_ci": first["rate_ci"],
            "rho_bar": rep.rho_bar,
            "lam": e.config.lam,
            "rho": rep.rho,
            "hypotheses_hold": rep.hypotheses_hold,
            "couplings": self.rows,
            "config": {
                "n_hidden": m.n_hidden,
                "n_input": m.n_input,
                "c_f": m.c_f,
                "c_g": m.c_g,
                "bounded_map": m.bounded_map,
                "noise": e.config.noise,
                "target_noise": e.config.target_noise,
                "order": e.order,
                "particles": e.particles,
                "steps": e.steps,
                "indep_steps": e.indep_steps,
                "block": e.block,
            },
            **environment_info(),
        }
        if self.marginals is not None:
            record["stationary_marginals"] = self.marginals
        return record

    def plot_decay(self):
        """Return the figure of the coupled distances' decay beside rho_bar and lam.

        Returns
        -------
        matplotlib.figure.Figure
            :func:`rtrl_theory.plotting.plot_contraction` of :attr:`estimates`.
        """
        from rtrl_theory.plotting import plot_contraction

        return plot_contraction(self.estimates, rho_bar=self.rho_bar, lam=self.setup.config.lam)

    def plot_marginals(self):
        """Return the histograms of the stationary marginals of S and of a few J entries.

        Returns
        -------
        matplotlib.figure.Figure
            :func:`rtrl_theory.plotting.plot_marginals` of :attr:`marginal_samples` (run with
            ``ContractionExperiment(marginals=True)``).
        """
        from rtrl_theory.plotting import plot_marginals

        if self.marginal_samples is None:
            raise ValueError("marginals: run the experiment with marginals=True first")
        burn_in, K = self.marginals["burn_in"], self.experiment.particles
        title = f"stationary marginals (K = {K}, {burn_in} steps)"
        return plot_marginals(self.marginal_samples, title=title)


@dataclass(frozen=True)
class ContractionExperiment:
    """The W1 contraction rate of the joint process at fixed theta ([P1] Proposition 3.10).

    Two particle ensembles of K particles start from different initial laws and run coupled:
    synchronously (same noise; E||Z - Z'|| bounds W1 from above) from a point mass and the uniform
    law on the a-priori box (Lemma 3.6; a second point mass when the box is undefined), and/or
    independently (W1 by POT on ``block``, a lower bound on the joint W1) from two point masses.
    The verdict compares each fitted rate with rho_bar = max(lam, rho): the synchronous rate must
    be <= rho_bar; the independent one must be consistent with it (its CI).

    Seeds: ``SeedSequence(seed).spawn(6)`` -- target, parameters, the two initial laws, the two
    couplings' noise.

    Parameters
    ----------
    config : PaperConfig, default PaperConfig()
        The model and data process.
    seed : int, default 0
        Root of the six random streams above.
    order : {1, 2}, default 1
        Order of the joint process (2 adds the second-order states H).
    particles : int, default 1000
        K, the particles of each ensemble.
    steps : int, default 60
        Steps of the synchronous coupling.
    indep_steps : int, default 60
        Steps of the independent coupling.
    coupling : {"both", "synchronous", "independent"}, default "both"
        Which couplings to run.
    block : str, default "S"
        The block of Z (or comma-separated blocks) whose W1 the independent coupling measures.
    force : bool, default False
        Run even when the memory estimate exceeds the limit.
    progress : bool, default False
        Show progress bars.
    marginals : bool, default False
        Also run K particles to near stationarity and summarise S and J
        (:attr:`ContractionReport.marginals`).

    See Also
    --------
    ContractionReport : what :meth:`run` returns.
    """

    config: PaperConfig = field(default_factory=PaperConfig)
    seed: int = 0
    order: int = 1
    particles: int = 1000
    steps: int = 60
    indep_steps: int = 60
    coupling: str = "both"
    block: str = "S"
    force: bool = False
    progress: bool = False
    marginals: bool = False

    def _check_memory(self, model) -> None:
        from rtrl_theory._memory import check_memory, estimate_memory

        K = self.particles
        est = estimate_memory(
            model, "contraction", n_particles=K, order=self.order, block=self.block,
            independent=self.coupling != "synchronous",
        )
        check_memory(est, force=self.force, what=f"contraction --particles {K}",
                     hint="pass --force")

    def run(self, warn: Callable[[str], None] | None = None) -> ContractionReport:
        """Run the couplings; ``warn(msg)`` is told when the hypotheses fail (it runs anyway).

        Raises ValueError (bad configuration, or memory over the limit without ``force``).
        """
        from rtrl_theory.estimators import estimate_contraction_rate

        rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(6)]
        setup = PaperSetup.build(self.config, (rngs[0], rngs[1]), joint=False)
        model, report = setup.model, setup.assumptions
        if not report.hypotheses_hold and warn is not None:
            warn("outside the theorem's hypotheses (" + "; ".join(_failed(report))
                 + "): running anyway, results flagged")
        law_b = "box" if report.radii is not None else "point"
        self._check_memory(model)  # before any allocation
        setup = setup.joint_process(order=self.order, force=self.force)
        jp, K = setup.joint, self.particles
        block = self.block.split(",") if "," in self.block else self.block
        results = {}
        if self.coupling in ("synchronous", "both"):
            x0 = jp.flatten(jp.initial(K, rngs[2], law="point"))
            kw = ({} if law_b == "box"
                  else {"x0": -np.ones(model.n_input), "S0": np.ones(model.n_hidden)})
            y0 = jp.flatten(jp.initial(K, rngs[3], law=law_b, **kw))
            results["synchronous"] = estimate_contraction_rate(
                jp.markov_step, x0, y0, self.steps, coupling="synchronous", rng=rngs[4],
                progress=self.progress,
            )
        if self.coupling in ("independent", "both"):
            a = jp.flatten(jp.initial(K, rngs[2], law="point", x0=np.ones(model.n_input)))
            b = jp.flatten(jp.initial(K, rngs[3], law="point", x0=-np.ones(model.n_input),
                                      S0=np.ones(model.n_hidden)))
            results["independent"] = estimate_contraction_rate(
                jp.markov_step, a, b, self.indep_steps, coupling="independent", rng=rngs[5],
                blocks={**jp.blocks, "X0": slice(0, 1)}, block=block, min_points=4,
                progress=self.progress,
            )
        rows, ok = self._verdicts(results, report.rho_bar)
        marginals = samples = None
        if self.marginals:
            marginals, samples = self._stationary_marginals(setup, rngs)
        return ContractionReport(setup, self, results, rows, ok, marginals, samples)

    def _verdicts(self, results, rho_bar):
        ok, rows = True, {}
        for name, est in results.items():
            consistent = (
                None if rho_bar is None
                else (est.rate <= rho_bar if name == "synchronous"
                      else est.consistent_with(rho_bar))
            )
            ok = ok and consistent is not False
            rows[name] = {
                "rate": est.rate,
                "rate_ci": list(est.rate_ci),
                "floor": est.floor,
                "n_used": est.n_used,
                "block": "all" if name == "synchronous" else self.block,
                "consistent_with_rho_bar": consistent,
                "distances": est.distances.tolist(),
            }
        return rows, ok

    def _stationary_marginals(self, setup, rngs):
        """Run K particles to (near) stationarity and summarise S and J.

        Run K particles to (near) stationarity: burn-in to 1e-6 of the initial W1 at rate
        rho_bar (200 steps when rho_bar >= 1 or undefined); summaries of S and the four largest
        entries of J.
        """
        from rtrl_theory.estimators import burn_in_for, ensemble_summary

        rho_bar, jp, K, N = setup.assumptions.rho_bar, setup.joint, self.particles, \
            setup.model.n_hidden
        burn = burn_in_for(rho_bar, 1e-6) if rho_bar is not None and rho_bar < 1 else 200
        zs = jp.run(jp.initial(K, rngs[2]), burn, rngs[3])
        Jflat = zs.Jt.reshape(K, -1)
        picks = np.argsort(-np.abs(Jflat).mean(axis=0))[:4]  # the largest J entries
        samples = {f"S[{k}]": zs.S[:, k] for k in range(N)}
        samples.update({f"J[p={p // N}, k={p % N}]": Jflat[:, p] for p in picks})
        summ = ensemble_summary(np.column_stack(list(samples.values())))
        marginals = {
            "burn_in": burn,
            "labels": list(samples),
            "mean": summ.mean.tolist(),
            "std": summ.std.tolist(),
        }
        return marginals, samples


def _pick(value, default):
    return default if value is None else value


@dataclass(frozen=True)
class TrainSetup:
    """One training recipe for :func:`rtrl_theory.runners.train_online`.

    One training recipe: what :func:`rtrl_theory.runners.train_online` needs, and the record's
    description of it.

    ``data`` is a DataProcess (with ``rng`` its generator) or arrays ``(X, Y)``; ``evaluate`` maps
    parameters to held-out metrics (None for synthetic data); ``schedule_defaults`` is
    ``(eta0, t0)`` and ``optimizer_default`` ``(name, rmsprop beta)``.

    Parameters
    ----------
    model : RNNModel
        The model to train (the paper RNN, a character-level GRU or Elman, the LOB Elman).
    params : object
        Its initial parameters (structured or flat, shape (P,)).
    data : DataProcess or tuple of ndarray
        A process (synthetic data) or arrays ``(X, Y)``: (T, d) and (T,), or integer symbols
        (T,) / (B, T) for text.
    rng : numpy.random.Generator or None
        The data process's generator (None for arrays).
    n_steps : int
        Default number of training steps.
    schedule_defaults : tuple of (float, float)
        ``(eta0, t0)`` of the :class:`~rtrl_theory.optim.PowerSchedule` (2.24)-(2.26) when the
        options give none.
    optimizer_default : tuple of (str, float)
        ``(name, rmsprop beta)``: the optimizer when the options give none.
    model_config : dict
        The model's description for the run record.
    data_config : dict
        The data's description for the run record.
    evaluate : callable, optional
        ``evaluate(params) -> dict`` of held-out metrics (bits per character, LOB scores); None
        (the default) for synthetic data.
    extra : dict, optional
        Further record fields (loss unit, class balance, baselines); empty by default.

    See Also
    --------
    rtrl_theory.runners.train_online : runs the recipe.
    """

    model: Any
    params: Any
    data: Any
    rng: Any
    n_steps: int
    schedule_defaults: tuple
    optimizer_default: tuple
    model_config: dict
    data_config: dict
    evaluate: Callable | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_options(cls, opts, seed_seq) -> TrainSetup:
        """Return the recipe for ``opts.data`` from the ``train`` options.

        Return the recipe for ``opts.data`` (synthetic, shakespeare, lob, lob-synthetic) from the
        ``train`` options (defaults filled in); ``seed_seq`` a numpy SeedSequence.
        """
        builders = {"synthetic": cls.synthetic, "shakespeare": cls.shakespeare,
                    "lob": cls.lob, "lob-synthetic": cls.lob}
        return builders[opts.data](opts, seed_seq)

    @classmethod
    def synthetic(cls, opts, seed_seq) -> TrainSetup:
        """Return the paper RNN on Example 2.4's chain, teacher or Lipschitz target ([P1] Section 7.1)."""
        from rtrl_theory.cells import PaperRNN
        from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget, TeacherTarget

        model = PaperRNN(_pick(opts.n_hidden, 4), opts.n_input, c_f=opts.c_f, c_g=opts.c_g,
                         bounded_map=opts.bounded_map)
        rng_teacher, rng_init, rng_data, rng_w = (
            np.random.default_rng(s) for s in seed_seq.spawn(4)
        )
        chain = ExampleChain(opts.n_input, opts.lam, opts.noise)
        if opts.target == "teacher":
            target = TeacherTarget(model, model.init_params(rng_teacher, scale=opts.teacher_scale),
                                   noise=opts.target_noise)
        else:
            target = LipschitzTarget.random(opts.n_input, noise=opts.target_noise, rng=rng_w)
        return cls(
            model=model,
            params=model.init_params(rng_init),
            data=DataProcess(chain, target),
            rng=rng_data,
            n_steps=_pick(opts.steps, 100_000),
            schedule_defaults=(0.5, 1000.0),
            optimizer_default=("sgd", 0.9),
            model_config={
                "name": opts.model,
                "n_hidden": model.n_hidden,
                "n_input": model.n_input,
                "c_f": model.c_f,
                "c_g": model.c_g,
                "bounded_map": model.bounded_map,
                "n_params": model.n_params,
            },
            data_config={
                "kind": "synthetic",
                "chain": "example-2.4",
                "lam": chain.lam,
                "noise": chain.noise,
                "C_x": chain.C_x,
                "target": opts.target,
                "target_noise": opts.target_noise,
                "teacher_scale": opts.teacher_scale if opts.target == "teacher" else None,
            },
        )

    @classmethod
    def shakespeare(cls, opts, seed_seq) -> TrainSetup:
        """Return a character-level GRU or Elman network on tiny shakespeare ([P1] Section 7.4)."""
        from rtrl_theory.cells import char_rnn
        from rtrl_theory.data import (
            TINY_SHAKESPEARE,
            bits_per_character,
            next_char_pairs,
            parallel_streams,
            tiny_shakespeare,
        )

        split = tiny_shakespeare(opts.data_dir)
        model = char_rnn(opts.cell, _pick(opts.n_hidden, 20), split.vocab.size)
        (rng_init,) = (np.random.default_rng(s) for s in seed_seq.spawn(1))
        if opts.batch_size == 1:
            data = next_char_pairs(split.train)
            n_avail = data[0].shape[0]
        else:
            data = parallel_streams(split.train, opts.batch_size)
            n_avail = data[0].shape[1]

        def evaluate(params):
            return {"heldout_bits_per_char": bits_per_character(model, model.flatten(params),
                                                                split.heldout)}

        return cls(
            model=model,
            params=model.init_params(rng_init),
            data=data,
            rng=None,
            n_steps=_pick(opts.steps, n_avail),
            schedule_defaults=(2e-3, 1e5),
            optimizer_default=("rmsprop", 0.999),
            model_config={
                "name": "char-rnn",
                "cell": opts.cell,
                "n_hidden": model.n_hidden,
                "n_vocab": split.vocab.size,
                "n_params": model.n_params,
            },
            data_config={
                "kind": "shakespeare",
                "file": TINY_SHAKESPEARE.relpath,
                "sha256": TINY_SHAKESPEARE.sha256,
                "n_train_chars": split.n_train,
                "n_heldout_chars": split.n_heldout,
                "steps_available": n_avail,
                "streams": opts.batch_size,
            },
            evaluate=evaluate,
            extra={"loss_unit": "nats per character (bits = nats / ln 2)", "ln2": math.log(2.0)},
        )

    @classmethod
    def lob(cls, opts, seed_seq) -> TrainSetup:
        """Return an Elman tanh network on the order book's two inputs ([P1] Section 7.5)."""
        from rtrl_theory.runners._real_data import (
            load_lob_split,
            lob_baselines,
            lob_metrics,
            lob_model,
        )

        if opts.batch_size != 1:
            raise ValueError(
                f"batch_size: the order book is one sequence (one day); expected 1, got "
                f"{opts.batch_size}"
            )
        rng_data, rng_init = (np.random.default_rng(s) for s in seed_seq.spawn(2))
        split = load_lob_split(opts.data, opts.data_dir, mid_change_clip=opts.mid_change_clip,
                               n_synthetic=opts.synthetic_events, rng=rng_data)
        model = lob_model(_pick(opts.n_hidden, 10))

        def evaluate(params):
            return lob_metrics(model, params, split)

        return cls(
            model=model,
            params=model.init_params(rng_init),
            data=(split.X_train, split.y_train),
            rng=None,
            n_steps=_pick(opts.steps, split.n_train),
            schedule_defaults=(3e-3, 1e4),
            optimizer_default=("rmsprop", 0.999),
            model_config={
                "name": "elman-tanh (dense inputs, softmax over 3 classes)",
                "n_hidden": model.n_hidden,
                "n_input": 2,
                "n_classes": 3,
                "n_params": model.n_params,
            },
            data_config={"kind": opts.data, **split.to_dict()},
            evaluate=evaluate,
            extra={
                "class_balance": split.class_balance(),
                "baselines": lob_baselines(split),
                "loss_unit": "nats per event",
            },
        )
