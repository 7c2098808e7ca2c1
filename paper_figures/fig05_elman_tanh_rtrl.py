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

from paper_figures import _section7

TITLE = "Fig. 5 of [P1] (reproduction): Elman tanh trained by RTRL"
main = _section7.figure(__name__, TITLE, "elman", half="rtrl", **_section7.ELMAN_TANH)
