r"""The cell interface: the one seam between architectures and the sensitivity engine.

A *cell* is the state update :math:`S_{t+1} = F(S_t, X_t; \vartheta)` of a recurrent network,
batched over K chains sharing :math:`\vartheta`. The engine (``rtrl_theory.engine``) needs of it,
at each step, three structured pieces (THEORY.md section 4):

* the next state ``S_next`` (K, N);
* the Jacobian in the state, written as

  .. math:: \frac{\partial S_{t+1}}{\partial S_t}
            = \mathrm{diag}(c^{(0)}) + \sum_r \mathrm{diag}(c^{(r)})\, M_r,

  with per-chain coefficient vectors :math:`c^{(r)}` (K, N) and matrices :math:`M_r` (N, N) shared
  by all chains, so that K chains advance through one GEMM on an (N, K P) view;
* the immediate parameter Jacobian :math:`\partial S_{t+1}/\partial\vartheta` at fixed
  :math:`S_t`, as *row-local* terms: for a parameter matrix :math:`\Theta` (N, m) stored
  column-stacked at ``offset`` (Notation 2.11: entry (i, j) at ``offset + j N + i``),

  .. math:: \frac{\partial S^k_{t+1}}{\partial \Theta^{ij}} = \delta_{ki}\, a_i\, u_j\, w_{ij},

  the "diagonal blocks" of (2.20)-(2.21). Every architecture of [P1] Section 7 (paper RNN, Elman,
  linear RNN/SDE, neural SDE, GRU) has this form: row i of a weight matrix acts on neuron i only.
  When u is the one-hot vector of an input symbol (character-level text), only column
  :math:`j = x_t` is nonzero: :class:`IndexedRowLocalTerm` carries the symbol instead of u, so
  the engine touches N entries instead of N V.

Cells with one-hot inputs set the class attribute ``input_kind = "onehot"`` (absent means
``"dense"``): the engine then passes the input of each chain as an integer symbol, ``X`` (K,)
per step instead of (K, d), and ``n_input`` is the vocabulary size V.

**Multi-part states and gate-stacked blocks** (the LSTM, :mod:`rtrl_theory.cells._lstm`). A
cell's engine state may stack several parts, ``S = (h, c)`` (K, 2N) for the LSTM: ``n_state`` is
the total width and the attribute ``state_parts`` names the parts with their widths (absent means
one part). The head reads only the first ``n_out`` entries (``n_out`` absent means all of S):
:class:`~rtrl_theory.cells.StateSliceHead` adapts any head to that, padding its state derivatives with zeros. A
parameter block may have more rows than the part it drives: the LSTM's ``W_ih`` is (4N, d), its
row ``q N + i`` (gate q of unit i) drives both ``h_i`` and ``c_i``. A row-local term then says
where its rows sit, with ``n_rows`` (R, the block's row count; default the term's width n),
``row0`` (first block row it covers) and ``state0`` (first state entry it drives):

.. math:: \frac{\partial S^{\text{state0} + k}}{\partial\Theta^{\text{row0} + i,\, j}}
          = \delta_{ki}\, a[c, i]\, u[c, j]\, w[i, j], \qquad 0 \le i, k < n,

entry (r, j) of the block at ``offset + j R + r``. One gate of the LSTM gives two such terms (on h
and on c). The defaults (R = n = N, row0 = state0 = 0) are the single-part case above.

**Compiled description** (optional; :mod:`rtrl_theory.engine._compiled`). A cell reaches the
compiled engine from its own module: a method ``compiled()`` returning a :class:`CompiledCell`
(the name of its numba-compilable forward function and the static table of its parameter
blocks), the forward function itself, and one registration line,
``register_forward("name", forward)`` (:mod:`rtrl_theory.cells._jit`, which documents the
forward function's arguments).

Cells of the pre-activation family :math:`S_{t+1} = \phi(z_t)`, :math:`z_t = \tilde\Theta\tilde u_t`
with :math:`\tilde u_t` stacking the input, the state and optionally a constant 1, and each block of
:math:`\tilde\Theta` an entrywise smooth map of a raw parameter matrix, also provide the pieces of
the second-order recursion of Section 2.4 (:class:`PreactivationCell`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rtrl_theory._validate import as_array

from . import _jit
from ._jit import register_forward
from ._maps import ScalarMap

__all__ = [
    "ParamBlock",
    "StateJacobian",
    "RowLocalTerm",
    "IndexedRowLocalTerm",
    "Linearization",
    "SecondOrderPieces",
    "Cell",
    "CompiledCell",
    "CompiledTerm",
    "PreactivationCell",
]


@dataclass(frozen=True)
class ParamBlock:
    """A named parameter matrix of shape ``(n_rows, n_cols)`` stored column-stacked at ``offset``.

    The flat parameter vector of a cell concatenates its blocks in the order of Notation 2.11 of
    [P1]: entry (i, j) of the block sits at ``offset + j n_rows + i`` (``vec``, column-stacked).

    Parameters
    ----------
    name : str
        The block's name in the cell's parameter type (``"alpha"``, ``"W"``, ``"B"``, ...).
    n_rows, n_cols : int
        Shape of the matrix, e.g. (N, d) for the input weights W of (2.17).
    offset : int
        Position of entry (0, 0) in the flat parameter vector, in ``[0, P)``.

    See Also
    --------
    RowLocalTerm : an immediate Jacobian term addressing a block through its ``offset``.
    """

    name: str
    n_rows: int
    n_cols: int
    offset: int

    @property
    def size(self) -> int:
        return self.n_rows * self.n_cols

    @property
    def stop(self) -> int:
        return self.offset + self.size

    def unflatten(self, theta: np.ndarray) -> np.ndarray:
        """Return the (n_rows, n_cols) matrix from a flat parameter vector (column-stacked vec)."""
        return theta[self.offset : self.stop].reshape(self.n_cols, self.n_rows).T

    def flatten_into(self, out: np.ndarray, mat: np.ndarray) -> None:
        out[self.offset : self.stop] = np.asarray(mat, dtype=float).T.reshape(-1)


@dataclass(frozen=True)
class StateJacobian:
    r"""Structured state Jacobian ``dS_next/dS = diag(diag) + sum_r diag(coefs[r]) @ mats[r]``.

    .. math:: \frac{\partial S_{t+1}}{\partial S_t}
              = \mathrm{diag}(c^{(0)}) + \sum_r \mathrm{diag}(c^{(r)})\, M_r

    one per chain; for the paper RNN (2.17) it is :math:`\mathrm{diag}(f'(\cdot))\,B`, the
    factor that multiplies :math:`\tilde J_t` in (2.20). The engine applies it to all K chains
    through one GEMM per matrix :math:`M_r` (:func:`rtrl_theory.engine.apply_state_jacobian`).

    Parameters
    ----------
    diag : ndarray, shape (K, N), or None
        The diagonal part :math:`c^{(0)}` per chain (None: no diagonal part).
    coefs : tuple of ndarray, each shape (K, N)
        The row scalings :math:`c^{(r)}` per chain.
    mats : tuple of ndarray, each shape (N, N)
        The matrices :math:`M_r`, shared by every chain; as many as ``coefs``.
    """

    diag: np.ndarray | None
    coefs: tuple[np.ndarray, ...]
    mats: tuple[np.ndarray, ...]

    def dense(self) -> np.ndarray:
        """Return the (K, N, N) Jacobians, built densely (for tests and small problems only)."""
        K, N = self.coefs[0].shape if self.coefs else self.diag.shape
        out = np.zeros((K, N, N))
        if self.diag is not None:
            out[:, np.arange(N), np.arange(N)] += self.diag
        for c, m in zip(self.coefs, self.mats, strict=True):
            out += c[:, :, None] * m[None, :, :]
        return out


@dataclass(frozen=True)
class RowLocalTerm:
    r"""Immediate Jacobian term ``dS^k/dTheta^{ij} = delta_{ki} a[c, i] u[c, j] w[i, j]``.

    The "diagonal blocks" of the immediate Jacobian in (2.20)-(2.21) of [P1]: row i of the
    parameter matrix :math:`\Theta` (n, m) acts on state entry i only. For the paper RNN (2.17),
    the block W has :math:`a = \sigma'(z_t)`, :math:`u = X_t` and :math:`w = g'(W)`.

    Parameters
    ----------
    offset : int
        Position of :math:`\Theta^{00}` in the cell's flat parameters (entry (r, j) of the block
        at ``offset + j R + r``, R = :attr:`block_rows`).
    a : ndarray, shape (K, n)
        Per-chain row factor, e.g. the activation derivative at the pre-activation.
    u : ndarray, shape (K, m)
        Per-chain column factor, e.g. the input :math:`X_t` or the old state :math:`S_t`.
    w : ndarray, shape (n, m), optional
        Entrywise derivative of the weight map defining the effective matrix from the raw
        parameters (None, the default: all ones).
    n_rows : int, optional
        R, the row count of the parameter block (default None: n, the term's width). Larger for
        a gate-stacked block (the LSTM's (4N, d) ``W_ih``).
    row0 : int, default 0
        First block row the term covers.
    state0 : int, default 0
        First state entry the term drives (n = N and the defaults give the single-part case).

    See Also
    --------
    IndexedRowLocalTerm : the same term for a one-hot input, storing the symbol instead of u.
    """

    offset: int
    a: np.ndarray
    u: np.ndarray
    w: np.ndarray | None = None
    n_rows: int | None = None
    row0: int = 0
    state0: int = 0

    @property
    def n_cols(self) -> int:
        return self.u.shape[1]

    @property
    def block_rows(self) -> int:
        """R, the row count of the parameter block (module docstring: multi-part states)."""
        return self.a.shape[1] if self.n_rows is None else self.n_rows

    def values(self) -> np.ndarray:
        """Return the nonzero entries as a (K, m, N) array ``[c, j, i]`` (column-stacked order)."""
        v = self.a[:, None, :] * self.u[:, :, None]
        if self.w is not None:
            v = v * self.w.T[None, :, :]
        return v


@dataclass(frozen=True)
class IndexedRowLocalTerm:
    r"""Row-local term of a weight matrix applied to a one-hot input: only one column is touched.

    For an input block :math:`\Theta` (N, V) acting on the one-hot vector :math:`e_{x}` of the
    symbol :math:`x\in\{0, \dots, V-1\}` (pre-activation :math:`\Theta e_x = \Theta[:, x]`, a
    column lookup), the immediate Jacobian is that of :class:`RowLocalTerm` with
    :math:`u = e_x`:

    .. math:: \frac{\partial S^k}{\partial\Theta^{ij}}
              = \delta_{ki}\,\delta_{j x_c}\, a[c, i]\, w[i, j],

    nonzero in column :math:`j = x_c` only: N entries per chain instead of N V.

    Parameters
    ----------
    offset : int
        Position of :math:`\Theta^{00}` in the cell's flat parameters (column-stacked, so entry
        (i, j) is at ``offset + j N + i``).
    a : ndarray, shape (K, N)
    index : ndarray of int, shape (K,)
        The symbol :math:`x_c` of each chain, in ``[0, n_cols)``.
    n_cols : int
        V, the number of columns of :math:`\Theta` (the vocabulary size).
    w : ndarray, shape (N, V), optional
        Entrywise weight-map derivative (None: all ones).
    n_rows : int, optional
        R, the row count of the block (default None: the term's width n = ``a.shape[1]``).
    row0 : int, default 0
        First block row the term covers.
    state0 : int, default 0
        First state entry the term drives (multi-part states, module docstring).

    See Also
    --------
    RowLocalTerm : the dense-input form; :meth:`to_dense` converts to it.
    """

    offset: int
    a: np.ndarray
    index: np.ndarray
    n_cols: int
    w: np.ndarray | None = None
    n_rows: int | None = None
    row0: int = 0
    state0: int = 0

    @property
    def block_rows(self) -> int:
        """R, the row count of the parameter block (as :attr:`RowLocalTerm.block_rows`)."""
        return self.a.shape[1] if self.n_rows is None else self.n_rows

    def coefficients(self) -> np.ndarray:
        """Return the nonzero entries ``a[c, i] w[i, index[c]]`` as a (K, n) array."""
        if self.w is None:
            return self.a
        return self.a * self.w[:, self.index].T

    def rows(self, n_state: int | None = None) -> np.ndarray:
        """Return the flat parameter positions of the nonzero entries, (K, n).

        Flat parameter positions ``offset + index[c] R + row0 + i`` of the nonzero entries,
        (K, n) (``n_state`` is accepted for compatibility; R is :attr:`block_rows`).
        """
        idx = np.asarray(self.index, dtype=np.intp)
        n = self.a.shape[1]
        R = self.block_rows
        return self.offset + idx[:, None] * R + self.row0 + np.arange(n)[None, :]

    def state_rows(self) -> slice:
        """Return the state entries the term drives, ``state0 : state0 + n``."""
        return slice(self.state0, self.state0 + self.a.shape[1])

    def to_dense(self) -> RowLocalTerm:
        """Return the same term as a :class:`RowLocalTerm` with a dense one-hot ``u`` (tests only)."""
        K = self.a.shape[0]
        u = np.zeros((K, self.n_cols))
        u[np.arange(K), np.asarray(self.index, dtype=np.intp)] = 1.0
        return RowLocalTerm(
            self.offset, self.a, u, self.w, self.n_rows, self.row0, self.state0
        )


@dataclass(frozen=True)
class Linearization:
    r"""One step of a cell with its structured Jacobians (see the module docstring).

    What :meth:`Cell.linearize` returns: the pieces of the first-order recursion (2.20) of [P1],
    :math:`\tilde J_{t+1} = \frac{\partial S_{t+1}}{\partial S_t}\tilde J_t
    + \frac{\partial S_{t+1}}{\partial\vartheta}`.

    Parameters
    ----------
    S_next : ndarray, shape (K, N)
        The next state :math:`S_{t+1}` of each chain.
    state_jac : StateJacobian
        :math:`\partial S_{t+1}/\partial S_t`, structured.
    param_terms : tuple of RowLocalTerm or IndexedRowLocalTerm
        The immediate parameter Jacobian :math:`\partial S_{t+1}/\partial\vartheta` at fixed
        :math:`S_t`, one term per parameter block (or gate part of one).
    """

    S_next: np.ndarray
    state_jac: StateJacobian
    param_terms: tuple[RowLocalTerm | IndexedRowLocalTerm, ...]


@dataclass(frozen=True)
class SecondOrderPieces:
    r"""What the second-order recursion of Section 2.4 needs from a pre-activation cell.

    With :math:`z = \tilde\Theta \tilde u`, :math:`S_{next} = \phi(z)`:

    * ``phi1``, ``phi2``: :math:`\phi'(z)`, :math:`\phi''(z)`, (K, N);
    * ``u``: :math:`\tilde u` (K, M);
    * ``G1``, ``G2``: first and second derivatives of the entrywise maps defining
      :math:`\tilde\Theta` from the raw parameters, (N, M);
    * ``rec``: :math:`\tilde\Theta` restricted to the state columns, (N, N);
    * ``state_cols``: the slice of :math:`\tilde u`'s columns holding the state.
    """

    S_next: np.ndarray
    phi1: np.ndarray
    phi2: np.ndarray
    u: np.ndarray
    G1: np.ndarray
    G2: np.ndarray
    rec: np.ndarray
    state_cols: slice


#: Sources of a compiled row-local term: the one-hot input column, the dense input, the OLD
#: state, the constant 1.
SOURCES = ("onehot", "input", "state", "one")
#: Entrywise weight maps the compiled engine evaluates (online training re-maps at every step).
WEIGHT_MAPS = ("identity", "tanh", "sigmoid")  # c tanh(x), c (2 sigma(x) - 1) = c tanh(x / 2)
#: Activations of the compiled forward functions (codes 0..4 in ``engine._compiled``).
ACTIVATION_CODES = ("sigmoid", "tanh", "relu", "elu", "identity")


@dataclass(frozen=True)
class CompiledTerm:
    r"""One row of a cell's compiled table: a row-local immediate term (module docstring).

    ``dS^{state0 + i} / dTheta^{row0 + i, j} = coef[coef_row, i] * u_j * (G1 entry if weighted)``
    for ``0 <= i < n``, ``0 <= j < n_cols``, entry (r, j) of the block at ``offset + j n_rows + r``;
    ``u_j`` is ``source[source0 + j]`` (``"onehot"``: only the column of the symbol, u = 1).
    The compiled counterpart of :class:`RowLocalTerm` / :class:`IndexedRowLocalTerm`, terms of
    the immediate Jacobian of (2.20)-(2.21) of [P1].

    Parameters
    ----------
    offset : int
        Position of the block's entry (0, 0) in the flat cell parameters.
    source : str
        Where u comes from, one of :data:`SOURCES`: ``"onehot"`` (the input symbol's column),
        ``"input"`` (the dense input :math:`X_t`), ``"state"`` (the old state :math:`S_t`) or
        ``"one"`` (the constant 1 of a bias).
    n_cols : int
        m, the block's column count.
    coef_row : int
        Row of the forward function's coefficient array ``coef`` (n_coef, K, n) holding the
        row factor a of this term.
    n : int
        The term's width (number of state entries it drives).
    n_rows : int
        R, the block's row count.
    row0 : int, default 0
        First block row the term covers.
    state0 : int, default 0
        First state entry the term drives.
    source0 : int, default 0
        First entry of the source vector read as ``u_0``.
    weighted : bool, default False
        Whether the term is multiplied by the derivative G1 of the block's entrywise weight map.
    """

    offset: int
    source: str
    n_cols: int
    coef_row: int
    n: int
    n_rows: int
    row0: int = 0
    state0: int = 0
    source0: int = 0
    weighted: bool = False

    def row(self) -> tuple[int, ...]:
        return (
            self.offset,
            SOURCES.index(self.source),
            self.source0,
            self.n_cols,
            self.coef_row,
            self.n_rows,
            self.row0,
            self.state0,
            self.n,
            int(self.weighted),
        )


@dataclass(frozen=True)
class CompiledCell:
    """A cell described to the compiled engine (``rtrl_theory.engine._compiled``).

    Attributes
    ----------
    forward : str
        Name of the cell's compiled forward function, registered with
        ``cells._jit.register_forward``: it writes the next state, the coefficient rows ``coef``
        (n_coef, .) and the state Jacobian.
    n_coef : int
        Number of coefficient rows the forward function writes.
    ints, floats : tuple
        Static integers and floats the forward function reads (activation code, sizes, dt, ...).
    terms : tuple of CompiledTerm
        The immediate parameter Jacobian, as a table.
    maps : tuple of (start, stop, kind, scale)
        Entrywise weight maps of the flat cell parameters (``kind`` in :data:`WEIGHT_MAPS`); the
        forward function reads the mapped parameters and weighted terms their derivative.
    second_order : bool
        Whether the compiled second-order step (pre-activation cells with u~ = (X; S)) applies.
    """

    forward: str
    n_coef: int
    ints: tuple
    floats: tuple
    terms: tuple
    maps: tuple = ()
    second_order: bool = False


class Cell:
    """Base class of cells. Subclasses set the sizes and ``blocks`` and implement the methods.

    Attributes
    ----------
    n_state : int
        N, the number of hidden units.
    n_input : int
        d, the input dimension.
    n_params : int
        Number of cell parameters (the head's parameters are separate).
    blocks : tuple of ParamBlock
        Named parameter matrices, in flat order.
    has_second_order : bool
        Whether :meth:`second_order_pieces` is implemented.
    """

    n_state: int
    n_input: int
    n_params: int
    blocks: tuple[ParamBlock, ...]
    has_second_order: bool = False

    def prepare(self, theta: np.ndarray):
        """Precompute what depends on the parameters only (mapped weights, their derivatives)."""
        raise NotImplementedError

    def step(self, prep, S: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Next state for K chains: S (K, N), X (K, d) -> (K, N)."""
        raise NotImplementedError

    def linearize(self, prep, S: np.ndarray, X: np.ndarray) -> Linearization:
        r"""Take one step and return the structured Jacobians that RTRL needs.

        Parameters
        ----------
        prep : object
            ``self.prepare(theta_c)``.
        S : ndarray, shape (K, N)
            The states :math:`S_t` of K chains.
        X : ndarray, shape (K, d), or (K,) of int for one-hot inputs
            The inputs :math:`X_t`.

        Returns
        -------
        Linearization
            ``S_next`` (K, N) :math:`= S_{t+1}`; ``state_jac``, the Jacobian
            :math:`\partial S_{t+1}/\partial S_t` as a :class:`StateJacobian` (for the paper's
            RNN, :math:`D_t f(B)`); ``param_terms``, the immediate Jacobian :math:`M_t` of
            (2.20)-(2.21) of [P1] as row-local terms (module docstring).
        """
        raise NotImplementedError

    def second_order_pieces(self, prep, S: np.ndarray, X: np.ndarray) -> SecondOrderPieces:
        raise NotImplementedError(f"{type(self).__name__} has no second-order recursion")

    def initial_state(self, n_chains: int = 1) -> np.ndarray:
        """S_0 = 0 for every chain (THEORY.md section 2, CONVENTION)."""
        return np.zeros((n_chains, self.n_state))


@dataclass(frozen=True)
class _PreBlock:
    name: str
    source: str  # "input", "state" or "one"
    weight_map: ScalarMap


@dataclass(frozen=True)
class PreparedPreactivation:
    """Parameters of a pre-activation cell mapped once: ``Theta`` = mapped, ``G1``/``G2`` its derivatives."""

    Theta: np.ndarray  # (N, M)
    G1: np.ndarray  # (N, M)
    G2: np.ndarray | None
    rec: np.ndarray  # (N, N) view of Theta's state columns
    raw: np.ndarray = field(repr=False)


class PreactivationCell(Cell):
    r"""Cells :math:`S_{t+1} = \phi(\tilde\Theta(\vartheta)\, \tilde u_t)`.

    :math:`\tilde u_t` stacks the sources of the blocks, in block order (input :math:`X_t`, state
    :math:`S_t`, constant 1 for a bias) and :math:`\tilde\Theta` stacks the blocks' mapped raw
    parameters column-wise. Since vec stacks columns, the flat cell parameters are
    ``vec(raw Theta)`` (Notation 2.11), e.g. ``(vec W, vec B)`` for the paper's RNN.

    Parameters
    ----------
    n_state, n_input : int
    activation : ScalarMap
        :math:`\phi`.
    blocks : sequence of (name, source, weight_map)
        ``source`` in {"input", "state", "one"}; each source appears at most once.
    """

    has_second_order = True

    def __init__(self, n_state: int, n_input: int, activation: ScalarMap, blocks) -> None:
        self.n_state = int(n_state)
        self.n_input = int(n_input)
        self.activation = activation
        self._pre = tuple(_PreBlock(*b) for b in blocks)
        widths = {"input": self.n_input, "state": self.n_state, "one": 1}
        sources = [b.source for b in self._pre]
        if len(set(sources)) != len(sources) or not set(sources) <= set(widths):
            raise ValueError(f"blocks: each source of {sorted(widths)} at most once, got {sources}")
        if "state" not in sources:
            raise ValueError("blocks: a recurrent cell needs a 'state' block")
        blocks_out, col, cols = [], 0, {}
        for b in self._pre:
            m = widths[b.source]
            blocks_out.append(ParamBlock(b.name, self.n_state, m, col * self.n_state))
            cols[b.source] = slice(col, col + m)
            col += m
        self.blocks = tuple(blocks_out)
        self.n_cols = col
        self.n_params = col * self.n_state
        self._cols = cols
        self.state_cols = cols["state"]

    # -- parameters -------------------------------------------------------------------------
    def prepare(self, theta: np.ndarray, *, second_order: bool = False) -> PreparedPreactivation:
        raw = np.asarray(theta, dtype=float).reshape(self.n_cols, self.n_state).T
        Theta = np.empty_like(raw)
        G1 = np.empty_like(raw)
        G2 = np.empty_like(raw) if second_order else None
        for b in self._pre:
            sl = self._cols[b.source]
            Theta[:, sl] = b.weight_map.value(raw[:, sl])
            G1[:, sl] = b.weight_map.deriv(raw[:, sl], 1)
            if second_order:
                G2[:, sl] = b.weight_map.deriv(raw[:, sl], 2)
        return PreparedPreactivation(Theta, G1, G2, Theta[:, self.state_cols], raw)

    # -- one step ---------------------------------------------------------------------------
    def stacked_input(self, S: np.ndarray, X: np.ndarray) -> np.ndarray:
        r""":math:`\tilde u = (X, S, 1)` in block order, (K, M)."""
        K = S.shape[0]
        u = np.empty((K, self.n_cols))
        for b in self._pre:
            sl = self._cols[b.source]
            if b.source == "input":
                u[:, sl] = X
            elif b.source == "state":
                u[:, sl] = S
            else:
                u[:, sl] = 1.0
        return u

    def _preact(self, prep, S, X):
        u = self.stacked_input(S, X)
        return u, u @ prep.Theta.T

    def step(self, prep, S, X):
        return self.activation.value(self._preact(prep, S, X)[1])

    def _act(self, z):
        act = self.activation
        if hasattr(act, "deriv_from_value"):
            s = act.value(z)
            return s, act.deriv_from_value(s, 1)
        return act.value(z), act.deriv(z, 1)

    def linearize(self, prep, S, X) -> Linearization:
        u, z = self._preact(prep, S, X)
        s, phi1 = self._act(z)
        return Linearization(
            S_next=s,
            state_jac=StateJacobian(diag=None, coefs=(phi1,), mats=(prep.rec,)),
            param_terms=(RowLocalTerm(0, phi1, u, prep.G1),),
        )

    def second_order_pieces(self, prep, S, X) -> SecondOrderPieces:
        if prep.G2 is None:
            raise ValueError(
                "prep: prepared without second-order derivatives; "
                "call prepare(theta, second_order=True)"
            )
        u, z = self._preact(prep, S, X)
        act = self.activation
        s = act.value(z)
        if hasattr(act, "deriv_from_value"):
            phi1, phi2 = act.deriv_from_value(s, 1), act.deriv_from_value(s, 2)
        else:
            phi1, phi2 = act.deriv(z, 1), act.deriv(z, 2)
        return SecondOrderPieces(s, phi1, phi2, u, prep.G1, prep.G2, prep.rec, self.state_cols)

    def compiled(self) -> CompiledCell | None:
        """Return the compiled description: forward ``"preactivation"`` (z = Theta~ u~, S' = phi(z)).

        None when the activation or a weight map has no compiled form. Coefficient rows: 0 is
        phi'(z), 1 is phi''(z).
        """
        act = getattr(self.activation, "name", None)
        onehot = getattr(self, "input_kind", "dense") == "onehot"
        if type(self.activation).__name__ not in ("Sigmoid", "Tanh", "ReLU", "ELU", "Identity"):
            return None
        N = self.n_state
        cols = {b.source: self._cols[b.source].start for b in self._pre}
        terms, maps = [], []
        for blk, pre in zip(self.blocks, self._pre, strict=True):
            wm = pre.weight_map
            kind = {"Identity": "identity", "ScaledTanh": "tanh", "ScaledSigmoid": "sigmoid"}
            kname = kind.get(type(wm).__name__)
            if kname is None:
                return None
            scale = float(getattr(wm, "c", 1.0))
            maps.append((blk.offset, blk.stop, WEIGHT_MAPS.index(kname), scale))
            source = pre.source
            if source == "input" and onehot:
                source = "onehot"
            weighted = kname != "identity"
            terms.append(CompiledTerm(blk.offset, source, blk.n_cols, 0, N, N, weighted=weighted))
        ints = (
            self.n_cols,
            ACTIVATION_CODES.index(act),
            cols.get("input", -1),
            cols["state"],
            cols.get("one", -1),
            int(onehot),
        )
        second = (
            not onehot
            and act in ("sigmoid", "tanh")
            and self.n_cols == self.n_input + self.n_state
            and self.state_cols.start == self.n_input
        )
        return CompiledCell("preactivation", 2, ints, (), tuple(terms), tuple(maps), second)

    def check_inputs(self, S, X, *, name_S: str = "S", name_X: str = "X"):
        S = as_array(S, name_S, shape=(None, self.n_state))
        X = as_array(X, name_X, shape=(S.shape[0], self.n_input))
        return S, X

# ------------------------------------------------------------------------------------------------
# The compiled forward function (numba subset; signature and arguments: cells._jit), registered
# with its one line: the compiled engine's loops run this cell with it.
# ------------------------------------------------------------------------------------------------
def _fw_preactivation(ip, fp, th, N, xd, xi, S, s, coef, A, work, jac):  # pragma: no cover
    """S' = phi(Theta~ u~), u~ = (X, S, 1) in block order (paper RNN (2.17), Elman (7.4)).

    ip = (M, activation, input column, state column, one column (-1: none), one-hot input).
    coef[0] = phi'(z), coef[1] = phi''(z); work[:M] = u~ (dense inputs) for the second order.
    """
    M, act, cin, cone, onehot = ip[0], ip[1], ip[2], ip[4], ip[5]
    # unsigned column offsets: numba emits no negative-index wraparound for them
    cst, nu = np.uint64(ip[3]), np.uint64(N)
    for k in range(N):
        s[k] = 0.0
    if cin >= 0:
        cu = np.uint64(cin)
        if onehot:
            base = (cu + np.uint64(xi)) * nu
            for k in range(nu):
                s[k] += th[base + k]
        else:
            for j in range(np.uint64(xd.shape[0])):
                xj = xd[j]
                work[cu + j] = xj
                base = (cu + j) * nu
                for k in range(nu):
                    s[k] += th[base + k] * xj
    for j in range(nu):
        hj = S[j]
        work[cst + j] = hj
        base = (cst + j) * nu
        for k in range(nu):
            s[k] += th[base + k] * hj
    if cone >= 0:
        ou = np.uint64(cone)
        work[ou] = 1.0
        base = ou * nu
        for k in range(nu):
            s[k] += th[base + k]
    _jit._act_rows(act, N, s, coef)
    if jac:
        for j in range(nu):
            base = (cst + j) * nu
            for k in range(nu):
                A[k, j] = coef[0, k] * th[base + k]
    return M


register_forward("preactivation", _fw_preactivation)
