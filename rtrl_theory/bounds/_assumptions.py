r"""The assumptions checker: whether the hypotheses of [P1]'s convergence theorem hold.

Hypotheses (THEORY.md sections 1, 4, 6):

* ``N C_f < 4``: needed by the a-priori bounds of Lemmas 3.5 and 3.7;
* ``rho < 1``: Assumption 2.10, the contraction of the (S, J, H) update on the box;
* ``0 < lam < 1``: Assumption 2.3(1), the W1-contraction of the data kernel;
* the learning-rate schedule satisfies Assumption 2.14 (Robbins-Monro), when one is given;
* when a data process is given: the one-step max-norm contraction of the *lifted* data chain
  whose current state determines the target (``lifted_chain_report``: a leaky trace
  (X_t, M_t) has lam_xi = max(lam, beta + c); a delay-line teacher has lam_xi = 1 and is
  flagged). Then lam_xi replaces lam in rho_bar and lam + rho.

Reported beside them: every constant (C_f, C_f', C_f'', C_g, C_g', C_g'', C_x), the radii, the
six rho components, ``rho_bar = max(lam, rho)`` (Proposition 3.1 / Theorem 3.11 as stated, valid
for almost surely contracting data couplings), ``lam + rho`` (valid for any W1-contractive data
kernel, THEORY.md section 9 item 2), and ``c_f_max``: the largest c_f for which rho < 1 at this N
(with the other constants fixed).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy.optimize import brentq

from rtrl_theory._validate import positive

from ._apriori import apriori_bounds, contraction_constants

__all__ = ["AssumptionsReport", "check_assumptions", "c_f_max"]


@dataclass(frozen=True)
class AssumptionsReport:
    """Everything :func:`check_assumptions` found; ``to_dict`` gives the JSON object.

    ``hypotheses`` maps a name to ``{"holds": bool or None, "detail": str}`` (None: not
    assessed, e.g. no schedule given). ``rho``, ``rho_bar`` and the radii are None when
    ``N C_f >= 4`` (the bounds do not exist there).

    Attributes
    ----------
    config : dict
        The configuration checked: ``n_hidden``, ``n_input``, ``c_f``, ``c_g``,
        ``bounded_map``, ``C_x``, ``schedule`` (its spec or None) and, with a process,
        ``lifted_chain`` (the report of the lifted data chain).
    constants : dict of str to float
        C_f, C_f', C_f'', C_g, C_g', C_g'' of the bounded maps ((2.17)-(2.19)) and C_x.
    radii : dict of str to float or None
        K_W, K_B, K_WW, K_WB, K_BB of Lemmas 3.5 and 3.7 (:class:`APrioriBounds`).
    rho_components : dict of str to float or None
        The six constants of Assumption 2.10 (:class:`ContractionConstants`).
    rho : float or None
        Their maximum; Assumption 2.10 asks for ``rho < 1``.
    lam : float
        The data kernel's contraction (Assumption 2.3(1)); the lifted chain's lam_xi when a
        lifted process was given.
    rho_bar : float or None
        ``max(lam, rho)``, the rate of Proposition 3.1 / Theorem 3.11 as stated.
    lam_plus_rho : float or None
        ``lam + rho``, the rate valid for any W1-contractive data kernel (THEORY.md section 9).
    c_f_max : float
        The largest c_f with ``rho < 1`` at this N (:func:`c_f_max`).
    hypotheses : dict of str to dict
        Per hypothesis (``N C_f < 4``, ``rho < 1``, ``lam < 1``, Robbins-Monro, ...):
        ``{"holds": bool or None, "detail": str}``.
    """

    config: dict
    constants: dict
    radii: dict | None
    rho_components: dict | None
    rho: float | None
    lam: float
    rho_bar: float | None
    lam_plus_rho: float | None
    c_f_max: float
    hypotheses: dict

    @property
    def hypotheses_hold(self) -> bool:
        """True when every assessed hypothesis holds (an unassessed one does not count)."""
        return all(h["holds"] is not False for h in self.hypotheses.values())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hypotheses_hold"] = self.hypotheses_hold
        return d

    def format(self) -> str:
        """Return a human-readable report (the ``rtrl-theory assumptions`` output)."""
        c = self.config
        lines = [
            f"Configuration: N = {c['n_hidden']}, d = {c['n_input']}, f = {c['c_f']:g} "
            f"{c['bounded_map']}-type, g = {c['c_g']:g} {c['bounded_map']}-type, "
            f"C_x = {c['C_x']:g}, lam = {self.lam:g}"
            + (f", schedule {c['schedule']}" if c.get("schedule") else ""),
            "",
            "Constants (sup-norms of the bounded maps and their derivatives):",
        ]
        if c.get("lifted_chain"):
            lines.insert(1, f"Data chain (Assumption 2.3): {c['lifted_chain']['detail']}")
        lines += [f"  {k:<6} = {v:.6g}" for k, v in self.constants.items()]
        if self.radii is not None:
            lines.append("A-priori radii (Lemmas 3.5, 3.7):")
            lines += [f"  {k:<6} = {v:.6g}" for k, v in self.radii.items()]
            lines.append("Contraction constants (Assumption 2.10, Lemmas 3.8-3.9):")
            lines += [f"  {k:<6} = {v:.6g}" for k, v in self.rho_components.items()]
            lines.append(f"  rho    = {self.rho:.6g}")
            lifted = " (lam of the data chain)" if c.get("lifted_chain") else ""
            lines.append(f"rho_bar = max(lam, rho) = {self.rho_bar:.6g}{lifted}")
            lines.append(f"lam + rho = {self.lam_plus_rho:.6g}")
        lines.append(f"c_f_max (largest c_f with rho < 1 at this N) = {self.c_f_max:.6g}")
        lines.append("")
        lines.append("Hypotheses:")
        for name, h in self.hypotheses.items():
            mark = {True: "holds", False: "FAILS", None: "not assessed"}[h["holds"]]
            lines.append(f"  {name:<32} {mark:<13} {h['detail']}")
        lines.append("")
        lines.append(self.verdict())
        return "\n".join(lines)

    def verdict(self) -> str:
        """One sentence: which hypotheses hold, which fail and which were not assessed.

        "All hypotheses ... hold" is said only when every hypothesis was assessed and holds; an
        unassessed one (Robbins-Monro without a schedule) is named as such.
        """
        failed = [k for k, h in self.hypotheses.items() if h["holds"] is False]
        unassessed = [k for k, h in self.hypotheses.items() if h["holds"] is None]
        held = [k for k, h in self.hypotheses.items() if h["holds"] is True]
        if failed:
            return (
                "Some hypotheses FAIL (" + "; ".join(failed) + "): the convergence theorem of "
                "[P1] does not apply."
            )
        if not unassessed:
            return "All hypotheses of the convergence theorem hold."
        why = "; ".join(f"{k} ({self.hypotheses[k]['detail']})" for k in unassessed)
        return (
            "These hypotheses hold: " + "; ".join(held) + ". Not assessed: " + why + ". The "
            "convergence theorem applies only if " + ("it holds" if len(unassessed) == 1 else
            "they hold") + " too."
        )


def _model(n_hidden, n_input, c_f, c_g, bounded_map):
    from rtrl_theory.cells import PaperRNN

    return PaperRNN(n_hidden, n_input, c_f=c_f, c_g=c_g, bounded_map=bounded_map)


def c_f_max(n_hidden: int, n_input: int, c_g: float, bounded_map: str = "tanh", C_x: float = 1.0):
    r"""Return the largest c_f with rho < 1 (rho is increasing in c_f and blows up as N C_f -> 4).

    The root of :math:`\rho(c_f) = 1` (Assumption 2.10 of [P1]) by Brent's method on
    ``(0, 4/N)``, the other constants fixed.

    Parameters
    ----------
    n_hidden : int
        N, the number of hidden units.
    n_input : int
        d, the input dimension.
    c_g : float
        Scale of the bounded map g of (2.17).
    bounded_map : {"tanh", "sigmoid"}, default "tanh"
        Type of f and g (a scaled tanh or a centred scaled sigmoid).
    C_x : float, default 1.0
        Bound on the inputs (Assumption 2.3(3)).

    Returns
    -------
    float
        The largest c_f with ``rho < 1`` (to about 1e-13 relative), below ``4 / n_hidden``.

    See Also
    --------
    contraction_constants : rho at one c_f.
    check_assumptions : reports this value beside every hypothesis.
    """
    hi = 4.0 / n_hidden * (1.0 - 1e-12)

    def excess(cf):
        return contraction_constants(_model(n_hidden, n_input, cf, c_g, bounded_map), C_x).rho - 1

    if excess(hi) < 0:  # pragma: no cover - rho_S alone would have to bind, which needs N C_f = 4
        return hi
    return brentq(excess, 1e-12 / n_hidden, hi, xtol=1e-15, rtol=1e-13)


def check_assumptions(
    n_hidden: int,
    n_input: int,
    c_f: float,
    c_g: float = 1.0,
    bounded_map: str = "tanh",
    lam: float = 0.5,
    C_x: float = 1.0,
    schedule=None,
    process=None,
) -> AssumptionsReport:
    r"""Evaluate the hypotheses of [P1]'s convergence theorem for a paper-RNN configuration.

    Parameters
    ----------
    n_hidden, n_input : int
    c_f, c_g : float
        Scales of f and g.
    bounded_map : {"tanh", "sigmoid"}
    lam : float
        Contraction of the data kernel (Assumption 2.3(1)); must be positive. Values >= 1 are
        accepted and reported as a failed hypothesis.
    C_x : float, default 1
        Bound on the inputs.
    schedule : PowerSchedule, str or None
        A schedule (or its spec "eta0=...,t0=...,gamma=...") to test against Assumption 2.14.
    process : DataProcess, optional
        The data process: its lifted chain's one-step contraction is reported
        (``rtrl_theory.bounds._lifted.lifted_chain_report``) and, when it is a lifted chain, becomes
        a hypothesis of its own; ``lam`` must then equal the input chain's lam.

    Returns
    -------
    AssumptionsReport

    Examples
    --------
    >>> r = check_assumptions(4, 2, c_f=0.1, c_g=1.0, lam=0.5)
    >>> r.hypotheses_hold, round(r.rho, 4), round(r.c_f_max * 4, 4)
    (True, 0.2822, 1.1233)
    """
    from rtrl_theory.optim import PowerSchedule, robbins_monro_violations

    model = _model(n_hidden, n_input, c_f, c_g, bounded_map)
    lam = positive(lam, "lam")
    C_x = positive(C_x, "C_x")
    if isinstance(schedule, str):
        schedule = PowerSchedule.parse(schedule)
    lifted = None
    if process is not None:
        from ._lifted import lifted_chain_report

        lifted = lifted_chain_report(process)
        if abs(lifted["lam_input"] - lam) > 1e-12:
            raise ValueError(
                f"lam: {lam:g} differs from the process's input chain lam {lifted['lam_input']:g}"
            )
    lam_data = lam if lifted is None else lifted["lam_lifted"]
    consts = model.constants()
    constants = {
        "C_f": consts["C_f"],
        "C_f'": consts["C_f1"],
        "C_f''": consts["C_f2"],
        "C_g": consts["C_g"],
        "C_g'": consts["C_g1"],
        "C_g''": consts["C_g2"],
        "C_x": C_x,
    }
    N = model.n_hidden
    NCf = N * consts["C_f"]
    hyp = {
        "N C_f < 4 (Lemmas 3.5, 3.7)": {
            "holds": NCf < 4.0,
            "detail": f"N C_f = {NCf:.6g}",
        }
    }
    radii = comps = rho = rho_bar = lam_plus_rho = None
    if NCf < 4.0:
        radii = apriori_bounds(model, C_x).to_dict()
        cc = contraction_constants(model, C_x)
        comps = {k: v for k, v in cc.to_dict().items() if k != "rho"}
        rho = cc.rho
        rho_bar = max(lam_data, rho)
        lam_plus_rho = lam_data + rho
        binding = max(comps, key=comps.get)
        hyp["rho < 1 (Assumption 2.10)"] = {
            "holds": rho < 1.0,
            "detail": f"rho = {rho:.6g} (largest component {binding})",
        }
    else:
        hyp["rho < 1 (Assumption 2.10)"] = {
            "holds": False,
            "detail": "rho is undefined: the a-priori box needs N C_f < 4",
        }
    hyp["0 < lam < 1 (Assumption 2.3)"] = {"holds": lam < 1.0, "detail": f"lam = {lam:g}"}
    if lifted is not None and lifted["beta"] is not None:
        hyp["lifted lam_xi < 1 (Assumption 2.3)"] = {
            "holds": lifted["lam_lifted"] < 1.0,
            "detail": lifted["detail"],
        }
    if schedule is None:
        hyp["Robbins-Monro (Assumption 2.14)"] = {"holds": None, "detail": "no schedule given"}
    else:
        problems = robbins_monro_violations(schedule)
        hyp["Robbins-Monro (Assumption 2.14)"] = {
            "holds": not problems,
            "detail": "; ".join(problems) if problems else f"{schedule}: 1/2 < gamma <= 1",
        }
    cfm = c_f_max(N, model.n_input, model.c_g, bounded_map, C_x)
    config = {
        "n_hidden": N,
        "n_input": model.n_input,
        "c_f": model.c_f,
        "c_g": model.c_g,
        "bounded_map": bounded_map,
        "C_x": C_x,
        "lam": lam,
        "schedule": None if schedule is None else str(schedule),
        "lifted_chain": lifted,
    }
    for v in (rho, rho_bar, lam_plus_rho, cfm):
        if v is not None and not math.isfinite(v):  # pragma: no cover - defensive
            raise ArithmeticError("assumptions: a constant came out non-finite")
    return AssumptionsReport(
        config, constants, radii, comps, rho, lam, rho_bar, lam_plus_rho, cfm, hyp
    )
