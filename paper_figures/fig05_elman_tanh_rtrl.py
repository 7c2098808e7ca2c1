r"""Fig. 5 of [P1]: Elman network with tanh activations trained by RTRL (Fig. 6: by TBPTT).

What [P1]'s figure shows (Section 7.2). The Elman network (7.4) with :math:`\phi = \tanh`, the
teacher (7.5) "again constructed" as :math:`W^* = \gamma G/\sqrt N`; Fig. 5 shows RTRL, Fig. 6
TBPTT: "RTRL outperforms TBPTT, with faster convergence and a lower overall value for the
objective function."

Choices: those of Figs. 3-4 (:mod:`paper_figures.fig03_elman_relu_rtrl`) with tanh instead of
ReLU, including :math:`\gamma = 0.3` ("again constructed" read as the same :math:`\gamma`; with
:math:`\|W^*\|_2 \approx 0.6` the teacher contracts and forgets its past within a few steps), the
:math:`1/\sqrt d` scale of :math:`U^*`, the sizes, grid, schedule, replicates and seed 7. The
student starts at :math:`W = 0.5 G/\sqrt N`.

This script runs the RTRL half of the sweep; :mod:`paper_figures.fig06_elman_tanh_tbptt` runs the
TBPTT half and reuses these RTRL runs through the run cache (``<out>/.runs``).
"""

from __future__ import annotations

import sys

try:
    from . import _common, _section7
except ImportError:  # run as a script: python paper_figures/fig05_elman_tanh_rtrl.py
    import _common
    import _section7

NAME = "fig05_elman_tanh_rtrl"
DEFAULT_SEED = 7
VERSION = 1
TITLE = "Fig. 5 of [P1] (reproduction): Elman tanh trained by RTRL"


def _setup(quick: bool):
    return _section7.setup("elman", quick, **_section7.ELMAN_TANH)


def settings(quick: bool) -> dict:
    return _setup(quick).to_dict()


def compute(quick, rng, *, cache_dir=None, recompute=False, progress=False) -> dict:
    """Run the RTRL half of the sweep (each eta0, every replicate)."""
    return _section7.compute_sweep(
        _setup(quick),
        rng,
        tbptt=False,
        cache_dir=cache_dir,
        recompute=recompute,
        progress=progress,
    )


def plot(data):
    return _section7.plot_rtrl(data, TITLE)


def summary(data) -> str:
    return _section7.summary(data)


def main(argv=None):
    return _common.run_figure(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
