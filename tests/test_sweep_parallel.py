"""run_sweep's parallel backends (joblib processes, a Dask cluster) give the sequential records.

The truth is the sequential backend: a run's randomness is its replicate's SeedSequence
(``replicate_seed``), so where it runs must not change a single bit of its record.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from rtrl_theory import LinearSDE
from rtrl_theory.data import linear_sde_teacher
from rtrl_theory.runners import PowerSchedule, SweepSpec, run_sweep, train_online

joblib = pytest.importorskip("joblib")
cloudpickle = pytest.importorskip("cloudpickle")

# The workers cannot import this test module (pytest puts tests/ on sys.path of this process
# only): ship its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

N, D, STEPS, WINDOW = 3, 2, 120, 20
# eta0 = 3 makes RMSprop blow the linear model up: a diverged record must travel unchanged too.
SPEC = SweepSpec((1e-2, 3.0), (1, 4), n_replicates=2)


def train_small(config, rng):
    """A small Section 7 run: linear-SDE teacher and student, RMSprop, mini-batch of 2."""
    r_teacher, r_init, r_data = rng.spawn(3)
    teacher = linear_sde_teacher(N, D, r_teacher, dt=0.1)
    model = LinearSDE(N, D, dt=0.1)
    return train_online(
        model,
        model.init_params(r_init),
        teacher.process(1.0),
        STEPS,
        schedule=PowerSchedule(config.eta0, 10.0, 0.5),
        algo=config.algo,
        tau=config.tau,
        optimizer="rmsprop",
        batch_size=2,
        rng=r_data,
        allow_non_robbins_monro=True,  # RMSprop's decay (as in paper_figures/_section7)
    )


def fields(runs):
    """Everything of a record but its wall time and cache flag."""
    return [
        (
            r.config,
            r.seed,
            r.status,
            r.stopped_at,
            r.n_steps_run,
            r.window,
            r.steps.tobytes(),
            r.loss.tobytes(),  # bytes: NaN == NaN and -0.0 != 0.0, i.e. bitwise
            r.message,
        )
        for r in runs
    ]


@pytest.fixture(scope="module")
def sequential():
    return run_sweep(SPEC.configs(), train_small, seed=11, window=WINDOW)


def test_the_grid_has_completed_and_diverged_runs(sequential):
    statuses = {r.status for r in sequential}
    assert statuses == {"completed", "diverged"}


def test_joblib_processes_give_the_sequential_records_bitwise(sequential):
    runs = run_sweep(SPEC.configs(), train_small, seed=11, window=WINDOW, n_jobs=2)
    assert fields(runs) == fields(sequential)


def test_parallel_runs_are_cached_by_the_parent_and_resume(sequential, tmp_path):
    configs = SPEC.configs()
    half = run_sweep(configs[:3], train_small, seed=11, window=WINDOW, cache_dir=tmp_path)
    assert not any(r.from_cache for r in half)
    runs = run_sweep(
        configs, train_small, seed=11, window=WINDOW, cache_dir=tmp_path, backend="joblib"
    )
    assert [r.from_cache for r in runs] == [True] * 3 + [False] * (len(configs) - 3)
    assert len(list(tmp_path.glob("*.json"))) == len(configs)  # every run written
    again = run_sweep(configs, train_small, seed=11, window=WINDOW, cache_dir=tmp_path)
    assert all(r.from_cache for r in again)
    assert fields(again) == fields(runs) == fields(sequential)


def test_backend_arguments_are_checked():
    configs = SPEC.configs()[:1]
    with pytest.raises(ValueError, match="n_jobs"):
        run_sweep(configs, train_small, seed=0, window=5, n_jobs=2, backend="sequential")
    with pytest.raises(ValueError, match="n_jobs"):
        run_sweep(configs, train_small, seed=0, window=5, n_jobs=0)
    with pytest.raises(ValueError, match="backend"):
        run_sweep(configs, train_small, seed=0, window=5, backend="threads")
    with pytest.raises(ValueError, match="dask_scheduler"):
        run_sweep(configs, train_small, seed=0, window=5, backend="dask")
    with pytest.raises(ValueError, match="dask_scheduler"):
        run_sweep(configs, train_small, seed=0, window=5, backend="joblib", dask_scheduler="x")


# About 2 s (cluster start-up included): kept in the default run, as CI must cover the Dask path.
def test_dask_local_cluster_gives_the_sequential_records_bitwise(sequential, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        runs = run_sweep(
            SPEC.configs(),
            train_small,
            seed=11,
            window=WINDOW,
            dask_scheduler=address,
            cache_dir=tmp_path,
        )
    assert fields(runs) == fields(sequential)
    assert len(list(tmp_path.glob("*.json"))) == len(runs)  # the parent wrote the records
    assert np.isfinite(runs[0].loss).all()
