"""The resumable RTRL-vs-TBPTT sweep (rtrl_theory.runners._sweep): seeds, divergence, resume."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from rtrl_theory import LinearSDE
from rtrl_theory.data import linear_sde_teacher
from rtrl_theory.runners import (
    PowerSchedule,
    RunConfig,
    SweepSpec,
    replicate_seed,
    run_config,
    run_sweep,
    sweep_to_arrays,
    train_online,
)


def fake_run(config, rng, n=20):
    """A stand-in for train_online: losses drawn from the replicate's stream, scaled by eta0."""
    losses = config.eta0 * (1.0 + rng.random(n)) * (1 + (config.tau or 0))
    return SimpleNamespace(losses=losses, status="completed", stopped_at=None, message="ok")


class Counting:
    """run_one wrapper counting calls (and optionally interrupting at call ``stop_at``)."""

    def __init__(self, stop_at=None):
        self.calls = []
        self.stop_at = stop_at

    def __call__(self, config, rng):
        if self.stop_at is not None and len(self.calls) == self.stop_at:
            raise KeyboardInterrupt
        self.calls.append(config)
        return fake_run(config, rng)


SPEC = SweepSpec((1e-3, 1e-2), (1, 5), n_replicates=2)


def test_spec_builds_the_grid_replicate_by_replicate():
    configs = SPEC.configs()
    assert len(configs) == 2 * 3 * 2
    assert [c.replicate for c in configs] == [0] * 6 + [1] * 6
    assert [c.label for c in configs[:3]] == ["RTRL", "TBPTT(1)", "TBPTT(5)"]
    assert len(set(configs)) == len(configs)  # hashable and distinct


def test_resume_skips_finished_runs(tmp_path):
    first = Counting(stop_at=5)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(SPEC.configs(), first, seed=3, window=5, cache_dir=tmp_path)
    assert len(first.calls) == 5
    assert len(list(tmp_path.glob("*.json"))) == 5  # each finished run written at once

    second = Counting()
    runs = run_sweep(SPEC.configs(), second, seed=3, window=5, cache_dir=tmp_path)
    assert second.calls == list(SPEC.configs()[5:])  # only the unfinished ones ran
    assert [r.from_cache for r in runs] == [True] * 5 + [False] * 7

    third = Counting()
    again = run_sweep(SPEC.configs(), third, seed=3, window=5, cache_dir=tmp_path)
    assert third.calls == [] and all(r.from_cache for r in again)
    for a, b in zip(runs, again, strict=True):
        # the cached record is the run's record; the JSON round trip of float64 is exact
        assert (a.config, a.seed, a.status, a.stopped_at, a.n_steps_run, a.window, a.message) == (
            b.config, b.seed, b.status, b.stopped_at, b.n_steps_run, b.window, b.message
        )  # fmt: skip
        np.testing.assert_array_equal(a.steps, b.steps)
        np.testing.assert_array_equal(a.loss, b.loss)
        assert a.wall_time == b.wall_time


def test_changed_context_window_or_seed_is_not_read_from_the_cache(tmp_path):
    configs = SPEC.configs()[:2]
    run_sweep(configs, fake_run, seed=3, window=5, cache_dir=tmp_path, context={"n": 1})
    for kw in ({"context": {"n": 2}}, {"window": 4}, {"seed": 4}):
        args = {"seed": 3, "window": 5, "context": {"n": 1}, **kw}
        counter = Counting()
        run_sweep(configs, counter, cache_dir=tmp_path, **args)
        assert len(counter.calls) == 2, kw


def test_recompute_reruns_and_a_corrupt_record_is_rerun(tmp_path):
    configs = SPEC.configs()[:2]
    run_sweep(configs, fake_run, seed=3, window=5, cache_dir=tmp_path)
    counter = Counting()
    run_sweep(configs, counter, seed=3, window=5, cache_dir=tmp_path, recompute=True)
    assert len(counter.calls) == 2
    path = sorted(tmp_path.glob("*.json"))[0]
    path.write_text("{not json", encoding="utf-8")
    counter = Counting()
    with pytest.warns(RuntimeWarning, match="corrupt or unreadable"):  # rerun, not silently
        run_sweep(configs, counter, seed=3, window=5, cache_dir=tmp_path)
    assert len(counter.calls) == 1
    json.loads(path.read_text(encoding="utf-8"))  # rewritten whole


def _linear_run_one(config, rng):
    r_teacher, r_init, r_data = rng.spawn(3)
    teacher = linear_sde_teacher(2, 1, r_teacher)
    model = LinearSDE(2, 1)
    return train_online(
        model,
        model.init_params(r_init),
        teacher.process(),
        300,
        schedule=PowerSchedule(config.eta0, 100.0, 0.75),
        algo=config.algo,
        tau=config.tau,
        optimizer="sgd",
        rng=r_data,
    )


