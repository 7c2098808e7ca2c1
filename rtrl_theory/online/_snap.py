r"""SnAp-n, the sparse n-step approximation of RTRL ([R-SnAp]).

SnAp-n, the sparse n-step approximation of RTRL (Menick, Elsen, Evci, Osindero, Simonyan &
Graves 2021, [R-SnAp]).

SnAp-n keeps only the entries of the influence :math:`J_t` that are nonzero after n steps of the
recursion started from :math:`J = 0`, and advances them exactly:

.. math:: \tilde J_{t+1} = \Pi_n\big(D_t\tilde J_t + I_t\big), \qquad
          \Pi_n[k, p] = 1 \iff \mathrm{dist}_G(i(p), k) \le n - 1,

where G is the recurrence graph (an edge :math:`l \to k` when :math:`D_t[k, l]` can be nonzero;
:func:`~rtrl_theory.online._base.recurrence_graph`) and :math:`i(p)` the neuron that parameter p
acts on. After n steps from zero, :math:`J[k, p]` can be nonzero only if k is reached from
:math:`i(p)` by a walk of at most n - 1 edges: :math:`\Pi_n` is that pattern.

* SnAp-1 keeps the pattern of :math:`I_t` alone, one entry per parameter, advanced by the
  diagonal of :math:`D_t` (:class:`SnAp1`; O(P_c) per step, P_c floats).
* Exactness: exact :math:`J_t[k, p]` is zero for every k that :math:`i(p)` cannot reach, so
  once :math:`n - 1 \ge` the diameter of G (the largest finite distance), :math:`\Pi_n` covers
  every entry that can be nonzero and SnAp-n *is* exact RTRL. On a directed ring of N neurons
  (diameter N - 1) that is n = N; on a dense network (the paper's RNN, diameter 1), n = 2.

SnAp-n for n >= 2 is implemented here with a dense masked :math:`\tilde J` (cost of exact RTRL,
O(N^2 P_c)): it measures the *bias* of the approximation, not the speed of a sparse kernel.
The pattern is taken from the recurrent matrices at the first step (structural zeros of the
current parameters).

References
----------
.. [R-SnAp] J. Menick, E. Elsen, U. Evci, S. Osindero, K. Simonyan, A. Graves, "Practical Real
   Time Recurrent Learning with a Sparse Approximation", ICLR 2021, Section 3.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import positive_int
from rtrl_theory.engine import add_row_local, apply_state_jacobian

from ._base import EstimatorState, OnlineEstimator, jacobian_diagonal, recurrence_graph
from ._diagonal import DiagonalTrace

__all__ = ["SnAp1", "SnApN", "snap_pattern", "graph_diameter"]


def snap_pattern(adj: np.ndarray, n: int) -> np.ndarray:
    r"""``reach[k, l]``: k is reached from l by a walk of at most n - 1 edges of ``adj``, (N, N).

    ``adj[k, l]`` is an edge :math:`l\to k`. ``reach`` with n = 1 is the identity.
    """
    n = positive_int(n, "n")
    N = adj.shape[0]
    reach = np.eye(N, dtype=bool)
    frontier = reach.copy()
    A = adj.astype(np.int64)
    for _ in range(n - 1):
        frontier = (A @ frontier.astype(np.int64)) > 0
        new = reach | frontier
        if np.array_equal(new, reach):
            break
        reach = new
    return reach


def graph_diameter(adj: np.ndarray) -> int:
    """Return the largest finite shortest-path distance (in edges) of the directed graph ``adj``.

    SnAp-n is exact (equal to RTRL) once n - 1 reaches this diameter of the recurrence graph.

    Parameters
    ----------
    adj : ndarray of bool, shape (N, N)
        ``adj[k, l]``: an edge l -> k (as :func:`recurrence_graph` returns).

    Returns
    -------
    int
        The diameter: 1 for a dense network, N - 1 for a directed ring of N.
    """
    N = adj.shape[0]
    reach = np.eye(N, dtype=bool)
    d = 0
    while True:
        new = reach | ((adj.astype(np.int64) @ reach.astype(np.int64)) > 0)
        if np.array_equal(new, reach):
            return d
        reach = new
        d += 1


class SnAp1(DiagonalTrace):
    r"""SnAp-1: :math:`\tilde j_{t+1}[p] = D_t[i(p), i(p)]\,\tilde j_t[p] + I_t[i(p), p]`.

    The influence kept on the entries that the immediate term fills (Menick et al. 2021): the
    diagonal of :math:`D_t` carries the trace. Cost O(P_c) per step, memory P_c floats.

    Parameters
    ----------
    model : RNNModel
        The model whose cell the estimator follows; its parameter blocks must be row-local on
        the N state rows (every cell of the project: paper RNN, Elman, linear and neural SDE,
        GRU).

    See Also
    --------
    SnApN : the pattern reachable in n - 1 steps.
    EProp : drops the self-connection that SnAp-1 keeps.
    """

    name = "snap-1"

    def decay(self, lin):
        return jacobian_diagonal(lin.state_jac)


class SnApN(OnlineEstimator):
    """SnAp-n for n >= 1 with a dense masked influence (module docstring).

    Parameters
    ----------
    model : RNNModel
    n : int
        The number of steps of the pattern.
    """

    def __init__(self, model, n: int) -> None:
        super().__init__(model)
        self.n = positive_int(n, "n")
        self.name = f"snap-{self.n}"
        self._mask = None

    def mask_from(self, lin) -> np.ndarray:
        r"""Return the kept entries :math:`\Pi_n` in the engine layout, (P_c, N) of bool."""
        reach = snap_pattern(recurrence_graph(lin.state_jac), self.n)  # [k, l]
        return np.ascontiguousarray(reach[:, self.rows].T)  # [p, k] = reach[k, i(p)]

    def initial(self, n_particles: int) -> EstimatorState:
        return EstimatorState({"Jt": np.zeros((n_particles, self.n_cell_params, self.n_state))})

    def advance(self, state, lin, rng=None, *, inplace: bool = False) -> EstimatorState:
        if self._mask is None:
            self._mask = self.mask_from(lin)
        Jt = np.ascontiguousarray(apply_state_jacobian(lin.state_jac, state.arrays["Jt"]))
        for term in lin.param_terms:
            add_row_local(Jt, term)
        Jt *= self._mask[None]
        return EstimatorState({"Jt": Jt}, state.t + 1)

    def cell_gradient(self, state, dS, Y=None) -> np.ndarray:
        return np.matmul(state.arrays["Jt"], dS[:, :, None])[:, :, 0]

    def memory(self) -> int:
        """Return the number of floats a sparse implementation keeps.

        Floats a sparse implementation keeps: the entries of the pattern (before it is set:
        the dense N P_c of this implementation).
        """
        return int(self._mask.sum()) if self._mask is not None else super().memory()
