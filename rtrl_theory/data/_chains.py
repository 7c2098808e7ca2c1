r"""Data processes of Section 2.1 of [P1]: contracting Markov inputs and bounded-noise targets.

Inputs follow Example 2.4, (2.8):

.. math:: X_{t+1} = \varphi(X_t) + \varepsilon_{t+1}, \qquad
          \varphi(x) = \lambda\, A \tanh(x),

with :math:`\|A\|_{\infty\to\infty} = \max_i\sum_j |A_{ij}| \le 1`, so :math:`\varphi` is
:math:`\lambda`-Lipschitz in the max-norm and bounded by :math:`\lambda`, and i.i.d. noise
:math:`\varepsilon \sim U[-a, a]^d` (mean zero, bounded). The synchronous coupling (same noise)
contracts almost surely, :math:`\|X_1 - X_1'\| \le \lambda\|x - x'\|` (2.9)-(2.11), and
:math:`\|X_t\| \le C_x = \lambda + a` once :math:`\|X_0\| \le C_x` (Assumption 2.3(3)).

Targets :math:`Y_t` are either a teacher network of the model's class run on the same inputs
(realisable) or a Lipschitz function :math:`f^*(X_t)` (2.7), each plus bounded i.i.d. noise
:math:`\eta_t \sim U[-c_\eta, c_\eta]`.

Reproducibility: a stream draws the input noise and the target noise from two child generators
spawned from ``rng``, so cutting a run into chunks of any size gives the same arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from rtrl_theory._validate import (
    as_array,
    as_rng,
    in_open_interval,
    nonnegative,
    positive,
    positive_int,
)

__all__ = [
    "ExampleChain",
    "TeacherTarget",
    "LipschitzTarget",
    "DataProcess",
    "DataStream",
]


def _inf_norm(A: np.ndarray) -> float:
    return float(np.max(np.sum(np.abs(A), axis=1)))


@dataclass(frozen=True, eq=False)
class ExampleChain:
    r"""The input chain of Example 2.4: :math:`X_{t+1} = \lambda A\tanh(X_t) + \varepsilon_{t+1}`.

    Parameters
    ----------
    n_input : int
        d.
    lam : float in (0, 1)
        The contraction :math:`\lambda` of (2.6): the Lipschitz constant of :math:`\varphi`.
    noise : float, default 0.5
        Half-width a of the uniform noise :math:`\varepsilon\sim U[-a, a]^d`.
    A : array (d, d), optional
        Mixing matrix with max absolute row sum at most 1 (default identity).

    Examples
    --------
    >>> import numpy as np
    >>> chain = ExampleChain(2, lam=0.5, noise=0.25)
    >>> chain.C_x
    0.75
    >>> X = chain.sample(100, rng=np.random.default_rng(0))
    >>> X.shape, bool(np.abs(X).max() <= chain.C_x)
    ((100, 2), True)
    """

    n_input: int
    lam: float
    noise: float = 0.5
    A: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        d = positive_int(self.n_input, "n_input")
        object.__setattr__(self, "lam", in_open_interval(self.lam, "lam", 0.0, 1.0))
        object.__setattr__(self, "noise", nonnegative(self.noise, "noise"))
        A = np.eye(d) if self.A is None else as_array(self.A, "A", shape=(d, d), copy=True)
        if _inf_norm(A) > 1.0 + 1e-12:
            raise ValueError(
                f"A: expected max absolute row sum <= 1 (so that phi is lam-Lipschitz in the "
                f"max-norm), got {_inf_norm(A):.6g}"
            )
        A.setflags(write=False)
        object.__setattr__(self, "A", A)

    @property
    def C_x(self) -> float:
        r""":math:`C_x = \lambda + a`, the bound :math:`\|X_t\|_\infty \le C_x` of Assumption 2.3(3)."""
        return self.lam + self.noise

    def phi(self, x: np.ndarray) -> np.ndarray:
        r""":math:`\varphi(x) = \lambda A\tanh(x)` for x of shape (..., d)."""
        return self.lam * np.tanh(x) @ self.A.T

    def step(self, x: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """One transition with given noise (the synchronous coupling shares ``eps``)."""
        return self.phi(x) + eps

    def draw_noise(self, rng: np.random.Generator, shape) -> np.ndarray:
        return rng.uniform(-self.noise, self.noise, size=tuple(shape) + (self.n_input,))

    def sample(self, n_steps: int, rng=None, *, x0=None, n_chains: int | None = None):
        """``n_steps`` inputs: (T, d), or (K, T, d) with ``n_chains``. Starts from ``x0`` (default 0)."""
        proc = DataProcess(self, None)
        return proc.sample(n_steps, rng, x0=x0, n_chains=n_chains)[0]

    @classmethod
    def random(cls, n_input: int, lam: float, noise: float = 0.5, *, rng=None) -> ExampleChain:
        """Return a chain with a random mixing matrix, rows rescaled to absolute sum 1."""
        rng = as_rng(rng)
        d = positive_int(n_input, "n_input")
        A = rng.standard_normal((d, d))
        A /= np.sum(np.abs(A), axis=1, keepdims=True)
        return cls(d, lam, noise, A)


@dataclass(frozen=True, eq=False)
class TeacherTarget:
    r"""Realisable targets :math:`Y_t = \hat Y^*_t + \eta_t` from a teacher network.

    The teacher is any model of the package (usually the student's own class, e.g.
    :class:`~rtrl_theory.PaperRNN`) with fixed parameters, run on the same inputs from
    :math:`S^*_0 = 0`; :math:`\eta_t\sim U[-c_\eta, c_\eta]`. The targets of the data model of
    Section 2.1 of [P1] with a teacher that the student can represent (realisable case); the
    bound :math:`|\eta_t|\le C_\eta` of Assumption 2.3 (3) is :attr:`C_eta`.

    Parameters
    ----------
    model : RNNModel
        The teacher's architecture, e.g. :class:`~rtrl_theory.PaperRNN`.
    params : PaperParams or ndarray of shape (P,)
        The teacher's fixed parameters :math:`\theta^*` (flattened and frozen).
    noise : float, default 0.1
        :math:`c_\eta \ge 0`, the half-width of the uniform noise.

    See Also
    --------
    LipschitzTarget : a memoryless target :math:`c\tanh(w\cdot X_t) + \eta_t`.
    DataProcess : joins an input chain and a target.
    """

    model: object
    params: object
    noise: float = 0.1

    def __post_init__(self) -> None:
        theta = self.model.flatten(self.params, "params")
        theta.setflags(write=False)
        object.__setattr__(self, "_theta", theta)
        object.__setattr__(self, "noise", nonnegative(self.noise, "noise"))

    @property
    def C_eta(self) -> float:
        return self.noise

    def initial_state(self, n_chains: int):
        return self.model.cell.initial_state(n_chains)

    def output(self, state: np.ndarray) -> np.ndarray:
        """Return the teacher's noiseless output for hidden states ``state`` (K, N*), (K,)."""
        return self.model.head.predict(self.model.split(self._theta)[0], state)

    def evaluate(self, X: np.ndarray, eta: np.ndarray, state):
        """Targets for inputs X (K, T, d) and noise eta (K, T); returns ``(Y, new_state)``."""
        cell, head = self.model.cell, self.model.head
        th, tc = self.model.split(self._theta)
        prep = cell.prepare(tc)
        S = state
        Y = np.empty(X.shape[:2])
        for t in range(X.shape[1]):
            S = cell.step(prep, S, X[:, t])
            Y[:, t] = head.predict(th, S)
        return Y + eta, S


