r"""A resumable sweep: RTRL against TBPTT(tau) over initial learning rates, truncations and seeds.

Section 7 of [P1] compares online RTRL ((2.24)-(2.26)) with TBPTT(tau) "for several different
initial learning rate magnitudes and choices of truncation length", with RMSprop and a decaying
schedule; TBPTT "becomes unstable" for some of them and its log-loss is then "only plotted for a
few training iterations". This module runs such a grid and keeps every run's record:

* a run is a frozen :class:`RunConfig` (algorithm, truncation tau, initial learning rate
  :math:`\eta_0`, replicate index, free options); :class:`SweepSpec` builds the grid
  (learning rates x {RTRL, TBPTT(tau) for each tau} x replicates);
* :func:`run_sweep` calls a user function ``run_one(config, rng) -> TrainResult`` for each
  configuration and records its windowed loss curve, status, ``stopped_at`` and wall time
  (:class:`SweepRun`). A diverging run is recorded (``status="diverged"``, its curve stops at the
  divergence), never raised;
* replicate r draws its randomness from the SeedSequence child r of the sweep seed
  (``SeedSequence(seed).spawn(...)[r]``, never ``seed + r``). All configurations of one replicate
  share it, so RTRL and TBPTT at every learning rate see the same teacher, the same initial
  parameters and the same data (common random numbers: their difference is not seed noise);
* with a ``cache_dir`` each finished run is written atomically as one JSON file whose name hashes
  its configuration, seed, window and the experiment's ``context``; an interrupted sweep resumes
  without redoing them.

The runs that are not cached are executed by one of three backends (``backend=``):
``"sequential"`` (in this process, one after the other), ``"joblib"`` (``n_jobs`` worker processes
on this machine, :mod:`joblib`'s loky backend) or ``"dask"`` (the workers of a
:mod:`dask.distributed` cluster, given by its scheduler address). A worker runs
:func:`run_config` (one configuration, no file I/O) and sends the record back; the parent writes
each record to the cache as soon as it arrives, so an interrupted parallel sweep resumes too. A
run's randomness depends only on its configuration and the sweep seed (its replicate's
SeedSequence), never on the worker, the order of completion or the backend: the three backends
give the same records bit for bit (``tests/test_sweep_parallel.py``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtrl_theory._validate import positive, positive_int

from ._records import to_jsonable, write_json_atomic
from ._trainer import ALGORITHMS

__all__ = [
    "SWEEP_BACKENDS",
    "DASK_CONNECT_TIMEOUT",
    "RunConfig",
    "SweepRun",
    "SweepSpec",
    "check_dask_scheduler",
    "replicate_seed",
    "run_config",
    "run_sweep",
    "sweep_to_arrays",
]

SCHEMA = "rtrl-theory/sweep-run/1"
#: Statuses a cached record may have; an interrupted run is never cached.
_FINAL = ("completed", "diverged")
#: Where the runs of :func:`run_sweep` execute (module docstring).
SWEEP_BACKENDS = ("sequential", "joblib", "dask")


def _freeze_options(options) -> tuple[tuple[str, object], ...]:
    if options is None:
        return ()
    items = options.items() if isinstance(options, Mapping) else options
    out = []
    for item in items:
        key, value = item
        if not isinstance(key, str):
            raise TypeError(f"options: keys must be strings, got {key!r}")
        try:
            json.dumps(to_jsonable(value), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"options: the value of {key!r} must be JSON-serialisable, got {value!r}"
            ) from exc
        value = tuple(value) if isinstance(value, list) else value
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"options: the value of {key!r} must be hashable (a number, a string or a tuple "
                f"of them), got {value!r}"
            ) from None
        out.append((key, value))
    return tuple(sorted(out))


@dataclass(frozen=True)
class RunConfig:
    r"""One run of a sweep: an algorithm, its truncation, an initial learning rate, a replicate.

    Parameters
    ----------
    algo : {"rtrl", "tbptt"}
    eta0 : float > 0
        Initial learning rate :math:`\eta_0` of the schedule (Section 7 of [P1]).
    tau : int, optional
        Truncation length; required for TBPTT, must be None for RTRL.
    replicate : int >= 0
        Replicate index: the run's randomness is the SeedSequence child ``replicate`` of the sweep
        seed (:func:`replicate_seed`).
    options : mapping or tuple of (str, value) pairs, optional
        Further JSON-serialisable settings read by ``run_one`` (stored sorted, so the
        configuration stays hashable and comparable).

    Examples
    --------
    >>> RunConfig("tbptt", 0.01, tau=5, replicate=1).label
    'TBPTT(5)'
    >>> RunConfig("rtrl", 0.01, options={"b": 2, "a": 1}).option("a")
    1
    """

    algo: str
    eta0: float
    tau: int | None = None
    replicate: int = 0
    options: tuple = ()

    def __post_init__(self) -> None:
        if self.algo not in ALGORITHMS:
            raise ValueError(f"algo: expected one of {ALGORITHMS}, got {self.algo!r}")
        object.__setattr__(self, "eta0", positive(self.eta0, "eta0"))
        if self.algo == "tbptt":
            if self.tau is None:
                raise ValueError("tau: a TBPTT run needs a truncation length tau")
            object.__setattr__(self, "tau", positive_int(self.tau, "tau"))
        elif self.tau is not None:
            raise ValueError(f"tau: RTRL has no truncation; expected None, got {self.tau!r}")
        if isinstance(self.replicate, bool) or not isinstance(self.replicate, int | np.integer):
            raise TypeError(f"replicate: expected a non-negative int, got {self.replicate!r}")
        if self.replicate < 0:
            raise ValueError(f"replicate: expected a non-negative int, got {self.replicate!r}")
        object.__setattr__(self, "replicate", int(self.replicate))
        object.__setattr__(self, "options", _freeze_options(self.options))

    @property
    def label(self) -> str:
        """``"RTRL"`` or ``"TBPTT(tau)"``."""
        return "RTRL" if self.algo == "rtrl" else f"TBPTT({self.tau})"

    def option(self, name: str, default=None):
        """Return the value of option ``name`` (``default`` when absent)."""
        return dict(self.options).get(name, default)

    def to_dict(self) -> dict:
        return {
            "algo": self.algo,
            "eta0": self.eta0,
            "tau": self.tau,
            "replicate": self.replicate,
            "options": {k: v for k, v in self.options},
        }


@dataclass(frozen=True)
class SweepSpec:
    r"""The grid of Section 7 of [P1]: learning rates x {RTRL, TBPTT(tau)} x replicates.

    Parameters
    ----------
    eta0s : sequence of float
        Initial learning rates.
    taus : sequence of int
        TBPTT truncation lengths (may be empty).
    n_replicates : int
        Replicates (independent teachers, initial parameters and data; shared by all the
        configurations of one replicate).
    include_rtrl : bool
        Add an RTRL run for each learning rate and replicate.
    options : mapping, optional
        Options given to every :class:`RunConfig`.

    Examples
    --------
    >>> spec = SweepSpec((1e-3, 1e-2), (1, 5), n_replicates=2)
    >>> len(spec.configs())  # 2 rates x (RTRL + 2 truncations) x 2 replicates
    12
    >>> [c.label for c in spec.configs()[:3]]
    ['RTRL', 'TBPTT(1)', 'TBPTT(5)']
    """

    eta0s: tuple
    taus: tuple = ()
    n_replicates: int = 1
    include_rtrl: bool = True
    options: tuple = ()

    def __post_init__(self) -> None:
        eta0s = tuple(positive(e, "eta0s") for e in self.eta0s)
        if not eta0s:
            raise ValueError("eta0s: expected at least one initial learning rate")
        taus = tuple(positive_int(t, "taus") for t in self.taus)
        if not taus and not self.include_rtrl:
            raise ValueError("taus: empty and include_rtrl=False leaves no run in the sweep")
        object.__setattr__(self, "eta0s", eta0s)
        object.__setattr__(self, "taus", taus)
        object.__setattr__(self, "n_replicates", positive_int(self.n_replicates, "n_replicates"))
        object.__setattr__(self, "options", _freeze_options(self.options))

    def configs(self) -> tuple[RunConfig, ...]:
        """All runs, replicate by replicate, then learning rate, then RTRL and the truncations."""
        out = []
        for r in range(self.n_replicates):
            for eta0 in self.eta0s:
                if self.include_rtrl:
                    out.append(RunConfig("rtrl", eta0, None, r, self.options))
                for tau in self.taus:
                    out.append(RunConfig("tbptt", eta0, tau, r, self.options))
        return tuple(out)

    def to_dict(self) -> dict:
        return {
            "eta0s": list(self.eta0s),
            "taus": list(self.taus),
            "n_replicates": self.n_replicates,
            "include_rtrl": self.include_rtrl,
            "options": {k: v for k, v in self.options},
        }


@dataclass(frozen=True, eq=False)
class SweepRun:
    """The record of one run of a sweep.

    Attributes
    ----------
    config : RunConfig
    seed : dict
        ``{"entropy": int, "spawn_key": [...]}``: the SeedSequence the run's Generator came from.
    status : {"completed", "diverged"}
    stopped_at : int or None
        Step at which a diverged run stopped.
    n_steps_run : int
        Steps with a recorded loss.
    window : int
        Steps per window of the loss curve.
    steps : ndarray of int (n_windows,)
        First step of each window.
    loss : ndarray (n_windows,)
        Mean per-step loss over each window; for a diverged run the last window may be partial
        (it ends at the divergence), so the curve reaches ``stopped_at``.
    wall_time : float
        Seconds spent in ``run_one``.
    message : str
    from_cache : bool
        Whether this record was read from the cache rather than run.
    """

    config: RunConfig
    seed: dict
    status: str
    stopped_at: int | None
    n_steps_run: int
    window: int
    steps: np.ndarray
    loss: np.ndarray
    wall_time: float
    message: str
    from_cache: bool = False

    @property
    def log_loss(self) -> np.ndarray:
        r""":math:`\log_{10}` of the windowed loss (Section 7 of [P1] plots the log-loss)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(self.loss)

    @property
    def final_loss(self) -> float:
        """Mean loss over the last complete window (NaN for a diverged run or no window)."""
        if self.status != "completed" or self.loss.size == 0:
            return math.nan
        return float(self.loss[-1])

    def to_record(self, key_payload: dict) -> dict:
        return {
            "schema": SCHEMA,
            "key": key_payload,
            "status": self.status,
            "stopped_at": self.stopped_at,
            "n_steps_run": self.n_steps_run,
            "window": self.window,
            "steps": self.steps,
            "loss": self.loss,
            "wall_time_s": self.wall_time,
            "message": self.message,
        }

    @classmethod
    def from_record(cls, config: RunConfig, record: dict) -> SweepRun:
        return cls(
            config,
            record["key"]["seed"],
            record["status"],
            record["stopped_at"],
            int(record["n_steps_run"]),
            int(record["window"]),
            np.asarray(record["steps"], dtype=np.int64).reshape(-1),
            np.array([float(v) for v in record["loss"]], dtype=float),
            float(record["wall_time_s"]),
            record["message"],
            True,
        )


