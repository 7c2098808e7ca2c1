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

__all__ = ["cached_run", "run_key"]


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
