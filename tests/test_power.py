"""The power of the verification checks (rtrl_theory.checks._power, ``verify --power``).

Truth sources: the harness is tested on a tiny fake package of checks whose outcomes are known
by construction (a mutant that changes the constant the check reads is caught, one that patches
an object the check never reads is missed, one declared uncatchable is listed with its why, one
that makes the check raise is a crash, not a catch). The real checks' mutants are each designed
to make the check's claim false on its configuration; the tests assert that the check sees it.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from rtrl_theory.checks import (
    CheckResult,
    Mutant,
    discover,
    format_power_table,
    power_from_json,
    power_summary,
    power_to_json,
    run_checks,
    run_power,
)
from rtrl_theory.cli import main

REGISTRY = discover()

#: The check modules of this branch's owner (symbolic, derivative, text and refutation rows).
OWNED = (
    "lemma-2.9",
    "eq-2.20",
    "sec-2.4",
    "assumption-2.10",
    "lemma-3.5",
    "lemma-3.7",
    "appendix-b",
    "note-9.1",
    "note-9.2",
    "note-9.3",
    "note-9.4",
    "note-9.5",
    "thm-6.1",
)
#: Owned checks whose power run takes a few seconds or less (the default test run); the others
#: (lemma-2.9 ~10 s, eq-2.20 ~7 s, lemma-3.7 ~5 s, assumption-2.10 ~24 s, sec-2.4 ~45 s, thm-6.1
#: minutes, measured on a loaded 2-core machine) run with -m slow.
CHEAP = (
    "lemma-3.5",
    "appendix-b",
    "note-9.1",
    "note-9.2",
    "note-9.3",
)


# -- the harness on a fake package ---------------------------------------------------------------

FAKE_LIB = """
LIMIT = 1.0
UNUSED = 0.0
"""

FAKE_CHECK = """
from contextlib import ExitStack
from unittest import mock

import fakelib_power
from rtrl_theory.checks import CheckResult, Mutant

ID = "fake-1"
STATEMENT = "0.5 <= LIMIT"


def check(quick=True, seed=0):
    if fakelib_power.LIMIT < 0:
        raise RuntimeError("negative limit")
    ok = 0.5 <= fakelib_power.LIMIT
    return CheckResult(ID, STATEMENT, "0.5 <= LIMIT", str(fakelib_power.LIMIT), "compare",
                       "pass" if ok else "fail", "" if ok else "LIMIT too small")


MUTANTS = (
    Mutant("limit-quartered", "LIMIT / 4", lambda: mock.patch.object(fakelib_power, "LIMIT", 0.25)),
    Mutant("unused-changed", "an object the check never reads",
           lambda: mock.patch.object(fakelib_power, "UNUSED", 9.0)),
    Mutant("limit-tiny-change", "LIMIT - 1e-3", lambda: mock.patch.object(fakelib_power, "LIMIT", 0.999),
           catchable=False, why_not="the claim 0.5 <= LIMIT still holds"),
    Mutant("limit-negative", "makes the check raise",
           lambda: mock.patch.object(fakelib_power, "LIMIT", -1.0)),
    Mutant("bad-patch", "patches an attribute that does not exist",
           lambda: mock.patch.object(fakelib_power, "NO_SUCH", 1.0)),
)
"""

FAKE_NOTE = """
from rtrl_theory.checks import CheckResult

ID = "fake-2"
STATEMENT = "a text row"


def check(quick=True):
    return CheckResult(ID, STATEMENT, "", "", "", "note")
