r"""Fig. 9 of [P1]: discretised neural SDE, RTRL against TBPTT(tau).

What [P1]'s figure shows (Section 7.3). The neural SDE (7.6),
:math:`S_{t+1} = S_t + \Delta(-A S_t + \phi(W S_t + U X_t))`, :math:`\hat Y_t = C\cdot S_{t+1}`,
parameters (C, A, W, U), trained on targets of the teacher (7.7) of the same form with a
Wishart :math:`A^*`; "Figure 9 compares the performance of the TBPTT and RTRL algorithms".

Choices (the paper's numbers were lost; shared ones in :mod:`paper_figures._section7`:
N = 10, d = 5, B = 8, 60 000 steps, five :math:`\eta_0` from :math:`3\cdot10^{-4}` to
:math:`3\cdot10^{-2}`, :math:`\tau \in \{1, 5, 10, 20\}`, 3 replicates, RMSprop with
:math:`\eta_t = \eta_0/\sqrt{1 + t/600}`, seed 7). Specific to this figure, the library's defaults
(:func:`rtrl_theory.data.neural_sde_teacher`), which are also Fig. 1's where they overlap:

* :math:`\phi = \tanh`, :math:`\Delta = 0.1`, :math:`A^*` Wishart with 2N degrees of freedom
  (the drift of Fig. 1: memory of about 100 steps), :math:`W^* = 0.4\,G/\sqrt N` (the teacher's
  default :math:`\gamma`, between Figs. 5 and 7), :math:`U^*, C^*` standard normal (the text does
  not say how they are drawn; these follow Sections 7.1-7.2), inputs :math:`N(0, I_5)`;
* the student starts at A = I (positive definite, as (7.6) asks; relaxation in
  :math:`1/\Delta` = 10 steps), :math:`W = 0.5 G/\sqrt N`, :math:`U_{ij} \sim N(0, 1/d)`,
  :math:`C_i \sim N(0, 1/N)` (:meth:`rtrl_theory.NeuralSDE.init_params`); A is not constrained in
  training, so a run can leave the stable region and diverge.
"""

from paper_figures import _section7

TITLE = "Fig. 9 of [P1] (reproduction): neural SDE, RTRL vs TBPTT"
main = _section7.figure(__name__, TITLE, "neural_sde")