@dataclass(frozen=True, eq=False)
class LipschitzTarget:
    r"""Targets :math:`Y_t = c\tanh(w\cdot X_t) + \eta_t`, an instance of (2.7).

    :math:`f^*(x) = c\tanh(w\cdot x)` is Lipschitz in the max-norm with
    :math:`L = c\|w\|_1` (:attr:`lipschitz`), the L of Assumption 2.3 (2) of [P1];
    :math:`\eta_t\sim U[-c_\eta, c_\eta]` i.i.d.

    Parameters
    ----------
    w : array_like, shape (d,)
        The direction :math:`w` (copied, read-only); its length must be the input dimension.
    scale : float, default 1.0
        c > 0, so that :math:`|f^*| \le c`.
    noise : float, default 0.1
        :math:`c_\eta \ge 0`, the half-width of the uniform noise.

    See Also
    --------
    TeacherTarget : targets from a teacher network (realisable).
    """

    w: np.ndarray
    scale: float = 1.0
    noise: float = 0.1

    def __post_init__(self) -> None:
        w = as_array(self.w, "w", ndim=1, copy=True)
        w.setflags(write=False)
        object.__setattr__(self, "w", w)
        object.__setattr__(self, "scale", positive(self.scale, "scale"))
        object.__setattr__(self, "noise", nonnegative(self.noise, "noise"))

    @classmethod
    def random(cls, n_input: int, *, scale: float = 1.0, noise: float = 0.1, rng=None):
        """``w`` with i.i.d. standard normal entries, normalised to ``||w||_1 = 1``."""
        rng = as_rng(rng)
        w = rng.standard_normal(positive_int(n_input, "n_input"))
        return cls(w / np.abs(w).sum(), scale, noise)

    @property
    def lipschitz(self) -> float:
        return self.scale * float(np.abs(self.w).sum())

    @property
    def C_eta(self) -> float:
        return self.noise

    def initial_state(self, n_chains: int):
        return None

    def evaluate(self, X: np.ndarray, eta: np.ndarray, state):
        if X.shape[-1] != self.w.shape[0]:
            raise ValueError(
                f"w: has length {self.w.shape[0]} but the inputs have d = {X.shape[-1]}"
            )
        return self.scale * np.tanh(X @ self.w) + eta, None


