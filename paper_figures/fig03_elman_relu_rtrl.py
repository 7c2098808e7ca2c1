r"""Fig. 3 of [P1]: Elman network with ReLU activations trained by RTRL (Fig. 4: by TBPTT).

What [P1]'s figure shows (Section 7.2). The Elman network (7.4),
:math:`S_{t+1} = \phi(W S_t + U X_t)`, :math:`\hat Y_t = C\cdot S_{t+1}`, with
:math:`\phi = \mathrm{ReLU}`, trained online on targets of the teacher (7.5) of the same form with
:math:`W^* = \gamma G/\sqrt N` (G standard Gaussian); Fig. 3 shows RTRL, Fig. 4 TBPTT, and "RTRL
outperforms TBPTT for ReLU activation functions".

Choices (the paper's numbers were lost; shared ones in :mod:`paper_figures._section7`:
N = 10, d = 5, B = 8, 60 000 steps, five :math:`\eta_0` from :math:`3\cdot10^{-4}` to
:math:`3\cdot10^{-2}`, :math:`\tau \in \{1, 5, 10, 20\}`, 3 replicates, RMSprop with
:math:`\eta_t = \eta_0/\sqrt{1 + t/600}`, seed 7). Specific to Figs. 3-4:

* :math:`\gamma = 0.3`. A ReLU teacher is unbounded and the library requires
  :math:`\|W^*\|_2 < 1` (:func:`rtrl_theory.data.elman_teacher`); :math:`\|W^*\|_2 \approx
  2\gamma = 0.6` for large N leaves room for the fluctuations at N = 10, and the same
  :math:`\gamma` serves the tanh network of Figs. 5-6 ("again constructed" in [P1]), so that
  the two pairs differ by the activation only;
* the entries of :math:`U^*` have standard deviation :math:`1/\sqrt d` ([P1]: "[U*] has standard
  deviation [lost]"), so :math:`U^* X_t` has unit variance per unit: the activation is used in
  its non-linear range without saturating (tanh) or exploding (ReLU); :math:`C^*` standard normal;
  inputs :math:`X_t \sim N(0, I_5)`;
* no bias in teacher or student ((7.4) has none); the student starts at
  :math:`W = 0.5 G/\sqrt N`, :math:`U_{ij} \sim N(0, 1/d)`, :math:`C_i \sim N(0, 1/N)`
  (:meth:`rtrl_theory.ElmanRNN.init_params`).

This script runs the RTRL half of the sweep; :mod:`paper_figures.fig04_elman_relu_tbptt` runs the
TBPTT half and reuses these RTRL runs through the run cache (``<out>/.runs``).
"""

from paper_figures import _section7

TITLE = "Fig. 3 of [P1] (reproduction): Elman ReLU trained by RTRL"
main = _section7.figure(__name__, TITLE, "elman", half="rtrl", **_section7.ELMAN_RELU)
