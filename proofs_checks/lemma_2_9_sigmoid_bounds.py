r"""Lemma 2.9 of [P1] (with Appendix A): the derivatives of the sigmoid are bounded.

Statement. For the sigmoid :math:`\sigma(x) = 1/(1+e^{-x})` of (2.19),
:math:`\sup_x|\sigma'(x)| = 1/4`, :math:`\sup_x|\sigma''(x)| = \sqrt{3}/18 \approx 0.0962` and
:math:`\sup_x|\sigma'''(x)| = 1/8` (THEORY.md section 3; the fourth-order value
:math:`\sqrt{(75 + 7\sqrt{105})/9000} \approx 0.12768` is the project's extension). For tanh:
1, :math:`4\sqrt{3}/9`, 2. For the bounded maps f, g (Assumption 2.10; THEORY.md section 2)
:math:`c\tanh` has :math:`C = c, C' = c, C'' = 4\sqrt{3}c/9`.

Method. :mod:`rtrl_theory.symbolic._sigmoid` derives every supremum: the polynomial
representation :math:`\sigma^{(n)} = p_n(\sigma)` is checked against SymPy's derivatives of the
exponential formula; critical points are solved exactly and the suprema come out as exact SymPy
expressions; mpmath interval arithmetic with adaptive subdivision of :math:`u \in [0, 1]`
(:math:`t \in [-1, 1]`) proves :math:`|p_n| \le \sup + \text{margin}` on the whole range (the
image of the real line) and :math:`|p_n(\text{argmax})| \ge \sup - \text{margin}`. The check then
compares (a) the sigmoid suprema with [P1]'s values exactly (``simplify(derived - claimed) == 0``,
else the minimal polynomial of the difference), (b) the tanh and bounded-map values likewise,
(c) the library's constants (``SIGMOID_SUP``, ``TANH_SUP``, ``sup_abs`` of the maps) with the
derived ones to 1e-15 relative, (d) the interval confirmations and (e) the identity
:math:`\sup|\tanh^{(n)}| = 2^{n+1}\sup|\sigma^{(n)}|` that follows from
:math:`\tanh(x) = 2\sigma(2x) - 1`.
"""

from __future__ import annotations

from unittest import mock

import sympy as sp

from rtrl_theory.cells import _maps
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.symbolic._sigmoid import SCALE, derive_activation_bounds

ID = "lemma-2.9"
STATEMENT = (
    "sup|sigma'| = 1/4, sup|sigma''| = sqrt(3)/18, sup|sigma'''| = 1/8 (and tanh, the bounded "
    "maps' C, C', C''), derived exactly and confirmed by interval arithmetic"
)

_c = SCALE  # Symbol("c", positive=True)

#: The claimed suprema sup_x |h^(n)(x)|, by map and order n (module level so tests can feed a wrong
#: claim). Sources: sigmoid 1..3 Lemma 2.9 of [P1]; sigmoid 4 THEORY.md section 3 (extension);
#: tanh THEORY.md section 3; scaled_tanh THEORY.md section 2 (n = 3 is c times tanh's 2);
#: scaled_sigmoid = 2c times the sigmoid's (chain rule; ScaledSigmoid docstring), C = c.
CLAIMED = {
    "sigmoid": {
        1: sp.Rational(1, 4),
        2: sp.sqrt(3) / 18,
        3: sp.Rational(1, 8),
        4: sp.sqrt((75 + 7 * sp.sqrt(105)) / sp.Integer(9000)),
    },
    "tanh": {1: sp.Integer(1), 2: 4 * sp.sqrt(3) / 9, 3: sp.Integer(2)},
    "scaled_tanh": {0: _c, 1: _c, 2: 4 * sp.sqrt(3) * _c / 9, 3: 2 * _c},
    "scaled_sigmoid": {0: _c, 1: _c / 2, 2: sp.sqrt(3) * _c / 9, 3: _c / 4},
}

#: Scales at which the library's ScaledTanh(c) / ScaledSigmoid(c) constants are compared.
LIBRARY_SCALES = (0.3, 1.0, 2.5)

#: Relative tolerance for the library's float constants: they are closed forms evaluated in
#: float64, a few ulps (<= 4.4e-16) from the exact values.
LIBRARY_RTOL = 1e-15

_LABEL = {
    "sigmoid": "sigma",
    "tanh": "tanh",
    "scaled_tanh": "c tanh",
    "scaled_sigmoid": "c(2 sigma - 1)",
}


