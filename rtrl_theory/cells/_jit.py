r"""What a cell needs to reach the compiled engine: the scalar helpers and the registry.

A cell reaches the compiled engine (:mod:`rtrl_theory.engine._compiled`) with two things in its
own module: a ``compiled()`` method returning a :class:`~rtrl_theory.cells.CompiledCell`, whose
``forward`` names its forward function, and ONE registration line,
``register_forward("name", forward)``. The forward function is plain Python in the subset numba
compiles; it may call :func:`_tanh`, :func:`_sigmoid`, :func:`_act` and :func:`_act_rows`
(import them from this module). The engine compiles it when first needed, inlines it into one
specialised copy of each loop, and caches those on disk keyed on the source of the forward's
module and of this one (so an edit to either recompiles them; nothing else is needed).

Signature of a forward function (every argument but ``jac`` an array; nothing returned):
``forward(ip, fp, th, Ns, xd, xi, S, s, coef, A, work, jac)``

- ``ip`` (int64), ``fp`` (float64): the cell's static integers and floats (``CompiledCell.ints``,
  ``.floats``);
- ``th`` (P_c,): the flat mapped cell parameters (column-stacked blocks, Notation 2.11 of [P1]);
- ``Ns``: the state size; ``xd`` (d,) the dense input, ``xi`` the symbol (one-hot cells);
- ``S`` (Ns,): the OLD state (read only); ``s`` (Ns,): write the new state :math:`S_{t+1}`;
- ``coef`` (n_coef, Ns): write the coefficient rows the cell's ``CompiledTerm`` rows name;
- ``A`` (Ns + 1, Ns): if ``jac``, write :math:`\partial S_{t+1}/\partial S_t` into rows
  ``:Ns`` (the engine's step (2.20) of [P1] then forms :math:`J_{t+1} = A J_t + M_t`);
- ``work`` (at least 4 Ns + P_c / Ns + d + 2,): scratch; the second-order step reads
  ``work[:M]`` = :math:`\tilde u` of pre-activation cells.

Nothing here imports numba: the engine compiles these functions (and rebinds the helpers a
forward function calls to their compiled versions) on first use.
"""

from __future__ import annotations

import hashlib
import inspect
import math

import numpy as np

__all__ = ["FORWARDS", "HELPERS", "register_forward"]

#: The registered compiled forward functions, by the name a cell's ``compiled()`` gives.
FORWARDS: dict = {}
#: The scalar helpers of this module a forward function may call (compiled by the engine).
HELPERS = ("_tanh", "_sigmoid", "_act", "_act_rows")
#: SHA-256 of the source file of each registered forward (and of this module, under ""), read
#: when it is registered (imported): the engine keys its compiled code on them, and reading
#: them at import rather than at compilation keeps the key of the code that is running.
SOURCE_HASHES: dict = {}


