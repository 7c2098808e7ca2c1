r"""Character-level recurrent models of [P1] Section 7: the GRU and the one-hot Elman network.

Character-level recurrent models of [P1] Section 7: the GRU and the Elman network with one-hot
inputs and a softmax head, as cells of the one sensitivity engine.

**GRU** (:class:`GRUCell`). With input :math:`x` (dense, or the one-hot vector :math:`e_x` of a
symbol, in which case :math:`W x = W[:, x]` is a column lookup), state h and
:math:`\sigma` the logistic sigmoid (the convention of PyTorch's ``nn.GRU``, with one bias per
gate plus the bias :math:`b_{hn}` inside the reset product, which is not redundant):

.. math::

    z &= \sigma(W_z x + U_z h + b_z), \qquad r = \sigma(W_r x + U_r h + b_r),\\
    q &= U_n h + b_{hn}, \qquad n = \tanh(W_n x + b_n + r\odot q),\\
    h' &= (1 - z)\odot n + z\odot h .

Structured Jacobians (module docstring of ``cells._base``), with :math:`e_n = (1-z)(1-n^2)`,
:math:`a_z = (h - n)\, z(1-z)`, :math:`a_r = e_n\, q\, r(1-r)`, :math:`a_{hn} = e_n r`:

.. math::

    \frac{\partial h'}{\partial h} = \mathrm{diag}(z) + \mathrm{diag}(a_{hn})\,U_n
        + \mathrm{diag}(a_r)\,U_r + \mathrm{diag}(a_z)\,U_z,

and the immediate parameter Jacobian is row-local in every block: coefficient :math:`a_z` for
:math:`(W_z, U_z, b_z)`, :math:`a_r` for :math:`(W_r, U_r, b_r)`, :math:`e_n` for
:math:`(W_n, b_n)` and :math:`a_{hn}` for :math:`(U_n, b_{hn})`, times the source x, h (the old
state) or 1. The input blocks of a one-hot cell give
:class:`~rtrl_theory.cells.IndexedRowLocalTerm` (one column touched).

**Elman with one-hot inputs** (:class:`OneHotElmanCell`): (7.4) of [P1],
:math:`S' = \phi(U[:, x] + W S + b)` with :math:`\phi` = tanh, ReLU or ELU, the layout of
:class:`~rtrl_theory.cells.ElmanCell` (``vec[U | W | b]``) and its Jacobians, the input block
through a column lookup.

**Models.** :class:`GRURNN` and :class:`CharElmanRNN` put the softmax cross-entropy head
(:class:`~rtrl_theory.cells.SoftmaxCrossEntropy`, integer class targets) on such a cell, or the
squared-error readout with ``n_classes=None``; :func:`char_rnn` builds the character-level models
of [P1] Section 7.4 by name. They declare ``input_kind`` ("onehot": inputs are integer symbols,
``X`` of shape (T,); "dense": floats (T, d)) and ``target_kind`` ("class" or "real"), which the
engine and :func:`~rtrl_theory.runners.train_online` read.

Cell parameter layouts (Notation 2.11: every block column-stacked; the head's parameters come
first in the model's flat vector):

==================  ==========================================================  ==============
cell                flat cell parameters                                         size
==================  ==========================================================  ==============
``GRUCell``         ``vec W_z, vec W_r, vec W_n, vec U_z, vec U_r, vec U_n,``    3N(d + N + 1)
                    ``b_z, b_r, b_n, b_hn``                                      + N
``OneHotElmanCell`` ``vec[U | W | b]`` (b only with ``bias``)                    N V + N^2 (+ N)
==================  ==========================================================  ==============
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
    IndexedRowLocalTerm,
    Linearization,
    ParamBlock,
    RowLocalTerm,
    StateJacobian,
)
from ._heads import SquaredErrorReadout
from ._jit import register_forward
from ._model import RNNModel
from ._section7 import ElmanCell, activation_map
from ._softmax import SoftmaxCrossEntropy, as_index_array

__all__ = [
    "INPUT_KINDS",
    "CHAR_CELLS",
    "GRUCell",
    "OneHotElmanCell",
    "GRURNN",
    "CharElmanRNN",
    "char_rnn",
]

#: How a cell takes its input: "dense" (floats, (K, d) per step) or "onehot" (ints, (K,)).
INPUT_KINDS = ("dense", "onehot")

#: Cell names of :func:`char_rnn` ([P1] Section 7.4: GRU, Elman tanh, Elman ELU; ReLU as well).
CHAR_CELLS = ("gru", "elman-tanh", "elman-elu", "elman-relu", "lstm")


def _input_kind(value) -> str:
    if value not in INPUT_KINDS:
        raise ValueError(f"input_kind: expected one of {INPUT_KINDS}, got {value!r}")
    return value


def _sigmoid(x):
    # 0.5 (1 + tanh(x/2)): the overflow-free form of cells._maps.Sigmoid.
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _blocks(n_state: int, widths) -> tuple[ParamBlock, ...]:
    out, off = [], 0
    for name, m in widths:
        out.append(ParamBlock(name, n_state, m, off))
        off += n_state * m
    return tuple(out)


# ------------------------------------------------------------------------------------------------
# GRU
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedGRU:
    """GRU parameters as matrices: gates stacked in the order (z, r, n).

    ``W`` (3N, d) = [W_z; W_r; W_n], ``U`` (3N, N) = [U_z; U_r; U_n], ``b`` (3N,) =
    (b_z, b_r, b_n), ``b_hn`` (N,).
    """

    W: np.ndarray
    U: np.ndarray
    b: np.ndarray
    b_hn: np.ndarray

    def gate(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(W_g, U_g)`` of gate ``name`` in {"z", "r", "n"} (views)."""
        N = self.U.shape[1]
        g = "zrn".index(name)
        return self.W[g * N : (g + 1) * N], self.U[g * N : (g + 1) * N]


