r"""A-priori bounds of Lemmas 3.5 and 3.7 and the contraction constant of Assumption 2.10 of [P1].

Numeric formulas of THEORY.md section 6 (the symbolic derivation lives in ``proofs_checks``).
With :math:`N C_f < 4` and zero initial derivatives, for all t (max-norm, entrywise):

.. math::

    K_W = \frac{C_x C_g'}{4 - N C_f}, \quad K_B = \frac{C_f'}{4 - N C_f}, \quad
    K_{WW} = \frac{\tfrac{32\sqrt3}{9} K_W^2 + C_g'' C_x}{4 - N C_f}, \quad
    K_{WB} = \frac{\tfrac{32\sqrt3}{9} K_W K_B + C_f' K_W}{4 - N C_f}, \quad
    K_{BB} = \frac{\tfrac{32\sqrt3}{9} K_B^2 + C_f'' + 2 C_f' K_B}{4 - N C_f}.

These are the fixed points :math:`b/(1-c)` of (B.5) for :math:`c = N C_f/4`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from rtrl_theory._validate import positive

__all__ = ["APrioriBounds", "ContractionConstants", "apriori_bounds", "contraction_constants"]

_S3 = math.sqrt(3.0)


@dataclass(frozen=True)
class APrioriBounds:
    r"""Radii of the box of Lemmas 3.5 and 3.7: bounds on ``|dS/dW|``, ``|dS/dB|`` and the H blocks.

    Every entry of the first-order sensitivities :math:`J_t = \partial S_t/\partial\theta`
    ((2.20)) and second-order sensitivities :math:`H_t` ((2.22)-(2.23)) of [P1] stays in
    ``[-K, K]`` for all t, started from zero derivatives, when :math:`N C_f < 4`.

    Attributes
    ----------
    K_W : float
        Bound on :math:`|\partial S^i_t/\partial W^{jk}|`, :math:`C_x C_g'/(4 - N C_f)` (Lemma 3.5).
    K_B : float
        Bound on :math:`|\partial S^i_t/\partial B^{j}|`, :math:`C_f'/(4 - N C_f)` (Lemma 3.5).
    K_WW, K_WB, K_BB : float
        Bounds on the second derivatives in (W, W), (W, B) and (B, B) (Lemma 3.7); the fixed
        points :math:`b/(1-c)` of (B.5) with :math:`c = N C_f/4`.

    See Also
    --------
    apriori_bounds : computes them for a model.
    ContractionConstants : the Lipschitz constants on this box.
    """

    K_W: float
    K_B: float
    K_WW: float
    K_WB: float
    K_BB: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ContractionConstants:
    r"""The six Lipschitz constants of THEORY.md section 6 and ``rho``, their maximum.

    The one-step map :math:`y \mapsto F(x, y, \theta)` of the joint process, :math:`y = (S, J,
    H)`, is Lipschitz in each block on the a-priori box with these constants (Lemmas 3.8-3.9 of
    [P1]); Assumption 2.10 asks for :math:`\rho = \max(\rho_S, \dots, \rho_{BB}) < 1`.

    Attributes
    ----------
    rho_S : float
        Constant of the state block, :math:`N C_f/4`.
    rho_W, rho_B : float
        Constants of the first-order sensitivity blocks :math:`J^W`, :math:`J^B` (Lemma 3.8).
    rho_WW, rho_WB, rho_BB : float
        Constants of the second-order blocks :math:`H^{WW}, H^{WB}, H^{BB}` (Lemma 3.9).

    See Also
    --------
    contraction_constants : computes them for a model.
    rtrl_theory.bounds.check_assumptions : compares ``rho`` with 1 beside the other hypotheses.
    """

    rho_S: float
    rho_W: float
    rho_B: float
    rho_WW: float
    rho_WB: float
    rho_BB: float

    @property
    def rho(self) -> float:
        return max(self.rho_S, self.rho_W, self.rho_B, self.rho_WW, self.rho_WB, self.rho_BB)

    def to_dict(self) -> dict:
        return {**asdict(self), "rho": self.rho}


def _constants(model, C_x):
    c = model.constants()
    N = model.n_hidden
    C_x = positive(C_x, "C_x")
    NCf = N * c["C_f"]
    if NCf >= 4.0:
        raise ValueError(
            f"c_f: the bounds of Lemmas 3.5 and 3.7 need N * C_f < 4, got N * C_f = "
            f"{N} * {c['C_f']:.6g} = {NCf:.6g}; choose c_f < {4.0 / N:.6g}"
        )
    return c, N, C_x, NCf


def apriori_bounds(model, C_x: float) -> APrioriBounds:
    r"""Radii :math:`K_W, K_B, K_{WW}, K_{WB}, K_{BB}` for a :class:`~rtrl_theory.PaperRNN`.

    Parameters
    ----------
    model : PaperRNN
        Supplies N and the constants C_f, C_f', C_f'', C_g', C_g'' of its bounded maps.
    C_x : float
        Bound on the inputs, :math:`\|X_t\|_\infty\le C_x` (Assumption 2.3(3)).

    Returns
    -------
    APrioriBounds
        The five radii (the formulas of the module docstring, THEORY.md section 6).

    Raises
    ------
    ValueError
        If :math:`N C_f \ge 4` (the recursion (B.5) then does not contract).

    See Also
    --------
    contraction_constants : the constants of Assumption 2.10 on this box.
    rtrl_theory.symbolic.symbolic_bounds : the same radii derived in SymPy.
    """
    c, N, C_x, NCf = _constants(model, C_x)
    den = 4.0 - NCf
    k = 32.0 * _S3 / 9.0
    K_W = C_x * c["C_g1"] / den
    K_B = c["C_f1"] / den
    K_WW = (k * K_W**2 + c["C_g2"] * C_x) / den
    K_WB = (k * K_W * K_B + c["C_f1"] * K_W) / den
    K_BB = (k * K_B**2 + c["C_f2"] + 2.0 * c["C_f1"] * K_B) / den
    return APrioriBounds(K_W, K_B, K_WW, K_WB, K_BB)


def contraction_constants(model, C_x: float) -> ContractionConstants:
    r"""Lipschitz constants in y = (S, J, H) of the one-step map on the box (Lemmas 3.8-3.9).

    THEORY.md section 6 (a valid form; [P1]'s exact algebra is not recoverable). Assumption 2.10
    asks for :math:`\rho < 1`.

    Parameters
    ----------
    model : PaperRNN
        Supplies N and the constants C_f, C_f', C_f'', C_g'' of its bounded maps ((2.17)-(2.19)).
    C_x : float
        Bound on the inputs, :math:`\|X_t\|_\infty\le C_x` (Assumption 2.3(3)).

    Returns
    -------
    ContractionConstants
        :math:`\rho_S, \rho_W, \rho_B, \rho_{WW}, \rho_{WB}, \rho_{BB}` and their maximum
        ``rho``.

    Raises
    ------
    ValueError
        If :math:`N C_f \ge 4` (the a-priori box of Lemmas 3.5 and 3.7 does not exist).

    See Also
    --------
    apriori_bounds : the radii of the box these constants hold on.
    rtrl_theory.bounds.check_assumptions : every hypothesis of the theorem at once.
    """
    c, N, C_x, NCf = _constants(model, C_x)
    b = apriori_bounds(model, C_x)
    Cf1, Cf2, Cg2 = c["C_f1"], c["C_f2"], c["C_g2"]
    Q_WW = NCf * b.K_WW + Cg2 * C_x
    Q_WB = NCf * b.K_WB + Cf1 * b.K_W
    Q_BB = NCf * b.K_BB + Cf2 + 2.0 * Cf1 * b.K_B
    a = 2.0 * _S3 / 9.0
    rho_S = NCf / 4.0
    rho_W = a * NCf * b.K_W + NCf / 4.0
    rho_B = a * NCf * b.K_B + (NCf + Cf1) / 4.0
    rho_WW = 2 * NCf * b.K_W**2 + 2 * a * NCf * b.K_W + (_S3 / 18) * NCf * Q_WW + NCf / 4
    rho_WB = (
        2 * NCf * b.K_W * b.K_B
        + a * (b.K_W * (NCf + Cf1) + b.K_B * NCf)
        + (_S3 / 18) * NCf * Q_WB
        + (NCf + Cf1) / 4
    )
    rho_BB = (
        2 * NCf * b.K_B**2
        + 2 * a * b.K_B * (NCf + Cf1)
        + (_S3 / 18) * NCf * Q_BB
        + (NCf + Cf2 + 2 * Cf1) / 4
    )
    return ContractionConstants(rho_S, rho_W, rho_B, rho_WW, rho_WB, rho_BB)
