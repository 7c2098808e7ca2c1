r"""Fig. 1 of [P1]: linear RNN, RTRL against TBPTT(tau) over initial learning rates x truncations.

What [P1]'s figure shows (Section 7.1). The linear RNN / linear SDE (7.1),
:math:`S_{t+1} = S_t + \Delta(A S_t + B X_t)`, :math:`\hat Y_t = C\cdot S_{t+1}`, A
unconstrained, is trained online on targets of the teacher (7.2) with a Wishart drift
:math:`-A^*` (7.3) and standard normal :math:`B^*, C^*`, i.i.d. Gaussian inputs; RMSprop with a
decaying learning rate, mini-batches of sequences. "Typically, RTRL performs better than TBPTT.
In several cases, TBPTT becomes unstable [...]. TBPTT seems to require a very carefully selected
choice of learning rate magnitude and truncation to achieve good performance."

Choices (the paper's numbers were lost; shared ones in :mod:`paper_figures._section7`):
N = 10, d = 5, B = 8, 60 000 steps, :math:`\eta_0 \in \{3\cdot10^{-4}, \dots, 3\cdot10^{-2}\}`,
:math:`\tau \in \{1, 5, 10, 20\}`, 3 replicates, RMSprop with
:math:`\eta_t = \eta_0/\sqrt{1 + t/600}`. Specific to this figure:

* :math:`\Delta = 0.1` and the Wishart law with 2N degrees of freedom (the library's defaults,
  :func:`rtrl_theory.data.linear_sde_teacher`): :math:`\Delta\lambda_{\max}(A^*) \approx 0.29`
  keeps the teacher stable with margin, and :math:`\Delta\lambda_{\min} \approx 0.009` gives it
  a memory of about 100 steps, longer than every truncation of the grid, so that truncating
  the gradient has a cost;
* inputs :math:`X_t \sim N(0, I_5)` (standard deviation 1; Fig. 2 scales it up);
* the student starts at :math:`A = -I + 0.1 G/\sqrt N` (stable), :math:`B_{ij} \sim N(0, 1/d)`,
  :math:`C_i \sim N(0, 1/N)` (:meth:`rtrl_theory.LinearSDE.init_params`); A is not constrained in
  training, as in [P1];
* seed 7 (Section 7), shared with Fig. 2 on purpose: see :mod:`paper_figures.fig02_linear_rnn_large_std`.
"""

from __future__ import annotations

import sys

try:
    from . import _common, _section7
except ImportError:  # run as a script: python paper_figures/fig01_linear_rnn.py
    import _common
    import _section7

NAME = "fig01_linear_rnn"
DEFAULT_SEED = 7
VERSION = 1
TITLE = "Fig. 1 of [P1] (reproduction): linear RNN, RTRL vs TBPTT"


def _setup(quick: bool):
    return _section7.setup("linear", quick)


def settings(quick: bool) -> dict:
    return _setup(quick).to_dict()


def compute(quick, rng, *, cache_dir=None, recompute=False, progress=False) -> dict:
    """Run the sweep (RTRL and TBPTT(tau) at each eta0, every replicate)."""
    return _section7.compute_sweep(
        _setup(quick), rng, cache_dir=cache_dir, recompute=recompute, progress=progress
    )


def plot(data):
    return _section7.plot_grid(data, TITLE)


def summary(data) -> str:
    return _section7.summary(data)


def main(argv=None):
    return _common.run_figure(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
