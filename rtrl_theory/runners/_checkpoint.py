r"""Checkpoints of :func:`~rtrl_theory.runners.train_online`: everything needed to continue a run.

A checkpoint is **one** ``.npz`` file written atomically (temporary file in the same folder,
flushed and fsync'ed, then ``os.replace``), so a reader sees either the previous complete
checkpoint or the new one, never half a file. It holds

* arrays: the parameters ``theta``; the RTRL sensitivity state (``sens_S`` (B, N), ``sens_Jt``
  (B, P_c, N), ``sens_Ht`` when second order) or the TBPTT carried state ``carry_S`` (B, N); the
  optimizer state's array fields (``opt.v`` for RMSprop); the recorded arrays so far (``losses``,
  ``grad_norms``, ``update_steps``, ``path_steps``, ``param_path``); for a data *stream* its
  chain state ``stream_x`` and the target's state ``stream_target_state``;
* ``meta_json``: a JSON string with the schema, the step counter ``done``, the number of updates,
  the status, the accumulated wall time, the trainer configuration (algorithm, tau, optimizer,
  schedule, batch size, ...), the model's description, the data source (array position and a
  SHA-256 fingerprint of the arrays, or the stream's bit-generator states and position) and the
  optimizer state's scalar fields.

A human-readable copy of the metadata (no arrays) is written beside it as JSON
(:func:`sidecar_path`: ``run.ckpt.npz`` -> ``run.ckpt.json``); the ``.npz`` is the authority.
Nothing is pickled (``allow_pickle=False`` on load).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._records import atomic_path, to_jsonable, write_json_atomic

__all__ = [
    "CHECKPOINT_SCHEMA",
    "Checkpoint",
    "CheckpointError",
    "load_checkpoint",
    "write_checkpoint",
    "sidecar_path",
    "array_fingerprint",
]

CHECKPOINT_SCHEMA = "rtrl-theory/train-checkpoint/1"


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A loaded checkpoint: ``meta`` (dict, the JSON metadata) and ``arrays`` (dict of ndarray).

    Attributes
    ----------
    path : pathlib.Path
    meta : dict
    arrays : dict of str -> ndarray
    """

    path: Path
    meta: dict
    arrays: dict

    @property
    def step(self) -> int:
        """Steps completed when the checkpoint was written."""
        return int(self.meta["done"])

    @property
    def status(self) -> str:
        """``"running"``, ``"completed"``, ``"interrupted"`` or ``"diverged"``."""
        return str(self.meta["status"])

    @property
    def params(self) -> np.ndarray:
        """The flat parameters at :attr:`step`."""
        return self.arrays["theta"]

    @property
    def losses(self) -> np.ndarray:
        """Per-step losses of the steps ``0 .. step - 1``."""
        return self.arrays["losses"]


def sidecar_path(path) -> Path:
    """Return the JSON copy of a checkpoint's metadata: ``x.npz`` -> ``x.json``, else ``x`` -> ``x.json``."""
    path = Path(path)
    if path.suffix == ".npz":
        return path.with_suffix(".json")
    return path.with_name(path.name + ".json")


