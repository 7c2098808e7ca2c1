"""Lemma 3.8 of [P1]: one step of the recursions is Lipschitz in y = (S, J, H) on the box, with
constants rho_S, rho_W, rho_B for S and the first derivatives J^W, J^B.

Statement. For fixed data x (|x| <= C_x) and parameters theta, the map y -> y' of (2.17),
(2.20)-(2.21) and Section 2.4, restricted to the box of Lemmas 3.5 and 3.7, satisfies
|y'_block - y~'_block| <= rho_block |y - y~| (max-norm), with the constants of THEORY.md
section 6 (a valid form; [P1]'s own algebra is not recoverable). These feed Assumption 2.10.

Method. On a convex box the Lipschitz constant is the supremum of the Jacobian's max-norm
operator norm (largest absolute row sum). It is measured from below at sampled points (inputs
+-C_x, parameters of several scales since the constants are uniform in theta, states in the box
and at its corners) with a central-difference Jacobian (h = 1e-6), and compared with the claimed
constants: a measured value above a claim refutes it (ratio > 1 + 1e-6, the difference
accuracy). The reported ratio shows how conservative the constants are.
"""

from __future__ import annotations

from rtrl_theory.checks import CheckResult

from ._common import lipschitz_check

ID = "lemma-3.8"
STATEMENT = "One step is Lipschitz in (S, J, H) on the box with constants rho_S, rho_W, rho_B"
BLOCKS = ("S", "W", "B")


def check(quick: bool = True) -> CheckResult:
    return lipschitz_check(ID, STATEMENT, BLOCKS, quick)
