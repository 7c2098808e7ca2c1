"""Checkpoint and resume of train_online: an interrupted run, continued, is the uninterrupted run.

Every case compares final parameters, per-step losses and gradient norms for exact equality
(bit for bit), on data arrays and on DataProcess streams, for RTRL and TBPTT, on the NumPy engine
and on the compiled paths (PaperRNN kernel, text kernel) when numba is installed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rtrl_theory import PaperRNN
from rtrl_theory.cells import char_rnn
from rtrl_theory.cells._gru import CharElmanRNN
from rtrl_theory.data import DataProcess, ExampleChain, TeacherTarget
from rtrl_theory.runners import PowerSchedule, RMSprop, load_checkpoint, train_online

N_STEPS = 600
RECORD = 60  # a multiple of every tau below: checkpoints fall on block boundaries


def _paper_case(batch_size=1):
    model = PaperRNN(3, 2)
    proc = DataProcess(ExampleChain(2, 0.5), TeacherTarget(model, model.init_params(1, scale=2.0)))
    return model, model.init_params(2), proc, {"schedule": PowerSchedule(0.1), "rng": 5}


def _text_case(batch_size=1):
    model = char_rnn("gru", 4, 7)
    rng = np.random.default_rng(3)
    shape = (N_STEPS + 1,) if batch_size == 1 else (batch_size, N_STEPS + 1)
    sym = rng.integers(0, 7, shape)
    data = (sym[..., :-1], sym[..., 1:])
    kw = {"schedule": PowerSchedule(2e-3, 1e5, 0.75), "optimizer": RMSprop(beta=0.999)}
    return model, model.init_params(4), data, kw


def _lob_case(batch_size=1):
    model = CharElmanRNN(5, 2, 3, input_kind="dense")
    rng = np.random.default_rng(6)
    X = rng.uniform(-1, 1, (N_STEPS, 2))
    y = rng.integers(0, 3, N_STEPS)
    kw = {"schedule": PowerSchedule(1e-2, 1e3, 0.75), "optimizer": "rmsprop"}
    return model, model.init_params(7), (X, y), kw


CASES = {"paper-stream": _paper_case, "text-arrays": _text_case, "lob-arrays": _lob_case}


def _assert_same(a, b):
    assert a.status == b.status == "completed"
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.grad_norms, b.grad_norms)
    np.testing.assert_array_equal(a.update_steps, b.update_steps)
    np.testing.assert_array_equal(a.param_path[-1], b.param_path[-1])


def _runs(case, algo, backend, batch_size=1):
    model, p0, data, kw = CASES[case](batch_size)
    kw = {
        **kw,
        "algo": algo,
        "tau": 6 if algo == "tbptt" else None,
        "backend": backend,
        "record_every": RECORD,
        "batch_size": batch_size,
    }
    return model, p0, data, kw


PARAMS = [
    ("paper-stream", "rtrl", "numpy"),
    ("paper-stream", "rtrl", "auto"),  # the compiled PaperRNN kernel when numba is there
    ("paper-stream", "tbptt", "numpy"),
    ("text-arrays", "rtrl", "auto"),  # the compiled text kernel (S, Jt and RMSprop's v)
    ("text-arrays", "rtrl", "numpy"),
    ("text-arrays", "tbptt", "numpy"),
    ("lob-arrays", "rtrl", "numpy"),
    ("lob-arrays", "tbptt", "numpy"),
]


@pytest.mark.parametrize(("case", "algo", "backend"), PARAMS)
def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, case, algo, backend):
    model, p0, data, kw = _runs(case, algo, backend)
    ref = train_online(model, p0, data, N_STEPS, **kw)
    ck = tmp_path / "run.ckpt.npz"
    calls = []

    def on_record(partial):
        calls.append(partial.n_steps_run)
        if len(calls) == 4:
            raise KeyboardInterrupt

    cut = train_online(
        model,
        p0,
        data,
        N_STEPS,
        **kw,
        on_record=on_record,
        catch_interrupt=True,
        checkpoint=ck,
        checkpoint_seconds=1e9,  # only the final write: the interrupted state
    )
    assert cut.status == "interrupted" and cut.n_steps_run == 4 * RECORD
    saved = load_checkpoint(ck)
    assert saved.status == "interrupted" and saved.step == 4 * RECORD
    np.testing.assert_array_equal(saved.params, cut.param_path[-1])
    # A fresh DataProcess stream / the same arrays; the rng is ignored (the state is restored).
    model2, _, data2, _ = CASES[case]()
    res = train_online(model2, p0, data2, N_STEPS, **{**kw, "rng": 99}, checkpoint=ck, resume=True)
    _assert_same(res, ref)
    assert res.config["resumed_at"] == [4 * RECORD]
    assert load_checkpoint(ck).status == "completed"


@pytest.mark.parametrize(("case", "algo", "backend"), PARAMS[::2])
def test_a_short_run_continued_to_more_steps_equals_the_long_run(tmp_path, case, algo, backend):
    model, p0, data, kw = _runs(case, algo, backend)
    ref = train_online(model, p0, data, N_STEPS, **kw)
    ck = tmp_path / "short.npz"
    first = train_online(model, p0, data, N_STEPS // 2, **kw, checkpoint=ck)
    assert first.status == "completed"
    _, _, data2, _ = CASES[case]()
    res = train_online(model, p0, data2, N_STEPS, **kw, checkpoint=ck, resume=True)
    _assert_same(res, ref)
    assert res.n_steps_run == N_STEPS


def test_mini_batch_stream_resumes_exactly(tmp_path):
    model, p0, data, kw = _runs("paper-stream", "rtrl", "numpy", batch_size=2)
    ref = train_online(model, p0, data, N_STEPS, **kw)
    ck = tmp_path / "b.npz"
    train_online(model, p0, data, 3 * RECORD, **kw, checkpoint=ck)
    res = train_online(model, p0, data, N_STEPS, **kw, checkpoint=ck, resume=True)
    _assert_same(res, ref)


def test_periodic_checkpoints_are_written_during_the_run(tmp_path):
    model, p0, data, kw = _runs("text-arrays", "rtrl", "numpy")
    ck = tmp_path / "p.npz"
    steps = []

    def on_record(partial):
        if partial.n_steps_run < N_STEPS:
            steps.append(load_checkpoint(ck).step)

    train_online(model, p0, data, N_STEPS, **kw, checkpoint=ck, checkpoint_seconds=0.0,
                 on_record=on_record)  # fmt: skip
    assert steps == list(range(RECORD, N_STEPS, RECORD))
    meta = json.loads((tmp_path / "p.json").read_text())  # the human-readable sidecar
    assert meta["status"] == "completed" and meta["done"] == N_STEPS
    assert meta["schema"] == "rtrl-theory/train-checkpoint/1"


def test_checkpoint_guards(tmp_path):
    model, p0, data, kw = _runs("lob-arrays", "tbptt", "numpy")
    ck = tmp_path / "g.npz"
    train_online(model, p0, data, 120, **kw, checkpoint=ck)
    with pytest.raises(FileExistsError, match="checkpoint: .* exists; pass resume=True"):
        train_online(model, p0, data, 240, **kw, checkpoint=ck)
    with pytest.raises(ValueError, match="tau: the checkpointed run used 6, this call 3"):
        train_online(model, p0, data, 240, **{**kw, "tau": 3}, checkpoint=ck, resume=True)
    X, y = data
    with pytest.raises(ValueError, match="data: the arrays differ"):
        train_online(model, p0, (X + 1.0, y), 240, **kw, checkpoint=ck, resume=True)
    with pytest.raises(ValueError, match="n_steps: 60 is fewer than the 120 steps"):
        train_online(model, p0, data, 60, **kw, checkpoint=ck, resume=True)
    with pytest.raises(FileNotFoundError, match="checkpoint: .* does not exist"):
        train_online(model, p0, data, 240, **kw, checkpoint=tmp_path / "no.npz", resume=True)
    with pytest.raises(ValueError, match="resume: needs checkpoint=PATH"):
        train_online(model, p0, data, 240, **kw, resume=True)


def test_a_diverged_run_is_checkpointed_but_not_resumed(tmp_path):
    model, p0, data, kw = _runs("paper-stream", "rtrl", "numpy")
    kw = {**kw, "schedule": PowerSchedule(1e6, 1000, 0.75)}
    ck = tmp_path / "d.npz"
    res = train_online(model, p0, data, 5000, **kw, checkpoint=ck)
    assert res.status == "diverged"
    saved = load_checkpoint(ck)
    assert saved.status == "diverged" and saved.step == res.n_steps_run
    np.testing.assert_array_equal(saved.losses, res.losses)
    with pytest.raises(ValueError, match="diverged at step"):
        train_online(model, p0, data, N_STEPS, **kw, checkpoint=ck, resume=True)
