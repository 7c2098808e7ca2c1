"""``rtrl-theory report`` (rtrl_theory.report, and its command): the verify table and the figures."""

from __future__ import annotations

import base64
import json
import re

import pytest

from rtrl_theory import report
from rtrl_theory._outputs import write_json_atomic
from rtrl_theory.checks import results_to_json, run_checks
from rtrl_theory.commands.report import main as report_main

# Two of the fastest checks (about 0.2 s together): a small, real verify table.
SUBSET = ["lemma-3.5", "lemma-3.9"]
# The smallest valid PNG (1 x 1, grey): the report copies bytes, it never decodes them.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def results():
    return run_checks(SUBSET, quick=True)


@pytest.fixture
def figures_dir(tmp_path):
    """A figures folder: one figure in both modes with a manifest, one PNG without an entry."""
    d = tmp_path / "figures"
    d.mkdir()
    for stem in ("fig_a", "fig_a_quick", "fig_b_quick"):
        (d / f"{stem}.png").write_bytes(PNG)
    (d / "fig_a.pdf").write_bytes(b"%PDF-1.4\n")
    entry = {
        "figure": "fig_a",
        "mode": "full",
        "status": "ok",
        "title": "Figure A: a <title> & more",
        "seed": 7,
        "cached": True,
        "compute_seconds": 12.5,
        "script": "paper_figures/fig_a.py",
        "summary": "final loss 0.01",
        "files": {"png": "fig_a.png"},
    }
    from rtrl_theory.figures import MANIFEST_SCHEMA

    write_json_atomic(d / "manifest.json", {"schema": MANIFEST_SCHEMA, "figures": [entry]})
    return d


def test_report_writes_markdown_and_html_with_the_table_and_the_figures(
    results, figures_dir, tmp_path
):
    out = tmp_path / "rep"
    res = report.write_report(out, results=results, mode="quick", figures_dir=figures_dir)
    md = (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    for r in results:  # each check's claim beside its measured value, in both pages
        row = next(line for line in md.splitlines() if line.startswith(f"| {r.id} |"))
        assert report._md(r.claimed) in row and report._md(r.measured) in row
        assert f"| {r.status} |" in row
        assert f'<td id="{r.id}">' in page
        assert report.html.escape(r.measured) in page
    assert [f.name for f in res["figures"]] == ["fig_a", "fig_b"]
    assert [f.mode for f in res["figures"]] == ["full", "quick"]  # full size when both exist
    assert "![fig_a](../figures/fig_a.png)" in md
    assert "![fig_b](../figures/fig_b_quick.png)" in md
    assert "### Figure A: a <title> & more" in md and "[PDF](../figures/fig_a.pdf)" in md
    assert "seed 7, compute 12.5 s, data from the cache" in md
    assert "final loss 0.01" in md
    # self-contained HTML: both images embedded, the caption escaped
    assert page.count("data:image/png;base64,") == 2
    assert "Figure A: a &lt;title&gt; &amp; more" in page
    assert not re.search(r'<img src="(?!data:)', page)
    saved = json.loads((out / "verify.json").read_text())
    assert [r["id"] for r in saved["results"]] == SUBSET and saved["mode"] == "quick"


def test_cli_reads_a_saved_verify_table_and_can_link_images(results, figures_dir, tmp_path):
    saved = tmp_path / "verify.json"
    write_json_atomic(saved, results_to_json(results, quick=False))
    out = tmp_path / "rep"
    argv = ["--verify-json", str(saved), "--figures", str(figures_dir), "--out", str(out)]
    assert report_main([*argv, "--link-images"]) == 0
    page = (out / "report.html").read_text()
    assert "Verify table (full mode)" in page
    assert '<img src="../figures/fig_a.png"' in page and "base64" not in page


def test_cli_runs_the_checks_and_tolerates_a_missing_figures_folder(tmp_path, capsys):
    out = tmp_path / "rep"
    code = report_main(
        ["--only", "lemma-3.9", "--figures", str(tmp_path / "none"), "--out", str(out)]
    )
    assert code == 0
    md = (out / "report.md").read_text()
    assert "| lemma-3.9 |" in md and "No figure found" in md
    assert "1 checks" in capsys.readouterr().out


def test_bad_inputs_name_the_argument(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert report_main(["--verify-json", str(bad), "--out", str(tmp_path)]) == 2
    assert "verify_json:" in capsys.readouterr().err
    assert report_main(["--only", "lemma-99", "--out", str(tmp_path)]) == 2
    assert "only: unknown check id" in capsys.readouterr().err
    with pytest.raises(ValueError, match="results"):
        report.write_report(tmp_path)


def _power_rows():
    from rtrl_theory.checks import MutantOutcome, PowerRow

    caught = MutantOutcome("lemma-3.5", "K_W-halved", "K_W / 2", "pass", "fail", True, True)
    missed = MutantOutcome("lemma-3.5", "idle", "does nothing", "pass", "pass", False, True)
    unc = MutantOutcome(
        "lemma-3.9", "tiny", "rho x 0.99", "pass", "pass", False, False, why_not="bound too <loose>"
    )
    return [PowerRow("lemma-3.5", "pass", (caught, missed)), PowerRow("lemma-3.9", "pass", (unc,))]


def test_report_shows_the_power_table_read_from_verify_power_json(results, tmp_path, capsys):
    from rtrl_theory.checks import power_to_json

    pj = tmp_path / "power.json"
    write_json_atomic(pj, power_to_json(_power_rows(), quick=True))
    saved = tmp_path / "verify.json"
    write_json_atomic(saved, results_to_json(results, quick=True))
    out = tmp_path / "rep"
    argv = ["--verify-json", str(saved), "--power-json", str(pj), "--out", str(out)]
    assert report_main([*argv, "--figures", str(tmp_path / "none")]) == 0
    md = (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    assert "## Power of the checks" in md and "1 of 3 mutants caught (33.3%)" in md
    assert "| lemma-3.5 | pass | 2 | 1 | 50% | K_W-halved: caught; idle: MISSED |" in md
    assert "**lemma-3.9/tiny**: bound too <loose>" in md
    assert '<h2 id="power">' in page and "bound too &lt;loose&gt;" in page
    assert json.loads((out / "power.json").read_text())["summary"]["n_caught"] == 1
    # without a power table the page has no power section (existing behaviour kept)
    assert report_main([*argv[:2], "--out", str(tmp_path / "r2")]) == 0
    assert "Power of the checks" not in (tmp_path / "r2" / "report.md").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text('{"checks": [{"id": 1}]}')
    assert report_main([*argv[:2], "--power-json", str(bad), "--out", str(out)]) == 2
    assert "power_json:" in capsys.readouterr().err


def test_report_power_flag_computes_the_table(tmp_path):
    out = tmp_path / "rep"
    code = report_main(
        ["--only", "note-9.2", "--power", "--figures", str(tmp_path / "none"), "--out", str(out)]
    )
    assert code == 0
    md = (out / "report.md").read_text()
    assert "| note-9.2 | refuted | 2 | 2 | 100% |" in md