def _equal(derived: sp.Expr, claimed: sp.Expr) -> bool:
    """Exact equality: simplify the difference, else the minimal polynomial of its per-c part."""
    diff = sp.sympify(derived) - sp.sympify(claimed)
    if sp.simplify(diff) == 0:
        return True
    per_unit = sp.expand(diff / _c) if diff.has(_c) else diff  # both sides are linear in c
    if per_unit.free_symbols:
        return False
    z = sp.Dummy("z")
    try:
        return sp.minimal_polynomial(per_unit, z) == z
    except (NotImplementedError, ValueError):  # pragma: no cover - not algebraic
        return False


def _library_values() -> dict:
    """The library's constants, read at call time (so a monkeypatched constant is seen)."""
    out = {
        ("sigmoid", "SIGMOID_SUP", None): tuple(_maps.SIGMOID_SUP),
        ("tanh", "TANH_SUP", None): tuple(_maps.TANH_SUP),
        ("sigmoid", "Sigmoid().sup_abs", None): tuple(_maps.Sigmoid().sup_abs),
        ("tanh", "Tanh().sup_abs", None): tuple(_maps.Tanh().sup_abs),
    }
    for c in LIBRARY_SCALES:
        out[("scaled_tanh", f"ScaledTanh({c}).sup_abs", c)] = tuple(_maps.ScaledTanh(c).sup_abs)
        out[("scaled_sigmoid", f"ScaledSigmoid({c}).sup_abs", c)] = tuple(
            _maps.ScaledSigmoid(c).sup_abs
        )
    return out


def check(quick: bool = True) -> CheckResult:
    library = _library_values()
    # Derive every order the library or the claims use (at least sigma'''' and C''').
    longest = {k: 0 for k in _LABEL}
    for (kind, _, _), values in library.items():
        longest[kind] = max(longest[kind], len(values) - 1)
    for kind, claims in CLAIMED.items():
        longest[kind] = max(longest[kind], *claims)
    n_max = max(4, longest["sigmoid"], longest["tanh"])
    bounded_n_max = max(3, longest["scaled_tanh"], longest["scaled_sigmoid"])
    if quick:
        settings = {"n_pieces": 16, "dps": 30, "rel_margin": 1e-20}
    else:
        settings = {"n_pieces": 256, "dps": 60, "rel_margin": 1e-45}
    bounds = derive_activation_bounds(n_max, bounded_n_max=bounded_n_max, **settings)
    failures = []

    # Representation identities h^(n)(x) = P_n(v(x)).
    for kind, oks in bounds.representation_ok.items():
        bad = [n for n, ok in enumerate(oks) if not ok]
        if bad:
            failures.append(f"{_LABEL[kind]}: polynomial representation wrong at orders {bad}")

    # (a), (b) derived vs claimed, exactly.
    claim_ok = {}
    for kind, claims in CLAIMED.items():
        for n, claimed in sorted(claims.items()):
            derived = bounds.get(kind, n).sup
            ok = _equal(derived, claimed)
            claim_ok[f"{kind}[{n}]"] = ok
            if not ok:
                failures.append(
                    f"{_LABEL[kind]} order {n}: derived {derived} ~ {sp.N(derived.subs(_c, 1), 12)}"
                    f" != claimed {claimed} ~ {sp.N(sp.sympify(claimed).subs(_c, 1), 12)}"
                )

    # (c) the library's float constants vs the derived exact ones.
    library_err = {}
    for (kind, name, c), values in library.items():
        worst = 0.0
        for n, value in enumerate(values):
            exact = sp.N(bounds.get(kind, n).sup.subs(_c, 1 if c is None else sp.Float(c, 30)), 30)
            err = abs(float((sp.Float(value, 30) - exact) / exact)) if exact != 0 else abs(value)
            worst = max(worst, err)
            if not err <= LIBRARY_RTOL:
                failures.append(
                    f"library {name}[{n}] = {value!r} differs from the derived {float(exact)!r} "
                    f"(relative error {err:.2e} > {LIBRARY_RTOL:g})"
                )
        library_err[name] = worst

    # (d) the interval confirmations.
    for e in bounds.entries:
        if not e.interval_confirmed:
            failures.append(
                f"interval confirmation of {_LABEL[e.map]} order {e.order}: {e.interval.reason}"
            )

    # (e) tanh(x) = 2 sigma(2x) - 1, so sup|tanh^(n)| = 2^(n+1) sup|sigma^(n)| for n >= 1.
    relation_ok = {}
    for n in range(1, n_max + 1):
        ok = _equal(bounds.get("tanh", n).sup, 2 ** (n + 1) * bounds.get("sigmoid", n).sup)
        relation_ok[n] = ok
        if not ok:
            failures.append(f"sup|tanh^({n})| != 2^{n + 1} sup|sigma^({n})|")

    derived = {kind: [str(s) for s in bounds.sups(kind)] for kind in _LABEL}
    boxes = {kind: [e.n_boxes for e in bounds.entries if e.map == kind] for kind in _LABEL}
    details = {
        "derived": derived,
        "derived_float": {
            kind: [e.sup_float for e in bounds.entries if e.map == kind] for kind in _LABEL
        },
        "argmax": {
            f"{e.map}[{e.order}]": [str(a) for a in (e.argmax or e.limit_points)]
            + ([] if e.attained else ["(limit, not attained)"])
            for e in bounds.entries
        },
        "interval_boxes": boxes,
        "interval_max_depth": {
            kind: [e.interval.max_depth for e in bounds.entries if e.map == kind] for kind in _LABEL
        },
        "interval_boxes_total": bounds.n_boxes_total,
        "interval_settings": settings,
        "claims_equal": claim_ok,
        "library_max_rel_err": library_err,
        "tanh_sigmoid_relation": relation_ok,
        "representation_ok": {k: list(v) for k, v in bounds.representation_ok.items()},
    }
    measured = (
        "; ".join(f"{_LABEL[k]}: " + ", ".join(v) for k, v in derived.items())
        + f" (orders 0..; interval boxes {bounds.n_boxes_total} in all: "
        + ", ".join(f"{_LABEL[k]} {v}" for k, v in boxes.items())
        + ")"
    )
    ok = not failures
    return CheckResult(
        ID,
        STATEMENT,
        claimed=(
            "sigma: 1/4, sqrt(3)/18, 1/8 (Lemma 2.9), sqrt((75 + 7 sqrt(105))/9000) (extension); "
            "tanh: 1, 4 sqrt(3)/9, 2; c tanh: C = c, C' = c, C'' = 4 sqrt(3) c/9, C''' = 2c; "
            "c(2 sigma - 1): c, c/2, sqrt(3) c/9, c/4; library constants equal to these"
        ),
        measured=measured,
        method=(
            "SymPy: polynomial-in-sigma representation verified, exact critical points and "
            "suprema; "
            "mpmath interval arithmetic (mean-value form, adaptive bisection) over u in [0, 1], "
            "t in [-1, 1]; exact comparison with the claims"
        ),
        status="pass" if ok else "fail",
        reason="; ".join(failures),
        details=details,
    )