@dataclass(frozen=True)
class _GRUForward:
    z: np.ndarray
    r: np.ndarray
    n: np.ndarray
    q: np.ndarray
    h_next: np.ndarray


class GRUCell(Cell):
    r"""Gated recurrent unit (module docstring for the equations and the Jacobians).

    Parameters
    ----------
    n_state : int
        N.
    n_input : int
        d, or the vocabulary size V for one-hot inputs.
    input_kind : {"dense", "onehot"}, default "dense"
        "onehot": the input of each chain at each step is an integer symbol in ``[0, V)``,
        ``X`` of shape (K,) in :meth:`step`; the input weights are read by column lookup and
        their immediate Jacobian touches one column
        (:class:`~rtrl_theory.cells.IndexedRowLocalTerm`).

    Notes
    -----
    Cell parameters ``(vec W_z, vec W_r, vec W_n, vec U_z, vec U_r, vec U_n, b_z, b_r, b_n,
    b_hn)``: 3 (N, d) input blocks, 3 (N, N) recurrent blocks, 4 bias vectors, 3N(d + N + 1) + N
    numbers. First order only (RTRL and BPTT).

    Examples
    --------
    >>> import numpy as np
    >>> cell = GRUCell(2, 3, input_kind="onehot")
    >>> cell.n_params, [b.name for b in cell.blocks][:3]
    (38, ['W_z', 'W_r', 'W_n'])
    >>> prep = cell.prepare(np.zeros(cell.n_params))
    >>> cell.step(prep, np.ones((1, 2)), np.array([2]))  # z = 1/2, n = 0: h' = h / 2
    array([[0.5, 0.5]])
    """

    has_second_order = False

    def __init__(self, n_state: int, n_input: int, input_kind: str = "dense") -> None:
        self.n_state = positive_int(n_state, "n_state")
        self.n_input = positive_int(n_input, "n_input")
        self.input_kind = _input_kind(input_kind)
        N, d = self.n_state, self.n_input
        widths = [(f"W_{g}", d) for g in "zrn"] + [(f"U_{g}", N) for g in "zrn"]
        widths += [(f"b_{g}", 1) for g in ("z", "r", "n", "hn")]
        self.blocks = _blocks(N, widths)
        self.n_params = self.blocks[-1].stop
        self._off = {b.name: b.offset for b in self.blocks}

    def __repr__(self) -> str:
        return (
            f"GRUCell(n_state={self.n_state}, n_input={self.n_input}, "
            f"input_kind={self.input_kind!r})"
        )

    def prepare(self, theta: np.ndarray) -> PreparedGRU:
        theta = np.asarray(theta, dtype=float)
        m = {b.name: b.unflatten(theta) for b in self.blocks}
        return PreparedGRU(
            W=np.concatenate([m["W_z"], m["W_r"], m["W_n"]]),
            U=np.concatenate([m["U_z"], m["U_r"], m["U_n"]]),
            b=np.concatenate([m["b_z"][:, 0], m["b_r"][:, 0], m["b_n"][:, 0]]),
            b_hn=m["b_hn"][:, 0].copy(),
        )

    def _input_term(self, prep: PreparedGRU, X) -> np.ndarray:
        """:math:`W x` for the three gates, (K, 3N): a column lookup for one-hot inputs."""
        if self.input_kind == "onehot":
            return prep.W[:, X].T
        return X @ prep.W.T

    def _forward(self, prep: PreparedGRU, S: np.ndarray, X) -> _GRUForward:
        N = self.n_state
        pre = self._input_term(prep, X) + prep.b  # (K, 3N)
        hU = S @ prep.U.T  # (K, 3N): U_z h, U_r h, U_n h in one GEMM
        z = _sigmoid(pre[:, :N] + hU[:, :N])
        r = _sigmoid(pre[:, N : 2 * N] + hU[:, N : 2 * N])
        q = hU[:, 2 * N :] + prep.b_hn
        n = np.tanh(pre[:, 2 * N :] + r * q)
        return _GRUForward(z, r, n, q, (1.0 - z) * n + z * S)

    def step(self, prep: PreparedGRU, S: np.ndarray, X) -> np.ndarray:
        return self._forward(prep, S, X).h_next

    def linearize(self, prep: PreparedGRU, S: np.ndarray, X) -> Linearization:
        f = self._forward(prep, S, X)
        K, N = S.shape
        e_n = (1.0 - f.z) * (1.0 - f.n * f.n)
        a_z = (S - f.n) * (f.z * (1.0 - f.z))
        a_r = e_n * f.q * (f.r * (1.0 - f.r))
        a_hn = e_n * f.r
        _, U_z = prep.gate("z")
        _, U_r = prep.gate("r")
        _, U_n = prep.gate("n")
        off = self._off
        ones = np.ones((K, 1))
        if self.input_kind == "onehot":
            V = self.n_input
            inputs = tuple(
                IndexedRowLocalTerm(off[name], a, X, V)
                for name, a in (("W_z", a_z), ("W_r", a_r), ("W_n", e_n))
            )
        else:
            inputs = tuple(
                RowLocalTerm(off[name], a, X)
                for name, a in (("W_z", a_z), ("W_r", a_r), ("W_n", e_n))
            )
        return Linearization(
            S_next=f.h_next,
            state_jac=StateJacobian(diag=f.z, coefs=(a_hn, a_r, a_z), mats=(U_n, U_r, U_z)),
            param_terms=inputs
            + (
                RowLocalTerm(off["U_z"], a_z, S),
                RowLocalTerm(off["U_r"], a_r, S),
                RowLocalTerm(off["U_n"], a_hn, S),
                RowLocalTerm(off["b_z"], a_z, ones),
                RowLocalTerm(off["b_r"], a_r, ones),
                RowLocalTerm(off["b_n"], e_n, ones),
                RowLocalTerm(off["b_hn"], a_hn, ones),
            ),
        )


    def compiled(self) -> CompiledCell:
        """Compiled description (forward ``"gru"``): coefficient rows a_z, a_r, e_n, a_hn."""
        N, d = self.n_state, self.n_input
        src = "onehot" if self.input_kind == "onehot" else "input"
        off = self._off
        table = [("W_z", src, d, 0), ("W_r", src, d, 1), ("W_n", src, d, 2)]
        table += [("U_z", "state", N, 0), ("U_r", "state", N, 1), ("U_n", "state", N, 3)]
        table += [("b_z", "one", 1, 0), ("b_r", "one", 1, 1), ("b_n", "one", 1, 2)]
        table += [("b_hn", "one", 1, 3)]
        terms = tuple(CompiledTerm(off[n], s, m, c, N, N) for n, s, m, c in table)
        return CompiledCell("gru", 4, (d, int(self.input_kind == "onehot")), (), terms)


