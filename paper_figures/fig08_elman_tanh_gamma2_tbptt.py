r"""Fig. 8 of [P1]: Elman tanh network with another gamma, trained by TBPTT(tau) (Fig. 7: RTRL).

What [P1]'s figure shows (Section 7.2): the TBPTT companion of Fig. 7; "RTRL outperforms TBPTT in
this case."

Choices: exactly those of :mod:`paper_figures.fig07_elman_tanh_gamma2_rtrl` (:math:`\gamma = 1`,
same seed); the RTRL runs of Fig. 7 are read from the run cache when present and drawn as a
dashed grey reference (their median), and in the summary panel.
"""

from paper_figures import _section7

TITLE = "Fig. 8 of [P1] (reproduction): Elman tanh, gamma = 1, trained by TBPTT"
main = _section7.figure(__name__, TITLE, "elman", half="tbptt", **_section7.ELMAN_TANH_GAMMA2)