def test_a_diverging_configuration_is_recorded_not_raised(tmp_path):
    # SGD with eta0 = 50 on a linear RNN with unconstrained A: the state map I + dt A leaves the
    # unit disc within a few steps and the loss overflows (the trainer stops at the first
    # non-finite value); eta0 = 1e-3 is stable.
    configs = [RunConfig("rtrl", 50.0), RunConfig("tbptt", 50.0, tau=2), RunConfig("rtrl", 1e-3)]
    runs = run_sweep(configs, _linear_run_one, seed=0, window=20, cache_dir=tmp_path)
    for r in runs[:2]:
        assert r.status == "diverged"
        assert r.stopped_at is not None and r.stopped_at < 300
        assert r.steps[-1] <= r.stopped_at  # the curve stops at the divergence
        assert np.isnan(r.final_loss)
    assert runs[2].status == "completed" and runs[2].stopped_at is None
    assert runs[2].loss.shape == (15,) and np.isfinite(runs[2].final_loss)
    # the diverged records are cached like the others and read back identically
    again = run_sweep(configs, Counting(), seed=0, window=20, cache_dir=tmp_path)
    assert [r.status for r in again] == ["diverged", "diverged", "completed"]
    assert all(r.from_cache for r in again)
    assert [r.stopped_at for r in again] == [r.stopped_at for r in runs]


def test_a_floating_point_error_is_recorded_as_divergence_other_errors_propagate():
    def overflow(config, rng):
        raise FloatingPointError("overflow in matmul")

    run = run_config(RunConfig("rtrl", 0.1), overflow, seed=0, window=5)
    assert run.status == "diverged" and run.loss.size == 0 and "FloatingPointError" in run.message

    def bug(config, rng):
        raise KeyError("typo")

    with pytest.raises(KeyError):
        run_config(RunConfig("rtrl", 0.1), bug, seed=0, window=5)


def test_an_interrupted_run_is_refused():
    def interrupted(config, rng):
        return SimpleNamespace(losses=np.ones(3), status="interrupted", stopped_at=3, message="")

    with pytest.raises(RuntimeError, match="interrupted"):
        run_config(RunConfig("rtrl", 0.1), interrupted, seed=0, window=1)


def test_same_seed_gives_same_results_and_replicates_are_spawned_streams():
    a = run_sweep(SPEC.configs(), fake_run, seed=11, window=5)
    b = run_sweep(SPEC.configs(), fake_run, seed=11, window=5)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.loss, y.loss)
    c = run_sweep(SPEC.configs(), fake_run, seed=12, window=5)
    assert not np.array_equal(a[0].loss, c[0].loss)
    # replicate r uses child r of SeedSequence(seed).spawn(), not seed + r
    child = np.random.SeedSequence(11).spawn(2)[1]
    assert a[6].seed == {"entropy": 11, "spawn_key": [1]}
    expected = fake_run(SPEC.configs()[6], np.random.default_rng(child))
    np.testing.assert_array_equal(a[6].loss, expected.losses.reshape(4, 5).mean(axis=1))
    assert not np.array_equal(
        replicate_seed(11, 1).generate_state(4), np.random.SeedSequence(12).generate_state(4)
    )


def test_configurations_of_one_replicate_share_their_stream():
    runs = run_sweep(SPEC.configs(), fake_run, seed=5, window=20)
    # fake_run's loss is eta0 (1 + tau) (1 + U) with U from the replicate's stream: dividing out
    # the configuration leaves the same draws for every configuration of a replicate.
    draws = [r.loss / (r.config.eta0 * (1 + (r.config.tau or 0))) for r in runs]
    for d in draws[1:6]:
        np.testing.assert_allclose(d, draws[0], rtol=1e-14)  # same draws, float rounding only
    assert not np.allclose(draws[6], draws[0])


def test_sweep_to_arrays_pads_with_nan():
    def short_for_tbptt(config, rng):
        if config.algo == "tbptt":
            return SimpleNamespace(
                losses=np.ones(7), status="diverged", stopped_at=7, message="diverged"
            )
        return fake_run(config, rng)

    runs = run_sweep(SPEC.configs()[:3], short_for_tbptt, seed=0, window=5)
    arr = sweep_to_arrays(runs)
    assert arr["loss"].shape == (3, 4)
    assert list(arr["algo"]) == ["rtrl", "tbptt", "tbptt"]
    assert list(arr["tau"]) == [0, 1, 5]
    assert list(arr["stopped_at"]) == [-1, 7, 7]
    # 7 steps, window 5: one complete window and the partial one ending at the divergence
    np.testing.assert_array_equal(arr["steps"][1], [0, 5, np.nan, np.nan])
    assert np.isnan(arr["loss"][1, 2:]).all() and np.isfinite(arr["loss"][0]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"algo": "bptt", "eta0": 0.1}, "algo"),
        ({"algo": "tbptt", "eta0": 0.1}, "tau"),
        ({"algo": "rtrl", "eta0": 0.1, "tau": 3}, "tau"),
        ({"algo": "rtrl", "eta0": -1.0}, "eta0"),
        ({"algo": "rtrl", "eta0": 0.1, "replicate": -1}, "replicate"),
    ],
)
def test_run_config_errors_name_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        RunConfig(**kwargs)


def test_run_sweep_errors_name_the_argument():
    c = RunConfig("rtrl", 0.1)
    with pytest.raises(ValueError, match="duplicate"):
        run_sweep([c, c], fake_run, seed=0, window=5)
    with pytest.raises(TypeError, match="seed"):
        run_sweep([c], fake_run, seed=1.5, window=5)
    with pytest.raises(TypeError, match="options"):
        RunConfig("rtrl", 0.1, options={"x": object()})
    with pytest.raises(ValueError, match="no run"):
        SweepSpec((0.1,), (), include_rtrl=False)
