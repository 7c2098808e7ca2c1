"""The compiled engine against the NumPy reference, for every cell on every compiled path, and the
one backend decision.

Truth: the NumPy engine (``engine._forward``/``_rtrl``, the trainer's NumPy chunk, the NumPy
particles), an independent implementation of the same recursions: it shares no code with
``engine._compiled`` (different summation order, ``np.tanh`` against the compiled 2-ulp tanh, no
FMA). Both are exact, so they differ by float64 rounding only: the claim is max|a - b| <= 1e-12
max|b| (relative to the largest entry), i.e. the rounding of a few hundred sums of terms of size
~1 (~1e-14) with two orders of magnitude to spare. A wrong coefficient, offset, source or sign in
a cell's table changes entries at O(1e-3) or more relative and fails (see the mutant test at the
end).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from rtrl_theory import LSTMRNN, ElmanRNN, LinearSDE, NeuralSDE, PaperRNN, loss_and_grad  # noqa: E402
from rtrl_theory.cells import GRURNN, char_rnn  # noqa: E402
from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget, bits_per_character  # noqa: E402
from rtrl_theory.engine import BackendPlan, select_backend  # noqa: E402
from rtrl_theory.runners import JointProcess, PowerSchedule, train_online  # noqa: E402

TOL = 1e-12

DENSE = {
    "paper-tanh": lambda: PaperRNN(4, 2, c_f=0.2, c_g=1.0, bounded_map="tanh"),
    "paper-sigmoid": lambda: PaperRNN(3, 2, c_f=0.3, c_g=1.0, bounded_map="sigmoid"),
    "elman-tanh": lambda: ElmanRNN(4, 2, "tanh", bias=True),
    "elman-tanh-nobias": lambda: ElmanRNN(4, 2, "tanh", bias=False),
    "elman-relu": lambda: ElmanRNN(4, 2, "relu", bias=True),
    "elman-relu-nobias": lambda: ElmanRNN(4, 2, "relu", bias=False),
    "elman-elu": lambda: ElmanRNN(4, 2, "elu", bias=True),
    "elman-elu-nobias": lambda: ElmanRNN(4, 2, "elu", bias=False),
    "linear-sde": lambda: LinearSDE(3, 2, dt=0.1),
    "neural-sde": lambda: NeuralSDE(3, 2, dt=0.1),
    "gru-dense": lambda: GRURNN(3, 2, None, input_kind="dense"),
    "lstm": lambda: LSTMRNN(3, 2),
}
TEXT = {
    "gru": lambda: char_rnn("gru", 4, 6),
    "elman-tanh": lambda: char_rnn("elman-tanh", 4, 6),
    "elman-elu": lambda: char_rnn("elman-elu", 4, 6),
    "elman-relu": lambda: char_rnn("elman-relu", 4, 6),
    "lstm": lambda: char_rnn("lstm", 4, 6),
}
ALL = {**{f"dense-{k}": v for k, v in DENSE.items()}, **{f"text-{k}": v for k, v in TEXT.items()}}


def max_rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def _params(model, rng):
    theta = model.flatten(model.init_params(rng)).copy()
    return theta + 0.1 * rng.standard_normal(theta.shape)  # no block special (e.g. b = 0)


def _data(model, rng, T):
    if getattr(model, "input_kind", "dense") == "onehot":
        return rng.integers(0, model.n_input, T), rng.integers(0, model.n_input, T)
    return rng.standard_normal((T, model.n_input)), rng.standard_normal(T)


@pytest.mark.parametrize("name", list(ALL))
def test_every_cell_is_compiled_and_loss_and_grad_equals_numpy(name):
    rng = np.random.default_rng(11)
    model = ALL[name]()
    assert select_backend(model, "loss_and_grad").name == "numba"
    theta = _params(model, rng)
    X, Y = _data(model, rng, 40)
    l_c, g_c = loss_and_grad(model, theta, X, Y, backend="numba")
    l_n, g_n = loss_and_grad(model, theta, X, Y, backend="numpy")
    assert abs(l_c - l_n) <= TOL * abs(l_n)
    assert max_rel(model.flatten(g_c), model.flatten(g_n)) <= TOL


@pytest.mark.parametrize("opt", ["sgd", "rmsprop"])
@pytest.mark.parametrize("name", list(ALL))
def test_online_training_compiled_equals_numpy(name, opt):
    rng = np.random.default_rng(12)
    model = ALL[name]()
    theta = _params(model, rng)
    X, Y = _data(model, rng, 60)
    kw = dict(schedule=PowerSchedule(0.01, 100.0, 0.75), optimizer=opt, record_every=25)
    a = train_online(model, theta, (X, Y), 60, backend="numpy", **kw)
    b = train_online(model, theta, (X, Y), 60, backend="numba", **kw)
    assert a.backend == "numpy" and b.backend == "numba" and b.status == "completed"
    assert "compiled engine asked for" in b.backend_reason
    assert max_rel(b.losses, a.losses) <= TOL
    assert max_rel(b.grad_norms, a.grad_norms) <= TOL
    assert max_rel(b.param_path, a.param_path) <= TOL


def _process(model, rng):
    d = model.n_input
    return DataProcess(ExampleChain(d, 0.5), LipschitzTarget.random(d, rng=rng))


@pytest.mark.parametrize("name", list(DENSE))
def test_particles_first_order_compiled_equals_numpy(name):
    rng = np.random.default_rng(13)
    model = DENSE[name]()
    theta = _params(model, rng)
    proc = _process(model, rng)
    jn = JointProcess(model, theta, proc, order=1, backend="numpy")
    jc = JointProcess(model, theta, proc, order=1, backend="numba")
    assert jc.backend == "numba" and jc.backend_plan.name == "numba"
    za = jn.run(jn.initial(9, rng=1), 15, rng=2)
    zb = jc.run(jc.initial(9, rng=1), 15, rng=2)
    assert max_rel(zb.S, za.S) <= TOL
    assert max_rel(zb.Jt, za.Jt) <= TOL


@pytest.mark.parametrize("name", ["paper-tanh", "paper-sigmoid", "elman-tanh-nobias"])
def test_particles_second_order_compiled_equals_numpy(name):
    rng = np.random.default_rng(14)
    model = DENSE[name]()
    theta = _params(model, rng)
    proc = _process(model, rng)
    jn = JointProcess(model, theta, proc, order=2, backend="numpy")
    jc = JointProcess(model, theta, proc, order=2, backend="numba")
    za = jn.run(jn.initial(5, rng=1), 8, rng=2)
    zb = jc.run(jc.initial(5, rng=1), 8, rng=2)
    for a, b in ((za.S, zb.S), (za.Jt, zb.Jt), (za.Ht, zb.Ht)):
        assert max_rel(b, a) <= TOL


@pytest.mark.parametrize("name", list(TEXT))
def test_bits_per_character_compiled_equals_numpy(name):
    rng = np.random.default_rng(15)
    model = TEXT[name]()
    theta = _params(model, rng)
    idx = rng.integers(0, 6, 80)
    a = bits_per_character(model, theta, idx, backend="numpy")
    b = bits_per_character(model, theta, idx, backend="numba")
    assert abs(a - b) <= TOL * a


def test_one_decision_for_every_task():
    """ElmanRNN(tanh, bias=False) used to run compiled in loss_and_grad and JointProcess but not
    in train_online: one function decides now, and says why."""
    model = ElmanRNN(3, 2, "tanh", bias=False)
    for task in ("loss_and_grad", "train_online", "particles"):
        plan = select_backend(model, task, optimizer=_sgd())
        assert isinstance(plan, BackendPlan) and plan.name == "numba", (task, plan)
    plan = select_backend(model, "loss_and_grad", backend="numpy")
    assert plan == BackendPlan("numpy", 'backend="numpy" was asked for')
    plan = select_backend(model, "train_online", optimizer=_sgd(), batch_size=3)
    assert plan.name == "numpy" and "batch_size = 3" in plan.reason


def _sgd():
    from rtrl_theory.runners import SGD

    return SGD()


def test_numba_on_an_uncovered_model_says_why():
    model = LinearSDE(2, 1)
    with pytest.raises(ValueError, match=r"backend: 'numba' is unavailable here for particles: "
                       r"second order is compiled for pre-activation cells"):
        select_backend(model, "particles", backend="numba", order=2)
    with pytest.raises(ValueError, match=r"particles need dense inputs"):
        select_backend(char_rnn("gru", 2, 3), "particles", backend="numba")
    with pytest.raises(ValueError, match=r"backend: expected one of"):
        select_backend(model, "loss_and_grad", backend="gpu")
    with pytest.raises(ValueError, match=r"task: expected one of"):
        select_backend(model, "sample")


def test_a_wrong_table_is_caught(monkeypatch):
    """Mutant: the LSTM's table with the forget gate's c-row coefficient swapped for the input
    gate's. The comparison above must fail on it (it does by orders of magnitude)."""
    from rtrl_theory.cells import CompiledTerm, LSTMCell

    real = LSTMCell.compiled

    def wrong(self):
        d = real(self)
        terms = tuple(
            CompiledTerm(t.offset, t.source, t.n_cols, 4 if t.coef_row == 5 else t.coef_row, t.n,
                         t.n_rows, t.row0, t.state0, t.source0, t.weighted)
            for t in d.terms
        )
        return type(d)(d.forward, d.n_coef, d.ints, d.floats, terms, d.maps, d.second_order)

    monkeypatch.setattr(LSTMCell, "compiled", wrong)
    rng = np.random.default_rng(16)
    model = LSTMRNN(3, 2)
    theta = _params(model, rng)
    X, Y = _data(model, rng, 40)
    _, g_c = loss_and_grad(model, theta, X, Y, backend="numba")
    _, g_n = loss_and_grad(model, theta, X, Y, backend="numpy")
    assert max_rel(g_c, g_n) > 1e-6


