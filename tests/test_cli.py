"""The command line: help, verify exit codes and reports, train records."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rtrl_theory.cli import main


def test_help_lists_the_subcommands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "verify" in out and "train" in out


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "rtrl_theory", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: rtrl-theory" in proc.stdout


def test_verify_writes_json_and_markdown(tmp_path, capsys):
    js, md = tmp_path / "v.json", tmp_path / "v.md"
    code = main(
        [
            "verify",
            "--quick",
            "--only",
            "eq-2.20",
            "lemma-3.5",
            "--json",
            str(js),
            "--markdown",
            str(md),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "eq-2.20" in out and "PASS" in out
    data = json.loads(js.read_text())
    assert [r["id"] for r in data["results"]] == ["eq-2.20", "lemma-3.5"]
    assert data["n_failed"] == 0 and data["mode"] == "quick"
    assert "| eq-2.20 |" in md.read_text()


def test_verify_exits_nonzero_when_a_check_fails(monkeypatch, capsys):
    from rtrl_theory import bounds

    orig = bounds.apriori_bounds
    monkeypatch.setattr(
        bounds,
        "apriori_bounds",
        lambda m, c: type(orig(m, c))(*(v / 20 for v in vars(orig(m, c)).values())),
    )
    assert main(["verify", "--only", "lemma-3.5"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_verify_unknown_id_is_a_usage_error(capsys):
    assert main(["verify", "--only", "nope"]) == 2
    assert "unknown check id" in capsys.readouterr().err


@pytest.mark.parametrize("algo", ["rtrl", "tbptt"])
def test_train_writes_a_complete_json_record(tmp_path, capsys, algo):
    out = tmp_path / "run.json"
    extra = ["--tau", "4"] if algo == "tbptt" else []
    code = main(
        [
            "train",
            "--algo",
            algo,
            *extra,
            "--steps",
            "400",
            "--seed",
            "3",
            "--out",
            str(out),
            "--no-progress",
            "--n-hidden",
            "3",
        ]
    )
    assert code == 0
    rec = json.loads(out.read_text())
    assert rec["status"] == "completed" and rec["seed"] == 3 and rec["n_steps_run"] == 400
    assert rec["config"]["model"]["n_hidden"] == 3 and rec["config"]["algo"] == algo
    assert "numpy" in rec["versions"] and len(rec["losses"]["mean"]) > 0
    assert len(rec["final_params"]) == 3 + 3 * 2 + 9
    assert not list(tmp_path.glob(".run.json.*"))  # no temporary file left behind


def test_train_refuses_non_robbins_monro_schedule(tmp_path, capsys):
    code = main(["train", "--steps", "10", "--gamma", "0.3", "--out", str(tmp_path / "r.json")])
    assert code == 2
    assert "Assumption 2.14" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_train_records_divergence_with_exit_status_3(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(
        [
            "train",
            "--steps",
            "2000",
            "--eta0",
            "1e6",
            "--out",
            str(out),
            "--no-progress",
            "--backend",
            "numpy",
            # the growth rules off: this test is about overflow (test_faults.py tests growth)
            "--divergence-theta-bound",
            "inf",
            "--divergence-loss-factor",
            "inf",
        ]
    )
    assert code == 3
    rec = json.loads(out.read_text())
    assert rec["status"] == "diverged" and rec["stopped_at"] is not None
    assert "non-finite" in rec["message"]


def test_train_rejects_bad_model_arguments(tmp_path, capsys):
    assert main(["train", "--bounded-map", "relu", "--out", str(tmp_path / "r.json")]) == 2
    assert "bounded_map: unknown bounded map 'relu'" in capsys.readouterr().err
