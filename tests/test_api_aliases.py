"""One way to flatten parameters: ``model.flatten(params, name)``; ``as_flat`` is a deprecated alias.

Truth: the canonical method itself (the alias must return the same vector, bit for bit, and warn),
and the trainer's backend names come from the engine's single ``BACKENDS``.
"""

from __future__ import annotations

import numpy as np
import pytest

from rtrl_theory import ElmanRNN, LinearSDE, PaperRNN


@pytest.mark.parametrize(
    "model", [PaperRNN(3, 2), ElmanRNN(3, 2), ElmanRNN(3, 2, bias=False), LinearSDE(3, 2)]
)
def test_as_flat_warns_and_equals_flatten(model):
    params = model.init_params(np.random.default_rng(0))
    theta = model.flatten(params)
    assert theta.shape == (model.n_params,)
    with pytest.warns(DeprecationWarning, match="flatten"):
        alias = model.as_flat(params)
    np.testing.assert_array_equal(alias, theta)


def test_flatten_checks_and_names_the_argument():
    model = PaperRNN(3, 2)
    with pytest.raises(ValueError, match="theta0"):
        model.flatten(np.zeros(model.n_params + 1), "theta0")
    with pytest.raises(ValueError, match="params"):
        model.flatten(PaperRNN(4, 2).init_params(0))


def test_backends_defined_once():
    from rtrl_theory import engine, runners

    assert runners.BACKENDS is engine.BACKENDS


@pytest.mark.parametrize("model", [PaperRNN(3, 2), ElmanRNN(3, 2), LinearSDE(3, 2)])
def test_params_flat_warns_and_equals_flatten(model):
    params = model.init_params(np.random.default_rng(1))
    with pytest.warns(DeprecationWarning, match="model.flatten"):
        alias = params.flat()
    np.testing.assert_array_equal(alias, model.flatten(params))


# Names that left a subpackage's face (issue 16, item 3): the old spelling still works for one
# release, warns, and gives the very object of the new home. Truth: identity (`is`) with the
# object imported from its canonical module, and the warning naming that module.
MOVED = [
    ("rtrl_theory.cells", "SecondOrderPieces", "rtrl_theory.cells.seam"),
    ("rtrl_theory.cells", "HeadDerivatives", "rtrl_theory.cells.seam"),
    ("rtrl_theory.cells", "INPUT_KINDS", "rtrl_theory.cells._gru"),
    ("rtrl_theory.cells", "as_index_array", "rtrl_theory.cells._softmax"),
    ("rtrl_theory.engine", "rtrl_sequence_fast", "rtrl_theory.engine._numba"),
    ("rtrl_theory.engine", "advance_particles_fast", "rtrl_theory.engine._numba_particles"),
    ("rtrl_theory.engine", "text_fast_supported", "rtrl_theory.engine._numba_text"),
    ("rtrl_theory.engine", "fast_path_supported", "rtrl_theory.engine._exact"),
    ("rtrl_theory.runners", "write_json_atomic", "rtrl_theory._outputs"),
    ("rtrl_theory.runners", "environment_info", "rtrl_theory._outputs"),
    ("rtrl_theory.runners", "CHECKPOINT_SCHEMA", "rtrl_theory.runners._checkpoint"),
    ("rtrl_theory.optim", "optimizer_record", "rtrl_theory.optim._optimizers"),
    ("rtrl_theory.data", "sha256_of", "rtrl_theory.data._datadir"),
    ("rtrl_theory.estimators", "w1_floor", "rtrl_theory.estimators._wasserstein"),
    ("rtrl_theory.estimators", "fit_geometric_rate", "rtrl_theory.estimators._rates"),
    ("rtrl_theory.estimators", "kr_lower_bound", "rtrl_theory.estimators._couplings"),
    ("rtrl_theory.estimators", "log_log_slope", "rtrl_theory.estimators._convergence"),
    ("rtrl_theory.estimators", "loss_bias_curve", "rtrl_theory.estimators._limits"),
    ("rtrl_theory.estimators", "time_vs_ensemble", "rtrl_theory.estimators._stationary"),
    ("rtrl_theory.online", "train_online_estimator", "rtrl_theory.online._train"),
    ("rtrl_theory.online", "limit_floor", "rtrl_theory.online._limit"),
    ("rtrl_theory.online", "snap_pattern", "rtrl_theory.online._snap"),
    ("rtrl_theory.oracles", "solve_stein", "rtrl_theory.oracles._lyapunov"),
    ("rtrl_theory.oracles", "linear_joint_system", "rtrl_theory.oracles._linear_sde"),
    ("rtrl_theory.symbolic", "solve_linear_recurrence", "rtrl_theory.symbolic._bounds"),
    ("rtrl_theory.symbolic", "derive_sup", "rtrl_theory.symbolic._sigmoid"),
    ("rtrl_theory.symbolic", "build_symbolic_rnn", "rtrl_theory.symbolic._recursions"),
    ("rtrl_theory.checks", "clear_caches", "rtrl_theory.checks._power"),
    ("rtrl_theory.checks", "status_counts", "rtrl_theory.checks._runner"),
    ("rtrl_theory.bounds", "lifted_chain_report", "rtrl_theory.bounds._lifted"),
]


@pytest.mark.parametrize(("package", "name", "home"), MOVED)
def test_moved_name_warns_and_is_the_same_object(package, name, home):
    import importlib

    pkg = importlib.import_module(package)
    assert name not in pkg.__all__
    with pytest.warns(DeprecationWarning, match=home.replace(".", r"\.")):
        old = getattr(pkg, name)
    assert old is getattr(importlib.import_module(home), name)


def test_from_import_of_moved_name_warns():
    with pytest.warns(DeprecationWarning, match="write_json_atomic"):
        from rtrl_theory.runners import write_json_atomic  # noqa: F401


def test_unknown_name_is_still_an_attribute_error():
    import rtrl_theory.engine as engine

    with pytest.raises(AttributeError, match="no_such_name"):
        engine.no_such_name  # noqa: B018


def test_seam_namespace_is_complete_and_shared_with_cells():
    import rtrl_theory.cells as cells
    from rtrl_theory.cells import seam

    for name in seam.__all__:
        obj = getattr(seam, name)
        if name in cells.__all__:
            assert getattr(cells, name) is obj
    # the README's "add a cell" names stay on the cells face
    for name in ("Cell", "ParamBlock", "RowLocalTerm", "CompiledCell", "CompiledTerm",
                 "StateSliceHead", "Linearization", "StateJacobian", "IndexedRowLocalTerm"):
        assert name in cells.__all__ and name in seam.__all__


def _moved_tables():
    import rtrl_theory.estimators as est
    import rtrl_theory.symbolic as sym

    return [(pkg.__name__, name, f"{pkg.__name__}.{mod}") for pkg in (est, sym)
            for name, mod in pkg._MOVED.items()]


@pytest.mark.parametrize(("package", "name", "home"), _moved_tables())
def test_every_moved_estimator_and_symbolic_name_warns_and_is_the_same_object(package, name, home):
    # The whole tables of the two largest faces (36 + 15 names), each against its home module.
    test_moved_name_warns_and_is_the_same_object(package, name, home)
