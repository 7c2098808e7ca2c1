r"""Fig. 6 of [P1]: Elman network with tanh activations trained by TBPTT(tau) (Fig. 5: by RTRL).

What [P1]'s figure shows (Section 7.2): the TBPTT companion of Fig. 5; "RTRL outperforms TBPTT,
with faster convergence and a lower overall value for the objective function."

Choices: exactly those of :mod:`paper_figures.fig05_elman_tanh_rtrl` (same set-up and seed);
the RTRL runs of Fig. 5 are read from the run cache when present and drawn as a dashed grey
reference (their median), and in the summary panel.
"""

from paper_figures import _section7

TITLE = "Fig. 6 of [P1] (reproduction): Elman tanh trained by TBPTT"
main = _section7.figure(__name__, TITLE, "elman", half="tbptt", **_section7.ELMAN_TANH)