# ------------------------------------------------------------------------------------------------
# Elman with one-hot inputs
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedOneHotElman:
    """``U`` (N, V) input weights, ``W`` (N, N) recurrent weights, ``b`` (N,) or None."""

    U: np.ndarray
    W: np.ndarray
    b: np.ndarray | None


class OneHotElmanCell(Cell):
    r"""The Elman cell (7.4) of [P1] on one-hot inputs: :math:`S' = \phi(U[:, x] + W S + b)`.

    The same parameters and the same function as :class:`~rtrl_theory.cells.ElmanCell` fed the
    one-hot vector :math:`e_x`, computed without it: the input term is the column
    :math:`U[:, x]` and its immediate Jacobian an
    :class:`~rtrl_theory.cells.IndexedRowLocalTerm`.

    Parameters
    ----------
    n_state : int
        N.
    n_input : int
        V, the vocabulary size; inputs are integer symbols in ``[0, V)``, shape (K,) per step.
    activation : {"tanh", "relu", "elu"} or ScalarMap, default "tanh"
    bias : bool, default True

    Notes
    -----
    Cell parameters ``vec[U | W | b]``, the layout of :class:`~rtrl_theory.cells.ElmanCell`.
    Not a :class:`~rtrl_theory.cells.PreactivationCell` (whose engine paths build the dense
    stacked input); first order only.
    """

    has_second_order = False
    input_kind = "onehot"

    def __init__(self, n_state: int, n_input: int, activation="tanh", bias: bool = True) -> None:
        self.n_state = positive_int(n_state, "n_state")
        self.n_input = positive_int(n_input, "n_input")
        if not isinstance(bias, bool | np.bool_):
            raise TypeError(f"bias: expected a bool, got {bias!r}")
        self.bias = bool(bias)
        self.activation = activation_map(activation)
        N, V = self.n_state, self.n_input
        widths = [("U", V), ("W", N)] + ([("b", 1)] if self.bias else [])
        self.blocks = _blocks(N, widths)
        self.n_params = self.blocks[-1].stop

    def __repr__(self) -> str:
        return (
            f"OneHotElmanCell(n_state={self.n_state}, n_input={self.n_input}, "
            f"activation={self.activation.name!r}, bias={self.bias!r})"
        )

    def prepare(self, theta: np.ndarray) -> PreparedOneHotElman:
        theta = np.asarray(theta, dtype=float)
        m = {b.name: b.unflatten(theta) for b in self.blocks}
        return PreparedOneHotElman(m["U"], m["W"], m["b"][:, 0].copy() if self.bias else None)

    def _preact(self, prep: PreparedOneHotElman, S, X):
        z = prep.U[:, X].T + S @ prep.W.T
        if prep.b is not None:
            z += prep.b
        return z

    def step(self, prep: PreparedOneHotElman, S: np.ndarray, X) -> np.ndarray:
        return self.activation.value(self._preact(prep, S, X))

    def linearize(self, prep: PreparedOneHotElman, S: np.ndarray, X) -> Linearization:
        z = self._preact(prep, S, X)
        act = self.activation
        if hasattr(act, "deriv_from_value"):
            s = act.value(z)
            phi1 = act.deriv_from_value(s, 1)
        else:
            s, phi1 = act.value(z), act.deriv(z, 1)
        blk = {b.name: b for b in self.blocks}
        terms = [
            IndexedRowLocalTerm(blk["U"].offset, phi1, X, self.n_input),
            RowLocalTerm(blk["W"].offset, phi1, S),
        ]
        if self.bias:
            terms.append(RowLocalTerm(blk["b"].offset, phi1, np.ones((S.shape[0], 1))))
        return Linearization(
            S_next=s,
            state_jac=StateJacobian(diag=None, coefs=(phi1,), mats=(prep.W,)),
            param_terms=tuple(terms),
        )


    def compiled(self) -> CompiledCell | None:
        """Compiled description: the pre-activation forward with a one-hot input block."""
        act = self.activation.name
        if act not in ACTIVATION_CODES or type(self.activation).__name__ == "ScaledTanh":
            return None
        N, V = self.n_state, self.n_input
        blk = {b.name: b for b in self.blocks}
        terms = [
            CompiledTerm(blk["U"].offset, "onehot", V, 0, N, N),
            CompiledTerm(blk["W"].offset, "state", N, 0, N, N),
        ]
        if self.bias:
            terms.append(CompiledTerm(blk["b"].offset, "one", 1, 0, N, N))
        M = V + N + int(self.bias)
        ints = (M, ACTIVATION_CODES.index(act), 0, V, V + N if self.bias else -1, 1)
        return CompiledCell("preactivation", 2, ints, (), tuple(terms))


