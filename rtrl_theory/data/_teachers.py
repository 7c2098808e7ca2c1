r"""Teachers and inputs of [P1] Section 7: Wishart drifts, rescaled Gaussian weights, Gaussian inputs.

The synthetic experiments of Section 7 (THEORY.md section 10) generate targets with a network of
the trained model's own class (a *teacher*) driven by i.i.d. Gaussian inputs:

* 7.1, (7.1)-(7.3): the linear SDE :math:`S^*_{t+1} = S^*_t + \Delta(-A^* S^*_t + B^* X_t)`,
  :math:`Y_t = C^*\cdot S^*_{t+1}`, with :math:`A^*` Wishart (positive definite) and
  :math:`B^*`, :math:`C^*` standard normal (:func:`linear_sde_teacher`);
* 7.2, (7.4)-(7.5): the Elman network :math:`S^*_{t+1} = \phi(W^* S^*_t + U^* X_t)` with
  :math:`W^* = \gamma G/\sqrt N` (:func:`elman_teacher`);
* 7.3, (7.6)-(7.7): the neural SDE
  :math:`S^*_{t+1} = S^*_t + \Delta(-A^* S^*_t + \phi(W^* S^*_t + U^* X_t))` with Wishart
  :math:`A^*` (:func:`neural_sde_teacher`).

[P1]'s numbers (:math:`\Delta`, the Wishart degrees of freedom, :math:`\gamma`, the data's standard
deviation) were lost with the formulas; the defaults here are the project's choices, documented
where they are made. Each generator checks a stability condition and records its Lipschitz
constant (:attr:`Teacher.lipschitz`).

``DataProcess(GaussianInputs(d), teacher.target())`` then produces Section 7 data with the
streaming and reproducibility guarantees of ``rtrl_theory.data._chains``. The Gaussian inputs are
unbounded (:math:`C_x = \infty`), outside Assumption 2.3(3) (THEORY.md section 9, item 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, as_rng, positive, positive_int
from rtrl_theory.cells._base import Cell
from rtrl_theory.cells._maps import Sigmoid, Tanh
from rtrl_theory.cells._section7 import (
    ElmanParams,
    ElmanRNN,
    LinearSDE,
    LinearSDEParams,
    NeuralSDE,
    NeuralSDEParams,
    activation_map,
)

from ._chains import DataProcess, TeacherTarget

__all__ = [
    "DelayLineCell",
    "delayed_input_teacher",
    "wishart_matrix",
    "rescaled_gaussian_matrix",
    "GaussianInputs",
    "Teacher",
    "linear_sde_teacher",
    "elman_teacher",
    "neural_sde_teacher",
]


# ------------------------------------------------------------------------------------------------
# Random matrices
# ------------------------------------------------------------------------------------------------
def wishart_matrix(n: int, rng=None, *, dof: int | None = None, scale: float = 1.0) -> np.ndarray:
    r"""Return a Wishart matrix :math:`A = \frac{c}{m} G G^\top`, G (n, m) standard Gaussian, (7.3) of [P1].

    Equivalently :math:`A = \frac{c}{m}\sum_{i=1}^m v_i v_i^\top` with :math:`v_i` i.i.d.
    :math:`N(0, I_n)`, so :math:`E[A] = c I`.

    Parameters
    ----------
    n : int
        Size.
    rng : Generator, int or None
    dof : int, optional
        Degrees of freedom :math:`m \ge n` (then A is positive definite almost surely). Default
        ``2 n``.
    scale : float, default 1.0
        c.

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric positive definite.

    Notes
    -----
    The default ``m = 2n`` is the project's choice ([P1]'s value was lost). By the
    Marchenko-Pastur law the eigenvalues of :math:`G G^\top/m` fill
    :math:`[(1-\sqrt{n/m})^2, (1+\sqrt{n/m})^2]`, about [0.086, 2.91] for m = 2n, so the smallest
    one stays away from 0 and the teacher forgets its past in about :math:`1/(0.086\Delta)`
    steps. With m = n the lower edge is 0 (the smallest eigenvalue is of order
    :math:`1/n^2`): memory of order :math:`n^2/\Delta` steps, far beyond any truncation.

    Examples
    --------
    >>> import numpy as np
    >>> A = wishart_matrix(4, np.random.default_rng(0))
    >>> bool(np.allclose(A, A.T)), bool(np.linalg.eigvalsh(A).min() > 0)
    (True, True)
    """
    n = positive_int(n, "n")
    m = 2 * n if dof is None else positive_int(dof, "dof")
    if m < n:
        raise ValueError(
            f"dof: expected at least n = {n} (for a positive definite matrix), got {m}"
        )
    scale = positive(scale, "scale")
    G = as_rng(rng).standard_normal((n, m))
    A = (scale / m) * (G @ G.T)
    return 0.5 * (A + A.T)  # exactly symmetric despite rounding in the product


def rescaled_gaussian_matrix(n: int, gamma: float, rng=None) -> np.ndarray:
    r"""Return the matrix :math:`\gamma G/\sqrt n`, G (n, n) standard Gaussian: :math:`W^*` of Section 7.2.

    By the circular law its eigenvalues fill the disc of radius :math:`\gamma` as n grows, and its
    spectral norm tends to :math:`2\gamma`.

    Parameters
    ----------
    n : int
    gamma : float
        Scale :math:`\gamma > 0`.
    rng : Generator, int or None

    Returns
    -------
    ndarray, shape (n, n)
    """
    n = positive_int(n, "n")
    gamma = positive(gamma, "gamma")
    return gamma * as_rng(rng).standard_normal((n, n)) / math.sqrt(n)


# ------------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GaussianInputs:
    r"""I.i.d. Gaussian inputs :math:`X_t \sim N(0, \sigma^2 I_d)` of Section 7, as a chain.

    Usable wherever ``rtrl_theory.data`` expects an input chain (``DataProcess(chain, target)``):
    :meth:`step` ignores the previous input and returns the noise, so :math:`X_{t+1} =
    \varepsilon_{t+1}`, a chain that forgets its start in one step.

    Parameters
    ----------
    n_input : int
        d.
    std : float, default 1.0
        :math:`\sigma`. Fig. 2 of [P1] scales it up.

    Attributes
    ----------
    C_x : float
        ``inf``: Gaussian inputs are unbounded (outside Assumption 2.3(3)).

    Examples
    --------
    >>> import numpy as np
    >>> X = GaussianInputs(2, std=3.0).sample(1000, np.random.default_rng(0))
    >>> X.shape, bool(2.5 < X.std() < 3.5)
    ((1000, 2), True)
    """

    n_input: int
    std: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_input", positive_int(self.n_input, "n_input"))
        object.__setattr__(self, "std", positive(self.std, "std"))

    @property
    def C_x(self) -> float:
        return math.inf

    def step(self, x: np.ndarray, eps: np.ndarray) -> np.ndarray:
        r""":math:`X_{t+1} = \varepsilon_{t+1}` (independent of ``x``)."""
        return eps

    def draw_noise(self, rng: np.random.Generator, shape) -> np.ndarray:
        r"""``shape + (d,)`` i.i.d. :math:`N(0, \sigma^2)` draws."""
        return rng.normal(0.0, self.std, size=tuple(shape) + (self.n_input,))

    def sample(self, n_steps: int, rng=None, *, n_chains: int | None = None) -> np.ndarray:
        """``n_steps`` inputs: (T, d), or (K, T, d) with ``n_chains`` (the DataProcess stream)."""
        return DataProcess(self, None).sample(n_steps, rng, n_chains=n_chains)[0]


# ------------------------------------------------------------------------------------------------
# Teachers
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Teacher:
    r"""A teacher network of Section 7: a model, its parameters and the stability it satisfies.

    Attributes
    ----------
    model : LinearSDE, ElmanRNN or NeuralSDE
    params : LinearSDEParams, ElmanParams or NeuralSDEParams
    lipschitz : float
        A Lipschitz constant L of the state map :math:`S\mapsto F(S, x)` in the Euclidean norm,
        uniform in x (see each generator). L < 1 means the synchronous coupling contracts:
        the teacher's state forgets its start geometrically and has a unique stationary law.
    """

    model: object
    params: object
    lipschitz: float

    @property
    def contracting(self) -> bool:
        """Whether :attr:`lipschitz` < 1."""
        return self.lipschitz < 1.0

    def target(self, noise: float = 0.0) -> TeacherTarget:
        r"""Targets :math:`Y_t = C^*\cdot S^*_{t+1} + \eta_t`, :math:`\eta_t\sim U[-c, c]`, c = noise."""
        return TeacherTarget(self.model, self.params, noise)

    def process(self, input_std: float = 1.0, noise: float = 0.0) -> DataProcess:
        """``DataProcess(GaussianInputs(d, input_std), self.target(noise))``: Section 7 data."""
        return DataProcess(GaussianInputs(self.model.n_input, input_std), self.target(noise))


def _drift_norm(A_star: np.ndarray, dt: float) -> float:
    r""":math:`\|I - \Delta A^*\|_2 = \max_i |1 - \Delta\lambda_i|` for symmetric :math:`A^*`."""
    lam = np.linalg.eigvalsh(A_star)
    return float(max(abs(1.0 - dt * lam[0]), abs(1.0 - dt * lam[-1])))


def _bounded(activation) -> bool:
    return isinstance(activation_map(activation), Tanh | Sigmoid)


def linear_sde_teacher(
    n_hidden: int,
    n_input: int,
    rng=None,
    *,
    dt: float = 0.1,
    dof: int | None = None,
    wishart_scale: float = 1.0,
) -> Teacher:
    r"""Return the teacher of Section 7.1, (7.2): a :class:`LinearSDE` with :math:`A = -A^*`.

    .. math::

        S^*_{t+1} = (I - \Delta A^*) S^*_t + \Delta B^* X_t, \qquad Y_t = C^*\cdot S^*_{t+1},

    :math:`A^*` = ``wishart_matrix(N, rng, dof=dof, scale=wishart_scale)`` (7.3),
    :math:`B^*` (N, d) and :math:`C^*` (N,) i.i.d. standard normal.

    Parameters
    ----------
    n_hidden, n_input : int
        N and d.
    rng : Generator, int or None
        Draws, in this order, :math:`A^*`, :math:`B^*`, :math:`C^*`.
    dt : float, default 0.1
        :math:`\Delta`, shared by teacher and student (use ``teacher.model`` or
        ``LinearSDE(N, d, dt)`` for the student).
    dof : int, optional
        Wishart degrees of freedom (default 2N, see :func:`wishart_matrix`).
    wishart_scale : float, default 1.0

    Returns
    -------
    Teacher
        ``lipschitz`` is :math:`\|I - \Delta A^*\|_2 = \max_i|1 - \Delta\lambda_i(A^*)|`, the
        spectral radius of the symmetric matrix :math:`I - \Delta A^*`.

    Raises
    ------
    ValueError
        ``dt``: if :math:`\Delta\lambda_{\max}(A^*) \ge 2`, i.e. the spectral radius of
        :math:`I - \Delta A^*` is at least 1 (the teacher diverges).

    Notes
    -----
    Stability ensured: :math:`\rho(I - \Delta A^*) < 1`, i.e. :math:`0 < \Delta\lambda_i < 2`
    (:math:`\lambda_i > 0` as :math:`A^*` is positive definite). Since :math:`I - \Delta A^*` is
    symmetric its spectral norm equals its spectral radius, so the state map contracts in the
    Euclidean norm every step and :math:`S^*` is a stable Gaussian AR(1) process with a unique
    stationary law. With the defaults, :math:`\lambda_{\max}\approx 2.9` and
    :math:`\Delta\lambda_{\max}\approx 0.29`.
    """
    N = positive_int(n_hidden, "n_hidden")
    d = positive_int(n_input, "n_input")
    dt = positive(dt, "dt")
    rng = as_rng(rng)
    A_star = wishart_matrix(N, rng, dof=dof, scale=wishart_scale)
    B_star = rng.standard_normal((N, d))
    C_star = rng.standard_normal(N)
    rho = _drift_norm(A_star, dt)
    if rho >= 1.0:
        raise ValueError(
            f"dt: the teacher is unstable, spectral radius of I - dt A* = {rho:.4g} >= 1 "
            f"(dt lambda_max(A*) = {dt * np.linalg.eigvalsh(A_star)[-1]:.4g} >= 2); "
            f"use dt < {2.0 / np.linalg.eigvalsh(A_star)[-1]:.4g}"
        )
    model = LinearSDE(N, d, dt=dt)
    return Teacher(model, LinearSDEParams(C_star, -A_star, B_star), rho)


def elman_teacher(
    n_hidden: int,
    n_input: int,
    rng=None,
    *,
    activation="tanh",
    gamma: float = 0.4,
    input_std: float = 1.0,
    bias: bool = False,
) -> Teacher:
    r"""Return the teacher of Section 7.2, (7.5): an :class:`ElmanRNN` with rescaled Gaussian :math:`W^*`.

    .. math::

        S^*_{t+1} = \phi(W^* S^*_t + U^* X_t), \qquad Y_t = C^*\cdot S^*_{t+1},

    :math:`W^* = \gamma G/\sqrt N` (:func:`rescaled_gaussian_matrix`), :math:`U^*` (N, d) with
    i.i.d. :math:`N(0, \sigma_U^2)` entries, :math:`C^*` standard normal.

    Parameters
    ----------
    n_hidden, n_input : int
    rng : Generator, int or None
        Draws, in this order, :math:`W^*`, :math:`U^*`, :math:`C^*`.
    activation : {"tanh", "relu", "elu"}, default "tanh"
    gamma : float, default 0.4
        :math:`\gamma` ([P1] uses one value for ReLU and tanh and another for tanh in Figs. 7-8;
        the values were lost). 0.4 gives :math:`\|W^*\|_2\approx 0.8` for large N.
    input_std : float, default 1.0
        :math:`\sigma_U` ([P1]: "generated as in the previous section except [one of them] has
        [another] standard deviation").
    bias : bool, default False
        (7.4) has no bias; True returns a model with a bias block set to :math:`b^* = 0`, so
        that the teacher is a point of the biased student's parameter space.

    Returns
    -------
    Teacher
        ``lipschitz`` is :math:`\|W^*\|_2` (:math:`\phi` is 1-Lipschitz for tanh, ReLU and ELU).

    Raises
    ------
    ValueError
        ``gamma``: for an unbounded activation (ReLU, ELU) when :math:`\|W^*\|_2 \ge 1`.

    Notes
    -----
    Stability ensured: with tanh the state stays in :math:`[-1, 1]^N` for every :math:`\gamma`
    (any :math:`\gamma` is accepted; contraction, hence a unique stationary law, holds when
    ``lipschitz < 1``). With ReLU or ELU the state is unbounded above, and the generator
    requires :math:`\|W^*\|_2 < 1`: as :math:`|\phi(z)| \le |z|` entrywise,
    :math:`\|S^*_{t+1}\| \le \|W^*\|_2\|S^*_t\| + \|U^* X_t\|` and, from
    :math:`S^*_0 = 0`, :math:`\sup_t E\|S^*_t\| \le E\|U^*X\|/(1 - \|W^*\|_2)`.
    """
    N = positive_int(n_hidden, "n_hidden")
    d = positive_int(n_input, "n_input")
    input_std = positive(input_std, "input_std")
    model = ElmanRNN(N, d, activation=activation, bias=bias)
    rng = as_rng(rng)
    W_star = rescaled_gaussian_matrix(N, gamma, rng)
    U_star = input_std * rng.standard_normal((N, d))
    C_star = rng.standard_normal(N)
    L = float(np.linalg.norm(W_star, 2))
    if L >= 1.0 and not _bounded(activation):
        raise ValueError(
            f"gamma: the {activation} teacher needs ||W*||_2 < 1 to stay bounded; gamma = "
            f"{gamma!r} gave ||W*||_2 = {L:.4g}; use a smaller gamma (or another rng)"
        )
    b = np.zeros(N) if model.bias else None
    return Teacher(model, ElmanParams(C_star, U_star, W_star, b), L)


def neural_sde_teacher(
    n_hidden: int,
    n_input: int,
    rng=None,
    *,
    dt: float = 0.1,
    activation="tanh",
    gamma: float = 0.4,
    dof: int | None = None,
    wishart_scale: float = 1.0,
) -> Teacher:
    r"""Return the teacher of Section 7.3, (7.7): a :class:`NeuralSDE` with Wishart :math:`A^*`.

    .. math::

        S^*_{t+1} = S^*_t + \Delta\big(-A^* S^*_t + \phi(W^* S^*_t + U^* X_t)\big),
        \qquad Y_t = C^*\cdot S^*_{t+1},

    :math:`A^*` = ``wishart_matrix(N, rng, dof=dof, scale=wishart_scale)``,
    :math:`W^* = \gamma G/\sqrt N`, :math:`U^*` and :math:`C^*` i.i.d. standard normal
    (the text does not say how :math:`W^*, U^*` are drawn; these follow Sections 7.1-7.2).

    Parameters
    ----------
    n_hidden, n_input : int
    rng : Generator, int or None
        Draws, in this order, :math:`A^*`, :math:`W^*`, :math:`U^*`, :math:`C^*`.
    dt : float, default 0.1
    activation : {"tanh", "relu", "elu"}, default "tanh"
    gamma : float, default 0.4
    dof : int, optional
        Wishart degrees of freedom (default 2N).
    wishart_scale : float, default 1.0

    Returns
    -------
    Teacher
        ``lipschitz`` is :math:`\rho + \Delta\|W^*\|_2` with
        :math:`\rho = \|I - \Delta A^*\|_2 = \max_i|1 - \Delta\lambda_i(A^*)|`.

    Raises
    ------
    ValueError
        ``dt`` if :math:`\rho \ge 1`; ``gamma`` for ReLU or ELU if :math:`\rho + \Delta\|W^*\|_2
        \ge 1`.

    Notes
    -----
    Stability ensured: :math:`\rho < 1` always. With tanh (:math:`|\phi| \le 1`) this bounds the
    state deterministically, :math:`\|S^*_{t+1}\|_2 \le \rho\|S^*_t\|_2 + \Delta\sqrt N`, so
    :math:`\sup_t\|S^*_t\|_2 \le \Delta\sqrt N/(1 - \rho)` from :math:`S^*_0 = 0`, whatever
    :math:`W^*` and the inputs. With ReLU or ELU the generator also requires
    ``lipschitz`` :math:`< 1`, which (as :math:`\rho = 1 - \Delta\lambda_{\min}` when
    :math:`\Delta\lambda_{\max}\le 1`) means :math:`\|W^*\|_2 < \lambda_{\min}(A^*)`: a small
    :math:`\gamma` or a larger ``dof``.
    """
    N = positive_int(n_hidden, "n_hidden")
    d = positive_int(n_input, "n_input")
    dt = positive(dt, "dt")
    model = NeuralSDE(N, d, dt=dt, activation=activation)
    rng = as_rng(rng)
    A_star = wishart_matrix(N, rng, dof=dof, scale=wishart_scale)
    W_star = rescaled_gaussian_matrix(N, gamma, rng)
    U_star = rng.standard_normal((N, d))
    C_star = rng.standard_normal(N)
    rho = _drift_norm(A_star, dt)
    if rho >= 1.0:
        raise ValueError(
            f"dt: the teacher is unstable, ||I - dt A*||_2 = {rho:.4g} >= 1; "
            f"use dt < {2.0 / np.linalg.eigvalsh(A_star)[-1]:.4g}"
        )
    L = rho + dt * float(np.linalg.norm(W_star, 2))
    if L >= 1.0 and not _bounded(activation):
        raise ValueError(
            f"gamma: the {activation} teacher needs ||I - dt A*||_2 + dt ||W*||_2 < 1 to stay "
            f"bounded, got {L:.6g} with gamma = {gamma!r}; use a smaller gamma or a larger dof"
        )
    return Teacher(model, NeuralSDEParams(C_star, A_star, W_star, U_star), L)


class DelayLineCell(Cell):
    r"""A parameter-free shift register of the last ``delay + 1`` inputs.

    A parameter-free shift register: the state after step t is
    :math:`(X_t, X_{t-1}, \dots, X_{t-\text{delay}})`.

    As the cell of a teacher network it turns the target into a function of past inputs,
    :math:`Y_t = w\cdot X_{t-\text{delay}} + \eta_t` (:func:`delayed_input_teacher`), a Lipschitz
    function of the Markov chain :math:`(X_t, \dots, X_{t-\text{delay}})` (Assumption 2.3 on the
    augmented chain) that a model can only fit by carrying information through its recurrence.
    The state has width ``n_input * (delay + 1)``.

    Parameters
    ----------
    n_input : int
        d, the input dimension.
    delay : int, default 1
        How many steps back the register reaches (>= 1).

    See Also
    --------
    delayed_input_teacher : the teacher built on this cell.
    LeakyTraceCell : a trace that decays instead of a hard delay.
    """

    def __init__(self, n_input: int, delay: int = 1) -> None:
        self.n_input = positive_int(n_input, "n_input")
        self.delay = positive_int(delay, "delay")
        self.n_state = self.n_input * (self.delay + 1)
        self.n_params = 0
        self.blocks = ()
        N, d = self.n_state, self.n_input
        self._shift = np.zeros((N, N))
        self._shift[d:, : N - d] = np.eye(N - d)

    def prepare(self, theta):
        return None

    def step(self, prep, S, X):
        out = np.empty_like(S)
        out[:, : self.n_input] = X
        out[:, self.n_input :] = S[:, : self.n_state - self.n_input]
        return out

    def linearize(self, prep, S, X):
        from rtrl_theory.cells import Linearization, StateJacobian

        K = S.shape[0]
        jac = StateJacobian(diag=None, coefs=(np.ones((K, self.n_state)),), mats=(self._shift,))
        return Linearization(self.step(prep, S, X), jac, ())


def delayed_input_teacher(n_input: int, delay: int = 1, *, rng=None, w=None) -> Teacher:
    r"""Return a teacher whose output is :math:`w\cdot X_{t-\text{delay}}` (a delay line + readout).

    ``w`` defaults to i.i.d. standard normal entries normalised to :math:`|w|_1 = 1` (so the
    target is 1-Lipschitz in the max-norm of the delayed input). ``lipschitz`` is 0: the delay
    line forgets its start after ``delay`` steps exactly.

    Parameters
    ----------
    n_input : int
        d, the input dimension.
    delay : int, default 1
        The delay (>= 1).
    rng : numpy.random.Generator or int, optional
        Draws ``w`` when it is not given.
    w : array_like, shape (d,), optional
        The readout of the delayed input (default: random, :math:`|w|_1 = 1`).

    Returns
    -------
    Teacher
        A :class:`DelayLineCell` with the readout w on its oldest block;
        ``teacher.target(noise)`` gives :math:`Y_t = w\cdot X_{t-\text{delay}} + \eta_t`.
    """
    from rtrl_theory.cells import RNNModel, SquaredErrorReadout

    d = positive_int(n_input, "n_input")
    cell = DelayLineCell(d, delay)
    if w is None:
        w = as_rng(rng).standard_normal(d)
        w = w / np.abs(w).sum()
    w = as_array(w, "w", shape=(d,))
    alpha = np.zeros(cell.n_state)
    alpha[-d:] = w
    model = RNNModel(cell, SquaredErrorReadout(cell.n_state))
    return Teacher(model, alpha, 0.0)