def _scaled_tanh_wrong_c2():
    """ScaledTanh(c).sup_abs with C'' = c (the tanh supremum 4 sqrt(3)/9 forgotten)."""
    return mock.patch.object(
        _maps.ScaledTanh,
        "sup_abs",
        property(lambda self: (self.c, self.c, self.c, 2.0 * self.c)),
    )


#: Each mutant changes a constant of the library that the rest of the code uses as Lemma 2.9's
#: value; the check must see the difference from the derived supremum (part (c)).
MUTANTS = (
    Mutant(
        "sigmoid-sup2-rounded",
        "SIGMOID_SUP[2] = 0.1 instead of sqrt(3)/18 = 0.0962 (sup|sigma''| rounded up by 4%)",
        lambda: mock.patch.object(
            _maps,
            "SIGMOID_SUP",
            tuple(0.1 if n == 2 else v for n, v in enumerate(_maps.SIGMOID_SUP)),
        ),
    ),
    Mutant(
        "tanh-sup3-halved",
        "TANH_SUP[3] = 1 instead of sup|tanh'''| = 2",
        lambda: mock.patch.object(
            _maps, "TANH_SUP", tuple(1.0 if n == 3 else v for n, v in enumerate(_maps.TANH_SUP))
        ),
    ),
    Mutant(
        "scaled-tanh-C2-wrong",
        "ScaledTanh(c).sup_abs gives C'' = c instead of 4 sqrt(3) c / 9 (the bounded map's "
        "constant of Assumption 2.10 that the radii K_WW, K_BB use)",
        _scaled_tanh_wrong_c2,
    ),
)