def test_particle_blocks_equal_single_steps():
    """JointProcess.run draws a block's data first and runs the block kernel: the same draws in
    the same order and the same per-particle arithmetic, so the same numbers bit for bit."""
    rng = np.random.default_rng(17)
    model = DENSE["paper-tanh"]()
    theta = _params(model, rng)
    jp = JointProcess(model, theta, _process(model, rng), order=1, backend="numba")
    z0 = jp.initial(7, rng=1)
    seen = []
    za = jp.run(z0, 23, rng=2, callback=lambda z: seen.append(z.t), every=10)
    zb = jp.run(z0, 23, rng=2)  # blocks of up to 25 steps
    zc = z0
    step_rng = np.random.default_rng(2)
    for _ in range(23):
        zc = jp.step(zc, step_rng)
    assert seen == [10, 20, 23]
    for z in (za, zb):
        assert z.t == 23
        for a, b in ((z.S, zc.S), (z.Jt, zc.Jt), (z.X, zc.X), (z.Y, zc.Y)):
            assert np.array_equal(a, b)


def test_blas_threads_rule_and_limit(monkeypatch):
    """One BLAS thread for small GEMMs and on a busy machine; the limit really applies inside
    the block (read back from OpenBLAS) and is undone after it."""
    from rtrl_theory.engine import _blas

    monkeypatch.setattr(_blas.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_blas.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    assert _blas.threads_for_gemm(11, 10, 130) == 1  # 2.9e4 flops: latency-bound
    assert _blas.threads_for_gemm(65, 64, 4288) is None  # 3.6e7 flops on an idle machine
    monkeypatch.setattr(_blas.os, "getloadavg", lambda: (3.0, 3.0, 3.0))
    assert _blas.threads_for_gemm(65, 64, 4288) == 1  # the same GEMM on a busy machine
    handles = _blas._fallback_handles()
    if not handles:
        pytest.skip("no OpenBLAS thread control found in this installation")
    before = [get() for get, _ in handles]
    with _blas.blas_threads(1):
        assert all(get() == 1 for get, _ in handles)
    assert [get() for get, _ in handles] == before


def test_blas_busy_test_discounts_this_process(monkeypatch):
    """The busy test subtracts this process's own share of the load average (truth: the rule
    written in threads_for_gemm's docstring, others = load - own > cores - 1.5); own_load is the
    process's CPU seconds per wall second, damped with a 60 s time constant (closed form)."""
    import math
    import types

    from rtrl_theory.engine import _blas

    monkeypatch.setattr(_blas.os, "cpu_count", lambda: 2)
    big = (65, 64, 4288)  # 3.6e7 flops: multi-threaded unless the machine is busy
    for load, own, expected in ((1.3, 1.0, None), (1.45, 1.0, None), (1.6, 1.0, 1), (2.2, 1.0, 1), (3.0, 0.0, 1)):
        monkeypatch.setattr(_blas, "own_load", lambda own=own: own)
        monkeypatch.setattr(_blas.os, "getloadavg", lambda load=load: (load, load, load))
        assert _blas.threads_for_gemm(*big) == expected, (load, own)
    monkeypatch.undo()
    clock = {"wall": 100.0, "cpu": 10.0}
    monkeypatch.setattr(_blas.time, "monotonic", lambda: clock["wall"])
    monkeypatch.setattr(
        _blas.os, "times", lambda: types.SimpleNamespace(user=clock["cpu"], system=0.0)
    )
    monkeypatch.setattr(_blas, "_OWN", [100.0, 10.0, 0.5])
    clock["wall"], clock["cpu"] = 130.0, 70.0  # 2 cores busy for 30 s
    decay = math.exp(-30.0 / 60.0)
    assert _blas.own_load() == pytest.approx(decay * 0.5 + (1 - decay) * 2.0, rel=1e-12)
    clock["wall"] += 0.5  # under 1 s: too short for a rate, the estimate is kept
    assert _blas.own_load() == pytest.approx(decay * 0.5 + (1 - decay) * 2.0, rel=1e-12)


def test_blas_threads_through_threadpoolctl_without_openblas_handles(monkeypatch):
    """Where no OpenBLAS entry point is found (an MKL or BLIS build), the limit goes through one
    threadpoolctl controller, built once; the thread count read back inside the block is 1 and
    the previous count is restored after it."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from rtrl_theory.engine import _blas

    monkeypatch.setattr(_blas, "_fallback_handles", lambda: [])
    monkeypatch.setattr(_blas, "_CONTROLLER", None)

    def blas_counts():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    before = blas_counts()
    if not before:
        pytest.skip("threadpoolctl sees no BLAS in this process")
    with _blas.blas_threads(1):
        assert blas_counts() == [1] * len(before)
    built = _blas._CONTROLLER
    assert built is not None and built is not False
    with _blas.blas_threads(1):
        pass
    assert _blas._CONTROLLER is built  # not rebuilt per call
    assert blas_counts() == before
