"""``rtrl-theory figures`` (rtrl_theory.figures, rtrl_theory.commands.figures): manifest, cache reuse, --recompute, failures.

Runs real quick figure scripts (the fig03/fig04 companion pair of paper_figures, about 2 s each
with the worker's start-up) and a throw-away package with a failing script.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rtrl_theory.commands.figures import main as figures_main
from rtrl_theory.figures import (
    MANIFEST_SCHEMA,
    companion_groups,
    list_scripts,
    run_figures,
    select_scripts,
)

PAIR = ["fig03_elman_relu_rtrl", "fig04_elman_relu_tbptt"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def repository_on_path(monkeypatch):
    """paper_figures from this checkout (the command would also find it by itself)."""
    monkeypatch.syspath_prepend(str(ROOT))


def manifest(out):
    data = json.loads((out / "manifest.json").read_text())
    assert data["schema"] == MANIFEST_SCHEMA
    return {e["figure"]: e for e in data["figures"]}, data


def test_scripts_are_found_and_selected_by_prefix():
    names = list_scripts()
    assert set(PAIR) <= set(names) and "fig_contraction" in names
    assert select_scripts(names, ["fig03", "fig_contraction"]) == [PAIR[0], "fig_contraction"]
    assert select_scripts(names, None) == names
    with pytest.raises(ValueError, match="only: no figure script matches 'fig99'"):
        select_scripts(names, ["fig99"])


def test_companions_share_a_group_and_keep_the_rtrl_half_first():
    groups = companion_groups("paper_figures", ["fig01_linear_rnn", *PAIR], quick=True)
    assert groups == [["fig01_linear_rnn"], PAIR]


def test_two_quick_figures_write_files_and_a_manifest_then_reuse_then_recompute(tmp_path):
    out = tmp_path / "figs"
    res = run_figures(["fig03", "fig04"], out=out, quick=True, progress=False)
    assert res["n_failed"] == 0
    entries, data = manifest(out)
    assert sorted(entries) == PAIR
    assert data["last_run"]["quick"] is True and data["last_run"]["wall_seconds"] > 0
    assert "numpy" in data["environment"]["versions"]
    from paper_figures import fig03_elman_relu_rtrl as fig03

    e = entries[PAIR[0]]
    assert e["status"] == "ok" and e["cached"] is False and e["mode"] == "quick"
    assert e["script"] == "paper_figures/fig03_elman_relu_rtrl.py"
    assert e["seed"] == fig03.DEFAULT_SEED == e["configuration"]["seed"]
    assert e["configuration"]["settings"] == json.loads(json.dumps(fig03.settings(True)))
    assert e["title"].startswith("Fig. 3 of [P1]")
    assert e["wall_seconds"] > 0 and e["compute_seconds"] >= 0
    for name, entry in entries.items():
        assert set(entry["files"]) == {"png", "pdf", "npz", "log"}
        for rel in entry["files"].values():
            assert (out / rel).stat().st_size > 0, (name, rel)
        assert entry["files"]["png"] == f"{name}_quick.png"
    with np.load(out / entries[PAIR[1]]["files"]["npz"]) as z:  # the companion's whole sweep
        assert set(z["algo"].tolist()) == {"rtrl", "tbptt"}

    again = run_figures(["fig03", "fig04"], out=out, quick=True, progress=False)
    assert [e["cached"] for e in again["entries"]] == [True, True]
    assert all(e["cached"] for e in manifest(out)[0].values())

    fresh = run_figures(["fig03", "fig04"], out=out, quick=True, recompute=True, progress=False)
    # the companion (whole sweep) first and recomputing, then the RTRL half reading its runs
    assert [e["figure"] for e in fresh["entries"]] == PAIR[::-1]
    assert not any(e["cached"] for e in fresh["entries"])
    logs = {n: (out / "logs" / f"{n}_quick.log").read_text() for n in PAIR}
    assert "--recompute" in logs[PAIR[1]].splitlines()[0]
    assert "--recompute" not in logs[PAIR[0]].splitlines()[0]


FAILING = '''
"""A figure script that fails."""

NAME = "fig_boom"
DEFAULT_SEED = 3


def settings(quick):
    return {"n": 1}


def main(argv=None):
    print("about to fail")
    raise RuntimeError("boom in compute")
'''

WORKING = '''
"""A figure script that works (writes a tiny PNG)."""

from pathlib import Path

NAME = "fig_ok"
DEFAULT_SEED = 5


def settings(quick):
    return {"n": 2 if quick else 20}


def main(argv=None):
    out = Path(argv[argv.index("--out") + 1])
    png = out / ("fig_ok_quick.png" if "--quick" in argv else "fig_ok.png")
    png.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
    return {"png": png, "cached": False, "compute_seconds": 0.0, "summary": "fine"}
'''


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    pkg = tmp_path / "src" / "fakefigs"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Fake figure scripts."""\n')
    (pkg / "fig_boom.py").write_text(textwrap.dedent(FAILING))
    (pkg / "fig_ok.py").write_text(textwrap.dedent(WORKING))
    monkeypatch.syspath_prepend(str(tmp_path / "src"))  # spawned workers inherit sys.path
    return "fakefigs"


def test_a_failing_script_is_recorded_and_the_others_still_run(fake_package, tmp_path, capsys):
    out = tmp_path / "out"
    code = figures_main(
        ["--quick", "--out", str(out), "--package", fake_package, "--no-progress"]
    )
    assert code == 1  # non-zero at the end ...
    entries, data = manifest(out)
    assert entries["fig_ok"]["status"] == "ok"  # ... without losing the other figure
    assert (out / entries["fig_ok"]["files"]["png"]).exists()
    boom = entries["fig_boom"]
    assert boom["status"] == "failed" and boom["error"] == "RuntimeError: boom in compute"
    assert boom["seed"] == 3 and boom["configuration"]["settings"] == {"n": 1}
    log = (out / boom["files"]["log"]).read_text()
    assert "about to fail" in log and "Traceback" in log
    assert data["last_run"]["figures"] == ["fig_boom", "fig_ok"]
    err = capsys.readouterr().err
    assert "fig_boom: FAILED (RuntimeError: boom in compute)" in err
    assert "1 failed: fig_boom" in err


def test_bad_arguments_name_the_argument(fake_package, tmp_path, capsys):
    assert figures_main(["--only", "fig99", "--package", fake_package]) == 2
    assert "only: no figure script matches 'fig99'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="jobs"):
        run_figures(out=tmp_path, jobs=0, package=fake_package)
    with pytest.raises(SystemExit):
        figures_main(["--jobs", "0"])
    assert figures_main(["--list", "--package", fake_package]) == 0
    assert capsys.readouterr().out.split() == ["fig_boom", "fig_ok"]