# ------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------
class _KindModel(RNNModel):
    """An RNNModel that declares its input and target kinds and validates sequences by them."""

    input_kind: str = "dense"
    target_kind: str = "real"

    def _set_head(self, n_classes):
        N = self.cell.n_state
        if n_classes is None:
            self.n_classes = None
            self.target_kind = "real"
            return SquaredErrorReadout(N)
        self.n_classes = positive_int(n_classes, "n_classes")
        self.target_kind = "class"
        return SoftmaxCrossEntropy(N, self.n_classes)

    def check_sequence(self, X, Y, *, batched: bool = False):
        """Validate inputs and targets by kind.

        Inputs: (T, d) floats, or (T,) integer symbols in ``[0, V)`` for one-hot inputs; targets:
        (T,) floats, or integer class labels in ``[0, C)``; with ``batched`` a leading chain
        axis K on both.
        """
        lead = (None, None) if batched else (None,)
        if self.input_kind == "onehot":
            X = as_index_array(X, "X", self.n_input, shape=lead)
        else:
            X = as_array(X, "X", shape=(*lead, self.n_input))
        steps = X.shape[: len(lead)]
        if self.target_kind == "class":
            Y = as_index_array(Y, "Y", self.n_classes, shape=steps)
        else:
            Y = as_array(Y, "Y", shape=steps)
        if steps[-1] == 0:
            raise ValueError("X: expected at least one time step, got T = 0")
        return X, Y

    def named(self, params) -> dict[str, np.ndarray]:
        """Return the head's and the cell's parameter blocks by name, as matrices (copies)."""
        theta = self.flatten(params)
        th, tc = self.split(theta)
        out = {}
        if self.target_kind == "class":
            V, c = self.head.unpack(th)
            out["V"], out["c"] = V.copy(), c.copy()
        else:
            out["alpha"] = th.copy()
        for b in self.cell.blocks:
            out[b.name] = b.unflatten(tc).copy()
        return out


