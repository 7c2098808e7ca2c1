r"""Numeric companion of :mod:`rtrl_theory.symbolic._recursions`.

Numeric companion of :mod:`rtrl_theory.symbolic._recursions`: the symbolic derivatives of the
unrolled RNN, made concrete (sigma = logistic, f and g scaled tanh or scaled sigmoid) and
lambdified, against the numeric engine ((2.20)-(2.23), Section 2.4, (3.56)-(3.57) of [P1]); and
:func:`verify_recursions`, which combines the symbolic proofs with this cross-check.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ._recursions import (
    GenericMap,
    _size,
    build_symbolic_rnn,
    prove_recursions,
    symbolic_derivatives,
)

__all__ = ["EngineCrossCheck", "cross_check_engine", "RecursionVerification", "verify_recursions"]


# --------------------------------------------------------------------------------------------
# Numeric cross-check: lambdified SymPy derivatives vs the engine
# --------------------------------------------------------------------------------------------
_U = sp.Symbol("u", real=True)
_CF, _CG = sp.symbols("c_f c_g", positive=True)


def _concrete_maps(bounded_map: str) -> dict:
    """Concrete sigma, f, g as SymPy expressions in u (THEORY.md section 2 CONVENTION)."""
    logistic = 1 / (1 + sp.exp(-_U))
    if bounded_map == "tanh":
        unit = sp.tanh(_U)
    elif bounded_map == "sigmoid":
        unit = 2 * logistic - 1
    else:
        raise ValueError(f"bounded_map: expected 'tanh' or 'sigmoid', got {bounded_map!r}")
    return {"sigma": logistic, "f": _CF * unit, "g": _CG * unit}


def _substitute_concrete(expr, maps: dict):
    r"""Replace every :math:`h^{(n)}` by SymPy's n-th derivative of the concrete map h.

    The derivatives come from ``sp.diff`` of the concrete expressions, independently of the
    engine's hand-written ``deriv`` methods.
    """
    cache = {}

    def concrete(e):
        key = (e.base_name, e.order)
        if key not in cache:
            cache[key] = sp.Lambda(_U, sp.diff(maps[e.base_name], _U, e.order))
        return cache[key](e.args[0])

    return expr.replace(lambda e: isinstance(e, GenericMap), concrete)


@functools.lru_cache(maxsize=16)
def _lambdified(N, d, T, order, bounded_map):
    # Common subexpressions are found once on the generic expressions (whose DAG is small:
    # every entry reuses the same z_t, S_t); the concrete maps are then substituted into the
    # short replacement expressions only, and lambdify receives the precomputed cse.
    model = build_symbolic_rnn(N, d, T)
    sym = symbolic_derivatives(model, order)
    maps = _concrete_maps(bounded_map)
    names = ["J", "grad"] + (["H", "hess"] if order == 2 else [])
    flat = [model.loss]
    shapes = {}
    for name in names:
        mats = sym[name] if name == "H" else (sym[name],)
        shapes[name] = (len(mats), mats[0].rows, mats[0].cols)
        flat += [e for m in mats for e in m]
    replacements, reduced = sp.cse(flat)
    replacements = [(s, _substitute_concrete(e, maps)) for s, e in replacements]
    reduced = [_substitute_concrete(e, maps) for e in reduced]
    args = list(model.params) + [x for X in model.X for x in X] + list(model.Y) + [_CF, _CG]
    fn = sp.lambdify(
        args, reduced, modules="numpy", cse=lambda exprs: (replacements, exprs), use_imps=False
    )
    return fn, names, shapes


@dataclass(frozen=True)
class EngineCrossCheck:
    r"""Outcome of :func:`cross_check_engine`.

    Attributes
    ----------
    sizes : tuple of int
        (N, d, T).
    order : int
    n_points : int
        Random (parameter, data) points per bounded map.
    bounded_maps : tuple of str
    max_rel_err : dict
        Max-norm relative error of each engine quantity against the lambdified SymPy derivative:
        ``"loss"``, ``"J"`` (``advance_first_order``), ``"grad_numpy"``, ``"grad_numba"`` (if
        numba is installed), and for order 2 ``"J2"``, ``"H"`` (``advance_second_order``),
        ``"grad_hess"`` and ``"hess"`` (``loss_grad_hessian``).
    seconds : dict
        ``"lambdify"`` (first computation; cached afterwards) and ``"evaluate"``.
    """

    sizes: tuple
    order: int
    n_points: int
    bounded_maps: tuple
    max_rel_err: dict
    seconds: dict

    @property
    def max_error(self) -> float:
        return max(self.max_rel_err.values())


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = float(np.max(np.abs(b)))
    return float(np.max(np.abs(a - b))) / (scale if scale > 0 else 1.0)


def cross_check_engine(
    n_hidden: int,
    n_input: int,
    n_steps: int,
    *,
    rng,
    order: int = 2,
    n_points: int = 3,
    bounded_maps=("tanh", "sigmoid"),
) -> EngineCrossCheck:
    r"""Compare lambdified SymPy derivatives of the unrolled model with the numeric engine.

    SymPy's :math:`J_T`, :math:`H^k_T`, :math:`\nabla L_T`, :math:`\nabla^2 L_T` (and
    :math:`L_T`) with the concrete maps (logistic :math:`\sigma`; ``f = c_f h``, ``g = c_g h``
    with ``h = tanh`` or ``2 sigma - 1``) are evaluated in float64 at random points and compared
    with ``rtrl_theory.loss_and_grad`` (``backend="numpy"`` and ``"numba"`` if available),
    ``rtrl_theory.loss_grad_hessian`` and the engine's J, H from ``advance_first_order`` /
    ``advance_second_order``.

    Parameters
    ----------
    n_hidden, n_input, n_steps : int
    rng : numpy.random.Generator or int
        Source of the random points (``c_f N`` in [0.2, 3], ``c_g`` in [0.5, 2], weights
        ``N(0, s^2)`` with s in [0.5, 2], ``X`` and ``Y`` uniform in [-1, 1]).
    order : {1, 2}
    n_points : int
        Points per bounded map.
    bounded_maps : sequence of {"tanh", "sigmoid"}

    Returns
    -------
    EngineCrossCheck
        Both sides compute the same float64 quantities, so the errors are rounding only
        (about 1e-15); :func:`verify_recursions` uses the tolerance 1e-12.

    Notes
    -----
    The generic expressions contain no ``Subs``/``Derivative`` objects (see the module Notes),
    so the concrete substitution is a plain replacement of every :math:`h^{(n)}(\cdot)` by
    ``sp.diff(h_concrete, u, n)`` at that argument. It is applied after common-subexpression
    elimination of the generic expressions, to the short replacement expressions only; the
    lambdified function (cached per sizes, order and bounded map) takes
    ``(theta, X.ravel(), Y, c_f, c_g)``.
    """
    from rtrl_theory.cells import PaperRNN
    from rtrl_theory.engine import (
        advance_first_order,
        advance_second_order,
        initial_sensitivities,
        loss_and_grad,
        loss_grad_hessian,
        numba_available,
    )

    if order not in (1, 2):
        raise ValueError(f"order: expected 1 or 2, got {order!r}")
    n_points = _size(n_points, "n_points")
    N, d, T = (
        _size(v, n) for v, n in ((n_hidden, "n_hidden"), (n_input, "n_input"), (n_steps, "n_steps"))
    )
    rng = np.random.default_rng(rng)
    backends = ("numpy", "numba") if numba_available() else ("numpy",)
    errs: dict[str, float] = {}

    def record(key, value, ref):
        errs[key] = max(errs.get(key, 0.0), _rel(value, ref))

    t_lamb = t_eval = 0.0
    for bounded_map in bounded_maps:
        t0 = time.perf_counter()
        fn, names, shapes = _lambdified(N, d, T, order, bounded_map)
        t_lamb += time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(n_points):
            c_f, c_g = rng.uniform(0.2, 3.0) / N, rng.uniform(0.5, 2.0)
            model = PaperRNN(N, d, c_f=c_f, c_g=c_g, bounded_map=bounded_map)
            params = model.init_params(rng, scale=rng.uniform(0.5, 2.0))
            X, Y = rng.uniform(-1.0, 1.0, (T, d)), rng.uniform(-1.0, 1.0, T)
            theta = model.flatten(params)
            vals = [float(v) for v in fn(*theta, *X.reshape(-1), *Y, c_f, c_g)]
            sym = {"loss": vals[0]}
            pos = 1
            for name in names:
                n, r, c = shapes[name]
                sym[name] = np.array(vals[pos : pos + n * r * c]).reshape(n, r, c)
                pos += n * r * c
            grad_sym, J_sym = sym["grad"][0, :, 0], sym["J"][0]

            for backend in backends:
                loss, g = loss_and_grad(model, params, X, Y, method="rtrl", backend=backend)
                record(f"grad_{backend}", model.flatten(g), grad_sym)
                record("loss", loss, sym["loss"])
            cell = model.cell
            tc = model.split(theta)[1]
            prep = cell.prepare(tc)
            st = initial_sensitivities(cell, 1)
            for t in range(T):
                st, _ = advance_first_order(cell, prep, st, X[t][None])
            record("J", st.J[0], J_sym)
            if order == 2:
                loss, grad, hess = loss_grad_hessian(model, params, X, Y)
                record("loss", loss, sym["loss"])
                record("grad_hess", grad, grad_sym)
                record("hess", hess, sym["hess"][0])
                prep2 = cell.prepare(tc, second_order=True)
                st = initial_sensitivities(cell, 1, order=2)
                for t in range(T):
                    st, _ = advance_second_order(cell, prep2, st, X[t][None])
                record("J2", st.J[0], J_sym)
                record("H", st.H[0], sym["H"])
        t_eval += time.perf_counter() - t0
    return EngineCrossCheck(
        (N, d, T),
        order,
        n_points,
        tuple(bounded_maps),
        errs,
        {"lambdify": t_lamb, "evaluate": t_eval},
    )


# --------------------------------------------------------------------------------------------
# Everything together
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecursionVerification:
    r"""Symbolic proofs plus numeric cross-checks (:func:`verify_recursions`).

    Attributes
    ----------
    order : int
        1: (2.20)-(2.23); 2: also Section 2.4 and (3.56)-(3.57).
    proofs : tuple of RecursionProof
        Unrolled models from S_0 = 0 and induction steps (generic S_0, one step), for every
        requested zero-test method.
    cross_checks : tuple of EngineCrossCheck
    tol : float
        Tolerance of the cross-checks (relative, max-norm).
    """

    order: int
    proofs: tuple
    cross_checks: tuple
    tol: float

    @property
    def all_proved(self) -> bool:
        """Every identity of every proof holds."""
        return all(p.all_proved for p in self.proofs)

    @property
    def max_rel_err(self) -> dict:
        """Worst relative error per engine quantity over all cross-checks."""
        out: dict[str, float] = {}
        for c in self.cross_checks:
            for k, v in c.max_rel_err.items():
                out[k] = max(out.get(k, 0.0), v)
        return out

    @property
    def max_error(self) -> float:
        return max(self.max_rel_err.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return self.all_proved and self.max_error <= self.tol

    def problems(self) -> list[str]:
        """Reasons for failure, as a check reports them (empty when :attr:`passed`)."""
        out = []
        if not self.all_proved:
            out.append("symbolic: the recursion differs from SymPy's derivative (not zero)")
        if self.max_error > self.tol:
            out.append(
                f"symbolic: lambdified SymPy differs from the engine by {self.max_error:.1e}"
            )
        return out

    def describe(self) -> str:
        """One line: what was proved where, and the worst numeric discrepancy."""
        parts = []
        for p in self.proofs:
            what = ",".join(k for k, ok in p.proved.items() if ok) or "nothing"
            failed = ",".join(k for k, ok in p.proved.items() if not ok)
            kind = "step" if p.initial_state == "generic" else "T"
            size = f"N={p.sizes[0]},d={p.sizes[1]},{kind}={p.sizes[2]}"
            parts.append(f"{what} at {size} [{p.method}]" + (f" NOT {failed}" if failed else ""))
        return f"proved {'; '.join(parts)}; lambdified vs engine max rel err {self.max_error:.1e}"

    def summary(self) -> dict:
        """Return a JSON-ready dict (for ``CheckResult.details``)."""
        return {
            "order": self.order,
            "all_proved": self.all_proved,
            "proofs": [
                {
                    "sizes": list(p.sizes),
                    "initial_state": p.initial_state,
                    "method": p.method,
                    "proved": p.proved,
                    "n_entries": p.n_entries,
                    "n_nonzero": p.n_nonzero,
                    "first_nonzero": {
                        k: (list(v) if v is not None else None) for k, v in p.first_nonzero.items()
                    },
                    "seconds": sum(p.seconds.values()),
                }
                for p in self.proofs
            ],
            "cross_checks": [
                {
                    "sizes": list(c.sizes),
                    "n_points": c.n_points,
                    "bounded_maps": list(c.bounded_maps),
                    "max_rel_err": c.max_rel_err,
                    "seconds": sum(c.seconds.values()),
                }
                for c in self.cross_checks
            ],
            "max_rel_err": self.max_rel_err,
            "max_error": self.max_error,
            "tol": self.tol,
            "passed": self.passed,
        }


def verify_recursions(
    proof_sizes,
    *,
    rng,
    order: int = 2,
    methods=("poly",),
    induction_sizes=None,
    cross_sizes=None,
    n_points: int = 3,
    tol: float = 1e-12,
) -> RecursionVerification:
    r"""Prove the recursions symbolically and cross-check the engine numerically.

    Parameters
    ----------
    proof_sizes : sequence of (N, d, T)
        Unrolled models (from :math:`S_0 = 0`) to prove (:func:`prove_recursions`).
    rng : numpy.random.Generator or int
        For the cross-check points.
    order : {1, 2}
        1: (2.20)-(2.23); 2: also Section 2.4 and (3.56)-(3.57).
    methods : sequence of {"poly", "expand"}
        Zero tests; each proof is run with each.
    induction_sizes : sequence of (N, d), optional
        Induction steps (generic :math:`S_0`, one step) to prove; default: the (N, d) of
        ``proof_sizes``.
    cross_sizes : sequence of (N, d, T), optional
        Sizes of the numeric cross-checks (:func:`cross_check_engine`); default ``proof_sizes``.
    n_points : int
        Random points per bounded map and size.
    tol : float, default 1e-12
        Relative max-norm tolerance of the cross-check: both sides compute the same float64
        quantities, so the difference is rounding only (about 1e-15 observed).

    Returns
    -------
    RecursionVerification

    Examples
    --------
    >>> v = verify_recursions([(1, 1, 2)], rng=0, order=1, n_points=1)
    >>> v.all_proved, v.max_error < 1e-12
    (True, True)
    """
    rng = np.random.default_rng(rng)
    proof_sizes = [tuple(s) for s in proof_sizes]
    if induction_sizes is None:
        induction_sizes = list(dict.fromkeys(s[:2] for s in proof_sizes))
    cross_sizes = proof_sizes if cross_sizes is None else [tuple(s) for s in cross_sizes]
    proofs = []
    for method in methods:
        proofs += [prove_recursions(*s, order=order, method=method) for s in proof_sizes]
        proofs += [
            prove_recursions(*s, 1, order=order, initial_state="generic", method=method)
            for s in induction_sizes
        ]
    cross = tuple(
        cross_check_engine(*s, rng=rng, order=order, n_points=n_points) for s in cross_sizes
    )
    return RecursionVerification(order, tuple(proofs), cross, float(tol))