class DataProcess:
    """A data process: an input chain and (optionally) a target rule.

    Parameters
    ----------
    chain : ExampleChain
    target : TeacherTarget, LipschitzTarget or None
        None gives inputs only (``Y`` is returned as None).

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import PaperRNN
    >>> from rtrl_theory.data import DataProcess, ExampleChain, TeacherTarget
    >>> model = PaperRNN(3, 2)
    >>> rng = np.random.default_rng(1)
    >>> teacher = TeacherTarget(model, model.init_params(rng), noise=0.05)
    >>> proc = DataProcess(ExampleChain(2, lam=0.5), teacher)
    >>> X, Y = proc.sample(1000, rng=np.random.default_rng(2))
    >>> X.shape, Y.shape
    ((1000, 2), (1000,))
    >>> stream = proc.stream(np.random.default_rng(2))
    >>> X1, Y1 = stream.next(400); X2, Y2 = stream.next(600)
    >>> bool(np.array_equal(np.concatenate([Y1, Y2]), Y))
    True
    """

    def __init__(self, chain: ExampleChain, target=None) -> None:
        if target is not None and isinstance(target, TeacherTarget):
            if target.model.n_input != chain.n_input:
                raise ValueError(
                    f"target: teacher has n_input = {target.model.n_input}, the chain d = "
                    f"{chain.n_input}"
                )
        self.chain = chain
        self.target = target

    @property
    def n_input(self) -> int:
        return self.chain.n_input

    def stream(self, rng=None, *, x0=None, n_chains: int | None = None) -> DataStream:
        """Return a stateful stream that yields consecutive pieces of one long realisation."""
        return DataStream(self, rng, x0=x0, n_chains=n_chains)

    def sample(self, n_steps: int, rng=None, *, x0=None, n_chains: int | None = None):
        """``(X, Y)`` of ``n_steps``: shapes (T, d), (T,), or (K, T, d), (K, T) with ``n_chains``."""
        return self.stream(rng, x0=x0, n_chains=n_chains).next(n_steps)


class DataStream:
    """A realisation of a :class:`DataProcess` produced piece by piece (see ``DataProcess.stream``).

    Each call of :meth:`next` continues where the previous one stopped; the concatenation of the
    pieces does not depend on how the run was cut. The input chain (Example 2.4 of [P1] for
    :class:`ExampleChain`) and the targets draw from two independent streams spawned from
    ``rng``.

    Parameters
    ----------
    process : DataProcess
        The input chain and target rule.
    rng : numpy.random.Generator or int, optional
        The randomness; None draws fresh entropy.
    x0 : array_like, shape (d,) or (K, d), optional
        Starting point of the input chain (default 0), broadcast to the chains; the first
        input returned is one chain step after it.
    n_chains : int, optional
        K: None (the default) gives one realisation and ``next`` returns ``X`` (T, d) and ``Y``
        (T,); an int gives K independent realisations, ``X`` (K, T, d) and ``Y`` (K, T).

    See Also
    --------
    DataProcess.sample : a whole realisation at once.
    """

    def __init__(self, process: DataProcess, rng=None, *, x0=None, n_chains=None) -> None:
        self.process = process
        self.batched = n_chains is not None
        K = 1 if n_chains is None else positive_int(n_chains, "n_chains")
        d = process.chain.n_input
        self.n_chains = K
        rng_x, rng_y = as_rng(rng).spawn(2)
        self._rng_x, self._rng_y = rng_x, rng_y
        if x0 is None:
            x = np.zeros((K, d))
        else:
            x = as_array(x0, "x0", ndim=(1, 2))
            x = np.broadcast_to(x, (K, d)).copy() if x.ndim == 1 or x.shape[0] == 1 else x.copy()
            if x.shape != (K, d):
                raise ValueError(f"x0: expected shape ({d},) or ({K}, {d}), got {x.shape}")
        self._x = x
        target = process.target
        self._target_state = None if target is None else target.initial_state(K)
        self.position = 0

    def next(self, n_steps: int):
        """Return the next ``n_steps`` of the realisation, as ``(X, Y)`` (``Y`` None without a target)."""
        T = positive_int(n_steps, "n_steps")
        chain, target = self.process.chain, self.process.target
        K = self.n_chains
        eps = chain.draw_noise(self._rng_x, (T, K))  # time-major: chunking-invariant draws
        X = np.empty((K, T, chain.n_input))
        x = self._x
        for t in range(T):
            x = chain.step(x, eps[t])
            X[:, t] = x
        self._x = x
        Y = None
        if target is not None:
            eta = self._rng_y.uniform(-target.noise, target.noise, size=(T, K)).T
            Y, self._target_state = target.evaluate(X, eta, self._target_state)
        self.position += T
        if not self.batched:
            return X[0], None if Y is None else Y[0]
        return X, Y

    def chunks(self, n_steps: int, chunk_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(X, Y)`` pieces of at most ``chunk_size`` steps until ``n_steps`` are produced."""
        n_steps = positive_int(n_steps, "n_steps")
        chunk_size = positive_int(chunk_size, "chunk_size")
        done = 0
        while done < n_steps:
            m = min(chunk_size, n_steps - done)
            yield self.next(m)
            done += m
