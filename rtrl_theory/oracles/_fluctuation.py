r"""The fluctuation of [P1] Section 5 split into its three parts, exactly, on linear systems.

Along an online RTRL run the fluctuation of (5.1)-(5.4) is
:math:`\sum_t \eta_t (v - Pv)(\theta_t, Z_t)`, v the Poisson solution (4.1) for [P1]'s (4.11)
:math:`G = \nabla L(\theta)\cdot\tilde G(\theta, z)`. [P1] splits it by (5.5)-(5.7) into the
three terms of Lemmas 5.2-5.4; its formulas were lost with the text (THEORY.md section 9), so the
split used here is the standard Benveniste-Metivier-Priouret one, which has the same three parts
and the same proof ingredients.

Time convention (``rtrl_theory.runners.JointProcess`` and ``_linear_sde``): :math:`Z_t` is the
joint state *after* step t (it holds :math:`X_t`, the teacher after :math:`X_t`,
:math:`\tilde S_{t+1}`, :math:`\tilde J_{t+1}` and :math:`\eta_t`), computed with
:math:`\theta_t`; :math:`Z_{-1}` is the start (inputs at x0 = 0, teacher at its initial state,
:math:`S_0`, :math:`\tilde J_0 = 0`). So :math:`Z_t \sim P_{\theta_t}(Z_{t-1}, \cdot)`,
:math:`\theta_t` is a function of :math:`Z_{-1}, \dots, Z_{t-1}` (measurable w.r.t.
:math:`\mathcal F_{t-1}`) and the update is :math:`\tilde G_t = \tilde G(\theta_t, Z_t)`. With
:math:`v_t = v(\theta_t, \cdot)`, :math:`Pv_t = P_{\theta_t} v(\theta_t, \cdot)`,
:math:`\varphi_t = (v_t - Pv_t)(Z_t) = \nabla L(\theta_t)\cdot(\tilde G_t - \nabla L(\theta_t))`:

.. math::

    \sum_{t<T}\eta_t\varphi_t
      = \underbrace{\sum_{t<T}\eta_t\, m_t}_{\text{Lemma 5.3}}
      + \underbrace{\sum_{1\le t<T}\eta_t\, a_t}_{\text{Lemma 5.2}}
      + \underbrace{\sum_{1\le t<T}(\eta_t-\eta_{t-1})\,Pv_{t-1}(Z_{t-1})
        + \eta_0 Pv_0(Z_{-1}) - \eta_{T-1}Pv_{T-1}(Z_{T-1})}_{\text{Lemma 5.4}},

    m_t = v_t(Z_t) - Pv_t(Z_{t-1}), \qquad a_t = Pv_t(Z_{t-1}) - Pv_{t-1}(Z_{t-1}).

Proof (algebra): :math:`\varphi_t = m_t + Pv_t(Z_{t-1}) - Pv_t(Z_t)`, and
:math:`\sum_{t<T}\eta_t(Pv_t(Z_{t-1}) - Pv_t(Z_t))` telescopes, after shifting the second sum by
one, into the ends and :math:`\eta_t Pv_t(Z_{t-1}) - \eta_{t-1}Pv_{t-1}(Z_{t-1}) = \eta_t a_t +
(\eta_t - \eta_{t-1})Pv_{t-1}(Z_{t-1})`. Then:

* Lemma 5.3 (martingale): :math:`E[m_t\mid\mathcal F_{t-1}] = 0` because :math:`Z_t\sim
  P_{\theta_t}(Z_{t-1},\cdot)` with :math:`\theta_t` known at t - 1 ((5.17)); so the cross terms
  vanish and :math:`E|\sum\eta_t m_t|^2 = \sum\eta_t^2 E m_t^2 \le C\sum\eta_t^2`.
* Lemma 5.2 (theta moves): :math:`|a_t| \le \ell\,|\theta_t - \theta_{t-1}|` (Lemma 4.7: v, hence
  Pv, differentiable in theta with bounded derivative) and :math:`|\theta_t - \theta_{t-1}| =
  \eta_{t-1}|\tilde G_{t-1}| \le C\eta_{t-1}` (Remark 2.15): :math:`O(\eta^2)` per step.
* Lemma 5.4 (step-size changes and ends): :math:`|\cdot| \le \sup|Pv|\,(\eta_0 + \eta_{T-1} +
  \sum|\eta_t - \eta_{t-1}|) = 2\eta_0\sup|Pv|` for a non-increasing schedule ((5.27)).

Differences from [P1]'s text (reported): [P1] partitions time with :math:`\sigma_k` ((5.9)) and
its Lemma 5.2 cites Lemma 3.14 (online against frozen-theta sensitivities); here the
theta-motion is carried by :math:`Pv` evaluated at one point for two consecutive parameters, and
the Lipschitz constant is that of :math:`\theta\mapsto P_\theta v_\theta(z)` (Lemma 4.7 with one
step of the kernel). On a linear system v is a quadratic form in the joint state (unbounded), so
[P1]'s uniform constants become constants along the visited states.

:func:`Pv_theta_gradient` gives :math:`\nabla_\theta Pv_\theta(u)` in closed form (new here):
with :math:`Pv_\theta(u) = (Mu)^\top V Mu - \operatorname{tr}(V M\Sigma M^\top)`,
:math:`V = M^\top VM + A`, :math:`A = \tfrac12(\ell h^\top + h\ell^\top)`,
:math:`\ell = \Lambda^\top w`, :math:`w = \nabla L(\theta)`, every matrix of the joint system
(M, G, :math:`\Lambda`, h) is affine in theta (``_linear_sde``: :math:`F = I + \Delta A`,
:math:`\Delta B`, :math:`J^\top C`, :math:`h = (0, -C^*, C, 0)`), so their derivatives are
exact differences, and

.. math::

    \partial Pv(u) = 2(Mu)^\top V\,\partial M u + (Mu)^\top\partial V\,Mu
      - \operatorname{tr}(\partial V\,M\Sigma M^\top) - \operatorname{tr}(V\,\partial(M\Sigma
      M^\top)),

:math:`\partial V = \sum_n (M^\top)^n(\partial M^\top VM + M^\top V\partial M + \partial A)M^n`,
:math:`\partial\Sigma = \sum_n M^n(\partial M\Sigma M^\top + M\Sigma\partial M^\top + \partial
G\,QG^\top + GQ\,\partial G^\top)(M^\top)^n`, :math:`\partial w = \nabla^2 L\,\delta`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array

from ._linear_sde import linear_joint_system
from ._stationary import linear_stationary

__all__ = [
    "FluctuationPieces",
    "LinearRunStates",
    "Pv_theta_gradient",
    "linear_run_states",
    "fluctuation_pieces_linear",
]


@dataclass(frozen=True)
class LinearRunStates:
    r"""The joint states :math:`Z_{-1}, \dots, Z_{T-1}` of an online run on a linear system.

    Attributes
    ----------
    u : ndarray (T + 1, n)
        Row 0 is :math:`Z_{-1}`, row t + 1 is :math:`Z_t`, in the joint system's coordinates
        ``(X, teacher, S, vec J)`` (``LinearJointSystem.flatten_particles``).
    noise : ndarray (T + 1,)
        Target noise :math:`\eta_t` (row 0 unused: 0).
    direction : ndarray (T, P)
        :math:`\tilde G(\theta_t, Z_t)` recomputed from the replayed states (to compare with the
        trainer's recorded steps).
    """

    u: np.ndarray
    noise: np.ndarray
    direction: np.ndarray


def linear_run_states(model, process, param_path, X, Y) -> LinearRunStates:
    r"""Replay the joint states of an online RTRL run from its data and its parameter path.

    The teacher runs through the process's target (``TeacherTarget.evaluate`` step by step, noise
    :math:`\eta_t = Y_t - C^*\cdot S^*_{t+1}`), the student and its sensitivities through the
    engine (``advance_first_order`` with :math:`\theta_t` at step t, as the trainer does).

    Parameters
    ----------
    model : LinearSDE
    process : DataProcess
        With a linear teacher (as :func:`linear_stationary`).
    param_path : ndarray (T + 1, P)
        :math:`\theta_0, \dots, \theta_T` (a run recorded at every step).
    X, Y : ndarray (T', d), (T',), T' >= T
        The run's data (``process.sample(T, rng)`` with the trainer's generator reproduces a
        process-driven run).

    Returns
    -------
    LinearRunStates
    """
    from types import SimpleNamespace

    from rtrl_theory.engine import advance_first_order, initial_sensitivities

    path = as_array(param_path, "param_path", ndim=2)
    T = path.shape[0] - 1
    X = as_array(X, "X", shape=(None, model.n_input))
    Y = as_array(Y, "Y", shape=(X.shape[0],))
    if T < 1 or X.shape[0] < T:
        raise ValueError(
            f"X, Y: expected at least {T} steps for {T + 1} parameters, got {X.shape[0]}"
        )
    target = process.target
    tstate = target.initial_state(1)
    st = initial_sensitivities(model.cell, 1)
    N, Pc = model.cell.n_state, model.cell.n_params
    Xs = np.zeros((T + 1, model.n_input))
    tea = np.zeros((T + 1, tstate.shape[1]))
    S = np.zeros((T + 1, N))
    Jt = np.zeros((T + 1, Pc, N))
    noise = np.zeros(T + 1)
    tea[0], S[0], Jt[0] = tstate[0], st.S[0], st.Jt[0]
    for t in range(T):
        _, tstate = target.evaluate(X[None, t : t + 1], np.zeros((1, 1)), tstate)
        _, tc = model.split(path[t])
        st, _ = advance_first_order(model.cell, model.cell.prepare(tc), st, X[None, t])
        Xs[t + 1], tea[t + 1], S[t + 1], Jt[t + 1] = X[t], tstate[0], st.S[0], st.Jt[0]
        noise[t + 1] = Y[t] - float(target.output(tstate)[0])
    z = SimpleNamespace(X=Xs, teacher=tea, S=S, Jt=Jt)  # what flatten_particles reads
    joint = linear_joint_system(model, path[0], process)
    u = joint.flatten_particles(z)
    direction = np.empty((T, path.shape[1]))
    for t in range(T):
        jt = linear_joint_system(model, path[t], process)
        r = float(jt.h @ u[t + 1]) - noise[t + 1]
        direction[t] = r * (jt.readout @ u[t + 1])
    return LinearRunStates(u, noise, direction)


@dataclass(frozen=True)
class FluctuationPieces:
    r"""Per-step values of the split of the module docstring, arrays of length T.

    Attributes
    ----------
    eta : (T,)
    phi : (T,)
        :math:`\varphi_t = (v_t - Pv_t)(Z_t)`.
    v_now : (T,)
        :math:`v_t(Z_t)`.
    pv_prev : (T,)
        :math:`Pv_t(Z_{t-1})`.
    pv_now : (T,)
        :math:`Pv_t(Z_t)` (so :math:`Pv_{t-1}(Z_{t-1})` is ``pv_now[t - 1]``).
    G : (T,)
        :math:`G(\theta_t, Z_t) = w_t\cdot\tilde G` from the oracle's quadratic form.
    Gbar : (T,)
        :math:`|\nabla L(\theta_t)|^2` (w = grad L from the augmented system).
    """

    eta: np.ndarray
    phi: np.ndarray
    v_now: np.ndarray
    pv_prev: np.ndarray
    pv_now: np.ndarray
    G: np.ndarray
    Gbar: np.ndarray

    @property
    def martingale(self) -> np.ndarray:
        r""":math:`\eta_t m_t`, (T,) (Lemma 5.3)."""
        return self.eta * (self.v_now - self.pv_prev)

    @property
    def increments(self) -> np.ndarray:
        r""":math:`m_t = v_t(Z_t) - Pv_t(Z_{t-1})`, (T,)."""
        return self.v_now - self.pv_prev

    @property
    def theta_move(self) -> np.ndarray:
        r""":math:`\eta_t a_t`, (T,), 0 at t = 0 (Lemma 5.2)."""
        out = np.zeros_like(self.eta)
        out[1:] = self.eta[1:] * (self.pv_prev[1:] - self.pv_now[:-1])
        return out

    @property
    def step_change(self) -> np.ndarray:
        r""":math:`(\eta_t - \eta_{t-1})Pv_{t-1}(Z_{t-1})`, (T,), 0 at t = 0 (Lemma 5.4)."""
        out = np.zeros_like(self.eta)
        out[1:] = np.diff(self.eta) * self.pv_now[:-1]
        return out

    def ends(self) -> np.ndarray:
        r"""Return the boundary term of the sums up to each T' = 1..T, (T,) (Lemma 5.4).

        :math:`\eta_0 Pv_0(Z_{-1}) - \eta_{T'-1}Pv_{T'-1}(Z_{T'-1})`.
        """
        return self.eta[0] * self.pv_prev[0] - self.eta * self.pv_now

    def partial_sums(self) -> dict:
        """Return the running sums of the fluctuation and of the three parts, each (T,).

        Entry T'-1 is the sum over t < T' (the Lemma 5.4 part includes the ends of that range).
        """
        return {
            "fluctuation": np.cumsum(self.eta * self.phi),
            "martingale": np.cumsum(self.martingale),
            "theta_move": np.cumsum(self.theta_move),
            "step_change": np.cumsum(self.step_change) + self.ends(),
        }


def fluctuation_pieces_linear(model, process, param_path, states, eta) -> FluctuationPieces:
    r"""Split the fluctuation along a run (module docstring), with the closed-form v and Pv.

    Parameters
    ----------
    model, process
        As :func:`~rtrl_theory.oracles.poisson_solution_linear`.
    param_path : ndarray (T + 1, P)
    states : LinearRunStates
        From :func:`linear_run_states`.
    eta : ndarray (T,)
        The learning rates :math:`\eta_0, \dots, \eta_{T-1}`.

    Returns
    -------
    FluctuationPieces

    Notes
    -----
    One :func:`poisson_solution_linear` (direction ``"grad"``, (4.11)) per step.
    """
    from rtrl_theory import oracles  # looked up through the package (one patch acts)

    path = as_array(param_path, "param_path", ndim=2)
    T = path.shape[0] - 1
    eta = as_array(eta, "eta", shape=(T,))
    u, e = states.u, states.noise
    out = {k: np.empty(T) for k in ("v_now", "pv_prev", "pv_now", "G", "Gbar")}
    for t in range(T):
        sol = oracles.poisson_solution_linear(model, path[t], process, direction="grad")
        pv = sol.Pv(u[t : t + 2], e[t : t + 2])
        out["pv_prev"][t], out["pv_now"][t] = pv
        out["v_now"][t] = sol(u[t + 1 : t + 2], e[t + 1 : t + 2])[0]
        out["G"][t] = sol.update(u[t + 1 : t + 2], e[t + 1 : t + 2])[0]
        out["Gbar"][t] = float(sol.Gbar)
    phi = out["v_now"] - out["pv_now"]
    return FluctuationPieces(eta.copy(), phi, **out)


def _stein_many(lu, R: np.ndarray, *, adjoint: bool = False) -> np.ndarray:
    r"""Solve :math:`X_k = MX_kM^\top + R_k` for a batch R (K, n, n).

    With ``adjoint``: :math:`X_k = M^\top X_kM + R_k`. One LU factorization ``lu`` of
    :math:`I - M\otimes M` (row-major vec: :math:`\operatorname{vec}(MXM^\top) = (M\otimes
    M)\operatorname{vec}X`; the adjoint operator is its transpose).
    """
    import scipy.linalg

    K, n = R.shape[0], R.shape[1]
    X = scipy.linalg.lu_solve(lu, R.reshape(K, n * n).T, trans=1 if adjoint else 0)
    return X.T.reshape(K, n, n)


def Pv_theta_gradient(model, params, process, u) -> np.ndarray:
    r"""Return :math:`\nabla_\theta (P_\theta v_\theta)(u)` for the Poisson solution of (4.11).

    v solves (4.1) for :math:`G = \nabla L(\theta)\cdot\tilde G` (direction ``"grad"`` of
    :func:`poisson_solution_linear`); the derivative is in closed form (module docstring),
    the quantity whose bound is Lemma 4.7's theta-Lipschitz constant of Lemma 5.2.

    Parameters
    ----------
    model, params, process
        As :func:`poisson_solution_linear`.
    u : ndarray (K, n)
        Joint states (``LinearJointSystem.flatten_particles``); Pv does not depend on the
        target noise.

    Returns
    -------
    ndarray (K, P)
        In the model's flat order ``(C, vec A, vec B)``.
    """
    joint = linear_joint_system(model, params, process)
    sys = joint.system
    u = as_array(u, "u", shape=(None, sys.dim))
    theta = joint.setup.theta
    P = theta.shape[0]
    M, G, Q = sys.M, sys.G, sys.Q
    Lam, h = joint.readout, joint.h
    Sigma = sys.stationary_covariance()
    orac = linear_stationary(model, theta, process)
    w = joint.update_mean(Sigma)
    lw = w @ Lam
    A = 0.5 * (np.outer(lw, h) + np.outer(h, lw))
    V = sys.adjoint_sum(A)
    # every matrix of the joint system is affine in theta: exact differences, step eps
    eps = 1e-3
    dM, dG, dLam, dh = (np.empty((P, *a.shape)) for a in (M, G, Lam, h))
    for p in range(P):
        th = theta.copy()
        th[p] += eps
        jp = linear_joint_system(model, th, process)
        dM[p] = (jp.system.M - M) / eps
        dG[p] = (jp.system.G - G) / eps
        dLam[p] = (jp.readout - Lam) / eps
        dh[p] = (jp.h - h) / eps
    dw = orac.hessian  # (P, P): row p = d w / d theta_p
    dlw = dw @ Lam + np.einsum("j,pjn->pn", w, dLam)
    dA = 0.5 * (
        np.einsum("pi,j->pij", dlw, h) + np.einsum("i,pj->pij", lw, dh)
        + np.einsum("pi,j->pij", dh, lw) + np.einsum("i,pj->pij", h, dlw)
    )  # fmt: skip
    VM = V @ M
    RV = np.einsum("pji,jk->pik", dM, VM) + np.einsum("ki,pkj->pij", VM, dM) + dA
    import scipy.linalg

    n = M.shape[0]
    lu = scipy.linalg.lu_factor(np.eye(n * n) - np.kron(M, M))
    dV = _stein_many(lu, RV, adjoint=True)
    MS = M @ Sigma
    RS = np.einsum("pij,jk->pik", dM, MS.T) + np.einsum("ij,pkj->pik", MS, dM)
    RS = RS + np.einsum("pij,jk,lk->pil", dG, Q, G) + np.einsum("ij,jk,plk->pil", G, Q, dG)
    dSigma = _stein_many(lu, RS)
    MSM = MS @ M.T
    dMSM = np.einsum("pij,jk->pik", dM, MS.T) + np.einsum("ij,pkj->pik", MS, dM)
    dMSM = dMSM + np.einsum("ij,pjk,lk->pil", M, dSigma, M)
    const = -np.einsum("pij,ji->p", dV, MSM) - np.einsum("ij,pji->p", V, dMSM)
    Mu = u @ M.T  # (K, n)
    dMu = np.einsum("pij,kj->kpi", dM, u)  # (K, P, n)
    quad = 2.0 * np.einsum("ki,ij,kpj->kp", Mu, V, dMu) + np.einsum("ki,pij,kj->kp", Mu, dV, Mu)
    return quad + const[None, :]
