"""``rtrl-theory contraction``: the W1 contraction rate beside rho_bar.

The flags are :data:`rtrl_theory._contraction_options.CONTRACTION_OPTIONS`; the experiment is
:class:`~rtrl_theory.setups.ContractionExperiment`.
"""

from rtrl_theory import _contraction_options as o
from rtrl_theory.commands import _common as c


def add_parser(sub):
    """Register ``contraction`` (flags: :data:`~rtrl_theory._contraction_options.CONTRACTION_OPTIONS`)."""
    return c.add_command(sub, "contraction", o.CONTRACTION_HELP, o.CONTRACTION_DESCRIPTION,
                         o.CONTRACTION_OPTIONS, _cmd_contraction)


def _cmd_contraction(args) -> int:
    paths = (("--json", args.json), ("--plot", args.plot), ("--marginals", args.marginals))
    binary = ("--plot", "--marginals")
    if (outputs := c.prepare_outputs_or_report("contraction", paths, binary)) is None:
        return 2
    with outputs:
        try:
            rep = o.contraction_experiment(args).run(warn=c.warn)
        except (ValueError, TypeError) as exc:
            return c.error("contraction", exc)
        c.show(rep.format(), outputs)
        c.announce_figure(args.marginals, rep.plot_marginals)
        c.announce_json(args.json, rep.to_dict())
        c.announce_figure(args.plot, rep.plot_decay)
    return 0 if rep.ok else 1