def _seed_sequence(seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise TypeError(
            f"seed: expected a non-negative int or a SeedSequence, got {seed!r} (a sweep needs a "
            "reproducible root to derive each replicate's stream and cache key)"
        )
    return np.random.SeedSequence(int(seed))


def replicate_seed(seed, replicate: int) -> np.random.SeedSequence:
    """Return the SeedSequence of replicate ``replicate``: child ``replicate`` of ``seed``'s spawn.

    Equal to ``np.random.SeedSequence(seed).spawn(replicate + 1)[replicate]`` (built directly,
    so it does not depend on how many children were spawned before).

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        The sweep's root seed (a non-negative int, or a SeedSequence used as it is).
    replicate : int
        The replicate's index r >= 0.

    Returns
    -------
    numpy.random.SeedSequence
        Child r of the root: independent streams for distinct replicates (STYLE.md section 4,
        ``SeedSequence.spawn``, never ``seed + r``).

    Raises
    ------
    TypeError
        If ``seed`` is not a non-negative int or a SeedSequence.

    Examples
    --------
    >>> import numpy as np
    >>> a = replicate_seed(7, 2).generate_state(2)
    >>> b = np.random.SeedSequence(7).spawn(3)[2].generate_state(2)
    >>> bool((a == b).all())
    True
    """
    root = _seed_sequence(seed)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (int(replicate),))


