r"""Bounds on the RTRL update direction and its Hessian over the a-priori box.

Bounds on the RTRL update direction and its Hessian over the a-priori box, as functions of
:math:`|\alpha|` (Lemmas 3.13-3.14 and (3.62) of [P1]; THEORY.md sections 6-7, note 9.3).

On the box of Lemmas 3.5 and 3.7 (:math:`0 < s < 1`, :math:`|J_{\cdot p}| \le K_p`,
:math:`|H_{pq}| \le K_{pq}`, :math:`|y| \le C_y`), with :math:`A = \|\alpha\|_1` and
:math:`r = \alpha\cdot s - y`, :math:`|r| \le r^* = A + C_y`:

* (3.62) / Lemma 3.13, the update direction (3.63)-(3.64)
  :math:`\tilde G = r\,(s;\ J^\top\alpha)`: :math:`\|\tilde G\|_\infty \le r^*\max(1, K_{\max} A)`.
* Lemma 3.14, the per-step Hessian (3.65): blocks
  :math:`\partial^2_{\alpha\alpha} = s s^\top`,
  :math:`\partial^2_{\alpha_k\vartheta_p} = s_k (J^\top\alpha)_p + r J_{pk}`,
  :math:`\partial^2_{\vartheta_p\vartheta_q} = (J^\top\alpha)_p (J^\top\alpha)_q + r\sum_k \alpha_k
  H^k_{pq}`, so :math:`\|H\|_\infty \le \max(1,\ K_{\max}(A + r^*),\ \max_{a,b}(K_a K_b A^2 + r^* A
  K_{ab}))` over the blocks a, b in {W, B}.

Both are polynomials of degree 2 in :math:`|\alpha|` and do not depend on W, B: uniform in
(W, B), not in alpha (note 9.3). For :math:`\alpha` with entries of one sign they are the exact
suprema over the box (attained at corners), so they are tight there.

Lipschitz constants on the box in the max-norm of z = (x, eta, s, J) (for Lemmas 3.12 and 3.15),
with :math:`|y - y'| \le (L_{f^*} + 1)\|z - z'\|`:

* loss :math:`\ell = \tfrac12 r^2`: :math:`L_\ell = r^*(A + L_{f^*} + 1)`;
* update direction: :math:`L_{\tilde G} = (A + L_{f^*} + 1)\,u^* + r^*\max(1, A)` with
  :math:`u^* = \max(1, K_{\max} A)`;
* per-step Hessian (each entry, z = (x, eta, s, J, H)), with :math:`L_y = L_{f^*} + 1`:
  :math:`L_H = \max(2,\ K_{\max}A + A + (A + L_y)K_{\max} + r^*,\
  2K_{\max}A^2 + (A + L_y) A K_{HH} + r^* A)`, :math:`K_{HH} = \max(K_{WW}, K_{WB}, K_{BB})`
  (the three blocks of Lemma 3.14's formula, differentiated term by term).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rtrl_theory._validate import as_array, nonnegative, positive

__all__ = ["UpdateBounds", "update_bounds"]


@dataclass(frozen=True)
class UpdateBounds:
    r"""Bounds over the a-priori box at one alpha (module docstring).

    Attributes
    ----------
    alpha_l1 : float
        :math:`A = \|\alpha\|_1`.
    r_max : float
        :math:`r^* = A + C_y`, bound on the prediction error.
    G : float
        Bound on :math:`\|\tilde G\|_\infty`, (3.62) / Lemma 3.13.
    H : float
        Bound on the per-step Hessian's max entry, Lemma 3.14.
    L_loss : float
        Lipschitz constant of the step loss on the box.
    L_G : float
        Lipschitz constant of :math:`\tilde G` (each component) on the box.
    L_H : float
        Lipschitz constant of each entry of the per-step Hessian on the box.
    """

    alpha_l1: float
    r_max: float
    G: float
    H: float
    L_loss: float
    L_G: float
    L_H: float = float("nan")

    def to_dict(self) -> dict:
        return asdict(self)


def update_bounds(model, alpha, *, C_x: float, C_y: float, L_target: float = 0.0) -> UpdateBounds:
    r"""Return the bounds of Lemmas 3.13-3.14 and (3.62) of [P1] for a PaperRNN at ``alpha``.

    Bounds of Lemmas 3.13-3.14 and (3.62) for a :class:`~rtrl_theory.PaperRNN` at readout
    ``alpha`` (N,), over the a-priori box (module docstring).

    Parameters
    ----------
    model : PaperRNN
    alpha : array (N,)
    C_x : float
        Input bound (radii of the box, Lemmas 3.5 and 3.7).
    C_y : float
        Target bound :math:`|y| \le C_y`.
    L_target : float
        Lipschitz constant of the target in x (for the Lipschitz constants only).

    Returns
    -------
    UpdateBounds
        ``G`` bounds :math:`\|\tilde G\|_\infty` ((3.62), Lemma 3.13), ``H`` the per-step
        Hessian (3.65) (Lemma 3.14), and the Lipschitz constants ``L_loss``, ``L_G``, ``L_H`` that
        Lemmas 3.12 and 3.15 use.
    """
    from rtrl_theory.bounds import apriori_bounds

    N = model.n_hidden
    alpha = as_array(alpha, "alpha", shape=(N,))
    C_y = positive(C_y, "C_y")
    L_target = nonnegative(L_target, "L_target")
    b = apriori_bounds(model, C_x)
    A = float(np.abs(alpha).sum())
    r = A + C_y
    K = {"W": b.K_W, "B": b.K_B}
    KK = {("W", "W"): b.K_WW, ("W", "B"): b.K_WB, ("B", "B"): b.K_BB}
    K_max = max(K.values())
    u = max(1.0, K_max * A)
    G = r * u
    H = max(
        1.0,
        K_max * (A + r),
        max(K[a] * K[c] * A * A + r * A * KK[(a, c)] for (a, c) in KK),
    )
    Ly = L_target + 1.0
    K_HH = max(KK.values())
    L_H = max(
        2.0,
        K_max * A + A + (A + Ly) * K_max + r,
        2.0 * K_max * A * A + (A + Ly) * A * K_HH + r * A,
    )
    return UpdateBounds(A, r, G, H, r * (A + Ly), (A + Ly) * u + r * max(1.0, A), L_H)


def box_supremum(
    jp, which: str = "G", *, C_y: float, n_starts: int = 16, sweeps: int = 2, rng=None
):
    r"""Search adversarially for the sup of :math:`\|\tilde G\|_\infty` or of the Hessian's max entry.

    Adversarial search for :math:`\sup\|\tilde G\|_\infty` (``which="G"``) or the sup of the
    per-step Hessian's max entry (``which="H"``) over the a-priori box, through the library's own
    :meth:`JointProcess.update_direction` / :meth:`JointProcess.hessian`.

    Each objective is convex in every single coordinate of (s, J, H, y) (a max of absolute values
    of functions affine or convex-quadratic in that coordinate), so its sup over the box is
    attained at a vertex; the search starts from ``n_starts`` random vertices and sweeps
    coordinate ascent over the two endpoints of each coordinate (s in {0, 1}, J in
    :math:`\pm K_p`, H in :math:`\pm K_{pq}` symmetric, y in :math:`\pm C_y`). Returns the largest
    value found (a lower bound on the sup).
    """
    from rtrl_theory._validate import as_rng
    from rtrl_theory.bounds import apriori_bounds
    from rtrl_theory.runners import ParticleState

    if which not in ("G", "H"):
        raise ValueError(f"which: expected 'G' or 'H', got {which!r}")
    if which == "H" and jp.order != 2:
        raise ValueError("jp: the Hessian search needs a JointProcess of order 2")
    rng = as_rng(rng)
    C_y = positive(C_y, "C_y")
    N, d, P = jp.n_hidden, jp.n_input, jp.n_cell_params
    b = apriori_bounds(jp.model, jp.process.chain.C_x)
    nW = N * d
    rJ = np.concatenate([np.full(nW, b.K_W), np.full(P - nW, b.K_B)])
    rH = np.empty((P, P))
    rH[:nW, :nW], rH[nW:, nW:] = b.K_WW, b.K_BB
    rH[:nW, nW:] = rH[nW:, :nW] = b.K_WB
    K = int(n_starts)
    sign = lambda shape: rng.choice([-1.0, 1.0], size=shape)  # noqa: E731
    S = rng.integers(0, 2, (K, N)).astype(float)
    Jt = sign((K, P, N)) * rJ[None, :, None]
    Y = sign(K) * C_y
    Ht = None
    iu = np.triu_indices(P)
    if which == "H":
        U = sign((K, iu[0].size, N))
        Ht = np.zeros((K, P, P, N))
        Ht[:, iu[0], iu[1], :] = U
        Ht[:, iu[1], iu[0], :] = U
        Ht *= rH[None, :, :, None]

    def objective(S, Jt, Ht, Y):
        z = ParticleState(np.zeros((K, d)), np.zeros(K), Y, S, Jt, Ht, None, 0)
        if which == "G":
            return np.abs(jp.update_direction(z)).max(axis=1)
        return np.abs(jp.hessian(z)).reshape(K, -1).max(axis=1)

    best = objective(S, Jt, Ht, Y)

    def try_coord(setter, lo, hi):
        nonlocal best
        vals = []
        for v in (lo, hi):
            setter(v)
            vals.append(objective(S, Jt, Ht, Y))
        pick_hi = vals[1] >= vals[0]
        setter(np.where(pick_hi, hi, lo))
        best = np.maximum(vals[0], vals[1])

    for _ in range(int(sweeps)):
        for k in range(N):
            try_coord(lambda v, k=k: S.__setitem__((slice(None), k), v), 0.0, 1.0)
        for p in range(P):
            for k in range(N):
                try_coord(
                    lambda v, p=p, k=k: Jt.__setitem__((slice(None), p, k), v), -rJ[p], rJ[p]
                )
        if which == "H":
            for p, q in zip(*iu, strict=True):
                for k in range(N):

                    def set_h(v, p=p, q=q, k=k):
                        Ht[:, p, q, k] = v
                        Ht[:, q, p, k] = v

                    try_coord(set_h, -rH[p, q], rH[p, q])
        try_coord(lambda v: Y.__setitem__(slice(None), v), -C_y, C_y)
    return float(best.max())