"""


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    pkg = tmp_path / "fakechecks_power"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "fake_one.py").write_text(textwrap.dedent(FAKE_CHECK))
    (pkg / "fake_two.py").write_text(textwrap.dedent(FAKE_NOTE))
    (tmp_path / "fakelib_power.py").write_text(FAKE_LIB)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "fakechecks_power"
    import sys

    # plain del: monkeypatch.delitem would restore the modules when it is undone
    for name in [m for m in sys.modules if m.startswith(("fakechecks_power", "fakelib_power"))]:
        del sys.modules[name]


def test_harness_counts_caught_missed_uncatchable_and_crashed(fake_package):
    rows = run_power(package=fake_package)
    assert [r.check_id for r in rows] == ["fake-1", "fake-2"]
    one, two = rows
    fate = {o.mutant: o for o in one.outcomes}
    assert one.baseline_status == "pass"
    assert fate["limit-quartered"].caught and fate["limit-quartered"].status == "fail"
    assert not fate["unused-changed"].caught and fate["unused-changed"].status == "pass"
    assert not fate["limit-tiny-change"].caught and not fate["limit-tiny-change"].catchable
    # a crash is a failure of the check's code, not a catch of a false claim
    assert fate["limit-negative"].crashed and not fate["limit-negative"].caught
    # a patch that cannot be applied is a crash too, and the run goes on
    assert (
        fate["bad-patch"].crashed
        and "mutant patch raised AttributeError" in fate["bad-patch"].reason
    )
    assert (one.n_tried, one.n_caught, one.share) == (5, 1, 0.2)
    assert two.outcomes == ()
    s = power_summary(rows)
    assert s["n_mutants"] == 5 and s["n_caught"] == 1 and s["n_catchable"] == 4
    assert s["missed"] == ["fake-1/unused-changed", "fake-1/limit-negative", "fake-1/bad-patch"]
    assert s["uncatchable"] == ["fake-1/limit-tiny-change"]
    assert s["crashed"] == ["fake-1/limit-negative", "fake-1/bad-patch"]
    assert s["checks_without_mutants"] == ["fake-2"]
    table = format_power_table(rows)
    assert "1 of 5 mutants caught (20.0%)" in table
    assert "missed fake-1/unused-changed: an object the check never reads" in table
    assert "uncatchable fake-1/limit-tiny-change: the claim 0.5 <= LIMIT still holds" in table
    assert "crashed fake-1/limit-negative" in table and "negative limit" in table
    assert "a note row" in table
    # the patches were undone: the library is intact after the run
    import fakelib_power

    assert fakelib_power.LIMIT == 1.0 and fakelib_power.UNUSED == 0.0


def test_power_json_is_strict_json_and_round_trips(fake_package):
    rows = run_power(package=fake_package)
    data = json.loads(json.dumps(power_to_json(rows, quick=True, seed=3), allow_nan=False))
    assert data["seed"] == 3 and data["summary"]["share_caught"] == 0.2
    assert data["checks"][1]["share"] is None
    back = power_from_json(data)
    assert [(r.check_id, r.n_tried, r.n_caught) for r in back] == [
        (r.check_id, r.n_tried, r.n_caught) for r in rows
    ]
    with pytest.raises(ValueError, match="not a power table"):
        power_from_json({"checks": [{"id": "x"}]})


def test_a_failing_baseline_is_listed_and_its_mutants_not_run(fake_package):
    import fakelib_power

    fakelib_power.LIMIT = 0.1  # the check fails as it is (module reloaded by the fixture)
    try:
        (row, _) = run_power(package=fake_package)
    finally:
        fakelib_power.LIMIT = 1.0
    assert row.baseline_status == "fail" and row.n_caught == 0
    assert {o.status for o in row.outcomes} == {"not run"}
    assert power_summary([row])["baseline_failed"] == ["fake-1"]
    assert "its mutants were not run" in format_power_table([row])


def test_mutant_without_why_not_is_rejected():
    with pytest.raises(ValueError, match="why_not"):
        Mutant("x", "y", lambda: None, catchable=False)


def test_seed_is_validated_before_any_run():
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="seed: expected a non-negative integer"):
            run_checks(["appendix-b"], seed=bad)
        with pytest.raises(ValueError, match="seed: expected a non-negative integer"):
            run_power(["appendix-b"], seed=bad)


@pytest.mark.parametrize("bad", ["-1", "x", "1.5"])
def test_cli_seed_must_be_a_non_negative_integer(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--only", "appendix-b", "--seed", bad])
    assert exc.value.code == 2
    assert "--seed: expected a non-negative integer" in capsys.readouterr().err


# -- the CLI -------------------------------------------------------------------------------------


def test_cli_verify_power_prints_the_table_and_writes_json(tmp_path, capsys):
    js = tmp_path / "power.json"
    code = main(["verify", "--power", "--only", "appendix-b", "note-9.2", "--json", str(js)])
    assert code == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "appendix-b" in out and "note-9.2" in out and "refuted" in out
    assert "4 of 4 mutants caught (100.0%)" in out
    assert "b5-wrong-denominator: caught (fail)" in out
    # not a terminal: plain progress lines with each run's time
    assert "running appendix-b / b6-off-by-one ..." in captured.err
    assert "appendix-b: pass in" in captured.err
    data = json.loads(js.read_text())
    assert data["summary"]["n_caught"] == 4 and data["mode"] == "quick"


def test_cli_verify_power_exits_1_on_a_missed_mutant(monkeypatch, capsys):
    from unittest import mock

    mod = REGISTRY["note-9.2"]
    idle = Mutant("idle", "changes nothing the check reads", lambda: mock.patch.dict({}, {}))
    monkeypatch.setattr(mod, "MUTANTS", (*mod.MUTANTS, idle))
    assert main(["verify", "--power", "--only", "note-9.2"]) == 1
    assert "missed note-9.2/idle" in capsys.readouterr().out


def test_cli_verify_prints_counts_per_status_and_times(capsys):
    assert main(["verify", "--only", "appendix-b", "note-9.2", "note-9.4"]) == 0
    captured = capsys.readouterr()
    assert "1 pass, 0 fail, 1 refuted, 1 note" in captured.out
    assert "note-9.2: refuted in" in captured.err


def test_table_width_follows_the_given_width():
    from rtrl_theory.checks import format_table

    long = " ".join(["word"] * 60)
    r = [CheckResult("x-1", long, long, long, "m", "pass", seconds=1.0)]
    for width in (80, 120, 200):
        lines = format_table(r, width=width).splitlines()
        assert max(len(line) for line in lines) <= width
    default = format_table(r).splitlines()
    assert max(len(x) for x in default) > 120  # without a width: the fixed default widths


# -- the real checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("cid", [c for c in OWNED if c not in ("note-9.4", "note-9.5")])
def test_every_owned_pass_or_refuted_check_declares_two_mutants(cid):
    mutants = REGISTRY[cid].MUTANTS
    assert len(mutants) >= 2 and all(isinstance(m, Mutant) for m in mutants)
    assert len({m.name for m in mutants}) == len(mutants)


@pytest.mark.parametrize("cid", ["note-9.4", "note-9.5"])
def test_text_rows_are_notes_without_mutants(cid):
    assert REGISTRY[cid].check().status == "note" and REGISTRY[cid].MUTANTS == ()


def _params():
    out = []
    for cid in OWNED:
        if cid in ("note-9.4", "note-9.5"):
            continue
        marks = () if cid in CHEAP else (pytest.mark.slow,)
        out.append(pytest.param(cid, marks=marks, id=cid))
    return out


@pytest.mark.parametrize("cid", _params())
def test_run_power_catches_every_catchable_mutant(cid):
    (row,) = run_power([cid], quick=True)
    assert row.baseline_status in ("pass", "refuted")
    for o in row.outcomes:
        assert not o.crashed, f"{o.mutant} crashed the check: {o.reason}"
        if o.catchable:
            assert o.caught, f"{cid}/{o.mutant} missed: {o.description}"
        else:
            assert o.why_not


def _registry_params():
    return [pytest.param(cid, id=cid) for cid in REGISTRY]


def _status_without_running(cid):
    # note rows are recognised by their (cheap) check; every other row claims pass or refuted.
    mod = REGISTRY[cid]
    if cid.startswith("note-9.") and not getattr(mod, "MUTANTS", None):
        return mod.check(quick=True).status
    return None


@pytest.mark.parametrize("cid", _registry_params())
def test_every_pass_check_declares_two_mutants(cid):
    if _status_without_running(cid) == "note":
        pytest.skip("a note row (text): nothing computed to make false")
    mutants = getattr(REGISTRY[cid], "MUTANTS", ())
    assert len(mutants) >= 2, f"{cid} declares {len(mutants)} mutants"


# -- benchmarks/false_failures.py ----------------------------------------------------------------

SEEDED_CHECK = """
from rtrl_theory.checks import CheckResult