def _seed_record(ss: np.random.SeedSequence) -> dict:
    return {"entropy": int(ss.entropy), "spawn_key": [int(k) for k in ss.spawn_key]}


def _windowed(losses: np.ndarray, window: int, partial_last: bool):
    n = losses.shape[0]
    k = n // window
    with np.errstate(over="ignore", invalid="ignore"):
        means = losses[: k * window].reshape(k, window).mean(axis=1) if k else np.zeros(0)
        steps = np.arange(k, dtype=np.int64) * window
        if partial_last and n > k * window:
            means = np.r_[means, losses[k * window :].mean()]
            steps = np.r_[steps, k * window]
    return steps, means


def run_config(config: RunConfig, run_one: Callable, *, seed, window: int) -> SweepRun:
    """Run one configuration (no cache): ``run_one(config, rng)`` and its record.

    Parameters
    ----------
    config : RunConfig
    run_one : callable
        ``run_one(config, rng) -> TrainResult`` (anything with ``losses``, ``status``,
        ``stopped_at`` and ``message``); ``rng`` is a Generator on the replicate's SeedSequence.
    seed : int or SeedSequence
        The sweep's root seed.
    window : int
        Steps per window of the recorded loss curve.

    Returns
    -------
    SweepRun
        A run that raised ``FloatingPointError`` or ``OverflowError`` (numerical blow-up
        outside the trainer's own checks) is recorded as diverged with an empty curve; any
        other exception propagates (it is a bug, not a divergence).
    """
    window = positive_int(window, "window")
    ss = replicate_seed(seed, config.replicate)
    rng = np.random.default_rng(ss)
    t0 = time.perf_counter()
    try:
        result = run_one(config, rng)
    except (FloatingPointError, OverflowError) as exc:
        return SweepRun(
            config,
            _seed_record(ss),
            "diverged",
            0,
            0,
            window,
            np.zeros(0, dtype=np.int64),
            np.zeros(0),
            time.perf_counter() - t0,
            f"run_one raised {type(exc).__name__}: {exc}",
        )
    wall = time.perf_counter() - t0
    status = result.status
    if status not in _FINAL:
        raise RuntimeError(
            f"run_one returned a run with status {status!r} for {config.label} "
            f"(eta0={config.eta0:g}, replicate {config.replicate}); a sweep records only "
            f"{_FINAL} runs (an interrupted run is not a result)"
        )
    losses = np.asarray(result.losses, dtype=float)
    steps, means = _windowed(losses, window, partial_last=status != "completed")
    stopped = result.stopped_at
    return SweepRun(
        config,
        _seed_record(ss),
        status,
        None if stopped is None else int(stopped),
        int(losses.shape[0]),
        window,
        steps,
        means,
        wall,
        str(result.message),
    )


