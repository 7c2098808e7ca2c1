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

from paper_figures import _section7

TITLE = "Fig. 1 of [P1] (reproduction): linear RNN, RTRL vs TBPTT"
main = _section7.figure(__name__, TITLE, "linear")