ID = "seeded-1"
STATEMENT = "fails at odd seeds"


def check(quick=True, seed=0):
    return CheckResult(ID, STATEMENT, "", "", "", "fail" if seed % 2 else "pass", "odd")
"""


def test_false_failure_benchmark_counts_fails_per_seed(fake_package, tmp_path):
    import importlib.util
    from pathlib import Path

    (tmp_path / fake_package / "seeded.py").write_text(textwrap.dedent(SEEDED_CHECK))
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "false_failures.py"
    spec = importlib.util.spec_from_file_location("false_failures_bench", path)
    ff = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ff)
    rates = ff.false_failures(n_seeds=6, package=fake_package)
    # fake-1 takes a seed too; fake-2 (no seed) is left out
    assert set(rates) == {"fake-1", "seeded-1"}
    r = rates["seeded-1"]
    assert (r["n_fail"], r["share_fail"]) == (3, 0.5)
    assert r["statuses"] == ["pass", "fail"] * 3 and set(r["fail_reasons"]) == {1, 3, 5}
    lo, hi = r["wilson95"]
    assert lo < 0.5 < hi
    # Wilson interval: 0 of 20 gives the textbook upper limit 0.1611 (z = 1.96)
    assert abs(ff.wilson_interval(0, 20)[1] - 0.16113) < 1e-4
    assert "seeded-1" in ff.format_rates(rates)
    with pytest.raises(ValueError, match="take no seed"):
        ff.seeded_checks(["fake-2"], package=fake_package)
    with pytest.raises(ValueError, match="n_seeds"):
        ff.false_failures(n_seeds=0, package=fake_package)
