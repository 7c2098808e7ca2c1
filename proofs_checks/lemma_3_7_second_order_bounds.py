"""Lemma 3.7 of [P1]: the second derivatives of the hidden state stay in a box.

Statement. If N C_f < 4 and the derivatives start at zero, the Hessian blocks of S_t are bounded
for all t by K_WW, K_WB, K_BB (THEORY.md section 6: the (B.5) fixed points of
|d2S| <= (sqrt3/18)|dz/da||dz/db| + (1/4)(N C_f |d2S_prev| + Rbar), |dz/dW| <= 4 K_W,
|dz/dB| <= 4 K_B).

Method. (1) Symbolic: SymPy solves each recurrence with rsolve and takes t -> infinity; the fixed
points must equal THEORY.md's closed forms exactly and the library's numeric radii at random
constants (relative 1e-12). (2) Simulation of the second-order recursion (Section 2.4) on
stressed configurations; it fails if any observed entry exceeds its radius.
"""

from __future__ import annotations

import sympy as sp

from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.symbolic import SYMBOLS

from ._common import box_check
from .lemma_3_5_first_order_bounds import scaled_radii

ID = "lemma-3.7"
STATEMENT = "Second derivatives of S stay within K_WW, K_WB, K_BB when N C_f < 4"

_s = SYMBOLS
_den = 4 - _s["N"] * _s["C_f"]
_K_W = _s["C_x"] * _s["C_g1"] / _den
_K_B = _s["C_f1"] / _den
_k = 32 * sp.sqrt(3) / 9
#: THEORY.md section 6's closed forms.
CLAIMED = {
    "K_WW": (_k * _K_W**2 + _s["C_g2"] * _s["C_x"]) / _den,
    "K_WB": (_k * _K_W * _K_B + _s["C_f1"] * _K_W) / _den,
    "K_BB": (_k * _K_B**2 + _s["C_f2"] + 2 * _s["C_f1"] * _K_B) / _den,
}


def check(quick: bool = True) -> CheckResult:
    return box_check(
        ID,
        STATEMENT,
        CLAIMED,
        order=2,
        quick=quick,
        claimed_text="K_ab = ((32 sqrt3/9) K_a K_b + Rbar_ab)/(4 - N C_f); max |H| / radius <= 1",
        method="rsolve of the second-order recurrences and their limits; simulation of Sec. 2.4",
        seeds=(370, 37),
    )


MUTANTS = (
    Mutant(
        "K_WW-halved",
        "the library's K_WW halved: no longer the (B.5) fixed point of the second-order "
        "recurrence, and observed |d2S/dW2| leave the smaller box",
        lambda: scaled_radii(K_WW=0.5),
    ),
    Mutant("K_WB-halved", "the library's K_WB halved", lambda: scaled_radii(K_WB=0.5)),
    Mutant("K_BB-halved", "the library's K_BB halved", lambda: scaled_radii(K_BB=0.5)),
)
