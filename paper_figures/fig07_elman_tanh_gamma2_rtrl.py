r"""Fig. 7 of [P1]: Elman tanh network with another gamma, trained by RTRL (Fig. 8: by TBPTT).

What [P1]'s figure shows (Section 7.2): the tanh experiment of Figs. 5-6 with the teacher's
:math:`W^* = \gamma G/\sqrt N` drawn with "a different value" of :math:`\gamma`; Fig. 7 shows
RTRL, Fig. 8 TBPTT; "RTRL outperforms TBPTT in this case."

Choices: those of Figs. 5-6 (:mod:`paper_figures.fig05_elman_tanh_rtrl`) except
:math:`\gamma = 1`. By the circular law the eigenvalues of :math:`W^*` then fill the unit disc
(spectral norm about 2): the teacher sits at the edge of contraction, where its memory of past
inputs is longest (tanh's saturation shortens it somewhat), so the truncation of TBPTT should
matter most; the tanh state stays in :math:`[-1, 1]^N` whatever :math:`\gamma`, so no stability
constraint applies (:func:`rtrl_theory.data.elman_teacher`).

This script runs the RTRL half of the sweep; :mod:`paper_figures.fig08_elman_tanh_gamma2_tbptt`
runs the TBPTT half and reuses these RTRL runs through the run cache (``<out>/.runs``).
"""

from paper_figures import _section7

TITLE = "Fig. 7 of [P1] (reproduction): Elman tanh, gamma = 1, trained by RTRL"
main = _section7.figure(__name__, TITLE, "elman", half="rtrl", **_section7.ELMAN_TANH_GAMMA2)