def _key_payload(config: RunConfig, seed, window: int, context) -> dict:
    return to_jsonable(
        {
            "config": config.to_dict(),
            "seed": _seed_record(replicate_seed(seed, config.replicate)),
            "window": int(window),
            "context": {} if context is None else dict(context),
        }
    )


def cache_path(cache_dir, config: RunConfig, key_payload: dict) -> Path:
    """``cache_dir/<label>_eta<eta0>_r<replicate>_<hash>.json`` (hash of the key payload)."""
    digest = hashlib.sha256(
        json.dumps(key_payload, sort_keys=True, allow_nan=False).encode()
    ).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9]+", "", config.label.lower())
    return Path(cache_dir) / f"{slug}_eta{config.eta0:.3g}_r{config.replicate}_{digest}.json"


def _load_cached(path: Path, config: RunConfig, key_payload: dict) -> SweepRun | None:
    """Return the cached run at ``path``, or None (then it is run again).

    A record of another configuration or an unfinished run is None silently; a file that cannot
    be read or parsed (truncated, bit-flipped, edited) is None with a RuntimeWarning naming it.
    """

    def corrupt(exc) -> None:
        warnings.warn(
            f"sweep run cache {path} is corrupt or unreadable ({type(exc).__name__}: {exc}); "
            "running that configuration again",
            RuntimeWarning,
            stacklevel=3,
        )

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        corrupt(exc)
        return None
    if (
        not isinstance(record, dict)
        or record.get("schema") != SCHEMA
        or record.get("key") != key_payload
        or record.get("status") not in _FINAL
    ):
        return None
    try:
        return SweepRun.from_record(config, record)
    except (KeyError, TypeError, ValueError) as exc:
        corrupt(exc)
        return None


