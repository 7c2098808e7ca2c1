r"""Fig. 4 of [P1]: Elman network with ReLU activations trained by TBPTT(tau) (Fig. 3: by RTRL).

What [P1]'s figure shows (Section 7.2): the TBPTT companion of Fig. 3 over initial learning rates
and truncations; "RTRL outperforms TBPTT for ReLU activation functions".

Choices: exactly those of :mod:`paper_figures.fig03_elman_relu_rtrl` (same set-up and seed, so
the same teachers, initial parameters and data); the RTRL runs of Fig. 3 are read from the run
cache when present and drawn as a dashed grey reference (their median), and in the summary panel.
"""

from paper_figures import _section7

TITLE = "Fig. 4 of [P1] (reproduction): Elman ReLU trained by TBPTT"
main = _section7.figure(__name__, TITLE, "elman", half="tbptt", **_section7.ELMAN_RELU)
