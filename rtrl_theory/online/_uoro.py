r"""UORO, Unbiased Online Recurrent Optimization (Tallec & Ollivier 2018, [R-UORO]).

UORO keeps a rank-one estimate :math:`\tilde J_t = \tilde s_t \tilde\theta_t^\top` of the
influence (N x P_c) and advances it with a random sign vector
:math:`\nu\in\{\pm1\}^N` (i.i.d. Rademacher, :math:`E[\nu\nu^\top] = I`):

.. math::

    \tilde s_{t+1} = \rho_0 D_t\tilde s_t + \rho_1 \nu, \qquad
    \tilde\theta_{t+1} = \tilde\theta_t/\rho_0 + (\nu^\top I_t)/\rho_1 ,

so that

.. math::

    \tilde J_{t+1} = D_t\tilde J_t + \nu\nu^\top I_t
        + \tfrac{\rho_0}{\rho_1} D_t\tilde s_t\,(\nu^\top I_t)
        + \tfrac{\rho_1}{\rho_0}\,\nu\,\tilde\theta_t^\top .

Unbiasedness: given the past, :math:`E[\nu\nu^\top] = I` and the two cross terms have mean 0,
so :math:`E[\tilde J_{t+1}\mid\mathcal F_t] = D_t\tilde J_t + I_t` and, by induction,
:math:`E[\tilde J_t \mid \text{data}] = J_t`. The variance-reducing rescaling of the paper,

.. math:: \rho_0 = \sqrt{\|\tilde\theta_t\| / \|D_t\tilde s_t\|}, \qquad
          \rho_1 = \sqrt{\|\nu^\top I_t\| / \|\nu\|},

minimises the variance of the cross terms. :math:`\rho_1` depends on :math:`\nu`, but only
through :math:`\|\nu^\top I_t\|`, which is even in :math:`\nu`; so
:math:`E[\nu/\rho_1] = E[\rho_1\nu] = 0` and the cross terms keep mean zero. (When a norm is
zero, the corresponding rho is set to 1; the cross term it multiplies is zero then.)

The gradient estimate is :math:`\tilde G = (\partial_{\theta_h}\ell,\ (\tilde s\cdot\partial_S\ell)
\,\tilde\theta)`. Cost O(N^2 + P_c) per particle and step (one application of :math:`D_t` to a
vector, one contraction of the row-local immediate term), memory N + P_c floats.

References
----------
.. [R-UORO] C. Tallec, Y. Ollivier, "Unbiased Online Recurrent Optimization", ICLR 2018,
   Algorithm 1.
"""

from __future__ import annotations

import numpy as np

from ._base import EstimatorState, OnlineEstimator, apply_to_vectors, write_immediate

__all__ = ["UORO"]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """sqrt(num / den) per particle, 1 where either norm is 0."""
    ok = (num > 0) & (den > 0)
    return np.where(ok, np.sqrt(np.where(ok, num, 1.0) / np.where(ok, den, 1.0)), 1.0)


class UORO(OnlineEstimator):
    r"""UORO with the variance-reducing rescaling (module docstring). Needs an ``rng`` per step.

    The influence is kept as a rank-one product :math:`\tilde J_t = s_t \theta_t^\top` of a
    state vector (N) and a parameter vector (P_c), refreshed each step with random signs; unbiased
    (:math:`E[\tilde J_t] = J_t`, Tallec & Ollivier 2018). Cost O(N^2 + P_c) per step.

    Parameters
    ----------
    model : RNNModel
        The model whose cell the estimator follows; its parameter blocks must be row-local on
        the N state rows (every cell of the project: paper RNN, Elman, linear and neural SDE,
        GRU).

    See Also
    --------
    KFRTRL : unbiased with Kronecker factors, less noise at O(N^3).
    """

    name = "uoro"
    unbiased = True

    def initial(self, n_particles: int) -> EstimatorState:
        K = n_particles
        return EstimatorState(
            {"s": np.zeros((K, self.n_state)), "theta": np.zeros((K, self.n_cell_params))}
        )

    def advance(self, state, lin, rng, *, inplace: bool = False) -> EstimatorState:
        """One step; ``inplace=True`` reuses ``state``'s arrays (no K P_c allocation)."""
        s, th = state.arrays["s"], state.arrays["theta"]
        K, N = s.shape
        Ds = apply_to_vectors(lin.state_jac, s)
        nu = rng.integers(0, 2, size=(K, N)) * 2.0 - 1.0
        nuI = self._scratch(K)
        write_immediate(nuI, lin.param_terms, N, scale=nu)  # nu^T I_t, (K, P_c)
        rho0 = _ratio(np.linalg.norm(th, axis=1), np.linalg.norm(Ds, axis=1))[:, None]
        rho1 = _ratio(np.linalg.norm(nuI, axis=1), np.full(K, np.sqrt(N)))[:, None]
        th_new = th if inplace else np.empty_like(th)
        np.multiply(th, 1.0 / rho0, out=th_new)
        nuI *= 1.0 / rho1
        th_new += nuI
        return EstimatorState({"s": rho0 * Ds + rho1 * nu, "theta": th_new}, state.t + 1)

    def _scratch(self, K: int) -> np.ndarray:
        buf = getattr(self, "_buf", None)
        if buf is None or buf.shape[0] != K:
            buf = self._buf = np.empty((K, self.n_cell_params))
        return buf

    def cell_gradient(self, state, dS, Y=None) -> np.ndarray:
        s, th = state.arrays["s"], state.arrays["theta"]
        return np.einsum("cn,cn->c", s, dS)[:, None] * th

    def influence(self, state) -> np.ndarray:
        r""":math:`\tilde J_t^\top = \tilde\theta\tilde s^\top` in the engine layout, (K, P_c, N)."""
        return state.arrays["theta"][:, :, None] * state.arrays["s"][:, None, :]