def _source_hash(obj) -> str:
    """Return the SHA-256 of the source file of ``obj`` (of its bytecode where there is none).

    Parameters
    ----------
    obj : module or function

    Returns
    -------
    str
    """
    try:
        with open(inspect.getsourcefile(obj), "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except (OSError, TypeError):
        return hashlib.sha256(obj.__code__.co_code).hexdigest()


def register_forward(name: str, forward):
    """Register ``forward`` as the compiled forward function of the cells that name it.

    The one line a cell's module adds to reach the compiled engine:
    ``register_forward("gru", _fw_gru)``; its ``compiled()`` then returns
    ``CompiledCell("gru", ...)``.

    Parameters
    ----------
    name : str
        The name the cell's :class:`~rtrl_theory.cells.CompiledCell` gives as ``forward``.
    forward : function
        A plain Python function in numba's subset, with the signature of this module's
        docstring.

    Returns
    -------
    function
        ``forward`` itself (so the call may also decorate).

    Raises
    ------
    ValueError
        ``name`` already names a different function (re-registering the same function, e.g. on
        a module reload, is allowed).
    TypeError
        ``forward`` is not a Python function, or ``name`` not a non-empty string.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty string, got {name!r}")
    if not hasattr(forward, "__code__"):
        raise TypeError(f"forward: expected a plain Python function, got {forward!r}")
    old = FORWARDS.get(name)
    same = old is not None and (old.__module__, old.__qualname__) == (
        forward.__module__,
        forward.__qualname__,
    )
    if old is not None and not same:
        raise ValueError(
            f"name: {name!r} is already registered for {old.__module__}.{old.__qualname__}"
        )
    FORWARDS[name] = forward
    SOURCE_HASHES[name] = _source_hash(forward)
    return forward


# Constants of _tanh: Cephes' rational approximation of tanh on |x| < 0.625 (tanh.c, S. L.
# Moshier; peak relative error 1.5e-16) and a range-reduced exp for the rest.
_TANH_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
_TANH_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_POW2 = np.array([2.0**k for k in range(64)])


def _tanh(x):  # pragma: no cover - compiled by numba
    """Tanh without libm and without data-dependent branches: at most 2 ulp from np.tanh.

    |x| < 0.625: Cephes' rational x + x^3 P(x^2)/Q(x^2); otherwise sign(x)(1 - 2/(e^{2|x|} + 1))
    with e^y = 2^k e^r, |r| <= ln2/2, e^r by Taylor to degree 13 and |x| clipped at 20. About 3x
    cheaper than libm's tanh, which matters in the online loop (maps re-evaluated every step).
    """
    a = abs(x)
    z = x * x
    small = x + x * z * (
        ((_TANH_P[0] * z + _TANH_P[1]) * z + _TANH_P[2])
        / (((z + _TANH_Q[0]) * z + _TANH_Q[1]) * z + _TANH_Q[2])
    )
    y = 2.0 * min(max(a, 0.625), 20.0)
    k = math.floor(y * _INV_LN2 + 0.5)
    r = (y - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    ki = min(max(int(k), 0), 63)
    large = math.copysign(1.0 - 2.0 / (p * _POW2[ki] + 1.0), x)
    return large if a >= 0.625 else small


def _sigmoid(x):  # pragma: no cover - compiled
    """0.5 (1 + tanh(x/2)): the overflow-free sigmoid of cells._maps.Sigmoid."""
    return 0.5 * (1.0 + _tanh(0.5 * x))


def _act(code, z):  # pragma: no cover - compiled
    """(phi(z), phi'(z), phi''(z)) for the codes of cells._base.ACTIVATION_CODES."""
    if code == 0:
        s = _sigmoid(z)
        p1 = s * (1.0 - s)
        return s, p1, p1 * (1.0 - 2.0 * s)
    if code == 1:
        t = _tanh(z)
        q = 1.0 - t * t
        return t, q, -2.0 * t * q
    if code == 2:
        if z > 0.0:
            return z, 1.0, 0.0
        return 0.0, 0.0, 0.0
    if code == 3:
        if z > 0.0:
            return z, 1.0, 0.0
        e = math.exp(z)
        return math.expm1(z), e, e
    return z, 1.0, 0.0


def _act_rows(code, n, s, coef):  # pragma: no cover - compiled
    """In place: s[k], coef[0, k], coef[1, k] = phi(s[k]), phi'(s[k]), phi''(s[k]) for k < n.

    The same values as :func:`_act`, with its branch taken once outside the loop over k and
    the pre-activations read and overwritten in the same array: the loop of a sigmoid or tanh
    is then straight-line code that LLVM vectorises (with z and s as two arguments it must
    assume they may overlap, and an in-place call falls back to scalar code: 3x slower, 0.12
    us of the paper RNN's 1.3 us step at N = 10).
    """
    if code == 0:
        for k in range(n):
            v = _sigmoid(s[k])
            p1 = v * (1.0 - v)
            s[k] = v
            coef[0, k] = p1
            coef[1, k] = p1 * (1.0 - 2.0 * v)
    elif code == 1:
        for k in range(n):
            t = _tanh(s[k])
            q = 1.0 - t * t
            s[k] = t
            coef[0, k] = q
            coef[1, k] = -2.0 * t * q
    else:
        for k in range(n):
            v, d1, d2 = _act(code, s[k])
            s[k] = v
            coef[0, k] = d1
            coef[1, k] = d2


SOURCE_HASHES[""] = _source_hash(_act)
