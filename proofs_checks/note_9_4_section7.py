"""Note (THEORY.md section 9, item 4): the experiments of [P1] Section 7 are outside the theorem.

The convergence theorem covers the sigmoid RNN (2.17)-(2.19) with bounded maps on the weights,
plain SGD with Robbins-Monro rates, and contracting bounded data. Section 7 uses linear RNNs and
neural SDEs with unconstrained matrices, ReLU / tanh / ELU Elman networks without bounded weight
maps (ReLU and ELU are not bounded, ReLU is not differentiable at 0), GRUs, RMSprop and
mini-batches, and unbounded Gaussian inputs. Its figures illustrate RTRL against TBPTT; they do
not test the theorem's hypotheses. This row reports the fact; it is not a check.
"""

from __future__ import annotations

from rtrl_theory.checks import CheckResult

ID = "note-9.4"
STATEMENT = "Section 7's experiments (ReLU, linear, ELU, GRU, RMSprop, ...) are outside the theorem"


def check(quick: bool = True) -> CheckResult:
    return CheckResult(
        ID,
        STATEMENT,
        claimed="[P1] Section 7 'illustrates' the theoretical results",
        measured="architectures, optimiser and data there violate Assumptions 2.3, 2.10, 2.14",
        method="reported (text), not checked",
        status="note",
    )


#: A ``note`` row reports text; there is no computed claim to make false (a statement about the paper's experiments (text), nothing computed).
MUTANTS = ()