class GRURNN(_KindModel):
    r"""A GRU (:class:`GRUCell`) with a softmax cross-entropy head (or the squared-error readout).

    .. math:: h_{t+1} = \mathrm{GRU}(h_t, x_t), \qquad
              \ell_t = -\log\mathrm{softmax}(V h_{t+1} + c)_{y_t}.

    Parameters
    ----------
    n_hidden : int
        N.
    n_input : int
        d, or the vocabulary size V for one-hot inputs.
    n_classes : int or None
        C for the softmax cross-entropy head (integer targets); None for the linear readout with
        squared error (float targets).
    input_kind : {"onehot", "dense"}, default "onehot"

    Notes
    -----
    Flat parameters ``(vec V, c, GRU cell parameters)`` (cell layout in :class:`GRUCell`), or
    ``(alpha, cell)`` with the readout. :meth:`init_params` returns a flat vector; :meth:`named`
    gives the blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import loss_and_grad
    >>> model = GRURNN(4, 5, 5)
    >>> theta = model.init_params(np.random.default_rng(0))
    >>> x = np.array([0, 3, 1, 4]); y = np.array([3, 1, 4, 2])
    >>> l1, g1 = loss_and_grad(model, theta, x, y, method="rtrl")
    >>> l2, g2 = loss_and_grad(model, theta, x, y, method="bptt")
    >>> bool(np.allclose(g1, g2, rtol=1e-12, atol=1e-15))
    True
    """

    def __init__(self, n_hidden: int, n_input: int, n_classes=None, *, input_kind="onehot"):
        cell = GRUCell(n_hidden, n_input, input_kind)
        self.input_kind = cell.input_kind
        self.cell = cell
        super().__init__(cell, self._set_head(n_classes))

    def init_params(self, rng=None) -> np.ndarray:
        r"""Random starting parameters (flat), PyTorch's ``nn.GRU`` / ``nn.Linear`` defaults.

        Every cell weight and bias :math:`\sim U(-1/\sqrt N, 1/\sqrt N)`; head weights V (or
        alpha) :math:`\sim U(-1/\sqrt N, 1/\sqrt N)`, head bias c = 0.
        """
        rng = as_rng(rng)
        k = 1.0 / np.sqrt(self.n_hidden)
        theta = rng.uniform(-k, k, self.n_params)
        if self.target_kind == "class":
            theta[self.n_head_params - self.n_classes : self.n_head_params] = 0.0
        return theta

    def __repr__(self) -> str:
        return (
            f"GRURNN(n_hidden={self.n_hidden}, n_input={self.n_input}, "
            f"n_classes={self.n_classes!r}, input_kind={self.input_kind!r})"
        )


