r"""Second moments of a linear system driven by i.i.d. noise: discrete Lyapunov equations.

The generic machinery of the oracles. A linear system

.. math:: u_{t+1} = M u_t + G\,\xi_{t+1}, \qquad \xi_t \text{ i.i.d.}, \quad E\xi = 0,\quad
          \operatorname{Cov}\xi = Q,

has (when the spectral radius of M is below 1) a unique stationary law, whatever the law of
:math:`\xi` beyond its first two moments, with mean 0 and covariance

.. math:: \Sigma = M\Sigma M^\top + G Q G^\top = \sum_{n\ge0} M^n G Q G^\top (M^\top)^n

(a discrete Lyapunov, or Stein, equation). From any start, the second-moment matrix
:math:`R_t = E[u_t u_t^\top]` (mean included) follows :math:`R_{t+1} = M R_t M^\top + G Q
G^\top` exactly, and the mean :math:`m_{t+1} = M m_t`. Any expectation of a quadratic form
:math:`E[u^\top A u] = \operatorname{tr}(A R)` is then exact; so is, through the *adjoint*
equation :math:`W = M^\top W M + A`, the sum over time
:math:`\sum_{n\ge0}\operatorname{tr}(A M^n \Delta (M^\top)^n) = \operatorname{tr}(W\Delta)`.

Nothing here knows about RNNs: ``rtrl_theory.oracles._linear_sde`` assembles M, G, Q for a
LinearSDE student, its teacher, its data chain and its (exact or approximate, see issue 13)
sensitivity recursion, and reads losses and gradients off the second moments.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

__all__ = ["LinearGaussianSystem", "solve_stein"]


def solve_stein(M: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    r"""Return the solution X of :math:`X = M X M^\top + \text{rhs}`, symmetrised when rhs is symmetric.

    ``scipy.linalg.solve_discrete_lyapunov`` (Kronecker solve for n < 10, bilinear transform and
    Bartels-Stewart above). ``M`` must have spectral radius below 1 (not checked here: callers
    check it once with a message naming their argument).
    """
    X = scipy.linalg.solve_discrete_lyapunov(M, rhs)
    if np.allclose(rhs, rhs.T, rtol=0.0, atol=0.0):
        X = 0.5 * (X + X.T)
    return X


@dataclass(frozen=True, eq=False)
class LinearGaussianSystem:
    r"""The linear system :math:`u_{t+1} = M u_t + G\xi_{t+1}`, :math:`\operatorname{Cov}\xi = Q`.

    Parameters
    ----------
    M : ndarray, shape (n, n)
        Transition matrix.
    G : ndarray, shape (n, m)
        Noise loading.
    Q : ndarray, shape (m, m)
        Covariance of the i.i.d. mean-zero noise :math:`\xi`.
    blocks : mapping str -> slice, optional
        Names of consecutive groups of coordinates of u (for reading moments).

    Examples
    --------
    A scalar AR(1), :math:`u' = 0.5 u + \xi`, :math:`\operatorname{Var}\xi = 1`: the stationary
    variance is :math:`1 / (1 - 0.25)`.

    >>> import numpy as np
    >>> sys = LinearGaussianSystem(np.array([[0.5]]), np.eye(1), np.eye(1))
    >>> float(sys.stationary_covariance()[0, 0])
    1.3333333333333333
    """

    M: np.ndarray
    G: np.ndarray
    Q: np.ndarray
    blocks: Mapping[str, slice] = field(default_factory=dict)

    def __post_init__(self) -> None:
        M = np.asarray(self.M, dtype=float)
        G = np.asarray(self.G, dtype=float)
        Q = np.asarray(self.Q, dtype=float)
        n = M.shape[0]
        if M.shape != (n, n) or G.shape[0] != n or Q.shape != (G.shape[1], G.shape[1]):
            raise ValueError(
                f"M, G, Q: expected shapes (n, n), (n, m), (m, m), got {M.shape}, {G.shape}, "
                f"{Q.shape}"
            )
        for name, a in (("M", M), ("G", G), ("Q", Q)):
            a = a.copy()
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        object.__setattr__(self, "blocks", dict(self.blocks))
        object.__setattr__(self, "_cache", {})

    @property
    def dim(self) -> int:
        """n, the dimension of u."""
        return self.M.shape[0]

    @property
    def noise_covariance(self) -> np.ndarray:
        r""":math:`G Q G^\top`, (n, n)."""
        if "GQG" not in self._cache:
            GQG = self.G @ self.Q @ self.G.T
            self._cache["GQG"] = 0.5 * (GQG + GQG.T)
        return self._cache["GQG"]

    @property
    def spectral_radius(self) -> float:
        """Spectral radius of M: the stationary law exists iff it is below 1."""
        if "rho" not in self._cache:
            eig = np.linalg.eigvals(self.M) if self.dim else np.zeros(1)
            self._cache["rho"] = float(np.max(np.abs(eig)))
        return self._cache["rho"]

    def _require_stable(self) -> None:
        if not self.spectral_radius < 1.0:
            raise ValueError(
                f"M: spectral radius {self.spectral_radius:.6g} >= 1, no stationary law"
            )

    def stationary_covariance(self) -> np.ndarray:
        r""":math:`\Sigma = M\Sigma M^\top + GQG^\top`, (n, n) (the stationary mean is 0)."""
        if "Sigma" not in self._cache:
            self._require_stable()
            self._cache["Sigma"] = solve_stein(self.M, self.noise_covariance)
        return self._cache["Sigma"]

    def forward_sum(self, rhs: np.ndarray) -> np.ndarray:
        r"""Return the solution of :math:`X = MXM^\top + \text{rhs}`.

        That is :math:`X = \sum_{n\ge0} M^n\,\text{rhs}\,(M^\top)^n`.
        """
        self._require_stable()
        return solve_stein(self.M, np.asarray(rhs, dtype=float))

    def adjoint_sum(self, A: np.ndarray) -> np.ndarray:
        r""":math:`W = \sum_{n\ge0} (M^\top)^n A M^n`, i.e. :math:`W = M^\top W M + A`.

        Then :math:`\sum_{n\ge0}\operatorname{tr}(A M^n\Delta(M^\top)^n)
        = \operatorname{tr}(W\Delta)`
        for any :math:`\Delta`.
        """
        self._require_stable()
        return solve_stein(self.M.T, np.asarray(A, dtype=float))

    def step_moments(self, mean: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""One step of the exact moment recursion: :math:`(Mm,\ MRM^\top + GQG^\top)`."""
        R = self.M @ second @ self.M.T + self.noise_covariance
        return self.M @ mean, 0.5 * (R + R.T)

    def moment_path(
        self, mean: np.ndarray, second: np.ndarray, n_steps: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        r"""Yield :math:`(m_t, R_t)` for t = 1..n_steps from :math:`(m_0, R_0)` = (mean, second).

        :math:`R_t = E[u_t u_t^\top]` is the second-moment matrix (not the covariance):
        :math:`R_t = \operatorname{Cov}(u_t) + m_t m_t^\top`.
        """
        m, R = np.asarray(mean, dtype=float), np.asarray(second, dtype=float)
        for _ in range(int(n_steps)):
            m, R = self.step_moments(m, R)
            yield m, R
