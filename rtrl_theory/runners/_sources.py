"""Data sources of :func:`rtrl_theory.runners.train_online`.

Data sources of :func:`rtrl_theory.runners.train_online`: ``take(m) -> (X (B, m, .), Y (B, m))``
over arrays, a DataProcess or a DataStream, with a state a checkpoint saves and restores.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import as_array
from rtrl_theory.data import DataProcess, DataStream

from ._checkpoint import array_fingerprint, restore_stream, stream_state

__all__: list[str] = []


class _ArraySource:
    """Consecutive pieces of arrays ``X`` (B, T, ...), ``Y`` (B, T); the state is the position."""

    kind = "arrays"

    def __init__(self, X, Y):
        self.X, self.Y, self.pos = X, Y, 0

    def take(self, m):
        a = self.pos
        self.pos += m
        return self.X[:, a : a + m], self.Y[:, a : a + m]

    def state(self) -> tuple[dict, dict]:
        return {"kind": self.kind, "position": self.pos}, {}

    def fingerprint(self) -> str:
        return array_fingerprint(self.X, self.Y)

    def restore(self, meta, arrays, done) -> None:
        if meta.get("kind") != self.kind:
            raise ValueError(
                f"data: the checkpointed run read a {meta.get('kind')}, this one arrays (X, Y)"
            )
        if meta.get("fingerprint") != self.fingerprint():
            raise ValueError(
                "data: the arrays differ from those of the checkpointed run (SHA-256 "
                "fingerprint); resume with the same X and Y"
            )
        self.pos = int(meta["position"])


class _StreamSource:
    """Pieces of a :class:`~rtrl_theory.data.DataStream`, (B, m, d) and (B, m)."""

    kind = "stream"

    def __init__(self, stream):
        self.stream = stream

    def take(self, m):
        X, Y = self.stream.next(m)
        return (X, Y) if self.stream.batched else (X[None], Y[None])

    def state(self) -> tuple[dict, dict]:
        meta, arrays = stream_state(self.stream)
        return {"kind": self.kind, **meta}, arrays

    def fingerprint(self) -> None:
        return None

    def restore(self, meta, arrays, done) -> None:
        if meta.get("kind") != self.kind:
            raise ValueError(
                f"data: the checkpointed run read {meta.get('kind')}, this one a data stream"
            )
        restore_stream(self.stream, meta, arrays)


def _kinds(model) -> tuple[str, str]:
    """``(input_kind, target_kind)`` of a model: ``("dense", "real")`` unless it says otherwise."""
    return getattr(model, "input_kind", "dense"), getattr(model, "target_kind", "real")


def _kind_arrays(model, data, n_steps, B):
    """``take`` over ``(X, Y)`` arrays for a model with one-hot inputs or class targets.

    One-hot inputs are integer symbols, ``X`` (T,) or (B, T); class targets integer labels;
    ``model.check_sequence`` validates both (dtype, shape, range).
    """
    input_kind, _ = _kinds(model)
    x_step_ndim = 0 if input_kind == "onehot" else 1  # dims of one step's input
    X, Y = data
    batched = np.ndim(X) == x_step_ndim + 2
    if B != 1 and not batched:
        want = f"({B}, T)" if input_kind == "onehot" else f"({B}, T, {model.n_input})"
        raise ValueError(
            f"X: batch_size = {B} needs X of shape {want} and Y of shape ({B}, T), got X of "
            f"shape {np.shape(X)}"
        )
    X, Y = model.check_sequence(X, Y, batched=batched)
    if not batched:
        X, Y = X[None], Y[None]
    elif X.shape[0] != B:
        raise ValueError(f"X: expected {B} sequences (batch_size), got {X.shape[0]}")
    if X.shape[1] < n_steps:
        raise ValueError(f"data: X has {X.shape[1]} steps, fewer than n_steps = {n_steps}")
    return _ArraySource(X, Y)


def _data_source(data, n_steps, rng, d, batch_size, model=None):
    """Return a source with ``take(m) -> (X (B, m, d), Y (B, m))`` over arrays, a process or a stream.

    For a model with one-hot inputs or class targets (``model.input_kind == "onehot"``,
    ``model.target_kind == "class"``) the data must be arrays; ``X`` is then (B, m) of int.
    """
    B = batch_size
    if model is not None and _kinds(model) != ("dense", "real"):
        if not (isinstance(data, tuple) and len(data) == 2):
            raise TypeError(
                f"data: a model with input_kind={_kinds(model)[0]!r} and "
                f"target_kind={_kinds(model)[1]!r} takes a tuple (X, Y) of arrays (integer "
                f"symbols / class labels, e.g. rtrl_theory.data next_char_pairs), got "
                f"{type(data).__name__}"
            )
        return _kind_arrays(model, data, n_steps, B)
    if isinstance(data, DataProcess):
        data = data.stream(rng) if B == 1 else data.stream(rng, n_chains=B)
    if isinstance(data, DataStream):
        if data.batched and data.n_chains != B:
            raise ValueError(
                f"data: the stream has n_chains = {data.n_chains} but batch_size = {B}; stream "
                f"the process with n_chains=batch_size"
            )
        if not data.batched and B != 1:
            raise ValueError(
                f"data: expected a stream with n_chains = batch_size = {B}, got a single-chain "
                f"stream (n_chains=None)"
            )
        if data.process.target is None:
            raise ValueError(
                "data: the process has no target; give it a TeacherTarget or LipschitzTarget"
            )
        if data.process.n_input != d:
            raise ValueError(f"data: inputs have d = {data.process.n_input}, the model d = {d}")
        return _StreamSource(data)
    if isinstance(data, tuple) and len(data) == 2:
        if B == 1 and np.ndim(data[0]) != 3:
            X = as_array(data[0], "X", shape=(None, d))
            Y = as_array(data[1], "Y", shape=(X.shape[0],))
            X, Y = X[None], Y[None]
        else:
            if np.ndim(data[0]) != 3:
                raise ValueError(
                    f"X: batch_size = {B} needs X of shape ({B}, T, {d}) and Y of shape "
                    f"({B}, T), got X of shape {np.shape(data[0])}"
                )
            X = as_array(data[0], "X", shape=(B, None, d))
            Y = as_array(data[1], "Y", shape=X.shape[:2])
        if X.shape[1] < n_steps:
            raise ValueError(f"data: X has {X.shape[1]} steps, fewer than n_steps = {n_steps}")
        return _ArraySource(X, Y)
    raise TypeError("data: expected a DataProcess, a DataStream or a tuple (X, Y) of arrays")