class CharElmanRNN(_KindModel):
    r"""The Elman network (7.4) of [P1] with a softmax cross-entropy head, for one-hot symbols.

    .. math:: S_{t+1} = \phi(U x_t + W S_t + b), \qquad
              \ell_t = -\log\mathrm{softmax}(V S_{t+1} + c)_{y_t},

    with :math:`U x_t = U[:, x_t]` for one-hot inputs (:class:`OneHotElmanCell`); with
    ``input_kind="dense"`` the cell is :class:`~rtrl_theory.cells.ElmanCell` (same layout, same
    function of the one-hot vectors).

    Parameters
    ----------
    n_hidden : int
        N.
    n_input : int
        V (one-hot) or d (dense).
    n_classes : int or None
        C for the softmax head; None for the squared-error readout.
    activation : {"tanh", "relu", "elu"} or ScalarMap, default "tanh"
    bias : bool, default True
    input_kind : {"onehot", "dense"}, default "onehot"

    Notes
    -----
    Flat parameters ``(vec V, c, vec[U | W | b])``.
    """

    def __init__(
        self,
        n_hidden: int,
        n_input: int,
        n_classes=None,
        activation="tanh",
        bias: bool = True,
        *,
        input_kind="onehot",
    ):
        kind = _input_kind(input_kind)
        if kind == "onehot":
            cell = OneHotElmanCell(n_hidden, n_input, activation, bias)
        else:
            cell = ElmanCell(n_hidden, n_input, activation, bias)
        self.input_kind = kind
        self.activation = activation
        self.bias = cell.bias
        self.cell = cell
        super().__init__(cell, self._set_head(n_classes))

    def init_params(self, rng=None, *, gamma: float = 0.5) -> np.ndarray:
        r"""Random starting parameters (flat).

        :math:`W = \gamma G/\sqrt N` (as :meth:`~rtrl_theory.cells.ElmanRNN.init_params`);
        :math:`U_{ij}\sim N(0, 1)` for one-hot inputs (:math:`|e_x| = 1`, so each unit's input
        term has unit variance, as a dense input of unit-variance coordinates with
        :math:`U_{ij}\sim N(0, 1/d)`, the dense default); b = 0; head weights
        :math:`\sim N(0, 1/N)`, head bias c = 0.
        """
        rng = as_rng(rng)
        gamma = positive(gamma, "gamma")
        N, d = self.n_hidden, self.n_input
        th = rng.standard_normal(self.n_head_params) / np.sqrt(N)
        if self.target_kind == "class":
            th[-self.n_classes :] = 0.0
        scale = 1.0 if self.input_kind == "onehot" else 1.0 / np.sqrt(d)
        U = scale * rng.standard_normal((N, d))
        W = gamma * rng.standard_normal((N, N)) / np.sqrt(N)
        parts = [th, U.T.reshape(-1), W.T.reshape(-1)]
        if self.bias:
            parts.append(np.zeros(N))
        return np.concatenate(parts)

    def __repr__(self) -> str:
        return (
            f"CharElmanRNN(n_hidden={self.n_hidden}, n_input={self.n_input}, "
            f"n_classes={self.n_classes!r}, activation={self.activation!r}, bias={self.bias!r}, "
            f"input_kind={self.input_kind!r})"
        )


