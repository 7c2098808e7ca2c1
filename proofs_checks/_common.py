"""Helpers shared by the checks: random problems and error measures (not a check itself)."""

from __future__ import annotations

import numpy as np

from rtrl_theory import PaperRNN


def rel_err(a, b) -> float:
    """Max-norm relative error ``max|a - b| / max|b|`` (the norm of THEORY.md)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = float(np.max(np.abs(b)))
    return float(np.max(np.abs(a - b))) / (scale if scale > 0 else 1.0)


def random_problem(rng, n_hidden, n_input, n_steps, bounded_map, *, c_f=None, C_x=1.0):
    """A random PaperRNN, parameters and a bounded sequence (inputs in [-C_x, C_x])."""
    c_f = rng.uniform(0.2, 3.0) / n_hidden if c_f is None else c_f
    model = PaperRNN(n_hidden, n_input, c_f=c_f, c_g=rng.uniform(0.5, 2.0), bounded_map=bounded_map)
    params = model.init_params(rng, scale=rng.uniform(0.5, 2.0))
    X = rng.uniform(-C_x, C_x, (n_steps, n_input))
    Y = rng.uniform(-1.0, 1.0, n_steps)
    return model, params, X, Y


def sizes(quick: bool):
    """(N, d, T) grids: small in quick mode, wider in full mode."""
    if quick:
        return [(1, 1, 15), (3, 2, 25), (4, 3, 30)]
    return [(1, 1, 40), (2, 3, 60), (3, 2, 80), (5, 3, 100), (8, 2, 120)]


def box_ratios(rng, quick: bool, *, order: int):
    """Largest observed |derivative| / a-priori radius over stressed random configurations.

    Simulates K chains per configuration with inputs of maximal size (+-C_x, random signs),
    recurrent scales up to N C_f = 3.5 (close to the limit 4 of Lemma 3.5) and saturating or small
    raw weights. Returns ``(ratios, n_configs)`` with ratios a dict over K_W, K_B (and K_WW, K_WB,
    K_BB for ``order=2``).
    """
    from rtrl_theory.bounds import apriori_bounds
    from rtrl_theory.engine import (
        advance_first_order,
        advance_second_order,
        initial_sensitivities,
    )

    keys = ("K_W", "K_B") + (("K_WW", "K_WB", "K_BB") if order == 2 else ())
    worst = dict.fromkeys(keys, 0.0)
    if order == 2:
        grid = [(2, 1), (3, 2)] if quick else [(2, 1), (3, 2), (4, 2)]
        T, K = (60, 8) if quick else (200, 16)
    else:
        grid = [(2, 1), (3, 2), (5, 3)] if quick else [(2, 1), (3, 2), (5, 3), (10, 3)]
        T, K = (100, 32) if quick else (400, 64)
    n = 0
    for N, d in grid:
        for NCf in (0.5, 2.0, 3.5):
            for bounded_map in ("tanh", "sigmoid"):
                for scale in (0.3, 3.0):
                    C_x = float(rng.choice([1.0, 3.0]))
                    model = PaperRNN(
                        N, d, c_f=NCf / N, c_g=float(rng.uniform(0.5, 2.0)), bounded_map=bounded_map
                    )
                    bounds = apriori_bounds(model, C_x)
                    params = model.init_params(rng, scale=scale)
                    th, tc = model.split(model.flatten(params))
                    cell = model.cell
                    prep = cell.prepare(tc, second_order=(order == 2))
                    st = initial_sensitivities(cell, K, order=order)
                    X = C_x * rng.choice([-1.0, 1.0], size=(K, T, d))
                    nW = N * d
                    for t in range(T):
                        if order == 1:
                            st, _ = advance_first_order(cell, prep, st, X[:, t])
                        else:
                            st, _ = advance_second_order(cell, prep, st, X[:, t])
                        J = np.abs(st.Jt)
                        obs = {"K_W": J[:, :nW].max(), "K_B": J[:, nW:].max()}
                        if order == 2:
                            H = np.abs(st.Ht)
                            obs.update(
                                K_WW=H[:, :nW, :nW].max(),
                                K_WB=H[:, :nW, nW:].max(),
                                K_BB=H[:, nW:, nW:].max(),
                            )
                        for k in keys:
                            worst[k] = max(worst[k], float(obs[k]) / getattr(bounds, k))
                    n += 1
    return worst, n


def symbolic_radii_agree(names, claimed: dict, rng, n_points: int = 20):
    """Compare the (B.5)-derived radii with claimed closed forms (exactly) and with the numeric
    ``apriori_bounds`` of the library (at random constants, relative 1e-12: same formula,
    float64 rounding only). Returns ``(exact_ok: dict, max_rel_numeric: float)``."""
    import sympy as sp

    from rtrl_theory.bounds import apriori_bounds
    from rtrl_theory.symbolic import symbolic_bounds

    sb = symbolic_bounds()
    exact = {n: sp.simplify(sb.radii[n] - claimed[n]) == 0 for n in names}
    fns = sb.lambdified()
    worst = 0.0
    for _ in range(n_points):
        N = int(rng.integers(1, 12))
        bm = str(rng.choice(["tanh", "sigmoid"]))
        model = PaperRNN(
            N,
            int(rng.integers(1, 5)),
            c_f=rng.uniform(0.01, 3.9) / N,
            c_g=rng.uniform(0.1, 3.0),
            bounded_map=bm,
        )
        C_x = float(rng.uniform(0.1, 5.0))
        c = model.constants()
        args = (
            N,
            model.n_input,
            c["C_f"],
            c["C_f1"],
            c["C_f2"],
            c["C_g"],
            c["C_g1"],
            c["C_g2"],
            C_x,
        )
        num = apriori_bounds(model, C_x)
        for n in names:
            worst = max(worst, abs(fns[n](*args) - getattr(num, n)) / abs(getattr(num, n)))
    return exact, worst


_LIP_CACHE: dict = {}


def lipschitz_ratios(quick: bool):
    """Largest measured one-step Lipschitz constant / claimed rho component, per component.

    Cached per mode (lemma-3.8 and lemma-3.9 share the measurement). Configurations: small N
    (the Jacobian in y has dimension N + N P_c + N P_c^2), both bounded maps, N C_f up to 2,
    C_x in {1, 2}. Tolerance 1e-6 relative on the ratio: the central-difference Jacobian
    (h = 1e-6) is accurate to ~1e-10 per entry, summed over at most a few hundred entries.
    """
    from rtrl_theory.bounds import contraction_constants, one_step_lipschitz

    if quick in _LIP_CACHE:
        return _LIP_CACHE[quick]
    configs = [(2, 1, 0.5, "tanh", 1.0), (2, 2, 1.0, "sigmoid", 2.0), (2, 1, 2.0, "tanh", 1.0)]
    if not quick:
        configs += [(3, 2, 0.6, "sigmoid", 1.0), (3, 1, 1.5, "tanh", 2.0), (2, 3, 3.0, "tanh", 1.0)]
    rng = np.random.default_rng(389)
    worst: dict = {}
    for N, d, NCf, bm, C_x in configs:
        model = PaperRNN(N, d, c_f=NCf / N, c_g=1.0, bounded_map=bm)
        est = one_step_lipschitz(model, C_x, n_points=24 if quick else 80, n_params=3, rng=rng)
        rho = contraction_constants(model, C_x).to_dict()
        for block, v in est.values.items():
            r = v / rho[f"rho_{block}"]
            worst[block] = max(worst.get(block, 0.0), r)
    _LIP_CACHE[quick] = (worst, len(configs))
    return _LIP_CACHE[quick]


def lipschitz_check(cid: str, statement: str, blocks, quick: bool, tol: float = 1e-6):
    """The result of lemma-3.8 / lemma-3.9: measured / claimed Lipschitz constants <= 1 + tol."""
    from rtrl_theory.checks import CheckResult

    worst, n = lipschitz_ratios(quick)
    ratios = {b: worst[b] for b in blocks}
    bad = {b: r for b, r in ratios.items() if r > 1.0 + tol}
    names = ", ".join(f"rho_{b}" for b in blocks)
    return CheckResult(
        cid,
        statement,
        claimed=f"measured Lipschitz constant / claimed constant <= 1 for {names}",
        measured="largest measured/claimed: "
        + ", ".join(f"rho_{b} {r:.3f}" for b, r in ratios.items())
        + f" ({n} configurations)",
        method="central-difference Jacobians on the box, max row sums (max-norm)",
        status="fail" if bad else "pass",
        reason=(
            "measured one-step Lipschitz constant above the claimed one for "
            + ", ".join(f"rho_{b} (ratio {r:.4g})" for b, r in bad.items())
        )
        if bad
        else "",
        details={"ratios": ratios, "n_configurations": n},
    )


def box_check(cid, statement, claimed_forms, *, order, quick, claimed_text, method, seeds):
    """The result of lemma-3.5 / lemma-3.7: (B.5)-derived radii = claimed closed forms = library
    radii, and simulated derivatives never leave the box."""
    import sympy as sp

    from rtrl_theory.checks import CheckResult

    exact, num_err = symbolic_radii_agree(
        tuple(claimed_forms), claimed_forms, np.random.default_rng(seeds[0])
    )
    ratios, n = box_ratios(np.random.default_rng(seeds[1]), quick, order=order)
    worst = max(ratios.values())
    problems = []
    if not all(exact.values()):
        problems.append(
            "the (B.5) fixed point differs from the claimed radius for "
            + ", ".join(k for k, ok in exact.items() if not ok)
        )
    if num_err > 1e-12:
        problems.append(f"the library's numeric radii differ from the derived ones ({num_err:.1e})")
    if worst > 1.0:
        problems.append(f"an observed derivative exceeded its a-priori radius (ratio {worst:.3g})")
    return CheckResult(
        cid,
        statement,
        claimed=claimed_text,
        measured="SymPy (B.5) fixed points = claimed radii: "
        + ("yes" if all(exact.values()) else "NO")
        + f"; numeric radii vs derived {num_err:.1e}; largest observed/bound: "
        + ", ".join(f"{k} {v:.3g}" for k, v in ratios.items())
        + f" ({n} configurations)",
        method=method,
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "ratios": ratios,
            "n_configurations": n,
            "symbolic_equal": exact,
            "numeric_vs_symbolic": num_err,
            "claimed_radii": {k: str(sp.simplify(v)) for k, v in claimed_forms.items()},
        },
    )
