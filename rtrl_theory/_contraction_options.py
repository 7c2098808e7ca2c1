"""The ``contraction`` command's options, declared as data, and the experiment they build.

:data:`CONTRACTION_OPTIONS` is the table of ``rtrl-theory contraction``'s flags (the parser is
built from it by :func:`rtrl_theory.commands._common.add_command`); :func:`contraction_experiment`
maps the parsed flags onto a :class:`~rtrl_theory.setups.ContractionExperiment` ([P1]
Proposition 3.10), one field per flag.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rtrl_theory._options import MODEL_OPTIONS, flag

if TYPE_CHECKING:
    from rtrl_theory.setups import ContractionExperiment

__all__ = [
    "CONTRACTION_DESCRIPTION",
    "CONTRACTION_HELP",
    "CONTRACTION_OPTIONS",
    "contraction_experiment",
]

CONTRACTION_HELP = "measure the W1 contraction rate of the joint process beside rho_bar"

CONTRACTION_DESCRIPTION = (
    "Run two particle ensembles of the joint process Z_t = (X, eta, S, J, H) at fixed theta from "
    "different initial laws (a point mass and the uniform law on the a-priori box), coupled "
    "synchronously (same noise: E||Z - Z'||, an upper bound on W1) and/or independently (W1 by "
    "POT on a block: a lower bound on the joint W1), fit the geometric rates and print them "
    "beside rho_bar = max(lam, rho) and lam. A configuration outside the theorem's hypotheses "
    "runs anyway, flagged. Exit status: 0 rates consistent with rho_bar, 1 a rate above it, 2 "
    "bad arguments."
)

#: The flags of ``rtrl-theory contraction``, in the order of its help.
CONTRACTION_OPTIONS = (
    *MODEL_OPTIONS,
    flag("--lam", type=float, default=0.5, help="contraction of the input chain"),
    flag("--noise", type=float, default=0.5, help="input noise half-width"),
    flag("--target-noise", type=float, default=0.1, help="target noise half-width"),
    flag(
        "--order",
        type=int,
        choices=[1, 2],
        default=2,
        help="2: carry the second-order states H (default); 1: S and J only",
    ),
    flag("--particles", type=int, default=1000, help="K, particles per ensemble"),
    flag("--steps", type=int, default=60, help="T, steps (synchronous coupling)"),
    flag("--coupling", choices=["synchronous", "independent", "both"], default="both"),
    flag(
        "--block",
        default="X0",
        help="block for the independent coupling's W1: X0 (the first input coordinate: exact "
        "1-D W1, fast, smallest floor; default), X, S, J, H, eta, all, or a comma list",
    ),
    flag(
        "--indep-steps",
        type=int,
        default=15,
        help="steps for the independent coupling (default 15)",
    ),
    flag("--seed", type=int, default=0),
    flag(
        "--json", metavar="PATH", help="write the rate table as JSON ('-': standard output)"
    ),
    flag("--plot", type=Path, metavar="PATH", help="save the decay plot (PNG/PDF)"),
    flag(
        "--marginals",
        type=Path,
        metavar="PATH",
        help="save histograms of S and of a few J entries under the stationary law (after a "
        "burn-in of rho_bar^n < 1e-6), with their summaries in the JSON",
    ),
    flag("--no-progress", action="store_true"),
    flag(
        "--force",
        action="store_true",
        help="run even if the estimated peak memory exceeds 80%% of the available memory",
    ),
)


def contraction_experiment(args) -> ContractionExperiment:
    """Return the experiment of the parsed :data:`CONTRACTION_OPTIONS`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed flags.

    Returns
    -------
    ContractionExperiment
        The paper RNN of the model flags on Example 2.4's chain, with the coupling settings.
    """
    from rtrl_theory.setups import ContractionExperiment, PaperConfig

    config = PaperConfig(args.n_hidden, args.n_input, args.c_f, args.c_g, args.bounded_map,
                         args.lam, args.noise, args.target_noise)
    return ContractionExperiment(
        config, seed=args.seed, order=args.order, particles=args.particles, steps=args.steps,
        indep_steps=args.indep_steps, coupling=args.coupling, block=args.block,
        force=args.force, progress=not args.no_progress, marginals=bool(args.marginals),
    )
