"""Per-run caching for the real-data figures (Figs. 10-11): finished work is never lost.

:func:`cached_run` keys a run by a JSON payload (figure, version, run settings, seed state),
returns its stored result if there is one, and otherwise runs it with a training checkpoint in the
cache folder (:func:`rtrl_theory.runners.train_online` ``checkpoint=``), so that a figure stopped
in the middle of a 10-minute run continues that run where it stopped on the next call. The
result (a JSON-ready dict) is written atomically; the checkpoint is then removed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from rtrl_theory.runners._checkpoint import sidecar_path
from rtrl_theory.runners._records import to_jsonable, write_json_atomic

__all__ = ["cached_run", "run_key", "training_options", "windowed_curve"]


def run_key(payload: dict) -> str:
    """Short SHA-256 of the JSON payload (sorted keys)."""
    text = json.dumps(to_jsonable(payload), sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached_run(
    cache_dir, name: str, payload: dict, run: Callable, *, recompute: bool = False
) -> dict:
    """Return ``run(checkpoint_path, resume)``'s result for ``payload``, from the cache if stored.

    Parameters
    ----------
    cache_dir : path or None
        Folder of the run files (None: no caching, no checkpoint).
    name : str
        Readable prefix of the file names.
    payload : dict
        Everything the result depends on (JSON-ready).
    run : callable ``(checkpoint, resume) -> dict``
        Trains (continuing the checkpoint when ``resume``) and returns a JSON-ready dict.
    recompute : bool
        Ignore a stored result and any checkpoint.
    """
    if cache_dir is None:
        return run(None, False)
    cache_dir = Path(cache_dir)
    key = run_key(payload)
    out = cache_dir / f"{name}-{key}.json"
    ckpt = cache_dir / f"{name}-{key}.ckpt.npz"
    if out.exists() and not recompute:
        try:
            stored = json.loads(out.read_text())
            if stored.get("payload") == json.loads(json.dumps(to_jsonable(payload))):
                return stored["result"]
        except (OSError, ValueError, AttributeError, KeyError) as exc:
            print(
                f"warning: run cache {out} is corrupt or unreadable ({type(exc).__name__}: {exc}); "
                "running it again",
                file=sys.stderr,
                flush=True,
            )
    if recompute:
        for p in (ckpt, sidecar_path(ckpt)):
            p.unlink(missing_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    result = run(ckpt, ckpt.exists())
    write_json_atomic(out, {"payload": payload, "result": result}, indent=None)
    for p in (ckpt, sidecar_path(ckpt)):
        p.unlink(missing_ok=True)
    return result


def training_options(st: dict, eta0: float, seed, ckpt, resume: bool, progress: bool) -> dict:
    """The keyword arguments Figs. 10-11 give their trainer, besides the model and the data.

    RMSprop (``st["rmsprop_beta"]``) with :math:`\\eta_t = \\eta_0 (1 + t/t_0)^{-\\gamma}`
    (``st["t0"]``, ``st["gamma"]``), the run's seed, and a training checkpoint at ``ckpt`` written
    every 60 s, resumed from when ``resume`` (what :func:`cached_run` passes to its ``run``).
    """
    from rtrl_theory.runners import PowerSchedule, RMSprop

    return dict(
        schedule=PowerSchedule(eta0, st["t0"], st["gamma"]),
        optimizer=RMSprop(beta=st["rmsprop_beta"]),
        rng=seed,
        checkpoint=ckpt,
        checkpoint_seconds=60.0,
        resume=resume,
        progress=progress,
    )


def windowed_curve(res, n_windows: int):
    """``(window, end_steps, means)``: the run's losses averaged over about ``n_windows`` windows.

    ``window = ceil(steps run / n_windows)`` (at least 1); ``end_steps`` is the step after each
    window's last (where the curve is drawn), ``means`` the windows' mean losses
    (:meth:`rtrl_theory.runners.TrainResult.loss_windows`).
    """
    import math

    window = max(1, math.ceil(res.n_steps_run / n_windows))
    steps, means = res.loss_windows(window)
    return window, steps + window, means