def _indexed_run(index: int, config: RunConfig, run_one: Callable, seed, window: int):
    """``(index, run_config(...))``: the task a parallel worker executes (no file I/O)."""
    return index, run_config(config, run_one, seed=seed, window=window)


def _resolve_backend(backend, n_jobs, dask_scheduler) -> tuple[str, int]:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer):
        raise TypeError(f"n_jobs: expected a positive int or -1 (all cores), got {n_jobs!r}")
    n_jobs = int(n_jobs)
    if n_jobs < 1 and n_jobs != -1:
        raise ValueError(f"n_jobs: expected a positive int or -1 (all cores), got {n_jobs}")
    if backend is None:
        if dask_scheduler is not None:
            backend = "dask"
        else:
            backend = "sequential" if n_jobs == 1 else "joblib"
    if backend not in SWEEP_BACKENDS:
        raise ValueError(f"backend: expected one of {SWEEP_BACKENDS} or None, got {backend!r}")
    if backend == "sequential" and n_jobs != 1:
        raise ValueError(
            f"n_jobs: the sequential backend runs one configuration at a time; got n_jobs={n_jobs} "
            "(use backend='joblib' for worker processes)"
        )
    if backend != "dask" and dask_scheduler is not None:
        raise ValueError(
            f"dask_scheduler: given ({dask_scheduler!r}) but backend={backend!r}; a scheduler "
            "address only applies to backend='dask'"
        )
    if backend == "dask" and dask_scheduler is None:
        raise ValueError(
            "dask_scheduler: backend='dask' needs a scheduler address (e.g. 'tcp://host:8786', "
            "as printed by `dask scheduler`) or a dask.distributed Client"
        )
    return backend, n_jobs


#: Seconds :func:`check_dask_scheduler` waits for a scheduler to accept a connection.
DASK_CONNECT_TIMEOUT = 5.0
#: Port of a Dask scheduler when the address gives none (``dask scheduler``'s default).
_DASK_DEFAULT_PORT = 8786


def check_dask_scheduler(address, *, timeout: float = DASK_CONNECT_TIMEOUT) -> None:
    """Check once, before any work, that something answers at a Dask scheduler address.

    Opens (and closes) a TCP connection to the address's host and port within ``timeout``
    seconds, so that a wrong or dead address costs ``timeout`` seconds and one clear message
    instead of dask.distributed's 30-second connect timeout for every figure or sweep. Addresses
    ``tcp://host:port``, ``tls://host:port``, ``ws(s)://host:port`` and ``host[:port]`` are
    checked (port 8786 when none is given); other transports (``inproc://``, ``ucx://``) and
    ``distributed.Client`` objects are left to dask.

    Parameters
    ----------
    address : str or distributed.Client
    timeout : float
        Seconds to wait for the connection (default :data:`DASK_CONNECT_TIMEOUT`, 5 s).

    Raises
    ------
    ValueError
        If the address cannot be parsed (empty, bad port).
    ConnectionError
        If nothing accepts a connection there within ``timeout`` (refused, unknown host,
        unreachable, timed out); the message names the address and says how to start a
        scheduler.
    """
    if not isinstance(address, str):
        return  # a distributed.Client: already connected
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in ("tcp", "tls", "ws", "wss"):
        return
    rest = rest.split("/", 1)[0]
    if rest.startswith("["):  # [IPv6]:port
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
    try:
        port = int(port_text) if port_text else _DASK_DEFAULT_PORT
    except ValueError:
        port = -1
    if not host or not 0 < port < 65536:
        raise ValueError(
            f"dask_scheduler: cannot read a host and port from {address!r}; expected an address "
            "like 'tcp://host:8786' (as printed by `dask scheduler`)"
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError | socket.timeout) else str(exc)
        raise ConnectionError(
            f"dask_scheduler: no Dask scheduler answers at {address!r} (host {host!r}, port "
            f"{port}) within {timeout:g} s: {why or type(exc).__name__}. Start one with `dask "
            "scheduler` (and workers with `dask worker ADDRESS`), check the address, or leave "
            "out --dask-scheduler to run on this machine."
        ) from exc


def _execute_sequential(todo, configs, run_one, seed, window):
    for i in todo:
        yield _indexed_run(i, configs[i], run_one, seed, window)


