"""``rtrl-theory train --data shakespeare|lob|lob-synthetic``: records, data errors, resume.

The real files are read from ../shared/data (or $RTRL_THEORY_DATA); tests that need them skip
when they are absent. Missing and altered files are made in tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from rtrl_theory.cli import main

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SHAKESPEARE = "shakespeare/tinyshakespeare.txt"
LOB_FILES = (
    "lobster/AMZN_2012-06-21_34200000_57600000_message_1.csv",
    "lobster/AMZN_2012-06-21_34200000_57600000_orderbook_1.csv",
)


def _data_dir() -> Path:
    env = os.environ.get("RTRL_THEORY_DATA")
    return Path(env) if env else SHARED


def _need(*relpaths):
    for rel in relpaths:
        if not (_data_dir() / rel).is_file():
            pytest.skip(f"data file {rel} not in {_data_dir()} (set RTRL_THEORY_DATA)")


def _train(tmp_path, *args):
    out = tmp_path / "run.json"
    # --overwrite: several tests write their runs one after the other to the same record
    code = main(["train", *args, "--out", str(out), "--no-progress", "--overwrite"])
    rec = json.loads(out.read_text()) if out.exists() else None
    return code, rec


COMMON_KEYS = {
    "schema",
    "seed",
    "config",
    "versions",
    "python",
    "status",
    "n_steps_run",
    "losses",
    "grad_norm",
    "param_path",
    "final_params",
    "heldout",
    "heldout_curve",
}


def test_shakespeare_record(tmp_path):
    _need(SHAKESPEARE)
    code, rec = _train(
        tmp_path,
        *("--data", "shakespeare", "--data-dir", str(_data_dir()), "--cell", "elman-tanh"),
        *("--n-hidden", "5", "--steps", "300", "--eval-every", "150", "--seed", "2"),
    )
    assert code == 0
    assert COMMON_KEYS <= set(rec) and "losses_bits" in rec
    assert rec["config"]["data"]["kind"] == "shakespeare"
    assert rec["config"]["data"]["n_train_chars"] == 1_003_854
    assert rec["config"]["model"] == {
        "name": "char-rnn",
        "cell": "elman-tanh",
        "n_hidden": 5,
        "n_vocab": 65,
        "n_params": 65 * 5 + 65 + 5 * 65 + 25 + 5,
    }
    assert rec["config"]["optimizer"] == "rmsprop" and rec["config"]["rmsprop_beta"] == 0.999
    assert rec["n_steps_run"] == 300 and rec["seed"] == 2
    bpc = rec["heldout"]["heldout_bits_per_char"]
    assert 3.0 < bpc < 7.0  # untrained: about log2(65) = 6.02
    assert [c["step"] for c in rec["heldout_curve"]] == [150, 300]
    np.testing.assert_allclose(
        rec["losses_bits"]["mean"], np.array(rec["losses"]["mean"]) / np.log(2.0)
    )


@pytest.mark.parametrize("algo", ["rtrl", "tbptt"])
def test_lob_record_has_metrics_baselines_and_balance(tmp_path, algo):
    _need(*LOB_FILES)
    tau = ["--tau", "10"] if algo == "tbptt" else []
    code, rec = _train(tmp_path, "--data", "lob", "--algo", algo, *tau, "--steps", "1500")
    assert code == 0
    assert COMMON_KEYS <= set(rec)
    assert rec["config"]["data"]["n_train"] == 40_259 and rec["config"]["data"]["n_test"] == 17_255
    h = rec["heldout"]
    assert 0.0 < h["accuracy"] <= 1.0 and h["cross_entropy"] > 0 and h["n"] == 17_255
    assert set(h["per_class"]) == {"down", "unchanged", "up"}
    assert set(rec["baselines"]) == {"prior", "logistic_imbalance", "logistic_both"}
    assert rec["baselines"]["prior"]["accuracy"] == pytest.approx(0.5732, abs=1e-4)
    assert sum(rec["class_balance"]["test"]) == pytest.approx(1.0)


def test_lob_synthetic_needs_no_data_and_resumes_exactly(tmp_path):
    args = ["--data", "lob-synthetic", "--synthetic-events", "3000"]
    code, full = _train(tmp_path, *args, "--steps", "1800", "--record-every", "100")
    assert code == 0 and full["config"]["data"]["kind"] == "lob-synthetic"
    assert full["heldout"]["n"] == 3000 - 1 - int(0.7 * 2999)
    ck = tmp_path / "run.ckpt.npz"
    code, _ = _train(tmp_path, *args, "--steps", "900", "--record-every", "100",
                     "--checkpoint", str(ck))  # fmt: skip
    assert code == 0 and ck.exists() and ck.with_suffix(".json").exists()
    code, _ = _train(tmp_path, *args, "--steps", "1800", "--checkpoint", str(ck))
    assert code == 2  # refuses to overwrite a checkpoint without --resume
    code, rec = _train(tmp_path, *args, "--steps", "1800", "--record-every", "100",
                       "--checkpoint", str(ck), "--resume")  # fmt: skip
    assert code == 0 and rec["n_steps_run"] == 1800
    assert rec["config"]["trainer"]["resumed_at"] == [900]
    np.testing.assert_array_equal(rec["final_params"], full["final_params"])
    assert rec["heldout"] == full["heldout"]


def test_missing_data_directory_exits_2_with_the_message(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    code, rec = _train(tmp_path, "--data", "shakespeare", "--data-dir", str(missing))
    assert code == 2 and rec is None
    err = capsys.readouterr().err
    assert "rtrl-theory train: error:" in err and "is not an existing directory" in err
    code, _ = _train(tmp_path, "--data", "lob", "--data-dir", str(tmp_path))
    assert code == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "lobsterdata.com" in err


def test_missing_file_and_env_var_exit_2(tmp_path, capsys, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("RTRL_THEORY_DATA", str(tmp_path / "empty"))
    code, _ = _train(tmp_path, "--data", "shakespeare")
    assert code == 2
    err = capsys.readouterr().err
    assert "tinyshakespeare.txt" in err and "not found" in err and "86c4e6aa" in err


def test_altered_data_files_exit_2_with_the_message(tmp_path, capsys):
    _need(SHAKESPEARE, *LOB_FILES)
    bad = tmp_path / "data"
    for rel in (SHAKESPEARE, *LOB_FILES):
        (bad / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_data_dir() / rel, bad / rel)
    with open(bad / SHAKESPEARE, "ab") as fh:
        fh.write(b"x")
    code, _ = _train(tmp_path, "--data", "shakespeare", "--data-dir", str(bad))
    assert code == 2
    err = capsys.readouterr().err
    assert "has sha256" in err and "altered" in err
    with open(bad / LOB_FILES[1], "r+b") as fh:
        fh.seek(100)
        fh.write(b"9")
    code, _ = _train(tmp_path, "--data", "lob", "--data-dir", str(bad))
    assert code == 2
    err = capsys.readouterr().err
    assert "has sha256" in err and "altered" in err


def test_real_data_argument_errors_exit_2(tmp_path, capsys):
    code, _ = _train(tmp_path, "--data", "lob-synthetic", "--batch-size", "2")
    assert code == 2 and "batch_size: the order book is one sequence" in capsys.readouterr().err
    code, _ = _train(tmp_path, "--data", "lob-synthetic", "--resume")
    assert code == 2 and "resume: --resume needs --checkpoint" in capsys.readouterr().err
    code, _ = _train(tmp_path, "--data", "lob-synthetic", "--optimizer", "sgd",
                     "--rmsprop-beta", "0.9")  # fmt: skip
    assert code == 2 and "rmsprop_beta" in capsys.readouterr().err
