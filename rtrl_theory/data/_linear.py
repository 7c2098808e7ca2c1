r"""A linear input chain: Gaussian AR(1) inputs :math:`X_{t+1} = \Phi X_t + \varepsilon_{t+1}`.

With a linear model (``LinearSDE``) and a linear teacher the joint process of data, state and
sensitivities is linear, and its stationary moments are known in closed form
(``rtrl_theory.oracles``). :class:`~rtrl_theory.data.GaussianInputs` is the case :math:`\Phi = 0`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, positive, positive_int

__all__ = ["AR1Chain"]


@dataclass(frozen=True, eq=False)
class AR1Chain:
    r"""Gaussian AR(1) inputs :math:`X_{t+1} = \Phi X_t + \varepsilon_{t+1}`.

    The innovations are :math:`\varepsilon\sim N(0, \sigma^2 I_d)` i.i.d.

    Parameters
    ----------
    n_input : int
        d.
    Phi : float or array (d, d)
        The transition matrix :math:`\Phi` (a float means :math:`\Phi = \phi I_d`); its spectral
        radius must be below 1, so that the chain has a unique stationary law
        :math:`N(0, \Sigma_X)`, :math:`\Sigma_X = \Phi\Sigma_X\Phi^\top + \sigma^2 I`.
    std : float, default 1.0
        :math:`\sigma`.

    Attributes
    ----------
    lam : float
        :math:`\|\Phi\|_{\infty\to\infty}` (max absolute row sum): the synchronous coupling gives
        :math:`\|X_1 - X_1'\|_\infty \le \lambda\|x - x'\|_\infty`, (2.9)-(2.11) of [P1] (a
        contraction only when it is below 1; the spectral radius may be below 1 when it is not).
    C_x : float
        ``inf``: Gaussian inputs are unbounded (outside Assumption 2.3(3) of [P1]).

    Examples
    --------
    >>> import numpy as np
    >>> chain = AR1Chain(2, 0.5, std=1.0)
    >>> X = chain.sample(20000, np.random.default_rng(0))
    >>> bool(abs(X[:, 0].var() - 1 / (1 - 0.25)) < 0.1)
    True
    """

    n_input: int
    Phi: object = 0.0
    std: float = 1.0

    def __post_init__(self) -> None:
        d = positive_int(self.n_input, "n_input")
        if isinstance(self.Phi, numbers.Real) and not isinstance(self.Phi, bool):
            Phi = float(self.Phi) * np.eye(d)
        else:
            Phi = as_array(self.Phi, "Phi", shape=(d, d), copy=True)
        rho = float(np.max(np.abs(np.linalg.eigvals(Phi))))
        if not rho < 1.0:
            raise ValueError(
                f"Phi: expected spectral radius below 1 (a stationary chain), got {rho:.6g}"
            )
        Phi.setflags(write=False)
        object.__setattr__(self, "n_input", d)
        object.__setattr__(self, "Phi", Phi)
        object.__setattr__(self, "std", positive(self.std, "std"))

    @property
    def lam(self) -> float:
        return float(np.max(np.sum(np.abs(self.Phi), axis=1)))

    @property
    def C_x(self) -> float:
        return math.inf

    def step(self, x: np.ndarray, eps: np.ndarray) -> np.ndarray:
        r""":math:`\Phi x + \varepsilon` for x, eps of shape (..., d)."""
        return x @ self.Phi.T + eps

    def draw_noise(self, rng: np.random.Generator, shape) -> np.ndarray:
        r"""``shape + (d,)`` i.i.d. :math:`N(0, \sigma^2)` draws."""
        return rng.normal(0.0, self.std, size=tuple(shape) + (self.n_input,))

    def sample(self, n_steps: int, rng=None, *, x0=None, n_chains: int | None = None):
        """``n_steps`` inputs: (T, d), or (K, T, d) with ``n_chains``; from ``x0`` (default 0)."""
        from ._chains import DataProcess

        return DataProcess(self, None).sample(n_steps, rng, x0=x0, n_chains=n_chains)[0]