def _execute_joblib(todo, configs, run_one, seed, window, n_jobs):
    try:
        from joblib import Parallel, delayed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "backend: 'joblib' needs joblib >= 1.4 (pip install 'rtrl-theory[parallel]')"
        ) from exc
    # loky worker processes (cloudpickle: run_one may be a closure); results come back as they
    # finish so that each is cached at once. joblib limits BLAS threads in its workers.
    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(_indexed_run)(i, configs[i], run_one, seed, window) for i in todo)


def _execute_dask(todo, configs, run_one, seed, window, dask_scheduler):
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "backend: 'dask' needs dask.distributed (pip install 'rtrl-theory[dask]')"
        ) from exc
    own = not isinstance(dask_scheduler, Client)
    client = Client(dask_scheduler) if own else dask_scheduler
    futures = {}
    try:
        for i in todo:
            # pure=False: two tasks with equal arguments are still two runs to collect
            fut = client.submit(
                _indexed_run, i, configs[i], run_one, seed, window, pure=False, retries=0
            )
            futures[fut] = i
        for fut in as_completed(list(futures)):
            yield fut.result()
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
        if own:
            client.close()


def run_sweep(
    configs: Iterable[RunConfig],
    run_one: Callable,
    *,
    seed,
    window: int,
    cache_dir=None,
    context: Mapping | None = None,
    recompute: bool = False,
    progress: bool = False,
    n_jobs: int = 1,
    backend: str | None = None,
    dask_scheduler=None,
) -> list[SweepRun]:
    r"""Run each configuration of a sweep (RTRL vs TBPTT, Section 7 of [P1]), resumably.

    Parameters
    ----------
    configs : iterable of RunConfig
        For example ``SweepSpec(...).configs()``. Duplicates are refused.
    run_one : callable
        ``run_one(config, rng) -> TrainResult``: builds the replicate's teacher, initial
        parameters and data from ``rng`` (a Generator on the replicate's SeedSequence, the same
        for every configuration of the replicate) and trains, e.g. with
        :func:`~rtrl_theory.runners.train_online`. It must be deterministic given
        ``(config, rng)``. With a parallel backend it is pickled (cloudpickle: closures are
        fine) and sent to the workers, which must be able to import the modules it uses.
    seed : int or SeedSequence
        Root seed; replicate r uses child r of its spawn (:func:`replicate_seed`).
    window : int
        Steps per window of each recorded loss curve.
    cache_dir : path, optional
        Folder of the run records. A run whose record is there (same configuration, seed, window
        and ``context``) is read instead of run; every finished run is written atomically (by
        this process, whatever the backend) as soon as it ends, so an interrupted sweep resumes
        where it stopped.
    context : mapping, optional
        JSON-serialisable description of what ``run_one`` does (model, data, horizon, ...). It is
        part of each cache key, so changing the experiment never reuses stale records.
    recompute : bool
        Run every configuration even when cached (and overwrite the records).
    progress : bool
        Show a progress bar over the configurations on stderr.
    n_jobs : int, default 1
        Worker processes of the ``"joblib"`` backend (-1: one per core).
    backend : {"sequential", "joblib", "dask"}, optional
        Where the runs execute (module docstring). Default: ``"dask"`` when ``dask_scheduler``
        is given, else ``"joblib"`` when ``n_jobs != 1``, else ``"sequential"``. The records do
        not depend on it.
    dask_scheduler : str or distributed.Client, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``; a client is opened and
        closed here) or an existing ``distributed.Client``; only with ``backend="dask"``.

    Returns
    -------
    list of SweepRun
        In the order of ``configs``. Diverged runs are recorded (``status="diverged"``, curve
        stopping at ``stopped_at``), never raised.

    Raises
    ------
    ImportError
        If the backend's package (joblib, dask.distributed) is not installed.
    ConnectionError
        If nothing answers at ``dask_scheduler`` within 5 s (:func:`check_dask_scheduler`),
        checked before the first uncached run.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> def run_one(config, rng):  # a stand-in for train_online
    ...     losses = np.full(10, config.eta0) * rng.uniform(1, 2)
    ...     return SimpleNamespace(losses=losses, status="completed", stopped_at=None, message="")
    >>> runs = run_sweep(SweepSpec((0.1,), (2,)).configs(), run_one, seed=0, window=5)
    >>> [(r.config.label, r.status, r.loss.shape) for r in runs]
    [('RTRL', 'completed', (2,)), ('TBPTT(2)', 'completed', (2,))]
    """
    configs = list(configs)
    for c in configs:
        if not isinstance(c, RunConfig):
            raise TypeError(f"configs: expected RunConfig items, got {c!r}")
    if len(set(configs)) != len(configs):
        raise ValueError("configs: the sweep contains duplicate configurations")
    _seed_sequence(seed)
    window = positive_int(window, "window")
    backend, n_jobs = _resolve_backend(backend, n_jobs, dask_scheduler)
    if context is not None:
        json.dumps(to_jsonable(dict(context)), allow_nan=False)  # fail early, not after a run
    bar = None
    if progress:
        from rtrl_theory._progress import tqdm_class
        tqdm = tqdm_class()

        desc = "sweep" if backend == "sequential" else f"sweep ({backend})"
        bar = tqdm(total=len(configs), unit="run", desc=desc, leave=False, dynamic_ncols=True)

    def tick(config):
        if bar is not None:
            bar.set_postfix_str(f"{config.label} eta0={config.eta0:g} r{config.replicate}")
            bar.update(1)

    out: list[SweepRun | None] = [None] * len(configs)
    payloads, paths, todo = [], [], []
    for i, config in enumerate(configs):
        payload = _key_payload(config, seed, window, context)
        path = None if cache_dir is None else cache_path(cache_dir, config, payload)
        payloads.append(payload)
        paths.append(path)
        if path is not None and not recompute and path.exists():
            out[i] = _load_cached(path, config, payload)
        if out[i] is None:
            todo.append(i)
    results = None
    try:
        for run in out:
            if run is not None:
                tick(run.config)
        if backend == "sequential":
            results = _execute_sequential(todo, configs, run_one, seed, window)
        elif backend == "joblib":
            results = _execute_joblib(todo, configs, run_one, seed, window, n_jobs)
        else:
            if todo:  # before any run: seconds, not dask's 30 s connect timeout per attempt
                check_dask_scheduler(dask_scheduler)
            results = _execute_dask(todo, configs, run_one, seed, window, dask_scheduler)
        for i, run in results:
            if paths[i] is not None:
                write_json_atomic(paths[i], run.to_record(payloads[i]), indent=None)
            out[i] = run
            tick(configs[i])
    finally:
        if results is not None:
            results.close()  # stops the workers' remaining runs after an error or interrupt
        if bar is not None:
            bar.close()
    return out


