"""Lemma 3.5 of [P1]: the first derivatives of the hidden state stay in a box.

Statement. If N C_f < 4 and the derivatives start at zero, then for all t
|dS_t/dW| <= K_W = C_x C_g' / (4 - N C_f) and |dS_t/dB| <= K_B = C_f' / (4 - N C_f)
(max-norm, entrywise; THEORY.md section 6, from (B.5)).

Method. (1) Symbolic: SymPy solves the recurrence a_{t+1} = (N C_f / 4) a_t + b of (2.20)-(2.21)
(b = C_g' C_x / 4 for W, C_f' / 4 for B) with rsolve and takes t -> infinity; the fixed points must
equal the closed forms above exactly, and the library's numeric radii (used by the other checks)
must match them at random constants (relative 1e-12: same formula, rounding only).
(2) Simulation of the recursion on stressed configurations (inputs +-C_x, N C_f up to 3.5, both
bounded maps, saturating and small weights); it fails if an observed entry exceeds its radius
(ratio > 1). The ratio shows how conservative the bound is.
"""

from __future__ import annotations

from unittest import mock

from rtrl_theory import bounds
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.symbolic import SYMBOLS

from ._common import box_check

ID = "lemma-3.5"
STATEMENT = "First derivatives dS/dW, dS/dB stay within K_W, K_B when N C_f < 4"

_s = SYMBOLS
#: [P1]'s radii as rebuilt in THEORY.md section 6.
CLAIMED = {
    "K_W": _s["C_x"] * _s["C_g1"] / (4 - _s["N"] * _s["C_f"]),
    "K_B": _s["C_f1"] / (4 - _s["N"] * _s["C_f"]),
}


def check(quick: bool = True) -> CheckResult:
    return box_check(
        ID,
        STATEMENT,
        CLAIMED,
        order=1,
        quick=quick,
        claimed_text="K_W = C_x C_g'/(4 - N C_f), K_B = C_f'/(4 - N C_f); max |J| / radius <= 1",
        method="rsolve of a_{t+1} = c a_t + b and its limit; simulation of (2.20)-(2.21)",
        seeds=(350, 35),
    )


def scaled_radii(**factors):
    """A mutant's patch: ``rtrl_theory.bounds.apriori_bounds`` with radii multiplied by
    ``factors`` (e.g. ``K_W=0.5``); shared by lemma-3.5 and lemma-3.7."""
    orig = bounds.apriori_bounds

    def wrong(model, C_x):
        b = orig(model, C_x)
        return type(b)(**{k: v * factors.get(k, 1.0) for k, v in b.to_dict().items()})

    return mock.patch.object(bounds, "apriori_bounds", wrong)


MUTANTS = (
    Mutant(
        "K_W-halved",
        "the library's K_W halved: the radius no longer equals the (B.5) fixed point, and "
        "observed |dS/dW| leave the smaller box",
        lambda: scaled_radii(K_W=0.5),
    ),
    Mutant(
        "K_B-halved",
        "the library's K_B halved (a radius halved)",
        lambda: scaled_radii(K_B=0.5),
    ),
    Mutant(
        "radii-drift-1e-9",
        "K_W off by 1e-9 relative: the simulation cannot see it, the exact comparison must",
        lambda: scaled_radii(K_W=1 + 1e-9),
    ),
)
