r"""The architectures of [P1] Section 7 as cells of the one sensitivity engine (THEORY.md section 10).

Three state recursions, each with the linear readout :math:`\hat Y = C\cdot S` and squared error
(the head :class:`~rtrl_theory.cells.SquaredErrorReadout`, whose :math:`\alpha` is [P1]'s C):

* linear RNN / linear SDE, (7.1): :math:`S_{t+1} = S_t + \Delta (A S_t + B X_t)`, A unconstrained
  (:class:`LinearSDECell`, :class:`LinearSDE`);
* Elman network, (7.4): :math:`S_{t+1} = \phi(W S_t + U X_t + b)`, :math:`\phi` = tanh, ReLU or
  ELU (:class:`ElmanCell`, :class:`ElmanRNN`);
* discretised neural SDE, (7.6):
  :math:`S_{t+1} = S_t + \Delta(-A S_t + \phi(W S_t + U X_t))`, A positive definite in [P1]
  (:class:`NeuralSDECell`, :class:`NeuralSDE`).

Each cell gives the engine (``rtrl_theory.engine``) the structured Jacobians of
``rtrl_theory.cells._base``: the state Jacobian as :math:`\mathrm{diag}(c_0) + \sum_r
\mathrm{diag}(c_r) M_r` and the immediate parameter Jacobian as row-local terms, so RTRL
((2.20)-(2.21)), BPTT and the batched K-chain GEMM come from the engine, not from the cells.

Parameter layout (Notation 2.11, vec stacks columns; the head's C always comes first):

=================  ==========================================  ==============================
model              flat :math:`\theta`                          size
=================  ==========================================  ==============================
``LinearSDE``      ``(C, vec A, vec B)`` = ``(C, vec[A | B])``  N + N^2 + N d
``ElmanRNN``       ``(C, vec[U | W | b])`` (b only if bias)     N + N d + N^2 (+ N)
``NeuralSDE``      ``(C, vec[A | W | U])``                      N + 2 N^2 + N d
=================  ==========================================  ==============================

The Elman order (input block first, then the state block) is the paper RNN's ``vec[W | B]``, so an
Elman tanh network without bias runs on the compiled RTRL kernel (``rtrl_theory.engine.select_backend``).

Section 7 lies outside the hypotheses of [P1]'s theorem (THEORY.md section 9, item 4): weights are
not passed through bounded maps, ReLU and ELU are unbounded, and the inputs are Gaussian.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, as_rng, positive, positive_int

from . import _jit
from ._base import (
    ACTIVATION_CODES,
    Cell,
    CompiledCell,
    CompiledTerm,
    Linearization,
    ParamBlock,
    PreactivationCell,
    RowLocalTerm,
    SecondOrderPieces,
    StateJacobian,
)
from ._heads import SquaredErrorReadout
from ._jit import register_forward
from ._maps import ELU, Identity, ReLU, ScalarMap, Tanh
from ._model import RNNModel, deprecated_flat

__all__ = [
    "ACTIVATIONS",
    "activation_map",
    "LinearSDECell",
    "ElmanCell",
    "NeuralSDECell",
    "LinearSDEParams",
    "ElmanParams",
    "NeuralSDEParams",
    "LinearSDE",
    "ElmanRNN",
    "NeuralSDE",
]

#: Activations of Section 7 by name: tanh (Figs. 5-8), ReLU (Figs. 3-4), ELU (Fig. 10).
ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "elu": ELU}


def activation_map(activation) -> ScalarMap:
    r"""Return the activation :math:`\phi` from a name in :data:`ACTIVATIONS` or a ScalarMap instance.

    Parameters
    ----------
    activation : str or ScalarMap
        A name, ``"tanh"``, ``"relu"`` or ``"elu"`` (the keys of :data:`ACTIVATIONS`), or a
        :class:`ScalarMap` returned as it is.

    Returns
    -------
    ScalarMap
        The activation :math:`\phi` of the Section 7 cells, applied entrywise with its
        derivatives.

    Raises
    ------
    ValueError
        If ``activation`` is neither a known name nor a ScalarMap.
    """
    if isinstance(activation, ScalarMap):
        return activation
    if isinstance(activation, str) and activation in ACTIVATIONS:
        return ACTIVATIONS[activation]()
    raise ValueError(
        f"activation: unknown activation {activation!r}; expected one of "
        f"{', '.join(sorted(ACTIVATIONS))} or a ScalarMap"
    )


def _blocks(n_state: int, widths) -> tuple[ParamBlock, ...]:
    out, off = [], 0
    for name, m in widths:
        out.append(ParamBlock(name, n_state, m, off))
        off += n_state * m
    return tuple(out)


def _act_and_deriv(act: ScalarMap, z: np.ndarray):
    if hasattr(act, "deriv_from_value"):
        s = act.value(z)
        return s, act.deriv_from_value(s, 1)
    return act.value(z), act.deriv(z, 1)


# ------------------------------------------------------------------------------------------------
# Cells
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _PreparedLinear:
    A: np.ndarray  # (N, N)
    B: np.ndarray  # (N, d)
    rec: np.ndarray  # I + dt A, (N, N)
    G1: np.ndarray  # dt, (N, N + d)
    G2: np.ndarray  # 0, (N, N + d)


class LinearSDECell(Cell):
    r"""The linear RNN / linear SDE (7.1) of [P1]: :math:`S_{t+1} = S_t + \Delta(A S_t + B X_t)`.

    .. math::

        \frac{\partial S_{t+1}}{\partial S_t} = I + \Delta A, \qquad
        \frac{\partial S^k_{t+1}}{\partial A^{ij}} = \delta_{ki}\,\Delta\, S^j_t, \qquad
        \frac{\partial S^k_{t+1}}{\partial B^{ij}} = \delta_{ki}\,\Delta\, X^j_t .

    Parameters
    ----------
    n_state : int
        N.
    n_input : int
        d.
    dt : float
        The time step :math:`\Delta > 0`.

    Notes
    -----
    Cell parameters are ``(vec A, vec B)`` = ``vec([A | B])`` (Notation 2.11). A is unconstrained,
    as in [P1]'s experiments; the recursion is stable iff the spectral radius of
    :math:`I + \Delta A` is below 1.

    The cell also supports the second-order recursion of Section 2.4: it is the pre-activation
    form :math:`S_{t+1} = \phi(\tilde\Theta\tilde u_t)` with :math:`\phi` the identity,
    :math:`\tilde u_t = (S_t; X_t)` and :math:`\tilde\Theta = [I + \Delta A\,|\,\Delta B]`, an
    entrywise affine function of the raw parameters (first derivative :math:`\Delta`, second 0).
    """

    has_second_order = True

    def __init__(self, n_state: int, n_input: int, dt: float) -> None:
        self.n_state = positive_int(n_state, "n_state")
        self.n_input = positive_int(n_input, "n_input")
        self.dt = positive(dt, "dt")
        self.blocks = _blocks(self.n_state, (("A", self.n_state), ("B", self.n_input)))
        self.n_params = self.blocks[-1].stop

    def prepare(self, theta: np.ndarray, *, second_order: bool = False) -> _PreparedLinear:
        theta = np.asarray(theta, dtype=float)
        A, B = (b.unflatten(theta) for b in self.blocks)
        N, M = self.n_state, self.n_state + self.n_input
        return _PreparedLinear(
            A, B, np.eye(N) + self.dt * A, np.full((N, M), self.dt), np.zeros((N, M))
        )

    def step(self, prep: _PreparedLinear, S: np.ndarray, X: np.ndarray) -> np.ndarray:
        return S + self.dt * (S @ prep.A.T + X @ prep.B.T)

    def linearize(self, prep: _PreparedLinear, S: np.ndarray, X: np.ndarray) -> Linearization:
        K, N = S.shape
        a = np.full((K, N), self.dt)
        return Linearization(
            S_next=self.step(prep, S, X),
            state_jac=StateJacobian(diag=np.ones((K, N)), coefs=(a,), mats=(prep.A,)),
            param_terms=(
                RowLocalTerm(self.blocks[0].offset, a, S),
                RowLocalTerm(self.blocks[1].offset, a, X),
            ),
        )

    def compiled(self) -> CompiledCell:
        """Compiled description (forward ``"sde"``, kind 0): coefficient row 0 is Delta."""
        N, d = self.n_state, self.n_input
        terms = (
            CompiledTerm(self.blocks[0].offset, "state", N, 0, N, N),
            CompiledTerm(self.blocks[1].offset, "input", d, 0, N, N),
        )
        return CompiledCell("sde", 2, (0, 4, d), (self.dt,), terms)

    def second_order_pieces(self, prep: _PreparedLinear, S: np.ndarray, X: np.ndarray):
        K, N = S.shape
        return SecondOrderPieces(
            S_next=self.step(prep, S, X),
            phi1=np.ones((K, N)),
            phi2=np.zeros((K, N)),
            u=np.concatenate([S, X], axis=1),
            G1=prep.G1,
            G2=prep.G2,
            rec=prep.rec,
            state_cols=slice(0, N),
        )


class ElmanCell(PreactivationCell):
    r"""The Elman cell (7.4) of [P1]: :math:`S_{t+1} = \phi(W S_t + U X_t + b)`.

    A :class:`~rtrl_theory.cells.PreactivationCell` with identity weight maps, so it gets the
    first- and the second-order recursions (Section 2.4) from the engine.

    Parameters
    ----------
    n_state : int
        N.
    n_input : int
        d.
    activation : {"tanh", "relu", "elu"} or ScalarMap, default "tanh"
        :math:`\phi`. ReLU is not differentiable at 0 (its derivative there is taken as 0).
    bias : bool, default True
        Whether the pre-activation has a bias b. [P1]'s (7.4) has none; Section 7.4's networks
        usually do.

    Notes
    -----
    Cell parameters are ``vec([U | W | b])`` (Notation 2.11): U (N, d), then W (N, N), then b
    (N, 1) when ``bias``; :math:`\tilde u_t = (X_t; S_t; 1)`.
    """

    def __init__(self, n_state: int, n_input: int, activation="tanh", bias: bool = True) -> None:
        N = positive_int(n_state, "n_state")
        d = positive_int(n_input, "n_input")
        if not isinstance(bias, bool | np.bool_):
            raise TypeError(f"bias: expected a bool, got {bias!r}")
        blocks = [("U", "input", Identity()), ("W", "state", Identity())]
        if bias:
            blocks.append(("b", "one", Identity()))
        super().__init__(N, d, activation_map(activation), blocks)
        self.bias = bool(bias)


@dataclass(frozen=True)
class _PreparedNeuralSDE:
    A: np.ndarray  # (N, N)
    W: np.ndarray  # (N, N)
    U: np.ndarray  # (N, d)


class NeuralSDECell(Cell):
    r"""The discretised neural SDE (7.6) of [P1].

    .. math::

        S_{t+1} = S_t + \Delta\big(-A S_t + \phi(z_t)\big), \qquad z_t = W S_t + U X_t,

        \frac{\partial S_{t+1}}{\partial S_t} = I - \Delta A + \Delta\,\mathrm{diag}(\phi'(z_t))\,W,

    with the row-local immediate terms :math:`\partial S^k_{t+1}/\partial A^{ij} =
    -\delta_{ki}\Delta S^j_t`, :math:`\partial S^k_{t+1}/\partial W^{ij} =
    \delta_{ki}\Delta\phi'(z^i_t) S^j_t` and :math:`\partial S^k_{t+1}/\partial U^{ij} =
    \delta_{ki}\Delta\phi'(z^i_t) X^j_t`.

    Parameters
    ----------
    n_state : int
        N.
    n_input : int
        d.
    dt : float
        The time step :math:`\Delta > 0`.
    activation : {"tanh", "relu", "elu"} or ScalarMap, default "tanh"
        :math:`\phi`.

    Notes
    -----
    Cell parameters are ``(vec A, vec W, vec U)`` = ``vec([A | W | U])`` (Notation 2.11). [P1]
    takes A positive definite; the cell does not constrain it (a constraint would be a weight map
    on A). No second-order recursion: the state is not of the pre-activation form
    :math:`\phi(\tilde\Theta\tilde u)` that the engine's Section 2.4 recursion needs.
    """

    has_second_order = False

    def __init__(self, n_state: int, n_input: int, dt: float, activation="tanh") -> None:
        self.n_state = positive_int(n_state, "n_state")
        self.n_input = positive_int(n_input, "n_input")
        self.dt = positive(dt, "dt")
        self.activation = activation_map(activation)
        N, d = self.n_state, self.n_input
        self.blocks = _blocks(N, (("A", N), ("W", N), ("U", d)))
        self.n_params = self.blocks[-1].stop

    def prepare(self, theta: np.ndarray) -> _PreparedNeuralSDE:
        theta = np.asarray(theta, dtype=float)
        return _PreparedNeuralSDE(*(b.unflatten(theta) for b in self.blocks))

    def step(self, prep: _PreparedNeuralSDE, S: np.ndarray, X: np.ndarray) -> np.ndarray:
        z = S @ prep.W.T + X @ prep.U.T
        return S + self.dt * (self.activation.value(z) - S @ prep.A.T)

    def compiled(self) -> CompiledCell | None:
        """Compiled description (forward ``"sde"``, kind 1): rows -Delta and Delta phi'(z)."""
        act = self.activation.name
        if act not in ACTIVATION_CODES:
            return None
        N, d = self.n_state, self.n_input
        off = {b.name: b.offset for b in self.blocks}
        terms = (
            CompiledTerm(off["A"], "state", N, 0, N, N),
            CompiledTerm(off["W"], "state", N, 1, N, N),
            CompiledTerm(off["U"], "input", d, 1, N, N),
        )
        return CompiledCell("sde", 2, (1, ACTIVATION_CODES.index(act), d), (self.dt,), terms)

    def linearize(self, prep: _PreparedNeuralSDE, S: np.ndarray, X: np.ndarray) -> Linearization:
        K, N = S.shape
        dt = self.dt
        z = S @ prep.W.T + X @ prep.U.T
        s, phi1 = _act_and_deriv(self.activation, z)
        a_A = np.full((K, N), -dt)
        a_z = dt * phi1
        off = {b.name: b.offset for b in self.blocks}
        return Linearization(
            S_next=S + dt * (s - S @ prep.A.T),
            state_jac=StateJacobian(diag=np.ones((K, N)), coefs=(a_A, a_z), mats=(prep.A, prep.W)),
            param_terms=(
                RowLocalTerm(off["A"], a_A, S),
                RowLocalTerm(off["W"], a_z, S),
                RowLocalTerm(off["U"], a_z, X),
            ),
        )


# ------------------------------------------------------------------------------------------------
# Structured parameters
# ------------------------------------------------------------------------------------------------
class _Section7Params:
    """Shared code of the frozen parameter types: ``C`` then the cell's matrices in flat order.

    Subclasses are frozen dataclasses whose fields are ``C`` (N,) followed by the cell blocks in
    the cell's parameter order; the (N, 1) blocks listed in ``_vectors`` (the Elman bias) are
    stored as (N,) vectors, or None when the model has no such block.
    """

    _matrices: tuple[str, ...] = ()  # (N, N) or (N, d) blocks, in flat order
    _square: tuple[str, ...] = ()  # those of _matrices that are (N, N)
    _vectors: tuple[str, ...] = ()  # (N, 1) blocks kept as (N,) vectors, last; None allowed

    def _validate(self) -> None:
        C = as_array(self.C, "C", ndim=1, copy=True)
        N = C.shape[0]
        fixed = {"C": C}
        for name in self._matrices:
            want = (N, N) if name in self._square else (N, None)
            fixed[name] = as_array(getattr(self, name), name, shape=want, copy=True)
        for name in self._vectors:
            val = getattr(self, name)
            fixed[name] = None if val is None else as_array(val, name, shape=(N,), copy=True)
        d = {fixed[n].shape[1] for n in self._matrices if n not in self._square}
        if len(d) > 1:
            raise ValueError(f"{'/'.join(self._matrices)}: input blocks disagree on d, got {d}")
        for name, arr in fixed.items():
            if arr is not None:
                arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_hidden(self) -> int:
        return self.C.shape[0]

    @property
    def n_input(self) -> int:
        (inp,) = (n for n in self._matrices if n not in self._square)
        return getattr(self, inp).shape[1]

    def _arrays(self):
        for name in self._matrices:
            yield getattr(self, name).T.reshape(-1)
        for name in self._vectors:
            val = getattr(self, name)
            if val is not None:
                yield val

    def _flat(self) -> np.ndarray:
        """``(C, vec of each block in the cell's order)`` (Notation 2.11, vec stacks columns)."""
        return np.concatenate([self.C, *self._arrays()])

    def flat(self) -> np.ndarray:  # deprecated alias (issue 16)
        """Flatten ``params`` (deprecated: use ``model.flatten(params)``)."""
        return deprecated_flat(self)

    @classmethod
    def from_flat(cls, model, vector):
        """Inverse of :meth:`flat` for ``model``'s sizes."""
        v = as_array(vector, "vector", shape=(model.n_params,))
        th, tc = model.split(v)
        mats = {b.name: b.unflatten(tc) for b in model.cell.blocks}
        for name in cls._vectors:
            if name in mats:
                mats[name] = mats[name][:, 0]
        return cls(C=th, **mats)

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for name in ("C", *self._matrices, *self._vectors):
            a, b = getattr(self, name), getattr(other, name)
            if (a is None) != (b is None):
                return False
            if a is not None and (a.shape != b.shape or not np.array_equal(a, b)):
                return False
        return True

    __hash__ = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(N={self.n_hidden}, d={self.n_input})"


@dataclass(frozen=True, eq=False, repr=False)
class LinearSDEParams(_Section7Params):
    r"""Parameters :math:`(C, A, B)` of the linear SDE (7.1), immutable; flat ``(C, vec A, vec B)``.

    Parameters
    ----------
    C : array, shape (N,)
        Readout :math:`\hat Y = C\cdot S`.
    A : array, shape (N, N)
        Drift matrix (the teacher's is :math:`-A^*`, :math:`A^*` Wishart).
    B : array, shape (N, d)
        Input matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import LinearSDE
    >>> p = LinearSDEParams(np.ones(2), np.array([[1.0, 3.0], [2.0, 4.0]]), np.array([[5.0], [6.0]]))
    >>> LinearSDE(2, 1).flatten(p).tolist()
    [1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    """

    C: np.ndarray
    A: np.ndarray
    B: np.ndarray

    _matrices = ("A", "B")
    _square = ("A",)

    def __post_init__(self) -> None:
        self._validate()


@dataclass(frozen=True, eq=False, repr=False)
class ElmanParams(_Section7Params):
    r"""Parameters :math:`(C, U, W, b)` of the Elman network (7.4); flat ``(C, vec[U | W | b])``.

    Parameters
    ----------
    C : array, shape (N,)
    U : array, shape (N, d)
        Input weights.
    W : array, shape (N, N)
        Recurrent weights.
    b : array, shape (N,), or None
        Bias (None for a network without bias).
    """

    C: np.ndarray
    U: np.ndarray
    W: np.ndarray
    b: np.ndarray | None = None

    _matrices = ("U", "W")
    _square = ("W",)
    _vectors = ("b",)

    def __post_init__(self) -> None:
        self._validate()


@dataclass(frozen=True, eq=False, repr=False)
class NeuralSDEParams(_Section7Params):
    r"""Parameters :math:`(C, A, W, U)` of the neural SDE (7.6); flat ``(C, vec[A | W | U])``.

    Parameters
    ----------
    C : array, shape (N,)
    A : array, shape (N, N)
        Linear drift (positive definite in [P1]).
    W : array, shape (N, N)
        Recurrent weights inside :math:`\phi`.
    U : array, shape (N, d)
        Input weights.
    """

    C: np.ndarray
    A: np.ndarray
    W: np.ndarray
    U: np.ndarray

    _matrices = ("A", "W", "U")
    _square = ("A", "W")

    def __post_init__(self) -> None:
        self._validate()


# ------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------
class _Section7Model(RNNModel):
    params_type: type = _Section7Params

    def unflatten(self, theta):
        return self.params_type.from_flat(self, theta)

    def flatten(self, params, name: str = "params") -> np.ndarray:
        if isinstance(params, _Section7Params):
            if not isinstance(params, self.params_type):
                raise TypeError(
                    f"{name}: expected {self.params_type.__name__} or a flat vector for "
                    f"{type(self).__name__}, got {type(params).__name__}"
                )
            if params.n_hidden != self.n_hidden or params.n_input != self.n_input:
                raise ValueError(
                    f"{name}: {type(params).__name__} with N={params.n_hidden}, "
                    f"d={params.n_input} do not fit a model with N={self.n_hidden}, "
                    f"d={self.n_input}"
                )
        return super().flatten(params, name)


def _readout(rng: np.random.Generator, N: int) -> np.ndarray:
    return rng.standard_normal(N) / np.sqrt(N)


class LinearSDE(_Section7Model):
    r"""The linear RNN / linear SDE (7.1) of [P1] with readout :math:`\hat Y = C\cdot S`.

    .. math:: S_{t+1} = S_t + \Delta(A S_t + B X_t), \qquad \hat Y_t = C\cdot S_{t+1}.

    Parameters
    ----------
    n_hidden : int
        N.
    n_input : int
        d.
    dt : float, default 0.1
        The time step :math:`\Delta` ([P1]'s value was lost with the formulas; THEORY.md section
        10). 0.1 keeps the default Wishart teacher stable with margin
        (``rtrl_theory.data.linear_sde_teacher``).

    Notes
    -----
    Flat parameters ``(C, vec A, vec B)``, structured as :class:`LinearSDEParams`. The model
    supports the second-order recursion (``rtrl_theory.loss_grad_hessian``).

    Examples
    --------
    >>> import numpy as np
    >>> model = LinearSDE(3, 2, dt=0.1)
    >>> model.n_params
    18
    >>> model.init_params(np.random.default_rng(0)).A.shape
    (3, 3)
    """

    params_type = LinearSDEParams

    def __init__(self, n_hidden: int, n_input: int, dt: float = 0.1) -> None:
        N = positive_int(n_hidden, "n_hidden")
        d = positive_int(n_input, "n_input")
        self.dt = positive(dt, "dt")
        super().__init__(LinearSDECell(N, d, self.dt), SquaredErrorReadout(N))

    def init_params(self, rng=None, *, a_scale: float = 0.1) -> LinearSDEParams:
        r"""Random starting parameters.

        :math:`A = -I + a_{\rm scale}\,G/\sqrt N` (G standard Gaussian), :math:`B_{ij}\sim
        N(0, 1/d)`, :math:`C_i\sim N(0, 1/N)`.

        Notes
        -----
        A small random perturbation of :math:`-I` rather than a small random A: with
        :math:`A\approx 0`, :math:`I + \Delta A` has eigenvalues near 1 on both sides and the
        state may grow geometrically from the first step. Around :math:`-I` the eigenvalues of
        :math:`I + \Delta A` lie near :math:`1 - \Delta` (the circular law puts those of
        :math:`G/\sqrt N` in the unit disc), a stable start. A stays unconstrained in training.
        """
        rng = as_rng(rng)
        a_scale = positive(a_scale, "a_scale")
        N, d = self.n_hidden, self.n_input
        return LinearSDEParams(
            _readout(rng, N),
            -np.eye(N) + a_scale * rng.standard_normal((N, N)) / np.sqrt(N),
            rng.standard_normal((N, d)) / np.sqrt(d),
        )

    def __repr__(self) -> str:
        return f"LinearSDE(n_hidden={self.n_hidden}, n_input={self.n_input}, dt={self.dt!r})"


class ElmanRNN(_Section7Model):
    r"""The Elman network (7.4) of [P1] with readout :math:`\hat Y = C\cdot S`.

    .. math:: S_{t+1} = \phi(W S_t + U X_t + b), \qquad \hat Y_t = C\cdot S_{t+1}.

    Parameters
    ----------
    n_hidden : int
        N.
    n_input : int
        d.
    activation : {"tanh", "relu", "elu"} or ScalarMap, default "tanh"
    bias : bool, default True

    Notes
    -----
    Flat parameters ``(C, vec[U | W | b])``, structured as :class:`ElmanParams`. First and
    second order come from the engine's pre-activation recursion; with ``activation="tanh"`` and
    ``bias=False`` the layout is the paper RNN's, and ``loss_and_grad`` runs on the compiled
    kernel when numba is installed.

    Examples
    --------
    >>> import numpy as np
    >>> model = ElmanRNN(3, 2, activation="relu", bias=True)
    >>> model.n_params
    21
    >>> model.init_params(np.random.default_rng(0)).b.tolist()
    [0.0, 0.0, 0.0]
    """

    params_type = ElmanParams

    def __init__(self, n_hidden: int, n_input: int, activation="tanh", bias: bool = True) -> None:
        N = positive_int(n_hidden, "n_hidden")
        d = positive_int(n_input, "n_input")
        cell = ElmanCell(N, d, activation, bias)
        self.activation = activation
        self.bias = cell.bias
        super().__init__(cell, SquaredErrorReadout(N))

    def init_params(self, rng=None, *, gamma: float = 0.5) -> ElmanParams:
        r"""Random starting parameters.

        :math:`W = \gamma G/\sqrt N` (the teacher's law of Section 7.2 with a smaller scale),
        :math:`U_{ij}\sim N(0, 1/d)`, b = 0, :math:`C_i\sim N(0, 1/N)`.

        Notes
        -----
        With :math:`\gamma = 0.5` the spectral norm of W is about :math:`2\gamma = 1` for large
        N and its spectral radius about :math:`\gamma` (circular law): near the edge of
        contraction, the usual choice for trainable memory.
        """
        rng = as_rng(rng)
        gamma = positive(gamma, "gamma")
        N, d = self.n_hidden, self.n_input
        return ElmanParams(
            _readout(rng, N),
            rng.standard_normal((N, d)) / np.sqrt(d),
            gamma * rng.standard_normal((N, N)) / np.sqrt(N),
            np.zeros(N) if self.bias else None,
        )

    def flatten(self, params, name: str = "params") -> np.ndarray:
        if isinstance(params, ElmanParams) and (params.b is not None) != self.bias:
            has = "with" if params.b is not None else "without"
            raise ValueError(
                f"{name}: ElmanParams {has} a bias b do not fit a model with bias={self.bias}"
            )
        return super().flatten(params, name)

    def __repr__(self) -> str:
        return (
            f"ElmanRNN(n_hidden={self.n_hidden}, n_input={self.n_input}, "
            f"activation={self.activation!r}, bias={self.bias!r})"
        )


class NeuralSDE(_Section7Model):
    r"""The discretised neural SDE (7.6) of [P1] with readout :math:`\hat Y = C\cdot S`.

    .. math::

        S_{t+1} = S_t + \Delta\big(-A S_t + \phi(W S_t + U X_t)\big), \qquad
        \hat Y_t = C\cdot S_{t+1}.

    Parameters
    ----------
    n_hidden : int
        N.
    n_input : int
        d.
    dt : float, default 0.1
        The time step :math:`\Delta` (see :class:`LinearSDE`).
    activation : {"tanh", "relu", "elu"} or ScalarMap, default "tanh"

    Notes
    -----
    Flat parameters ``(C, vec[A | W | U])``, structured as :class:`NeuralSDEParams`. First order
    only (RTRL and BPTT).

    Examples
    --------
    >>> model = NeuralSDE(3, 2)
    >>> model.n_params
    27
    """

    params_type = NeuralSDEParams

    def __init__(self, n_hidden: int, n_input: int, dt: float = 0.1, activation="tanh") -> None:
        N = positive_int(n_hidden, "n_hidden")
        d = positive_int(n_input, "n_input")
        self.dt = positive(dt, "dt")
        self.activation = activation
        super().__init__(NeuralSDECell(N, d, self.dt, activation), SquaredErrorReadout(N))

    def init_params(self, rng=None, *, gamma: float = 0.5) -> NeuralSDEParams:
        r"""Random starting parameters.

        A = I, :math:`W = \gamma G/\sqrt N`, :math:`U_{ij}\sim N(0, 1/d)`,
        :math:`C_i\sim N(0, 1/N)`.

        Notes
        -----
        A = I is positive definite, as (7.6) asks, and gives the relaxation time
        :math:`1/\Delta` steps; the random W, U and C break the symmetry between the units.
        """
        rng = as_rng(rng)
        gamma = positive(gamma, "gamma")
        N, d = self.n_hidden, self.n_input
        return NeuralSDEParams(
            _readout(rng, N),
            np.eye(N),
            gamma * rng.standard_normal((N, N)) / np.sqrt(N),
            rng.standard_normal((N, d)) / np.sqrt(d),
        )

    def __repr__(self) -> str:
        return (
            f"NeuralSDE(n_hidden={self.n_hidden}, n_input={self.n_input}, dt={self.dt!r}, "
            f"activation={self.activation!r})"
        )

# ------------------------------------------------------------------------------------------------
# The compiled forward function (numba subset; signature and arguments: cells._jit), registered
# with its one line: the compiled engine's loops run this cell with it.
# ------------------------------------------------------------------------------------------------
def _fw_sde(ip, fp, th, N, xd, xi, S, s, coef, A, work, jac):  # pragma: no cover
    """Linear SDE (7.1) (kind 0) or neural SDE (7.6) (kind 1), one Euler step.

    Kind 0: S' = S + dt (A S + B X); kind 1: S' = S + dt (phi(W S + U X) - A S).
    coef[0] = dt or -dt, coef[1] = dt phi'(z).
    """
    kind, act, d = ip[0], ip[1], ip[2]
    dt = fp[0]
    NN = N * N
    if kind == 0:
        for k in range(N):
            s[k] = 0.0
        for j in range(N):
            hj = S[j]
            for k in range(N):
                s[k] += th[j * N + k] * hj
        for j in range(d):
            xj = xd[j]
            for k in range(N):
                s[k] += th[NN + j * N + k] * xj
        for k in range(N):
            s[k] = S[k] + dt * s[k]
            coef[0, k] = dt
        if jac:
            for j in range(N):
                for k in range(N):
                    A[k, j] = dt * th[j * N + k]
                A[j, j] += 1.0
        return 0
    # kind 1: unsigned offsets and indices (numba emits no negative-index wraparound for them;
    # all of one type: uint64 mixed with int64 would give float64). Kind 0 keeps signed ones:
    # unsigned, it ran no faster (1.107 against 1.116 us/step, online 2.61 against 2.59).
    nu, du = np.uint64(N), np.uint64(d)
    NU = nu * nu
    NU2 = NU + NU
    for k in range(nu):
        work[k] = 0.0
        s[k] = 0.0
    for j in range(nu):
        hj = S[j]
        base = j * nu
        for k in range(nu):
            work[k] += th[NU + base + k] * hj
            s[k] += th[base + k] * hj
    for j in range(du):
        xj = xd[j]
        base = NU2 + j * nu
        for k in range(nu):
            work[k] += th[base + k] * xj
    # phi, phi', phi'' in place (work[k], coef[0, k], coef[1, k]; vectorised), then the step
    _jit._act_rows(act, N, work, coef)
    for k in range(nu):
        s[k] = S[k] + dt * (work[k] - s[k])
        coef[1, k] = dt * coef[0, k]
        coef[0, k] = -dt
    if jac:
        for j in range(nu):
            base = j * nu
            for k in range(nu):
                A[k, j] = coef[1, k] * th[NU + base + k] - dt * th[base + k]
            A[j, j] += 1.0
    return 0


register_forward("sde", _fw_sde)
