r"""The LSTM as a cell of the one sensitivity engine: a two-part state (h, c).

With input :math:`x` (dense, or the one-hot vector :math:`e_x` of a symbol: :math:`W_{ih}x` is
then the column :math:`W_{ih}[:, x]`), the gate order (i, f, g, o) and the single bias of
``torch.nn.LSTMCell`` (its ``b_ih + b_hh``):

.. math::

    a &= W_{ih} x + W_{hh} h + b \in\mathbb R^{4N},\qquad
    i = \sigma(a_i),\ f = \sigma(a_f),\ g = \tanh(a_g),\ o = \sigma(a_o),\\
    c' &= f\odot c + i\odot g, \qquad h' = o\odot\tanh(c').

The engine state is :math:`S = (h, c)` (K, 2N) (``state_parts``), and the head reads h only
(:class:`~rtrl_theory.cells.StateSliceHead`). With :math:`\tau = \tanh(c')`,
:math:`e = o(1 - \tau^2)` and the derivatives of :math:`c'` in the pre-activations
:math:`\kappa_i = g\,i(1-i)`, :math:`\kappa_f = c\,f(1-f)`, :math:`\kappa_g = i(1-g^2)`, and of
:math:`h'` in :math:`a_o`, :math:`\kappa_o = \tau\,o(1-o)`:

.. math::

    \frac{\partial c'}{\partial h} = \sum_{q\in\{i,f,g\}}\mathrm{diag}(\kappa_q) W_{hh,q},\quad
    \frac{\partial c'}{\partial c} = \mathrm{diag}(f),\quad
    \frac{\partial h'}{\partial h} = \mathrm{diag}(e)\frac{\partial c'}{\partial h}
        + \mathrm{diag}(\kappa_o) W_{hh,o},\quad
    \frac{\partial h'}{\partial c} = \mathrm{diag}(e f),

written as the structured :class:`~rtrl_theory.cells.StateJacobian` of ``cells._base`` with
(2N, 2N) matrices. The immediate parameter Jacobian is row-local on each gate's rows: row
:math:`qN + k` of any block drives :math:`c'_k` with coefficient :math:`\kappa_q` (q = i, f, g)
and :math:`h'_k` with :math:`e\kappa_q` (q = i, f, g) or :math:`\kappa_o` (q = o), times the
source x, h (the old h) or 1: two :class:`~rtrl_theory.cells.RowLocalTerm` per gate and block,
placed with ``n_rows = 4N``, ``row0 = qN`` and ``state0`` = 0 (h) or N (c) (the multi-part
extension of the seam, ``cells._base``).

Flat cell parameters (Notation 2.11, column-stacked): ``vec W_ih`` (4N d), ``vec W_hh`` (4N^2),
``b`` (4N); entry (r, j) of ``W_ih`` is at ``j 4N + r`` (torch's ``weight_ih`` is the same
(4N, d) matrix).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_rng, positive_int

from . import _jit
from ._base import (
    Cell,
    CompiledCell,
    CompiledTerm,
    IndexedRowLocalTerm,
    Linearization,
    ParamBlock,
    RowLocalTerm,
    StateJacobian,
)
from ._gru import _KindModel
from ._heads import SquaredErrorReadout, StateSliceHead
from ._jit import register_forward
from ._softmax import SoftmaxCrossEntropy

__all__ = ["LSTMCell", "LSTMRNN", "PreparedLSTM"]

_GATES = "ifgo"


def _sigmoid(x):
    # 0.5 (1 + tanh(x/2)): the overflow-free form of cells._maps.Sigmoid.
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class PreparedLSTM:
    """``W_ih`` (4N, d), ``W_hh`` (4N, N), ``b`` (4N,) as matrices (views of the flat vector)."""

    W_ih: np.ndarray
    W_hh: np.ndarray
    b: np.ndarray


@dataclass(frozen=True)
class _LSTMForward:
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c_next: np.ndarray
    tau: np.ndarray
    h_next: np.ndarray


class LSTMCell(Cell):
    r"""Long short-term memory cell (module docstring), state ``S = (h, c)`` of width 2N.

    Parameters
    ----------
    n_hidden : int
        N, the number of units (the state has 2N entries: h then c).
    n_input : int
        d, or the vocabulary size V for one-hot inputs.
    input_kind : {"dense", "onehot"}, default "dense"

    Examples
    --------
    >>> import numpy as np
    >>> cell = LSTMCell(2, 3)
    >>> cell.n_state, cell.n_params, cell.state_parts
    (4, 48, (('h', 2), ('c', 2)))
    >>> prep = cell.prepare(np.zeros(cell.n_params))  # every gate 1/2, g = 0: c' = c / 2
    >>> cell.step(prep, np.array([[0.0, 0.0, 1.0, 1.0]]), np.ones((1, 3)))[0, 2:]
    array([0.5, 0.5])
    """

    has_second_order = False

    def __init__(self, n_hidden: int, n_input: int, input_kind: str = "dense") -> None:
        self.n_hidden = positive_int(n_hidden, "n_hidden")
        self.n_input = positive_int(n_input, "n_input")
        if input_kind not in ("dense", "onehot"):
            raise ValueError(f"input_kind: expected 'dense' or 'onehot', got {input_kind!r}")
        self.input_kind = input_kind
        N, d = self.n_hidden, self.n_input
        self.n_state = 2 * N
        self.n_out = N
        self.state_parts = (("h", N), ("c", N))
        R = 4 * N
        self.blocks = (
            ParamBlock("W_ih", R, d, 0),
            ParamBlock("W_hh", R, N, R * d),
            ParamBlock("b", R, 1, R * (d + N)),
        )
        self.n_params = self.blocks[-1].stop

    def __repr__(self) -> str:
        return (
            f"LSTMCell(n_hidden={self.n_hidden}, n_input={self.n_input}, "
            f"input_kind={self.input_kind!r})"
        )

    def prepare(self, theta: np.ndarray) -> PreparedLSTM:
        theta = np.asarray(theta, dtype=float)
        W_ih, W_hh, b = (blk.unflatten(theta) for blk in self.blocks)
        return PreparedLSTM(W_ih, W_hh, b[:, 0])

    def _forward(self, prep: PreparedLSTM, S: np.ndarray, X) -> _LSTMForward:
        N = self.n_hidden
        h, c = S[:, :N], S[:, N:]
        x_term = prep.W_ih[:, X].T if self.input_kind == "onehot" else X @ prep.W_ih.T
        a = x_term + h @ prep.W_hh.T + prep.b  # (K, 4N)
        i = _sigmoid(a[:, :N])
        f = _sigmoid(a[:, N : 2 * N])
        g = np.tanh(a[:, 2 * N : 3 * N])
        o = _sigmoid(a[:, 3 * N :])
        c_next = f * c + i * g
        tau = np.tanh(c_next)
        return _LSTMForward(i, f, g, o, c_next, tau, o * tau)

    def step(self, prep: PreparedLSTM, S: np.ndarray, X) -> np.ndarray:
        fw = self._forward(prep, S, X)
        return np.concatenate([fw.h_next, fw.c_next], axis=1)

    def linearize(self, prep: PreparedLSTM, S: np.ndarray, X) -> Linearization:
        N = self.n_hidden
        fw = self._forward(prep, S, X)
        K = S.shape[0]
        h, c = S[:, :N], S[:, N:]
        e = fw.o * (1.0 - fw.tau * fw.tau)
        kap = {
            "i": fw.g * (fw.i * (1.0 - fw.i)),
            "f": c * (fw.f * (1.0 - fw.f)),
            "g": fw.i * (1.0 - fw.g * fw.g),
        }
        k_o = fw.tau * (fw.o * (1.0 - fw.o))
        # coefficient of each gate's rows on h' and on c' (None: the gate does not drive c')
        on_h = {"i": e * kap["i"], "f": e * kap["f"], "g": e * kap["g"], "o": k_o}
        on_c = {"i": kap["i"], "f": kap["f"], "g": kap["g"], "o": None}
        zero = np.zeros((K, N))
        mats, coefs = [], []
        for q, name in enumerate(_GATES):
            Wq = prep.W_hh[q * N : (q + 1) * N]  # (N, N): gate q's recurrent rows
            Mq = np.zeros((2 * N, 2 * N))
            Mq[:N, :N] = Wq
            if on_c[name] is not None:
                Mq[N:, :N] = Wq
            mats.append(Mq)
            coefs.append(np.concatenate([on_h[name], zero if on_c[name] is None else on_c[name]], 1))
        shift = np.zeros((2 * N, 2 * N))  # dh'/dc = diag(e f): rows h, columns c
        shift[:N, N:] = np.eye(N)
        mats.append(shift)
        coefs.append(np.concatenate([e * fw.f, zero], axis=1))
        diag = np.concatenate([zero, fw.f], axis=1)  # dc'/dc = diag(f)
        R = 4 * N
        off = {blk.name: blk.offset for blk in self.blocks}
        ones = np.ones((K, 1))
        terms = []
        for q, name in enumerate(_GATES):
            for coef, s0 in ((on_h[name], 0), (on_c[name], N)):
                if coef is None:
                    continue
                place = {"n_rows": R, "row0": q * N, "state0": s0}
                if self.input_kind == "onehot":
                    terms.append(IndexedRowLocalTerm(off["W_ih"], coef, X, self.n_input, **place))
                else:
                    terms.append(RowLocalTerm(off["W_ih"], coef, X, **place))
                terms.append(RowLocalTerm(off["W_hh"], coef, h, **place))
                terms.append(RowLocalTerm(off["b"], coef, ones, **place))
        return Linearization(
            S_next=np.concatenate([fw.h_next, fw.c_next], axis=1),
            state_jac=StateJacobian(diag=diag, coefs=tuple(coefs), mats=tuple(mats)),
            param_terms=tuple(terms),
        )

    def compiled(self) -> CompiledCell:
        """Return the compiled description of the LSTM cell (forward ``"lstm"``).

        Compiled description (forward ``"lstm"``, ``cells._base``): coefficient rows 0-3 are
        gates i, f, g, o on h', rows 4-6 gates i, f, g on c'.
        """
        N, d = self.n_hidden, self.n_input
        src = "onehot" if self.input_kind == "onehot" else "input"
        R = 4 * N
        terms = []
        for blk, source, m in ((self.blocks[0], src, d), (self.blocks[1], "state", N),
                               (self.blocks[2], "one", 1)):
            for q in range(4):
                terms.append(CompiledTerm(blk.offset, source, m, q, N, R, row0=q * N))
                if q < 3:
                    terms.append(
                        CompiledTerm(blk.offset, source, m, 4 + q, N, R, row0=q * N, state0=N)
                    )
        return CompiledCell("lstm", 7, (d, int(self.input_kind == "onehot")), (), tuple(terms))


class LSTMRNN(_KindModel):
    r"""An LSTM (:class:`LSTMCell`) with a head on h: the readout, or softmax cross-entropy.

    .. math:: (h_{t+1}, c_{t+1}) = \mathrm{LSTM}(h_t, c_t, x_t), \qquad
              \hat Y_t = \alpha\cdot h_{t+1}\ \text{ or }\
              \ell_t = -\log\mathrm{softmax}(V h_{t+1} + c)_{y_t}.

    Parameters
    ----------
    n_hidden : int
        N (the engine state (h, c) has 2N entries).
    n_input : int
        d, or the vocabulary size V for one-hot inputs.
    head : {"readout", "softmax"} or a head object, default "readout"
        "readout": :math:`\hat Y = \alpha\cdot h` with squared error (float targets), the
        readout of [P1]; "softmax": softmax cross-entropy over ``n_classes`` classes (integer
        targets); or a head of width N (``SquaredErrorReadout(N)``, ``SoftmaxCrossEntropy(N,
        C)``). It reads h only (:class:`~rtrl_theory.cells.StateSliceHead`).
    n_classes : int, optional
        C for ``head="softmax"`` (default ``n_input``).
    input_kind : {"dense", "onehot"}, default "dense"

    Notes
    -----
    Flat parameters ``(head parameters, vec W_ih, vec W_hh, b)``; gate order (i, f, g, o) and a
    single bias, as ``torch.nn.LSTMCell`` (whose ``bias_ih + bias_hh`` is ``b``). ``n_hidden``
    is N; ``cell.n_state`` is 2N.

    Examples
    --------
    >>> import numpy as np
    >>> from rtrl_theory import loss_and_grad
    >>> model = LSTMRNN(3, 2)
    >>> theta = model.init_params(0)
    >>> rng = np.random.default_rng(1)
    >>> X, Y = rng.standard_normal((20, 2)), rng.standard_normal(20)
    >>> l1, g1 = loss_and_grad(model, theta, X, Y, method="rtrl", backend="numpy")
    >>> l2, g2 = loss_and_grad(model, theta, X, Y, method="bptt")
    >>> bool(np.allclose(g1, g2, rtol=1e-10, atol=1e-13))
    True
    """

    def __init__(
        self, n_hidden: int, n_input: int, head="readout", *, n_classes=None, input_kind="dense"
    ):
        cell = LSTMCell(n_hidden, n_input, input_kind)
        N = cell.n_hidden
        if isinstance(head, str):
            if head == "readout":
                if n_classes is not None:
                    raise TypeError("n_classes: only for head='softmax'")
                inner = SquaredErrorReadout(N)
            elif head == "softmax":
                C = cell.n_input if n_classes is None else positive_int(n_classes, "n_classes")
                inner = SoftmaxCrossEntropy(N, C)
            else:
                raise ValueError(f"head: expected 'readout', 'softmax' or a head, got {head!r}")
        else:
            inner = head
            if getattr(inner, "n_state", None) != N or not hasattr(inner, "derivatives"):
                raise ValueError(f"head: expected a head of width n_hidden = {N}, got {head!r}")
        self.input_kind = cell.input_kind
        self.n_classes = getattr(inner, "n_classes", None)
        self.target_kind = "class" if self.n_classes is not None else "real"
        super().__init__(cell, StateSliceHead(inner, cell.n_state))

    @property
    def n_hidden(self) -> int:
        return self.cell.n_hidden

    def init_params(self, rng=None) -> np.ndarray:
        r"""Random starting parameters (flat), ``torch.nn.LSTMCell``'s default.

        Every cell weight and the bias :math:`\sim U(-1/\sqrt N, 1/\sqrt N)` (torch draws two
        biases; their sum is not uniform, one draw is kept here), head weights the same, a
        softmax head's bias 0.
        """
        rng = as_rng(rng)
        k = 1.0 / np.sqrt(self.n_hidden)
        theta = rng.uniform(-k, k, self.n_params)
        if self.n_classes is not None:
            theta[self.n_head_params - self.n_classes : self.n_head_params] = 0.0
        return theta

    def __repr__(self) -> str:
        head = "softmax" if self.n_classes is not None else "readout"
        return (
            f"LSTMRNN(n_hidden={self.n_hidden}, n_input={self.n_input}, head={head!r}, "
            f"n_classes={self.n_classes!r}, input_kind={self.input_kind!r})"
        )

# ------------------------------------------------------------------------------------------------
# The compiled forward function (numba subset; signature and arguments: cells._jit), registered
# with its one line: the compiled engine's loops run this cell with it.
# ------------------------------------------------------------------------------------------------
def _fw_lstm(ip, fp, th, Ns, xd, xi, S, s, coef, A, work, jac):  # pragma: no cover
    """LSTM (cells._lstm), S = (h, c): coef rows 0-3 gates i, f, g, o on h', 4-6 i, f, g on c'."""
    onehot = ip[1]
    # unsigned offsets and indices: numba emits no negative-index wraparound for them (all of
    # one type: uint64 mixed with int64 would give float64)
    d, nsu = np.uint64(ip[0]), np.uint64(Ns)
    N = nsu // np.uint64(2)
    R = np.uint64(4) * N
    oU = R * d
    ob = R * (d + N)
    for r in range(R):
        work[r] = th[ob + r]
    if onehot:
        base = np.uint64(xi) * R
        for r in range(R):
            work[r] += th[base + r]
    else:
        for j in range(np.uint64(xd.shape[0])):
            xj = xd[j]
            base = j * R
            for r in range(R):
                work[r] += th[base + r] * xj
    for j in range(N):
        hj = S[j]
        base = oU + j * R
        for r in range(R):
            work[r] += th[base + r] * hj
    # the gates in place, each loop over one array (LLVM vectorises them; one loop reading
    # work and writing s, coef and work stayed scalar): i, f, g, o; then c' and tanh(c')
    N2, N3 = N + N, R - N
    for k in range(N2):
        work[k] = _jit._sigmoid(work[k])
    for k in range(N2, N3):
        work[k] = _jit._tanh(work[k])
    for k in range(N3, R):
        work[k] = _jit._sigmoid(work[k])
    for k in range(N):
        s[N + k] = work[N + k] * S[N + k] + work[k] * work[N2 + k]
    for k in range(N):
        s[k] = _jit._tanh(s[N + k])
    for k in range(N):
        gi = work[k]
        gf = work[N + k]
        gg = work[N2 + k]
        go = work[N3 + k]
        c_old = S[N + k]
        tau = s[k]
        s[k] = go * tau
        e = go * (1.0 - tau * tau)
        ki = gg * (gi * (1.0 - gi))
        kf = c_old * (gf * (1.0 - gf))
        kg = gi * (1.0 - gg * gg)
        coef[0, k] = e * ki
        coef[1, k] = e * kf
        coef[2, k] = e * kg
        coef[3, k] = tau * (go * (1.0 - go))
        coef[4, k] = ki
        coef[5, k] = kf
        coef[6, k] = kg
        work[k] = e * gf  # dh'/dc
        work[N + k] = gf  # dc'/dc
    if jac:
        for j in range(nsu):
            for k in range(nsu):
                A[k, j] = 0.0
        for j in range(N):
            base = oU + j * R
            for k in range(N):
                wi = th[base + k]
                wf = th[base + N + k]
                wg = th[base + N2 + k]
                wo = th[base + N3 + k]
                A[k, j] = coef[0, k] * wi + coef[1, k] * wf + coef[2, k] * wg + coef[3, k] * wo
                A[N + k, j] = coef[4, k] * wi + coef[5, k] * wf + coef[6, k] * wg
        for k in range(N):
            A[k, N + k] = work[k]
            A[N + k, N + k] = work[N + k]
    return 0


register_forward("lstm", _fw_lstm)
