"""``rtrl_theory.setups``: the experiments as library objects (issue 16, item 1).

Truth: the scalar form ``rtrl_theory.bounds.check_assumptions`` (for the object form's plumbing),
the definitions of the set-ups (c_f = 0.5 / N by default), and reproducibility (same seed, same
bits). The CLI's JSON records built from these objects are tested in test_contraction_cli and
test_trainer_optimizers / test_real_data_cli.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory import bounds
from rtrl_theory.cells import PaperRNN
from rtrl_theory.data import ExampleChain
from rtrl_theory.runners import PowerSchedule
from rtrl_theory.setups import (
    ContractionExperiment,
    PaperConfig,
    PaperSetup,
    check_assumptions,
)


def test_object_form_passes_every_constant_to_the_scalar_form():
    # distinct values everywhere, so a swapped or dropped constant changes the report
    model = PaperRNN(5, 3, c_f=0.07, c_g=1.3, bounded_map="sigmoid")
    chain = ExampleChain(3, 0.35, 0.8)
    sched = PowerSchedule(0.2, 50.0, 0.8)
    got = check_assumptions(model, chain, sched).to_dict()
    want = bounds.check_assumptions(5, 3, 0.07, 1.3, "sigmoid", 0.35, chain.C_x, sched).to_dict()
    assert got == want
    other = bounds.check_assumptions(5, 3, 0.07, 1.3, "sigmoid", 0.5, chain.C_x, sched).to_dict()
    assert got != other  # lam reaches the report: the comparison above can fail


def test_paper_setup_builds_the_documented_defaults_reproducibly():
    a = PaperSetup.build(PaperConfig(n_hidden=3), rng=7)
    b = PaperSetup.build(PaperConfig(n_hidden=3), rng=7)
    c = PaperSetup.build(PaperConfig(n_hidden=3), rng=8)
    assert a.model.c_f == 0.5 / 3 and a.model.n_input == 2
    assert a.joint is not None and a.assumptions.hypotheses_hold
    assert np.array_equal(a.model.flatten(a.params), b.model.flatten(b.params))
    assert not np.array_equal(a.model.flatten(a.params), c.model.flatten(c.params))
    assert PaperSetup.build(PaperConfig(), rng=0, joint=False).joint is None


def test_contraction_experiment_is_reproducible_and_reports_its_verdict():
    exp = ContractionExperiment(PaperConfig(n_hidden=3), seed=3, particles=40, steps=12,
                                coupling="synchronous")
    r1, r2 = exp.run(), exp.run()
    assert r1.rows["synchronous"]["rate"] == r2.rows["synchronous"]["rate"]
    row = r1.rows["synchronous"]
    assert row["consistent_with_rho_bar"] == (row["rate"] <= r1.rho_bar)
    assert r1.ok == (row["consistent_with_rho_bar"] is not False)
    rec = r1.to_dict()
    assert rec["schema"] == "rtrl-theory/contraction/1" and rec["config"]["particles"] == 40
    assert "rho_bar = max(lam, rho)" in r1.format()
