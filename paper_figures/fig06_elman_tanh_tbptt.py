r"""Fig. 6 of [P1]: Elman network with tanh activations trained by TBPTT(tau) (Fig. 5: by RTRL).

What [P1]'s figure shows (Section 7.2): the TBPTT companion of Fig. 5; "RTRL outperforms TBPTT,
with faster convergence and a lower overall value for the objective function."

Choices: exactly those of :mod:`paper_figures.fig05_elman_tanh_rtrl` (same set-up and seed);
the RTRL runs of Fig. 5 are read from the run cache when present and drawn as a dashed grey
reference (their median), and in the summary panel.
"""

from __future__ import annotations

import sys

try:
    from . import _common, _section7
except ImportError:  # run as a script: python paper_figures/fig06_elman_tanh_tbptt.py
    import _common
    import _section7

NAME = "fig06_elman_tanh_tbptt"
DEFAULT_SEED = 7
VERSION = 1
TITLE = "Fig. 6 of [P1] (reproduction): Elman tanh trained by TBPTT"


def _setup(quick: bool):
    return _section7.setup("elman", quick, **_section7.ELMAN_TANH)


def settings(quick: bool) -> dict:
    return _setup(quick).to_dict()


def compute(quick, rng, *, cache_dir=None, recompute=False, progress=False) -> dict:
    """Run the whole sweep; the RTRL runs come from Fig. 5's run cache when present."""
    return _section7.compute_sweep(
        _setup(quick), rng, cache_dir=cache_dir, recompute=recompute, progress=progress
    )


def plot(data):
    return _section7.plot_grid(data, TITLE, algos=("tbptt",), reference_rtrl=True)


def summary(data) -> str:
    return _section7.summary(data)


def main(argv=None):
    return _common.run_figure(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
