r"""Particles of the joint Markov process :math:`Z_t = (X_t, \eta_t, S_t, J_t, H_t)` at fixed theta.

Section 3 of [P1] studies the joint process of the data, the hidden state and its first and
second derivatives at a fixed parameter :math:`\theta`; Proposition 3.1 / Theorem 3.11 show that it
contracts in W1 and has a unique stationary law :math:`\pi_\theta`. This module simulates K
independent particles of it, streaming (no T x K x P array is kept).

State convention (array time index, THEORY.md section 2). A particle at time t holds

* the data state: the input :math:`X_t` (and, for teacher targets, the teacher's hidden state
  after consuming :math:`X_t`), the target noise :math:`\eta_t` and the target
  :math:`Y_t = f^*(X_t, \eta_t)`;
* the network state *after* consuming :math:`X_t`: ``S`` = :math:`S_{t+1}`, ``Jt``, ``Ht`` its
  first and second derivatives (engine layout, ``rtrl_theory.engine._forward``).

so that the update direction :math:`\tilde G(\theta, Z_t) = (\alpha\cdot S_{t+1} - Y_t)
(S_{t+1}; J_{t+1}^\top\alpha)` of (3.63)-(3.64) is a function of the current state. A transition
draws :math:`X_{t+1} \sim P(X_t, \cdot)` and :math:`\eta_{t+1}`, then advances (S, J, H) with
(2.17), (2.20)-(2.21) and Section 2.4. All randomness of a step comes from the generator passed
to :meth:`JointProcess.step` in a fixed order (input noise (K, d), then target noise (K,)), so two
ensembles stepped with generators in the same state follow the synchronous coupling.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rtrl_theory._memory import check_memory, estimate_memory
from rtrl_theory._validate import as_array, as_rng, positive_int
from rtrl_theory.data import DataProcess, TeacherTarget
from rtrl_theory.engine import (
    SensitivityState,
    advance_first_order,
    advance_second_order,
)

__all__ = ["ParticleState", "JointProcess", "BLOCK_NAMES", "INITIAL_LAWS", "AUTO_H_BYTES"]

BLOCK_NAMES = ("X", "eta", "S", "J", "H")
#: Largest per-particle memory of the second-order states that ``order="auto"`` accepts.
AUTO_H_BYTES = 64 * 1024
INITIAL_LAWS = ("point", "box")
#: Steps per call of the compiled block kernel in :meth:`JointProcess.run`: a particle's J (and H)
#: stay in cache over the block and are transposed in and out once per block; short enough that a
#: parallel region is not held up long by a thread the OS preempts on a busy machine.
_BLOCK = 25


@dataclass(frozen=True)
class ParticleState:
    """K particles of the joint process at one time (see the module docstring).

    Attributes
    ----------
    X : (K, d)
    eta : (K,)
    Y : (K,)
    S : (K, N)
    Jt : (K, P_c, N)
    Ht : (K, P_c, P_c, N) or None
    teacher : (K, N*) or None
        Teacher hidden state (teacher targets only).
    t : int
        Time index of the particles.
    """

    X: np.ndarray
    eta: np.ndarray
    Y: np.ndarray
    S: np.ndarray
    Jt: np.ndarray
    Ht: np.ndarray | None
    teacher: np.ndarray | None
    t: int = 0

    @property
    def n_particles(self) -> int:
        return self.S.shape[0]

    def subset(self, idx) -> ParticleState:
        """Return the particles ``idx`` (an index array or slice), copied."""

        def take(a):
            return None if a is None else np.ascontiguousarray(a[idx])

        return ParticleState(
            take(self.X),
            take(self.eta),
            take(self.Y),
            take(self.S),
            take(self.Jt),
            take(self.Ht),
            take(self.teacher),
            self.t,
        )


class JointProcess:
    r"""The joint Markov chain of data, hidden state and sensitivities at fixed :math:`\theta`.

    Parameters
    ----------
    model : RNNModel (a :class:`~rtrl_theory.PaperRNN` for the theory's setting)
    params : parameters of ``model`` (PaperParams or flat vector), held fixed
    process : DataProcess
        Input chain and target rule (Example 2.4 with a Lipschitz or teacher target).
    order : {1, 2, "auto"}, default "auto"
        2 also carries the second-order states H (Section 2.4), which need ``K P_c^2 N``
        doubles. "auto" chooses 2 when one particle's H takes at most ``AUTO_H_BYTES`` (64 KiB,
        so 4096 particles hold 256 MiB; e.g. N = 4, d = 2) and 1 otherwise (e.g. N = 10,
        d = 3, where H would take 1.35 MB per particle).
    backend : {"auto", "numpy", "numba"}
        "auto" uses the compiled particle kernel when numba is installed and covers the model.
    force : bool, default False
        :meth:`initial` estimates the peak memory of an ensemble (about 5 copies of ``K x dim``
        floats, :func:`rtrl_theory._memory.estimate_memory`) before allocating it and raises
        :class:`~rtrl_theory._memory.MemoryLimitError` (a MemoryError and a ValueError) past
        80% of the available memory; ``force=True`` skips the refusal.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN
    >>> from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
    >>> model = PaperRNN(3, 2)
    >>> proc = DataProcess(ExampleChain(2, 0.5), LipschitzTarget.random(2, rng=0))
    >>> jp = JointProcess(model, model.init_params(1), proc, order=1)
    >>> z = jp.initial(100, rng=2)
    >>> z = jp.run(z, 50, rng=3)
    >>> z.t, jp.flatten(z, "S").shape, jp.update_direction(z).shape
    (50, (100, 3), (100, 18))
    """

    def __init__(
        self, model, params, process: DataProcess, *, order="auto", backend="auto", force=False
    ):
        if order == "auto":
            P, N = model.cell.n_params, model.cell.n_state
            order = 2 if model.cell.has_second_order and P * P * N * 8 <= AUTO_H_BYTES else 1
        if order not in (1, 2):
            raise ValueError(f"order: expected 1, 2 or 'auto', got {order!r}")
        if order == 2 and not model.cell.has_second_order:
            raise ValueError(f"order: {type(model.cell).__name__} has no second-order recursion")
        if not isinstance(process, DataProcess) or process.target is None:
            raise TypeError("process: expected a DataProcess with a target (Lipschitz or teacher)")
        if process.n_input != model.n_input:
            raise ValueError(
                f"process: inputs have d = {process.n_input}, the model d = {model.n_input}"
            )
        self.model = model
        self.force = bool(force)
        self.theta = model.flatten(params).copy()
        self.theta.setflags(write=False)
        self.process = process
        self.order = order
        th, tc = model.split(self.theta)
        self._th = th
        self.prep = (
            model.cell.prepare(tc, second_order=True) if order == 2 else model.cell.prepare(tc)
        )
        self.backend = self._pick_backend(backend)
        if self.backend == "numba":  # the cell's compiled table and mapped parameters, once
            from rtrl_theory.engine._compiled import describe_model, mapped_params

            self._desc = describe_model(model, order=order, task="particles")
            self._mapped = mapped_params(self._desc, tc)
        N, d, P = model.cell.n_state, model.n_input, model.cell.n_params
        self.n_hidden, self.n_input, self.n_cell_params = N, d, P
        self._teacher = isinstance(process.target, TeacherTarget)
        n_teacher = process.target.model.n_hidden if self._teacher else 0
        sizes = {"X": d, "eta": 1, "S": N, "J": P * N, "H": P * P * N if order == 2 else 0}
        sizes["teacher"] = n_teacher
        self._n_teacher = n_teacher
        self.blocks, start = {}, 0
        for name in (*BLOCK_NAMES, "teacher"):
            if sizes[name] or name in BLOCK_NAMES:
                self.blocks[name] = slice(start, start + sizes[name])
                start += sizes[name]
        self.dim = start

    # -- backends ---------------------------------------------------------------------------
    def _pick_backend(self, backend):
        """Return the engine's one backend decision (``rtrl_theory.engine.select_backend``)."""
        from rtrl_theory.engine import select_backend

        self.backend_plan = select_backend(
            self.model, "particles", backend=backend, order=self.order
        )
        return self.backend_plan.name

    def _advance(self, S, Jt, Ht, X, *, inplace: bool = False):
        """(S, J, H) one step with input X (K, d) (compiled backend: or n steps, X (n, K, d)).

        The compiled kernel works in place: unless ``inplace`` (the caller owns the arrays), the
        arrays are copied first, so a ParticleState handed out before is never modified.
        """
        if self.backend == "numba":
            from rtrl_theory.engine._compiled import particles_compiled

            if not inplace:
                S, Jt = S.copy(), Jt.copy()
                Ht = None if Ht is None else Ht.copy()
            X = np.asarray(X, dtype=float)
            particles_compiled(self._desc, *self._mapped, S, Jt, Ht, X[None] if X.ndim == 2 else X)
            return S, Jt, Ht
        state = SensitivityState(S, Jt, Ht)
        if self.order == 2:
            new, _ = advance_second_order(self.model.cell, self.prep, state, X)
        else:
            new, _ = advance_first_order(self.model.cell, self.prep, state, X)
        return new.S, new.Jt, new.Ht

    # -- data -------------------------------------------------------------------------------
    def _targets(self, X, eta, teacher):
        target = self.process.target
        Y, new_teacher = target.evaluate(X[:, None, :], eta[:, None], teacher)
        return Y[:, 0], new_teacher

    def _draw_eta(self, rng, K):
        c = self.process.target.noise
        return rng.uniform(-c, c, size=K)

    # -- initial laws -----------------------------------------------------------------------
    def initial(
        self, n_particles: int, rng=None, *, law="point", x0=None, S0=None, C_x: float | None = None
    ) -> ParticleState:
        r"""Particles at t = 0 from an initial law.

        Parameters
        ----------
        n_particles : int
        rng : Generator, int or None
        law : {"point", "box"} or ParticleState
            ``"point"``: the inputs start at ``x0`` (default 0), the network at ``S0`` (default
            0) with zero derivatives, and the first step consumes ``X_0 = x0`` (only the target
            noise is random). ``"box"``: inputs uniform on :math:`[-C_x, C_x]^d`, S uniform on
            :math:`(0, 1)^N` and J, H uniform on the a-priori box of Lemmas 3.5 and 3.7 (needs
            :math:`N C_f < 4`; paper RNN only). A ParticleState: a copy of it (t reset to 0).
        x0, S0 : arrays (d,) / (N,) or per particle (K, d) / (K, N), for ``law="point"``.
        C_x : float, optional
            Input range for ``law="box"`` (default: the chain's C_x).

        Raises
        ------
        MemoryLimitError
            The ensemble would need more than 80% of the available memory (and the process
            was not made with ``force=True``); raised before anything is allocated.
        """
        K = positive_int(n_particles, "n_particles")
        check_memory(
            estimate_memory(
                self.model, "particles", n_particles=K, order=self.order, n_teacher=self._n_teacher
            ),
            force=self.force,
            what=f"JointProcess.initial(n_particles={K})",
            hint="make the JointProcess with force=True",
        )
        rng = as_rng(rng)
        N, d, P = self.n_hidden, self.n_input, self.n_cell_params
        teacher = None
        if isinstance(self.process.target, TeacherTarget):
            teacher = self.process.target.initial_state(K)
        if isinstance(law, ParticleState):
            if law.S.shape[1:] != (N,) or law.Jt.shape[1:] != (P, N):
                raise ValueError("law: the ParticleState does not fit this model")
            if (law.Ht is None) != (self.order == 1):
                raise ValueError(
                    f"law: the ParticleState's order does not match order={self.order}"
                )
            if law.n_particles != K:
                idx = rng.integers(0, law.n_particles, K)
                return replace(law.subset(idx), t=0)
            return replace(law.subset(slice(None)), t=0)
        if law == "point":
            X = np.broadcast_to(
                np.zeros(d) if x0 is None else as_array(x0, "x0", ndim=(1, 2)), (K, d)
            ).copy()
            S = np.broadcast_to(
                np.zeros(N) if S0 is None else as_array(S0, "S0", ndim=(1, 2)), (K, N)
            ).copy()
            Jt = np.zeros((K, P, N))
            Ht = np.zeros((K, P, P, N)) if self.order == 2 else None
            eta = self._draw_eta(rng, K)
            S, Jt, Ht = self._advance(S, Jt, Ht, X)
            Y, teacher = self._targets(X, eta, teacher)
            return ParticleState(X, eta, Y, S, Jt, Ht, teacher, 0)
        if law == "box":
            from rtrl_theory.bounds import apriori_bounds

            C_x = self.process.chain.C_x if C_x is None else C_x
            b = apriori_bounds(self.model, C_x)
            X = rng.uniform(-C_x, C_x, (K, d))
            eta = self._draw_eta(rng, K)
            S = rng.uniform(0.0, 1.0, (K, N))
            nW = N * d
            rJ = np.concatenate([np.full(nW, b.K_W), np.full(P - nW, b.K_B)])
            Jt = rng.uniform(-1, 1, (K, P, N)) * rJ[None, :, None]
            Ht = None
            if self.order == 2:
                rH = np.empty((P, P))
                rH[:nW, :nW], rH[nW:, nW:] = b.K_WW, b.K_BB
                rH[:nW, nW:] = rH[nW:, :nW] = b.K_WB
                Ht = rng.uniform(-1, 1, (K, P, P, N))
                Ht = 0.5 * (Ht + Ht.transpose(0, 2, 1, 3)) * rH[None, :, :, None]
            if teacher is None:
                Y, _ = self._targets(X, eta, None)
            else:  # the teacher's hidden state, like S, drawn uniformly on (0, 1)
                teacher = rng.uniform(0.0, 1.0, teacher.shape)
                Y = self.process.target.output(teacher) + eta
            return ParticleState(X, eta, Y, S, Jt, Ht, teacher, 0)
        raise ValueError(f"law: expected one of {INITIAL_LAWS} or a ParticleState, got {law!r}")

    # -- dynamics ---------------------------------------------------------------------------
    def step(self, z: ParticleState, rng) -> ParticleState:
        """One transition of every particle (module docstring for the order of the draws)."""
        return self._step(z, as_rng(rng), inplace=False)

    def _step(self, z, rng, *, inplace):
        K = z.n_particles
        chain = self.process.chain
        X = chain.step(z.X, chain.draw_noise(rng, (K,)))
        eta = self._draw_eta(rng, K)
        Y, teacher = self._targets(X, eta, z.teacher)
        S, Jt, Ht = self._advance(z.S, z.Jt, z.Ht, X, inplace=inplace)
        return ParticleState(X, eta, Y, S, Jt, Ht, teacher, z.t + 1)

    def _steps(self, z, rng, m, *, inplace):
        """Run m transitions of the joint process.

        Run m transitions: the data of the m steps first (the draws of :meth:`step`, in its
        order), then (S, J, H) through one call of the compiled block kernel.
        """
        if m == 1:
            return self._step(z, rng, inplace=inplace)
        K = z.n_particles
        chain = self.process.chain
        X, teacher = z.X, z.teacher
        Xs = np.empty((m, K, self.n_input))
        for j in range(m):
            X = chain.step(X, chain.draw_noise(rng, (K,)))
            eta = self._draw_eta(rng, K)
            Y, teacher = self._targets(X, eta, teacher)
            Xs[j] = X
        S, Jt, Ht = self._advance(z.S, z.Jt, z.Ht, Xs, inplace=inplace)
        return ParticleState(X, eta, Y, S, Jt, Ht, teacher, z.t + m)

    def run(
        self,
        z: ParticleState,
        n_steps: int,
        rng=None,
        *,
        callback=None,
        every: int = 1,
        progress: bool = False,
    ) -> ParticleState:
        """Advance ``n_steps`` steps; ``callback(z)`` every ``every`` steps (and at the end).

        Only the current ensemble is kept (streaming); ``z`` itself is not modified. The states
        passed to ``callback`` are advanced in place afterwards (compiled backend): a callback
        records what it needs (summaries, copies), it does not keep the state.
        """
        n_steps = int(n_steps)
        if n_steps < 0:
            raise ValueError(f"n_steps: expected a non-negative integer, got {n_steps}")
        every = positive_int(every, "every")
        rng = as_rng(rng)
        bar = None
        if progress:
            from rtrl_theory._progress import tqdm_class
            tqdm = tqdm_class()

            bar = tqdm(total=n_steps, unit="step", desc="particles", leave=False)
        try:
            i = 0
            while i < n_steps:
                # the compiled engine runs a block of steps per particle (data drawn first, in the
                # same order as step by step: the same numbers); NumPy one step at a time
                m = 1
                if self.backend == "numba":
                    to_callback = every - i % every if callback is not None else n_steps
                    m = min(_BLOCK, to_callback, n_steps - i)
                z = self._steps(z, rng, m, inplace=i > 0)  # the first copies the caller's arrays
                i += m
                if callback is not None and (i % every == 0 or i == n_steps):
                    callback(z)
                if bar is not None:
                    bar.update(m)
        finally:
            if bar is not None:
                bar.close()
        return z

    # -- functions of the state ------------------------------------------------------------
    def flatten(self, z: ParticleState, block="all") -> np.ndarray:
        """Return the particles as rows of a (K, dim) array, restricted to ``block``.

        ``block``: "all" (every block the particles carry), one of ``BLOCK_NAMES`` ("X", "eta",
        "S", "J", "H"), or a list of them.
        """
        if isinstance(block, str) and block == "all":
            names = [b for b in BLOCK_NAMES if b != "H" or z.Ht is not None]
            if z.teacher is not None:
                names.append("teacher")
        else:
            names = [block] if isinstance(block, str) else list(block)
        parts = []
        for name in names:
            if name == "teacher" and z.teacher is not None:
                parts.append(z.teacher)
                continue
            if name not in BLOCK_NAMES:
                raise ValueError(
                    f"block: unknown block {name!r}; expected 'all' or some of {tuple(self.blocks)}"
                )
            K = z.n_particles
            if name == "X":
                parts.append(z.X)
            elif name == "eta":
                parts.append(z.eta[:, None])
            elif name == "S":
                parts.append(z.S)
            elif name == "J":
                parts.append(z.Jt.reshape(K, -1))
            elif z.Ht is None:
                raise ValueError("block: 'H' needs second-order states (order=2)")
            else:
                parts.append(z.Ht.reshape(K, -1))
        return np.concatenate(parts, axis=1)

    def unflatten(self, A, t: int = 0) -> ParticleState:
        """Inverse of ``flatten(z, "all")``: particles from the rows of a (K, dim) array."""
        A = as_array(A, "A", shape=(None, self.dim))
        K = A.shape[0]
        b = self.blocks
        P, N = self.n_cell_params, self.n_hidden
        X = np.ascontiguousarray(A[:, b["X"]])
        eta = np.ascontiguousarray(A[:, b["eta"]][:, 0])
        S = np.ascontiguousarray(A[:, b["S"]])
        Jt = np.ascontiguousarray(A[:, b["J"]]).reshape(K, P, N)
        Ht = np.ascontiguousarray(A[:, b["H"]]).reshape(K, P, P, N) if self.order == 2 else None
        teacher = np.ascontiguousarray(A[:, b["teacher"]]) if self._teacher else None
        if self._teacher:
            Y = self.process.target.output(teacher) + eta
        else:
            Y, _ = self._targets(X, eta, None)
        return ParticleState(X, eta, Y, S, Jt, Ht, teacher, t)

    def markov_step(self, A, rng) -> np.ndarray:
        """Take one transition on flattened particles, ``(K, dim) -> (K, dim)``.

        One transition on flattened particles, ``(K, dim) -> (K, dim)``: the form
        :func:`~rtrl_theory.estimate_contraction_rate` takes.
        """
        return self.flatten(self.step(self.unflatten(A), rng))

    def prediction_error(self, z: ParticleState) -> np.ndarray:
        r""":math:`\hat Y_t - Y_t` per particle, (K,)."""
        return self.model.head.predict(self._th, z.S) - z.Y

    def loss(self, z: ParticleState) -> np.ndarray:
        r"""Per-particle loss :math:`\tfrac12(Y_t - \hat Y_t)^2`, (K,)."""
        r = self.prediction_error(z)
        return 0.5 * r * r

    def update_direction(self, z: ParticleState) -> np.ndarray:
        r"""Return the update direction :math:`\tilde G(\theta, Z_t)` of (3.63)-(3.64), (K, P).

        :math:`\tilde G(\theta, Z_t)` of (3.63)-(3.64), (K, P): the per-step loss gradient
        in the order (head parameters, cell parameters) = (alpha, vec W, vec B).
        """
        hd = self.model.head.derivatives(self._th, z.S, z.Y)
        g_c = np.matmul(z.Jt, hd.dS[:, :, None])[:, :, 0]
        return np.concatenate([hd.dtheta, g_c], axis=1)

    def hessian(self, z: ParticleState) -> np.ndarray:
        r"""Per-particle Hessian of the step loss, (K, P, P): the integrand of (3.65), (3.72)."""
        if z.Ht is None:
            raise ValueError("hessian: needs second-order states (order=2)")
        hd = self.model.head.derivatives(self._th, z.S, z.Y, order=2)
        K = z.n_particles
        Pc = self.n_cell_params
        Ph = self._th.shape[0]
        JtT = z.Jt.transpose(0, 2, 1)
        out = np.empty((K, Ph + Pc, Ph + Pc))
        out[:, :Ph, :Ph] = hd.dthetatheta
        out[:, :Ph, Ph:] = np.matmul(hd.dthetaS, JtT)
        out[:, Ph:, :Ph] = out[:, :Ph, Ph:].transpose(0, 2, 1)
        out[:, Ph:, Ph:] = np.matmul(np.matmul(z.Jt, hd.dSS), JtT) + np.matmul(
            z.Ht.reshape(K, Pc * Pc, -1), hd.dS[:, :, None]
        ).reshape(K, Pc, Pc)
        return out