def sweep_to_arrays(runs: list[SweepRun]) -> dict[str, np.ndarray]:
    """Flatten sweep records into arrays (for ``np.savez``), curves padded with NaN.

    Parameters
    ----------
    runs : list of SweepRun
        The records of a sweep, in any order (n_runs of them).

    Returns
    -------
    dict
        ``algo`` (str), ``tau`` (int, 0 for RTRL), ``eta0``, ``replicate``, ``status`` (str),
        ``stopped_at`` (int, -1 when none), ``n_steps_run``, ``wall_time`` (n_runs,);
        ``steps`` and ``loss`` (n_runs, n_max) with NaN padding (``steps`` as float).
    """
    n = len(runs)
    m = max((r.loss.shape[0] for r in runs), default=0)
    steps = np.full((n, m), np.nan)
    loss = np.full((n, m), np.nan)
    for i, r in enumerate(runs):
        steps[i, : r.steps.shape[0]] = r.steps
        loss[i, : r.loss.shape[0]] = r.loss
    return {
        "algo": np.array([r.config.algo for r in runs], dtype=str),
        "tau": np.array([r.config.tau or 0 for r in runs], dtype=np.int64),
        "eta0": np.array([r.config.eta0 for r in runs], dtype=float),
        "replicate": np.array([r.config.replicate for r in runs], dtype=np.int64),
        "status": np.array([r.status for r in runs], dtype=str),
        "stopped_at": np.array(
            [-1 if r.stopped_at is None else r.stopped_at for r in runs], dtype=np.int64
        ),
        "n_steps_run": np.array([r.n_steps_run for r in runs], dtype=np.int64),
        "wall_time": np.array([r.wall_time for r in runs], dtype=float),
        "steps": steps,
        "loss": loss,
    }
