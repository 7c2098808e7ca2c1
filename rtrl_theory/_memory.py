r"""Peak-memory estimates, checked before a large allocation starts.

A request far beyond the machine (RTRL sensitivities of a GRU with ``--n-hidden 2000``, ``--particles
100000000`` for the joint process) should be refused in a second with the numbers, not end in
``_ArrayMemoryError`` minutes later. :func:`estimate_memory` gives the peak memory of a task from the
model and the sizes; :func:`check_memory` compares it with the memory available and raises
:class:`MemoryLimitError` past 80% of it, unless ``force``. ``rtrl-theory train`` and
``contraction`` (``--force``) and :class:`~rtrl_theory.runners.JointProcess` (``force=True``) call
them before they allocate.

Sizes (8-byte floats; ``N`` hidden units, ``P`` parameters of the whole model, ``P_c`` of the cell,
``B`` chains of a mini-batch, ``K`` particles):

* RTRL sensitivities :math:`\tilde J`: ``B P_c N`` floats (one per chain, parameter and unit,
  (2.20)); second-order states ``K P_c^2 N`` (Section 2.4);
* the thinned parameter path of a run: ``n_path P`` floats, ``n_path = ceil(n_steps /
  record_every) + 1`` (about 201 by default);
* a particle of the joint process :math:`Z_t = (X, \eta, S, J, H)`: ``dim = d + 1 + N + P_c N
  (+ P_c^2 N) (+ N^*)`` floats (``JointProcess.dim``).

The peak is a multiple of these, the multipliers below: how many copies the code holds at once
(the state, its new value, the temporaries of one step, the copy a checkpoint takes). They were
measured once with :mod:`tracemalloc` on the NumPy engine (GRU and Elman text models N = 10-80,
the paper RNN N = 40, B = 1 and 3; joint process N = 3-10, orders 1 and 2, K = 1000-4000) and
rounded up; ``tests/test_faults.py`` checks on other sizes that the estimate lies between
the measured peak and three times it. The compiled kernels hold fewer copies, so the estimate is
an upper bound for them too. They are estimates of the arrays only (not the interpreter, the
libraries and the loaded data, which are already counted as used when the check runs).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

__all__ = [
    "MEMORY_FRACTION",
    "MEMORY_LIMIT_ENV",
    "MemoryEstimate",
    "MemoryLimitError",
    "available_memory",
    "check_memory",
    "estimate_memory",
    "format_bytes",
]

#: Largest share of the available memory a task may plan to use without ``force``.
MEMORY_FRACTION = 0.8
#: Environment variable: a memory budget (bytes, or with a K/M/G/T suffix) below the machine's.
MEMORY_LIMIT_ENV = "RTRL_THEORY_MEMORY_LIMIT"
TASKS = ("train", "particles", "contraction")

_F = 8  # bytes per float64
#: Copies of the sensitivities alive at the peak of an RTRL step: the state, the new state, the
#: step's temporaries and the checkpoint copy (measured 4.1-5.3 with B = 1, 5.1-9.4 with B > 1:
#: the batched GRU linearisation holds more B-sized temporaries).
_J_COPIES = {1: 6.0, "batch": 11.0}
#: Copies of the parameter path (the list and the array a snapshot or checkpoint makes of it).
_PATH_COPIES = 2.0
#: Bytes per float of the parameter path while a JSON run record is written (Python floats, the
#: JSON text, the atomic copy; measured 17.8 times the 8-byte array).
_JSON_BYTES_PER_FLOAT = 20 * _F
#: Parameter-sized arrays of a step: theta, its copies, the gradient, optimizer state.
_THETA_COPIES = 8.0
#: TBPTT holds per block the states and the per-step gradients: about 2 tau parameter vectors
#: (measured: below the path and J terms for every configuration above).
_TBPTT_GRAD_COPIES_PER_STEP = 2.0
#: Particle arrays (K x dim floats) alive at once: one ensemble advanced by JointProcess.run (the
#: state, the new state, the step's temporaries: measured 2.0-4.3) ...
_PARTICLE_COPIES = 5.0
#: ... and both ensembles of ``rtrl-theory contraction`` (flattened pairs of the synchronous and
#: the independent couplings, unflatten/step/flatten copies: measured 11.0-12.3).
_CONTRACTION_COPIES = 13.0
#: Per particle: bootstrap arrays of the independent coupling's 1-D W1 (measured 3.05 kB).
_BOOT_BYTES_PER_PARTICLE = 4096
#: Per pair of particles: the K x K cost matrix of an exact W1 on a multi-dimensional block and
#: the transport solver's arrays (measured 31-33 bytes).
_W1_BYTES_PER_PAIR = 34
#: Fixed overhead of a task's small arrays.
_BASE = 1 << 20


class MemoryLimitError(MemoryError, ValueError):
    """A task's estimated peak memory exceeds the share of the memory available to it.

    A :class:`MemoryError` (what it prevents) and a :class:`ValueError` (the sizes asked for are
    the cause), so callers that report bad arguments report it too.
    """


@dataclass(frozen=True)
class MemoryEstimate:
    """The estimated peak memory of a task, by part.

    Attributes
    ----------
    task : str
        ``"train"``, ``"particles"`` or ``"contraction"``.
    parts : dict of str -> int
        Bytes of each part (readable names, e.g. ``"RTRL sensitivities"``).
    sizes : dict
        The sizes the estimate used (for the message).
    """

    task: str
    parts: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Estimated peak, bytes."""
        return int(sum(self.parts.values()))

    def describe(self) -> str:
        """``"12.3 GiB (RTRL sensitivities 11.0 GiB, ...)"``: the largest parts first."""
        big = sorted(self.parts.items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{k} {format_bytes(v)}" for k, v in big if v >= 0.01 * self.total)
        return f"{format_bytes(self.total)} ({shown})"


def format_bytes(n: float) -> str:
    """``1536 -> '1.5 KiB'``; binary units up to PiB."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def _count(value, name: str, *, minimum: int = 1) -> int:
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"{name}: expected {what}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected {what}, got {value!r}")
    return int(value)


def _n_path(n_steps: int, record_every: int | None, tau: int | None) -> int:
    """Snapshots of the parameter path, with the trainer's rules for ``record_every``."""
    if record_every is None:  # the trainer's default
        record_every = max(1, n_steps // 200)
    record_every = max(1, int(record_every))
    if tau is not None:  # TBPTT records on block boundaries
        record_every = tau * math.ceil(record_every / tau)
    return math.ceil(n_steps / record_every) + 1


def estimate_memory(model, task: str, **sizes) -> MemoryEstimate:
    r"""Estimated peak memory of ``task`` for ``model`` at the given sizes (module docstring).

    Parameters
    ----------
    model : RNNModel
        Anything with ``n_params``, ``n_hidden``, ``n_input`` and ``cell.n_params``.
    task : {"train", "particles", "contraction"}
    **sizes
        ``"train"``: ``n_steps`` (required), ``algo`` (``"rtrl"`` or ``"tbptt"``), ``tau``,
        ``batch_size`` (1), ``record_every`` (the trainer's default), ``json_record`` (False:
        whether a JSON run record with the parameter path is written during the run, as
        ``rtrl-theory train`` does).
        ``"particles"`` (one ensemble of :class:`~rtrl_theory.runners.JointProcess`) and
        ``"contraction"`` (the two couplings of ``rtrl-theory contraction``): ``n_particles``
        (required), ``order`` (1 or 2), ``n_teacher`` (0: hidden units of a teacher target),
        and for ``"contraction"`` ``block`` (``"X0"``: the block of the independent coupling's
        W1; any other block needs the ``K x K`` cost matrix) and ``independent`` (True).

    Returns
    -------
    MemoryEstimate

    Examples
    --------
    >>> from rtrl_theory.cells import char_rnn
    >>> est = estimate_memory(char_rnn("gru", 2000, 65), "train", n_steps=10**6)
    >>> est.total > 1e12  # 6 copies of the sensitivities, 3 P_c N floats each, P_c ~ 3 N^2
    True
    """
    if task not in TASKS:
        raise ValueError(f"task: expected one of {TASKS}, got {task!r}")
    N = _count(model.n_hidden, "model.n_hidden")
    P = _count(model.n_params, "model.n_params")
    Pc = _count(model.cell.n_params, "model.cell.n_params")
    d = _count(getattr(model, "n_input", 1), "model.n_input")
    parts: dict[str, int] = {"fixed overhead": _BASE}
    if task == "train":
        known = {"n_steps", "algo", "tau", "batch_size", "record_every", "json_record"}
        _no_other(sizes, known, task)
        n_steps = _count(sizes.get("n_steps"), "n_steps")
        algo = sizes.get("algo", "rtrl")
        B = _count(sizes.get("batch_size", 1), "batch_size")
        tau = _count(sizes.get("tau") or 1, "tau") if algo == "tbptt" else None
        n_path = _n_path(n_steps, sizes.get("record_every"), tau)
        if algo == "rtrl":
            copies = _J_COPIES[1] if B == 1 else _J_COPIES["batch"]
            parts["RTRL sensitivities"] = int(copies * B * Pc * N * _F)
        elif algo == "tbptt":
            parts["TBPTT block"] = int(
                _TBPTT_GRAD_COPIES_PER_STEP * tau * P * _F + 10 * B * tau * (N + d) * _F
            )
        else:
            raise ValueError(f"algo: expected 'rtrl' or 'tbptt', got {algo!r}")
        parts["parameter path"] = int(_PATH_COPIES * n_path * P * _F)
        if sizes.get("json_record", False):
            parts["JSON run record"] = int(n_path * P * _JSON_BYTES_PER_FLOAT)
        parts["parameters and optimizer"] = int(_THETA_COPIES * P * _F)
        parts["per-step records"] = int(3 * n_steps * _F)
        sizes_used = {"n_steps": n_steps, "algo": algo, "batch_size": B, "n_path": n_path}
    else:
        known = {"n_particles", "order", "n_teacher"}
        if task == "contraction":
            known |= {"block", "independent"}
        _no_other(sizes, known, task)
        K = _count(sizes.get("n_particles"), "n_particles")
        order = sizes.get("order", 1)
        if order not in (1, 2):
            raise ValueError(f"order: expected 1 or 2, got {order!r}")
        n_teacher = _count(sizes.get("n_teacher", 0), "n_teacher", minimum=0)
        dim = d + 1 + N + Pc * N + (Pc * Pc * N if order == 2 else 0) + n_teacher
        copies = _PARTICLE_COPIES if task == "particles" else _CONTRACTION_COPIES
        parts["particle states"] = int(copies * K * (dim + 1) * _F)  # + 1: the targets Y
        if task == "contraction" and sizes.get("independent", True):
            if sizes.get("block", "X0") == "X0":
                parts["W1 bootstrap"] = _BOOT_BYTES_PER_PARTICLE * K
            else:
                parts["W1 cost matrix"] = _W1_BYTES_PER_PAIR * K * K
        sizes_used = {"n_particles": K, "dim": dim, "order": order}
    return MemoryEstimate(task, parts, sizes_used)


def _no_other(sizes: dict, known: set, task: str) -> None:
    other = sorted(set(sizes) - known)
    if other:
        raise TypeError(f"sizes: {other} do not apply to task {task!r}; expected {sorted(known)}")


def _parse_bytes(text: str) -> int | None:
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = 1
    if text and text[-1] in "KMGT":
        scale = 1024 ** ("KMGT".index(text[-1]) + 1)
        text = text[:-1]
    try:
        value = float(text) * scale
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value > 0 else None


def _cgroup_room() -> int | None:
    """Room left under a cgroup v2 / v1 memory limit (containers), or None."""
    for limit_f, usage_f in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_f) as fh:
                limit = fh.read().strip()
            with open(usage_f) as fh:
                usage = int(fh.read().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or not limit.isdigit() or int(limit) >= 1 << 60:
            return None
        return max(int(limit) - usage, 0)
    return None


def available_memory() -> tuple[int | None, str]:
    """``(bytes, source)``: memory a new task can use now, and where the number comes from.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux), else the free physical pages
    (``os.sysconf``), else None ("unknown": nothing is refused). Lowered to the room left under
    a cgroup memory limit (containers) and to ``RTRL_THEORY_MEMORY_LIMIT`` (bytes, or with a
    K/M/G/T suffix: a budget on a shared machine) when they are smaller.
    """
    value, source = None, "unknown"
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    value, source = int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"
                    break
    except (OSError, ValueError, IndexError):
        pass
    if value is None:
        try:
            value = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            source = "free physical memory (sysconf)"
        except (AttributeError, OSError, ValueError):
            value = None
    room = _cgroup_room()
    if room is not None and (value is None or room < value):
        value, source = room, "room left under the cgroup memory limit"
    env = os.environ.get(MEMORY_LIMIT_ENV)
    if env:
        limit = _parse_bytes(env)
        if limit is None:
            raise ValueError(
                f"{MEMORY_LIMIT_ENV}: expected a number of bytes (e.g. 4000000000 or 4G), "
                f"got {env!r}"
            )
        if value is None or limit < value:
            value, source = limit, f"{MEMORY_LIMIT_ENV}={env}"
    return value, source


def check_memory(
    estimate: MemoryEstimate,
    *,
    force: bool = False,
    what: str = "",
    fraction: float = MEMORY_FRACTION,
    hint: str = "pass force=True",
) -> int | None:
    """Raise :class:`MemoryLimitError` if ``estimate`` exceeds ``fraction`` of the memory available.

    Parameters
    ----------
    estimate : MemoryEstimate
    force : bool
        Do not refuse (the caller accepts the risk); the available memory is still returned.
    what : str
        What is being refused, for the message (e.g. ``"train --data shakespeare --cell gru"``).
    fraction : float
        Share of :func:`available_memory` a task may plan to use (default 0.8).
    hint : str
        How to override, for the message (``"--force"`` for the command line).

    Returns
    -------
    int or None
        The available memory in bytes (None when unknown: then nothing is refused).
    """
    available, source = available_memory()
    if force or available is None or estimate.total <= fraction * available:
        return available
    sizes = ", ".join(f"{k} {v}" for k, v in estimate.sizes.items())
    raise MemoryLimitError(
        f"{what or estimate.task}: needs about {estimate.describe()} at its peak ({sizes}), more "
        f"than {fraction:.0%} of the {format_bytes(available)} available on this machine "
        f"({source}). Reduce the sizes, or {hint} to try anyway."
    )
