r"""The joint linear system of a LinearSDE student, a linear teacher and linear inputs.

Set-up ([P1] Section 7.1, THEORY.md sections 10 and 12). Student (7.1) with
:math:`F = I + \Delta A`, teacher :math:`S^{*\prime} = F^* S^* + B^*_\Delta X` (a LinearSDE
teacher from ``linear_sde_teacher``, :math:`F^* = I - \Delta A^*`, :math:`B^*_\Delta = \Delta
B^*`; or the delay-line teacher), inputs AR(1), :math:`X_{t+1} = \Phi X_t + \varepsilon_{t+1}`
(``AR1Chain``; ``GaussianInputs`` is :math:`\Phi = 0`), targets
:math:`Y_t = C^*\cdot S^*_{t+1} + \eta_t` with :math:`\eta_t\sim U[-c, c]`.

State at time t (the convention of ``rtrl_theory.runners.JointProcess``: step t consumes
:math:`X_t`, and the particle holds the states *after* it)

.. math:: u_t = (X_t,\ S^*_{t+1},\ S_{t+1},\ \operatorname{vec} J_{t+1}),

with ``vec J`` in the engine's layout ``Jt`` (P_c, N) flattened: entry (p, k), that is
:math:`\partial S^k/\partial\theta_c^p`, at position p N + k. It is linear,
:math:`u_{t+1} = M u_t + G\varepsilon_{t+1}`:

.. math::

    X' &= \Phi X + \varepsilon,\qquad S^{*\prime} = F^* S^* + B^*_\Delta X',\qquad
    S' = F S + \Delta B X',\\
    J' &= D_J J + \mathcal I(S, X'),\qquad
    \mathcal I(S, X)[p(A_{ij}), i] = \Delta S^j,\quad \mathcal I(S, X)[p(B_{ij}), i] = \Delta X^j,

:math:`D_J = I_{P_c}\otimes F` for exact RTRL ((2.20)-(2.21) for (7.1)). The residual
:math:`r_t = C\cdot S_{t+1} - Y_t = h\cdot u_t - \eta_t` with :math:`h = (0, -C^*, C, 0)`, and
:math:`\eta_t` is independent of :math:`u_t`. So

.. math::

    L(\theta) = \tfrac12\big(h^\top\Sigma h + \operatorname{Var}\eta\big), \qquad
    E_\pi[\tilde G] = \Lambda\,\Sigma\,h,

where :math:`\tilde G = r\,(S_{t+1};\ J_{t+1}^\top C) = r\,\Lambda u` ((3.63)-(3.64)) and
:math:`\Sigma` is the stationary covariance of u (Theorem 3.16: this is :math:`\nabla L`).

For issue 13 (approximate RTRL): pass another linear sensitivity recursion as
``sensitivity_map`` (:math:`D_J`, e.g. the diagonal-masked map of SnAp-1 / e-prop, or 0 for the
"immediate" estimator) to :func:`linear_joint_system`; :meth:`LinearJointSystem.update_mean` of
its stationary covariance is then the estimator's exact stationary mean
:math:`E_{\pi_A}[\tilde G_A]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory.cells import LinearSDE, LinearSDECell, SquaredErrorReadout
from rtrl_theory.data import AR1Chain, DataProcess, DelayLineCell, GaussianInputs, TeacherTarget

from ._lyapunov import LinearGaussianSystem

__all__ = [
    "LinearSetup",
    "LinearJointSystem",
    "SENSITIVITY_KINDS",
    "linear_setup",
    "linear_joint_system",
    "linear_sensitivity_map",
]

#: Linear sensitivity recursions :func:`linear_sensitivity_map` builds (THEORY.md section 11).
SENSITIVITY_KINDS = ("exact", "snap-1", "immediate")

_SUPPORTED = (
    "supported: model = LinearSDE; process = DataProcess(GaussianInputs or AR1Chain, "
    "TeacherTarget of a LinearSDE teacher (e.g. linear_sde_teacher) or of the delay-line "
    "teacher (delayed_input_teacher))"
)


@dataclass(frozen=True, eq=False)
class LinearSetup:
    r"""The matrices of a supported (model, params, process), read off once and validated.

    Attributes
    ----------
    theta : (P,)
        Flat student parameters ``(C, vec A, vec B)``.
    C, A, B : (N,), (N, N), (N, d)
    dt : float
    F : (N, N)
        :math:`I + \Delta A`.
    Phi, Q_x : (d, d)
        Input transition and input-noise covariance.
    F_star, B_star : (N*, N*), (N*, d)
        Teacher recursion :math:`S^{*\prime} = F^* S^* + B^*_\Delta X` (B_star includes
        :math:`\Delta^*`).
    C_star : (N*,)
    eta_var : float
        :math:`\operatorname{Var}\eta = c^2/3` (uniform target noise on [-c, c]).
    """

    model: LinearSDE
    theta: np.ndarray
    C: np.ndarray
    A: np.ndarray
    B: np.ndarray
    dt: float
    F: np.ndarray
    Phi: np.ndarray
    Q_x: np.ndarray
    F_star: np.ndarray
    B_star: np.ndarray
    C_star: np.ndarray
    eta_var: float

    @property
    def n_hidden(self) -> int:
        return self.C.shape[0]

    @property
    def n_input(self) -> int:
        return self.B.shape[1]

    @property
    def n_teacher(self) -> int:
        return self.C_star.shape[0]

    @property
    def n_cell_params(self) -> int:
        return self.model.cell.n_params


def _spectral_radius(M: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(M)))) if M.size else 0.0


def _teacher_matrices(target: TeacherTarget):
    tmodel = target.model
    head = getattr(tmodel, "head", None)
    if not isinstance(head, SquaredErrorReadout):
        raise TypeError(
            f"process: the teacher's head must be the linear readout SquaredErrorReadout, got "
            f"{type(head).__name__}; {_SUPPORTED}"
        )
    theta_star = tmodel.flatten(target.params, "process.target.params")
    th, tc = tmodel.split(theta_star)
    cell = tmodel.cell
    if isinstance(cell, LinearSDECell):
        A_s, B_s = (b.unflatten(tc) for b in cell.blocks)
        F_s = np.eye(cell.n_state) + cell.dt * A_s
        B_s = cell.dt * B_s
    elif isinstance(cell, DelayLineCell):
        N_s, d = cell.n_state, cell.n_input
        F_s = np.zeros((N_s, N_s))
        F_s[d:, : N_s - d] = np.eye(N_s - d)
        B_s = np.zeros((N_s, d))
        B_s[:d] = np.eye(d)
    else:
        raise TypeError(
            f"process: the teacher's cell {type(cell).__name__} is not linear; {_SUPPORTED}"
        )
    return F_s, B_s, np.array(th, dtype=float)


def linear_setup(model, params, process) -> LinearSetup:
    r"""Validate (model, params, process) for the linear oracles and read off their matrices.

    Raises
    ------
    TypeError
        ``model`` not a LinearSDE; ``process`` not a DataProcess with a supported (linear) input
        chain and teacher target.
    ValueError
        ``params`` or ``process`` whose recursion is unstable (spectral radius of
        :math:`I + \Delta A`, :math:`F^*` or :math:`\Phi` at least 1: no stationary law), or
        whose sizes do not fit.
    """
    if not isinstance(model, LinearSDE):
        raise TypeError(
            f"model: the linear oracle covers the linear recurrence only, got "
            f"{type(model).__name__}; {_SUPPORTED}"
        )
    theta = model.flatten(params, "params").copy()
    theta.setflags(write=False)
    if not isinstance(process, DataProcess):
        raise TypeError(
            f"process: expected a DataProcess, got {type(process).__name__}; {_SUPPORTED}"
        )
    chain, target = process.chain, process.target
    if isinstance(chain, GaussianInputs):
        d = chain.n_input
        Phi, Q_x = np.zeros((d, d)), chain.std**2 * np.eye(d)
    elif isinstance(chain, AR1Chain):
        Phi, Q_x = np.array(chain.Phi), chain.std**2 * np.eye(chain.n_input)
    else:
        raise TypeError(
            f"process: the input chain {type(chain).__name__} is not linear (ExampleChain is "
            f"lam A tanh(x) + noise); {_SUPPORTED}"
        )
    if chain.n_input != model.n_input:
        raise ValueError(
            f"process: inputs have d = {chain.n_input}, the model d = {model.n_input}"
        )
    if not isinstance(target, TeacherTarget):
        raise TypeError(
            f"process: the target must be a TeacherTarget with a linear teacher, got "
            f"{type(target).__name__} (LipschitzTarget is c tanh(w.x)); {_SUPPORTED}"
        )
    F_s, B_s, C_s = _teacher_matrices(target)
    if B_s.shape[1] != model.n_input:
        raise ValueError(
            f"process: the teacher has d = {B_s.shape[1]}, the model d = {model.n_input}"
        )
    th, tc = model.split(theta)
    A, B = (b.unflatten(tc) for b in model.cell.blocks)
    dt = float(model.dt)
    F = np.eye(model.n_hidden) + dt * A
    for name, what, mat in (
        ("params", "the student's I + dt A", F),
        ("process", "the teacher's state matrix", F_s),
        ("process", "the input chain's Phi", Phi),
    ):
        rho = _spectral_radius(mat)
        if not rho < 1.0:
            raise ValueError(
                f"{name}: spectral radius of {what} is {rho:.6g} >= 1: the joint process has no "
                f"stationary law, so the stationary quantities do not exist"
            )
    c = float(target.noise)
    return LinearSetup(
        model, theta, np.array(th), A, B, dt, F, Phi, Q_x, F_s, B_s, C_s, c * c / 3.0
    )


@dataclass(frozen=True, eq=False)
class LinearJointSystem:
    r"""The joint process as a :class:`LinearGaussianSystem` with its loss and update readouts.

    Attributes
    ----------
    setup : LinearSetup
    system : LinearGaussianSystem
        Blocks ``"X"`` (d), ``"teacher"`` (N*), ``"S"`` (N) and, with sensitivities, ``"J"``
        (P_c N, layout of the module docstring).
    h : (n,)
        Residual :math:`r = h\cdot u - \eta`.
    readout : (P, n) or None
        :math:`\Lambda` with :math:`\tilde G = r\,\Lambda u` (None without the J block).
    """

    setup: LinearSetup
    system: LinearGaussianSystem
    h: np.ndarray
    readout: np.ndarray | None

    @property
    def eta_var(self) -> float:
        return self.setup.eta_var

    def loss(self, R: np.ndarray) -> float:
        r"""Return the expected loss for the second-moment matrix R of u.

        :math:`E\ell = \tfrac12(h^\top R h + \operatorname{Var}\eta)` for the second-moment
        matrix R of u (stationary: :math:`R = \Sigma`, this is L of (2.27)).
        """
        return 0.5 * (float(self.h @ R @ self.h) + self.eta_var)

    def update_mean(self, R: np.ndarray) -> np.ndarray:
        r""":math:`E[\tilde G] = \Lambda R h`, (P,), for the second-moment matrix R of u."""
        if self.readout is None:
            raise ValueError("update_mean: needs the sensitivity block (sensitivity='exact')")
        return self.readout @ (R @ self.h)

    def flatten_particles(self, z) -> np.ndarray:
        """Return u for each particle of a JointProcess ``ParticleState`` ``z``: (K, n)."""
        K = z.S.shape[0]
        parts = [z.X, z.teacher, z.S]
        if "J" in self.system.blocks:
            parts.append(z.Jt.reshape(K, -1))
        return np.concatenate(parts, axis=1)


def _immediate(setup: LinearSetup):
    r"""Return the immediate term :math:`\mathcal I(S, X) = I_S S + I_X X`: I_S (P_c N, N), I_X (P_c N, d).

    Written from (7.1) (not from the cell's linearization): column-stacked vec, entry (i, j) of
    A at cell position j N + i, of B at N^2 + j N + i.
    """
    N, d, dt = setup.n_hidden, setup.n_input, setup.dt
    Pc = setup.n_cell_params
    I_S = np.zeros((Pc * N, N))
    I_X = np.zeros((Pc * N, d))
    for j in range(N):
        for i in range(N):
            I_S[(j * N + i) * N + i, j] = dt
    for j in range(d):
        for i in range(N):
            I_X[(N * N + j * N + i) * N + i, j] = dt
    return I_S, I_X


def _assemble(setup: LinearSetup, sensitivity_map):
    N, d, Ns = setup.n_hidden, setup.n_input, setup.n_teacher
    Phi, F, Fs, Bs = setup.Phi, setup.F, setup.F_star, setup.B_star
    Bd = setup.dt * setup.B
    sX, sT, sS = slice(0, d), slice(d, d + Ns), slice(d + Ns, d + Ns + N)
    n = d + Ns + N
    blocks = {"X": sX, "teacher": sT, "S": sS}
    if sensitivity_map is not None:
        Pc = setup.n_cell_params
        blocks["J"] = slice(n, n + Pc * N)
        n += Pc * N
    M = np.zeros((n, n))
    G = np.zeros((n, d))
    M[sX, sX] = Phi
    G[sX] = np.eye(d)
    M[sT, sX], M[sT, sT], G[sT] = Bs @ Phi, Fs, Bs
    M[sS, sX], M[sS, sS], G[sS] = Bd @ Phi, F, Bd
    if sensitivity_map is not None:
        sJ = blocks["J"]
        I_S, I_X = _immediate(setup)
        M[sJ, sX], M[sJ, sS], M[sJ, sJ], G[sJ] = I_X @ Phi, I_S, sensitivity_map, I_X
    return LinearGaussianSystem(M, G, setup.Q_x, blocks), blocks


def linear_sensitivity_map(model, params, kind: str = "exact") -> np.ndarray:
    r"""Return the map :math:`D_J` on vec J of a linear recursion :math:`J' = D_J J + \mathcal I`.

    For ``sensitivity=`` of :func:`linear_joint_system` (THEORY.md section 11):

    * ``"exact"``: RTRL, :math:`D_J = I_{P_c}\otimes F`, :math:`F = I + \Delta A`.
    * ``"snap-1"``: SnAp-1 (Menick et al. 2021), which keeps the entries :math:`J[i, (i, j)]`
      that are nonzero after one step; for (7.1) (one state component per neuron) it is also
      e-prop's eligibility trace with the diagonal of F: :math:`J'[i, p] = F_{ii} J[i, p] +
      \mathcal I[i, p]`, p a parameter of row i. The immediate term lies in the pattern, so
      :math:`D_J = \Pi (I\otimes F)\Pi` with :math:`\Pi` the projection on it.
    * ``"immediate"``: :math:`D_J = 0` (the sensitivity is the immediate term; = TBPTT(1)).

    Parameters
    ----------
    model : LinearSDE
        The student (7.1); its state Jacobian is :math:`F = I + \Delta A`.
    params : LinearSDEParams or ndarray, shape (P,)
        As :func:`rtrl_theory.loss_and_grad` takes them (only A enters).
    kind : str, default "exact"
        One of :data:`SENSITIVITY_KINDS`: ``"exact"``, ``"snap-1"`` or ``"immediate"``.

    Returns
    -------
    ndarray, shape (P_c N, P_c N)
        In the layout of vec J (entry (p, k) at p N + k); P_c the cell's parameter count.

    Raises
    ------
    TypeError
        If ``model`` is not a LinearSDE.
    ValueError
        If ``kind`` is not one of :data:`SENSITIVITY_KINDS`.

    See Also
    --------
    rtrl_theory.oracles.stationary_update_mean : the stationary mean of the estimator with this map.
    rtrl_theory.online.SnAp1 : the particle version of ``"snap-1"``.
    """
    if not isinstance(model, LinearSDE):
        raise TypeError(f"model: expected a LinearSDE, got {type(model).__name__}")
    if kind not in SENSITIVITY_KINDS:
        raise ValueError(f"kind: expected one of {SENSITIVITY_KINDS}, got {kind!r}")
    theta = model.flatten(params, "params")
    N, Pc = model.n_hidden, model.cell.n_params
    if kind == "immediate":
        return np.zeros((Pc * N, Pc * N))
    A = model.cell.blocks[0].unflatten(model.split(theta)[1])
    D = np.kron(np.eye(Pc), np.eye(N) + model.dt * A)
    if kind == "snap-1":
        # parameter p = offset + j N + i of a row-local block belongs to row i = p mod N
        keep = np.zeros(Pc * N, dtype=bool)
        for p in range(Pc):
            keep[p * N + p % N] = True
        D = D * keep[:, None] * keep[None, :]
    return D


def linear_joint_system(model, params, process, *, sensitivity="exact") -> LinearJointSystem:
    r"""Return the joint process :math:`u_t` of the module docstring as a linear system.

    Parameters
    ----------
    model : LinearSDE
    params : LinearSDEParams or ndarray (P,)
    process : DataProcess
        ``GaussianInputs`` or ``AR1Chain`` inputs, a ``TeacherTarget`` with a LinearSDE or
        delay-line teacher.
    sensitivity : {"exact", None} or ndarray (P_c N, P_c N)
        ``None``: only (X, S*, S). ``"exact"``: RTRL's :math:`D_J = I_{P_c}\otimes F`. An array:
        any other linear sensitivity recursion :math:`J' = D_J J + \mathcal I(S, X')`, e.g.
        from :func:`linear_sensitivity_map` (SnAp-1 / e-prop, immediate; issue 13).

    Returns
    -------
    LinearJointSystem
    """
    setup = linear_setup(model, params, process)
    N, Pc = setup.n_hidden, setup.n_cell_params
    if sensitivity is None:
        D = None
    elif isinstance(sensitivity, str) and sensitivity == "exact":
        D = np.kron(np.eye(Pc), setup.F)
    elif isinstance(sensitivity, str):
        raise ValueError(f"sensitivity: expected 'exact', None or an array, got {sensitivity!r}")
    else:
        D = np.asarray(sensitivity, dtype=float)
        if D.shape != (Pc * N, Pc * N):
            raise ValueError(
                f"sensitivity: expected a ({Pc * N}, {Pc * N}) matrix acting on vec J, got "
                f"shape {D.shape}"
            )
        rho = _spectral_radius(D)
        if not rho < 1.0:
            raise ValueError(
                f"sensitivity: spectral radius {rho:.6g} >= 1, the sensitivities have no "
                f"stationary law"
            )
    system, blocks = _assemble(setup, D)
    h = np.zeros(system.dim)
    h[blocks["teacher"]] = -setup.C_star
    h[blocks["S"]] = setup.C
    readout = None
    if D is not None:
        P = model.n_params
        readout = np.zeros((P, system.dim))
        readout[np.arange(N), np.arange(blocks["S"].start, blocks["S"].stop)] = 1.0
        j0 = blocks["J"].start
        for p in range(Pc):
            readout[N + p, j0 + p * N : j0 + (p + 1) * N] = setup.C
    return LinearJointSystem(setup, system, h, readout)
