"""``rtrl-theory contraction``: the W1 contraction rate beside rho_bar."""

from __future__ import annotations

import sys
from pathlib import Path

from rtrl_theory.commands._common import add_model_args, prepare_outputs_or_report


def add_parser(sub):
    p = sub.add_parser(
        "contraction",
        help="measure the W1 contraction rate of the joint process beside rho_bar",
        description=(
            "Run two particle ensembles of the joint process Z_t = (X, eta, S, J, H) at fixed "
            "theta from different initial laws (a point mass and the uniform law on the a-priori "
            "box), coupled synchronously (same noise: E||Z - Z'||, an upper bound on W1) and/or "
            "independently (W1 by POT on a block: a lower bound on the joint W1), fit the "
            "geometric rates and print them beside rho_bar = max(lam, rho) and lam. A "
            "configuration outside the theorem's hypotheses runs anyway, flagged. Exit status: "
            "0 rates consistent with rho_bar, 1 a rate above it, 2 bad arguments."
        ),
    )
    add_model_args(p)
    p.add_argument("--lam", type=float, default=0.5, help="contraction of the input chain")
    p.add_argument("--noise", type=float, default=0.5, help="input noise half-width")
    p.add_argument("--target-noise", type=float, default=0.1, help="target noise half-width")
    p.add_argument(
        "--order",
        type=int,
        choices=[1, 2],
        default=2,
        help="2: carry the second-order states H (default); 1: S and J only",
    )
    p.add_argument("--particles", type=int, default=1000, help="K, particles per ensemble")
    p.add_argument("--steps", type=int, default=60, help="T, steps (synchronous coupling)")
    p.add_argument("--coupling", choices=["synchronous", "independent", "both"], default="both")
    p.add_argument(
        "--block",
        default="X0",
        help="block for the independent coupling's W1: X0 (the first input coordinate: exact "
        "1-D W1, fast, smallest floor; default), X, S, J, H, eta, all, or a comma list",
    )
    p.add_argument(
        "--indep-steps",
        type=int,
        default=15,
        help="steps for the independent coupling (default 15)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--json", metavar="PATH", help="write the rate table as JSON ('-': standard output)"
    )
    p.add_argument("--plot", type=Path, metavar="PATH", help="save the decay plot (PNG/PDF)")
    p.add_argument(
        "--marginals",
        type=Path,
        metavar="PATH",
        help="save histograms of S and of a few J entries under the stationary law (after a "
        "burn-in of rho_bar^n < 1e-6), with their summaries in the JSON",
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument(
        "--force",
        action="store_true",
        help="run even if the estimated peak memory exceeds 80%% of the available memory",
    )
    p.set_defaults(func=_cmd_contraction)


def _check_contraction_memory(args, model) -> None:
    """Refuse (MemoryLimitError, a ValueError) --particles whose two ensembles exceed 80% of the
    machine's available memory, unless --force (rtrl_theory._memory)."""
    from rtrl_theory._memory import check_memory, estimate_memory

    K = args.particles
    indep = args.coupling != "synchronous"
    est = estimate_memory(
        model, "contraction", n_particles=K, order=args.order, block=args.block, independent=indep
    )
    check_memory(est, force=args.force, what=f"contraction --particles {K}", hint="pass --force")


def _cmd_contraction(args) -> int:
    outputs = prepare_outputs_or_report(
        "contraction",
        (("--json", args.json), ("--plot", args.plot), ("--marginals", args.marginals)),
        binary=("--plot", "--marginals"),
    )
    if outputs is None:
        return 2
    with outputs:
        return _contraction_checked(args, outputs)


def _contraction_checked(args, outputs) -> int:
    """``contraction`` after its outputs are checked (and locked by the caller)."""
    import numpy as np

    from rtrl_theory import PaperRNN
    from rtrl_theory.bounds import check_assumptions
    from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
    from rtrl_theory.estimators import estimate_contraction_rate
    from rtrl_theory.runners import JointProcess, environment_info, write_json_atomic

    out = sys.stderr if outputs.to_stdout else sys.stdout
    try:
        c_f = args.c_f if args.c_f is not None else 0.5 / max(args.n_hidden, 1)
        model = PaperRNN(
            args.n_hidden, args.n_input, c_f=c_f, c_g=args.c_g, bounded_map=args.bounded_map
        )
        seeds = np.random.SeedSequence(args.seed).spawn(6)
        rngs = [np.random.default_rng(s) for s in seeds]
        chain = ExampleChain(args.n_input, args.lam, args.noise)
        proc = DataProcess(
            chain, LipschitzTarget.random(args.n_input, noise=args.target_noise, rng=rngs[0])
        )
        params = model.init_params(rngs[1])
        report = check_assumptions(
            model.n_hidden,
            model.n_input,
            model.c_f,
            model.c_g,
            model.bounded_map,
            args.lam,
            chain.C_x,
        )
        if not report.hypotheses_hold:
            failed = [k for k, h in report.hypotheses.items() if h["holds"] is False]
            print(
                "warning: outside the theorem's hypotheses ("
                + "; ".join(failed)
                + "): running anyway, results flagged",
                file=sys.stderr,
            )
        law_b = "box" if report.radii is not None else "point"
        _check_contraction_memory(args, model)  # before any allocation
        jp = JointProcess(model, params, proc, order=args.order, force=args.force)
        K = args.particles
        block = args.block.split(",") if "," in args.block else args.block
        results = {}
        if args.coupling in ("synchronous", "both"):
            x0 = jp.flatten(jp.initial(K, rngs[2], law="point"))
            kw = (
                {}
                if law_b == "box"
                else {"x0": -np.ones(model.n_input), "S0": np.ones(model.n_hidden)}
            )
            y0 = jp.flatten(jp.initial(K, rngs[3], law=law_b, **kw))
            results["synchronous"] = estimate_contraction_rate(
                jp.markov_step,
                x0,
                y0,
                args.steps,
                coupling="synchronous",
                rng=rngs[4],
                progress=not args.no_progress,
            )
        if args.coupling in ("independent", "both"):
            a = jp.flatten(jp.initial(K, rngs[2], law="point", x0=np.ones(model.n_input)))
            b = jp.flatten(
                jp.initial(
                    K, rngs[3], law="point", x0=-np.ones(model.n_input), S0=np.ones(model.n_hidden)
                )
            )
            results["independent"] = estimate_contraction_rate(
                jp.markov_step,
                a,
                b,
                args.indep_steps,
                coupling="independent",
                rng=rngs[5],
                blocks={**jp.blocks, "X0": slice(0, 1)},
                block=block,
                min_points=4,
                progress=not args.no_progress,
            )
    except (ValueError, TypeError) as exc:
        print(f"rtrl-theory contraction: error: {exc}", file=sys.stderr)
        return 2
    rho_bar = report.rho_bar
    head = f"{'coupling':<12} {'block':<10} {'rate':>8} {'95% CI':>22} {'floor':>10} {'points':>6}  verdict"
    print(head, file=out)
    print("-" * len(head), file=out)
    ok = True
    rows = {}
    for name, est in results.items():
        consistent = (
            None
            if rho_bar is None
            else (est.rate <= rho_bar if name == "synchronous" else est.consistent_with(rho_bar))
        )
        ok = ok and consistent is not False
        blk = "all" if name == "synchronous" else args.block
        verdict = (
            "n/a (rho_bar undefined)"
            if consistent is None
            else ("<= rho_bar" if consistent else "ABOVE rho_bar")
        )
        print(
            f"{name:<12} {blk:<10} {est.rate:8.4f} [{est.rate_ci[0]:9.4f}, {est.rate_ci[1]:9.4f}] "
            f"{est.floor:10.3g} {est.n_used:6d}  {verdict}",
            file=out,
        )
        rows[name] = {
            "rate": est.rate,
            "rate_ci": list(est.rate_ci),
            "floor": est.floor,
            "n_used": est.n_used,
            "block": blk,
            "consistent_with_rho_bar": consistent,
            "distances": est.distances.tolist(),
        }
    print(
        f"rho_bar = max(lam, rho) = {'undefined' if rho_bar is None else f'{rho_bar:.4f}'}, "
        f"lam = {args.lam:g}, rho = {'undefined' if report.rho is None else f'{report.rho:.4f}'}"
        + ("" if report.hypotheses_hold else "  [outside the hypotheses]"),
        file=out,
    )
    first = next(iter(rows.values()))
    record = {
        "schema": "rtrl-theory/contraction/1",
        "seed": args.seed,
        "rate": first["rate"],
        "rate_ci": first["rate_ci"],
        "rho_bar": rho_bar,
        "lam": args.lam,
        "rho": report.rho,
        "hypotheses_hold": report.hypotheses_hold,
        "couplings": rows,
        "config": {
            "n_hidden": model.n_hidden,
            "n_input": model.n_input,
            "c_f": model.c_f,
            "c_g": model.c_g,
            "bounded_map": model.bounded_map,
            "noise": args.noise,
            "target_noise": args.target_noise,
            "order": args.order,
            "particles": K,
            "steps": args.steps,
            "indep_steps": args.indep_steps,
            "block": args.block,
        },
        **environment_info(),
    }
    if args.marginals:
        from rtrl_theory.estimators import burn_in_for, ensemble_summary
        from rtrl_theory.plotting import plot_marginals, save_figure

        burn = burn_in_for(rho_bar, 1e-6) if rho_bar is not None and rho_bar < 1 else 200
        zs = jp.run(jp.initial(K, rngs[2]), burn, rngs[3])
        Jflat = zs.Jt.reshape(K, -1)
        picks = np.argsort(-np.abs(Jflat).mean(axis=0))[:4]  # the largest J entries
        samples = {f"S[{k}]": zs.S[:, k] for k in range(model.n_hidden)}
        samples.update(
            {f"J[p={p // model.n_hidden}, k={p % model.n_hidden}]": Jflat[:, p] for p in picks}
        )
        summ = ensemble_summary(np.column_stack(list(samples.values())))
        record["stationary_marginals"] = {
            "burn_in": burn,
            "labels": list(samples),
            "mean": summ.mean.tolist(),
            "std": summ.std.tolist(),
        }
        save_figure(
            plot_marginals(samples, title=f"stationary marginals (K = {K}, {burn} steps)"),
            args.marginals,
        )
        print(f"wrote {args.marginals}", file=sys.stderr)
    if args.json:
        write_json_atomic(args.json, record)
        print(f"wrote {args.json}", file=sys.stderr)
    if args.plot:
        from rtrl_theory.plotting import plot_contraction, save_figure

        fig = plot_contraction(results, rho_bar=rho_bar, lam=args.lam)
        save_figure(fig, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0 if ok else 1