def array_fingerprint(*arrays) -> str:
    """SHA-256 of the dtypes, shapes and bytes of ``arrays`` (to recognise the same data)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.view(np.uint8).reshape(-1).data if a.size else b"")
    return h.hexdigest()


def write_checkpoint(path, meta: dict, arrays: dict) -> Path:
    """Write a checkpoint atomically: ``path`` (.npz with ``meta_json``) and its JSON sidecar.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; written as given (no ``.npz`` is appended).
    meta : dict
        JSON-serialisable metadata (numpy scalars and arrays are converted).
    arrays : dict of str -> array
        Numeric arrays (object arrays are refused: nothing is pickled).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    meta = {"schema": CHECKPOINT_SCHEMA, **to_jsonable(meta)}
    out = {}
    for k, v in arrays.items():
        a = np.asarray(v)
        if a.dtype == object:
            raise TypeError(f"arrays[{k!r}]: object arrays cannot be checkpointed without pickle")
        out[k] = a
    text = json.dumps(meta, allow_nan=False)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, meta_json=np.array(text), **out)
        fh.flush()
        os.fsync(fh.fileno())
    write_json_atomic(sidecar_path(path), meta)
    return path


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: empty, truncated, corrupted or of another schema.

    The message says what is wrong with the file; nothing else has been touched.
    """


def _damage(path: Path, exc: BaseException) -> str:
    """Describe what is wrong with an unreadable ``.npz``, in words."""
    import zipfile

    size = path.stat().st_size
    text = str(exc)
    if size == 0:
        return "the file is empty (0 bytes)"
    if "CRC" in text:
        return f"its data fail their CRC-32 check: the file is corrupted ({text})"
    if isinstance(exc, (EOFError, zipfile.BadZipFile)) or "truncat" in text.lower():
        return f"it is not a complete .npz archive ({size} bytes): truncated or overwritten ({text})"
    return f"{type(exc).__name__}: {text}"


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by :func:`write_checkpoint` (or by ``train_online``).

    Every array is read (so the CRC-32 of every member is checked) before anything is returned.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint's ``.npz`` file.

    Returns
    -------
    Checkpoint
        ``path``, ``meta`` (the JSON metadata: ``schema``, the steps ``done``, ``status``, the
        run's configuration) and
        ``arrays`` (parameters, sensitivities or carried state, optimizer state, records).

    Raises
    ------
    FileNotFoundError
        Naming ``checkpoint`` when the file does not exist.
    CheckpointError (a ValueError)
        When the file is empty, truncated, corrupted, not a checkpoint or of another schema; the
        message says which.

    See Also
    --------
    train_online : writes checkpoints (``checkpoint=``) and resumes from them (``resume=True``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint: {str(path)!r} does not exist; nothing to resume")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "meta_json" not in z.files:
                raise CheckpointError(
                    f"checkpoint: {str(path)!r} is an .npz file but not a training checkpoint "
                    f"(no meta_json)"
                )
            meta = json.loads(str(z["meta_json"]))
            arrays = {k: z[k] for k in z.files if k != "meta_json"}
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 -- zipfile, zlib, numpy and json raise their own
        raise CheckpointError(
            f"checkpoint: {str(path)!r} is damaged: {_damage(path, exc)}"
        ) from None
    if not isinstance(meta, dict) or meta.get("schema") != CHECKPOINT_SCHEMA:
        got = meta.get("schema") if isinstance(meta, dict) else None
        raise CheckpointError(
            f"checkpoint: {str(path)!r} has schema {got!r}, expected {CHECKPOINT_SCHEMA!r}"
        )
    for key in ("done", "status", "config"):
        if key not in meta:
            raise CheckpointError(f"checkpoint: {str(path)!r} is damaged: its metadata lack {key!r}")
    return Checkpoint(path, meta, arrays)


# ------------------------------------------------------------------------------------------------
# Optimizer states and data-stream states (helpers of the trainer)
# ------------------------------------------------------------------------------------------------
def optimizer_state_to_parts(state) -> tuple[dict, dict]:
    """``(meta, arrays)`` of an optimizer state: None (SGD) or a dataclass (RMSpropState, ...)."""
    if state is None:
        return {"kind": "none"}, {}
    if not dataclasses.is_dataclass(state):
        raise TypeError(
            f"optimizer: its state (a {type(state).__name__}) cannot be checkpointed; an "
            f"optimizer state must be None or a dataclass of arrays and numbers"
        )
    meta, arrays = {"kind": "dataclass", "type": type(state).__name__, "scalars": {}}, {}
    for f in dataclasses.fields(state):
        v = getattr(state, f.name)
        if isinstance(v, np.ndarray):
            arrays[f"opt.{f.name}"] = v.copy()
        else:
            meta["scalars"][f.name] = to_jsonable(v)
    return meta, arrays


def optimizer_state_from_parts(template, meta: dict, arrays: dict):
    """Rebuild an optimizer state like ``template`` (``optimizer.init(theta)``) from its parts."""
    if meta["kind"] == "none":
        if template is not None:
            raise ValueError("checkpoint: the optimizer state was None, the optimizer's is not")
        return None
    if not dataclasses.is_dataclass(template) or type(template).__name__ != meta["type"]:
        raise ValueError(
            f"checkpoint: the optimizer state was a {meta['type']}, the optimizer's is a "
            f"{type(template).__name__}"
        )
    values = dict(meta["scalars"])
    for k, v in arrays.items():
        if k.startswith("opt."):
            values[k[4:]] = v.copy()
    return dataclasses.replace(template, **values)


def stream_state(stream) -> tuple[dict, dict]:
    """``(meta, arrays)`` snapshot of a :class:`~rtrl_theory.data.DataStream`.

    Reads the stream's bit generators, chain state and target state (its private attributes:
    the stream has no public state API).
    """
    meta = {
        "rng_x": stream._rng_x.bit_generator.state,
        "rng_y": stream._rng_y.bit_generator.state,
        "position": int(stream.position),
        "n_chains": int(stream.n_chains),
        "batched": bool(stream.batched),
        "has_target_state": stream._target_state is not None,
    }
    arrays = {"stream_x": np.array(stream._x, dtype=float)}
    if stream._target_state is not None:
        arrays["stream_target_state"] = np.array(stream._target_state)
    return meta, arrays


def restore_stream(stream, meta: dict, arrays: dict) -> None:
    """Put a stream back in the state of :func:`stream_state` (in place)."""
    if int(meta["n_chains"]) != stream.n_chains or bool(meta["batched"]) != stream.batched:
        raise ValueError(
            f"data: the checkpointed stream had n_chains = {meta['n_chains']}, this one "
            f"{stream.n_chains}"
        )
    stream._rng_x.bit_generator.state = meta["rng_x"]
    stream._rng_y.bit_generator.state = meta["rng_y"]
    stream._x = arrays["stream_x"].copy()
    stream._target_state = (
        arrays["stream_target_state"].copy() if meta["has_target_state"] else None
    )
    stream.position = int(meta["position"])