def char_rnn(cell: str, n_hidden: int, n_vocab: int, *, input_kind: str = "onehot"):
    """Return a character-level model of [P1] Section 7.4 by name: one-hot inputs, softmax head.

    Parameters
    ----------
    cell : {"gru", "elman-tanh", "elman-elu", "elman-relu", "lstm"}
    n_hidden : int
        N ([P1]: GRU 10 and 20, Elman tanh 10 and 50, ELU 10 and 50).
    n_vocab : int
        V, both the input vocabulary and the number of classes.
    input_kind : {"onehot", "dense"}, default "onehot"

    Returns
    -------
    GRURNN or CharElmanRNN

    Examples
    --------
    >>> char_rnn("elman-elu", 10, 65)
    CharElmanRNN(n_hidden=10, n_input=65, n_classes=65, activation='elu', bias=True, input_kind='onehot')
    """
    if cell == "gru":
        return GRURNN(n_hidden, n_vocab, n_vocab, input_kind=input_kind)
    if cell == "lstm":
        from ._lstm import LSTMRNN

        return LSTMRNN(n_hidden, n_vocab, "softmax", n_classes=n_vocab, input_kind=input_kind)
    if isinstance(cell, str) and cell.startswith("elman-") and cell in CHAR_CELLS:
        return CharElmanRNN(n_hidden, n_vocab, n_vocab, activation=cell[6:], input_kind=input_kind)
    raise ValueError(f"cell: expected one of {CHAR_CELLS}, got {cell!r}")

# ------------------------------------------------------------------------------------------------
# The compiled forward function (numba subset; signature and arguments: cells._jit), registered
# with its one line: the compiled engine's loops run this cell with it.
# ------------------------------------------------------------------------------------------------
def _fw_gru(ip, fp, th, N, xd, xi, S, s, coef, A, work, jac):  # pragma: no cover
    """GRU (cells._gru): coef = (a_z, a_r, e_n, a_hn); A[:N] = diag(z) + sum diag(a) U."""
    onehot = ip[1]
    # unsigned offsets and indices: numba emits no negative-index wraparound for them (all of
    # one type: uint64 mixed with int64 would give float64)
    d, nu = np.uint64(ip[0]), np.uint64(N)
    two, three = np.uint64(2), np.uint64(3)
    oWr = nu * d
    oWn = two * nu * d
    oUz = three * nu * d
    oUr = oUz + nu * nu
    oUn = oUr + nu * nu
    ob = oUn + nu * nu
    for k in range(nu):
        work[k] = th[ob + k]
        work[nu + k] = th[ob + nu + k]
        work[two * nu + k] = th[ob + three * nu + k]
        work[three * nu + k] = th[ob + two * nu + k]
    if onehot:
        base = np.uint64(xi) * nu
        for k in range(nu):
            work[k] += th[base + k]
            work[nu + k] += th[oWr + base + k]
            work[three * nu + k] += th[oWn + base + k]
    else:
        for j in range(np.uint64(xd.shape[0])):
            xj = xd[j]
            base = j * nu
            for k in range(nu):
                work[k] += th[base + k] * xj
                work[nu + k] += th[oWr + base + k] * xj
                work[three * nu + k] += th[oWn + base + k] * xj
    for j in range(nu):
        hj = S[j]
        base = j * nu
        for k in range(nu):
            work[k] += th[oUz + base + k] * hj
            work[nu + k] += th[oUr + base + k] * hj
            work[two * nu + k] += th[oUn + base + k] * hj
    # the gates in place, each loop over one array (LLVM vectorises them; one loop reading
    # work and writing s, coef and work stayed scalar): z, r, then n = tanh(. + r q)
    for k in range(two * nu):
        work[k] = _jit._sigmoid(work[k])
    for k in range(nu):
        work[three * nu + k] = _jit._tanh(work[three * nu + k] + work[nu + k] * work[two * nu + k])
    for k in range(nu):
        z = work[k]
        r = work[nu + k]
        q = work[two * nu + k]
        n = work[three * nu + k]
        s[k] = (1.0 - z) * n + z * S[k]
        e_n = (1.0 - z) * (1.0 - n * n)
        coef[0, k] = (S[k] - n) * (z * (1.0 - z))
        coef[1, k] = e_n * q * (r * (1.0 - r))
        coef[2, k] = e_n
        coef[3, k] = e_n * r
    if jac:
        for j in range(nu):
            base = j * nu
            for k in range(nu):
                A[k, j] = (
                    coef[3, k] * th[oUn + base + k]
                    + coef[1, k] * th[oUr + base + k]
                    + coef[0, k] * th[oUz + base + k]
                )
        for k in range(nu):
            A[k, k] += work[k]
    return 0


register_forward("gru", _fw_gru)
