"""Faults of issue 15, data half: nothing lost, nothing replaced, nothing silent.

Each test injects one fault a user can meet and checks what happens now: the exit code (through a
subprocess where the behaviour is the command's exit status), the message (it names the file,
the argument or the number) and that nothing is lost (records, manifests and images are kept or
marked, never silently dropped or shown as current).

Faults covered: non-finite prices and sizes in LOBSTER files; memory requests far beyond the
machine (train, contraction, JointProcess) and the accuracy of the estimate that refuses them; a
failed figure's stale image in the report; a corrupt manifest; a corrupt figure cache and sweep
run cache; a Dask scheduler address that does not answer.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from rtrl_theory import figures_cli, report
from rtrl_theory._memory import (
    MEMORY_LIMIT_ENV,
    MemoryLimitError,
    available_memory,
    check_memory,
    estimate_memory,
)
from rtrl_theory.data._lobster import LobsterDay, LobsterFormatError, read_lobster, write_lobster

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, env=None, timeout=120):
    """Run ``python -m rtrl_theory ARGS`` in a subprocess: (returncode, stdout, stderr)."""
    full_env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *([full_env["PYTHONPATH"]] if full_env.get("PYTHONPATH") else [])]
    )
    full_env.update(env or {})
    p = subprocess.run(
        [sys.executable, "-m", "rtrl_theory", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
    )
    return p.returncode, p.stdout, p.stderr


# ------------------------------------------------------------------------------------------------
# read_lobster: non-finite prices and sizes
# ------------------------------------------------------------------------------------------------
def small_day() -> LobsterDay:
    return LobsterDay(
        time=[34200.0, 34200.5, 34201.0],
        event_type=[1, 1, 4],
        order_id=[1, 2, 1],
        size=[100, 100, 100],
        price=[1000100, 999900, 1000100],
        direction=[-1, 1, -1],
        ask_price=[[1000100], [1000100], [1000200]],
        ask_size=[[100], [100], [300]],
        bid_price=[[999900], [999900], [999900]],
        bid_size=[[200], [300], [300]],
    )


def corrupt_field(path: Path, line: int, column: int, word: str) -> None:
    rows = path.read_text().splitlines()
    cells = rows[line - 1].split(",")
    cells[column - 1] = word
    rows[line - 1] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize(
    "which, line, column, word, name",
    [
        ("message", 2, 5, "inf", "price"),  # the case: stored -9.2e18 before
        ("message", 3, 4, "nan", "size"),
        ("message", 1, 1, "-inf", "time"),
        ("orderbook", 3, 2, "inf", "ask size 1"),
        ("orderbook", 1, 3, "NaN", "bid price 1"),
    ],
)
def test_read_lobster_refuses_non_finite_values_naming_file_line_and_column(
    tmp_path, which, line, column, word, name
):
    msg, book = tmp_path / "m.csv", tmp_path / "o.csv"
    write_lobster(small_day(), msg, book)
    target = msg if which == "message" else book
    corrupt_field(target, line, column, word)
    for validate in (True, False):  # no path lets it through (filterwarnings=error: no warning)
        with pytest.raises(LobsterFormatError) as info:
            read_lobster(msg, book, validate=validate)
        text = str(info.value)
        assert str(target) in text
        assert f"line {line}, column {column} ({name})" in text
        assert "non-finite" in text


def test_a_lobster_day_built_from_arrays_refuses_inf_sizes():
    day = small_day()
    with pytest.raises(ValueError, match="size: expected finite integers"):
        LobsterDay(**{**day.__dict__, "size": np.array([100.0, np.inf, 100.0])})


# ------------------------------------------------------------------------------------------------
# memory: estimated before allocating, refused past 80% of the available memory
# ------------------------------------------------------------------------------------------------
def test_contraction_with_1e8_particles_is_refused_at_once_with_the_numbers():
    t0 = time.perf_counter()
    code, out, err = cli("contraction", "--particles", 100_000_000, "--no-progress")
    assert code == 2, err
    assert "needs about" in err and "TiB" in err and "available on this machine" in err
    assert "--force" in err and "MemoryError" not in err and "Traceback" not in err
    assert time.perf_counter() - t0 < 60  # no allocation was attempted (seconds, not minutes)


def test_train_with_a_huge_hidden_layer_is_refused_and_writes_nothing(tmp_path):
    out = tmp_path / "run.json"
    code, _, err = cli("train", "--n-hidden", 2000, "--steps", 100, "--out", out, "--no-progress")
    assert code == 2, err
    assert "RTRL sensitivities" in err and "GiB" in err and "--force" in err
    assert not out.exists()


def test_force_overrides_the_refusal(tmp_path):
    env = {MEMORY_LIMIT_ENV: "64K"}  # a budget far below any run: everything is refused ...
    args = ["contraction", "--particles", 100, "--steps", 10, "--coupling", "synchronous"]
    args += ["--no-progress"]
    code, _, err = cli(*args, env=env)
    assert code == 2 and f"{MEMORY_LIMIT_ENV}=64K" in err
    code, out, err = cli(*args, "--force", env=env)  # ... unless --force
    assert code == 0, err  # rate 0.45 <= rho_bar 0.5 at these sizes
    assert "synchronous" in out and "rho_bar" in out


def test_joint_process_refuses_before_allocating_and_force_allows(monkeypatch):
    from rtrl_theory import PaperRNN
    from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
    from rtrl_theory.runners import JointProcess

    model = PaperRNN(3, 2)
    proc = DataProcess(ExampleChain(2, 0.5), LipschitzTarget.random(2, rng=0))
    jp = JointProcess(model, model.init_params(1), proc, order=2)
    tracemalloc.start()
    with pytest.raises(MemoryLimitError, match=r"n_particles=100000000\).*force=True") as info:
        jp.initial(100_000_000, rng=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(info.value, MemoryError) and isinstance(info.value, ValueError)
    assert peak < 10 * 2**20  # refused before any ensemble array was made
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1K")
    with pytest.raises(MemoryLimitError):
        jp.initial(10, rng=0)
    forced = JointProcess(model, model.init_params(1), proc, order=2, force=True)
    assert forced.initial(10, rng=0).n_particles == 10


def test_available_memory_reads_the_machine_and_honours_a_budget(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    total, source = available_memory()
    if Path("/proc/meminfo").exists():
        assert total > 0 and ("MemAvailable" in source or "cgroup" in source)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "2G")
    assert available_memory()[0] <= 2 * 2**30
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match=MEMORY_LIMIT_ENV):
        available_memory()


def _traced_peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "cell, n_hidden, batch, algo, record_every",
    [
        ("gru", 24, 1, "rtrl", None),  # the default path of about 200 snapshots
        ("elman-tanh", 60, 2, "rtrl", 400),  # two snapshots: the sensitivities dominate
        ("gru", 24, 1, "tbptt", None),
    ],
)
def test_the_train_estimate_bounds_the_measured_peak_within_a_factor_three(
    cell, n_hidden, batch, algo, record_every
):
    """Truth: tracemalloc's peak of the arrays of a real run (NumPy engine) on sizes other than
    those the multipliers were measured on. The estimate must not be below it (else a run could
    pass the check and still exhaust memory) nor above three times it (else the check refuses
    runs that fit); the multipliers were rounded up, so the ratio is expected in [1, 2]."""
    from rtrl_theory.cells import char_rnn
    from rtrl_theory.runners import PowerSchedule, train_online

    model = char_rnn(cell, n_hidden, 65)
    rng = np.random.default_rng(0)
    T = 400
    shape = (batch, T) if batch > 1 else (T,)
    X, Y = rng.integers(0, 65, shape), rng.integers(0, 65, shape)
    tau = 12 if algo == "tbptt" else None
    peak = _traced_peak(
        lambda: train_online(
            model,
            model.init_params(0),
            (X, Y),
            T,
            schedule=PowerSchedule(1e-3, 100, 0.75),
            algo=algo,
            tau=tau,
            batch_size=batch,
            record_every=record_every,
            backend="numpy",
        )
    )
    sizes = dict(n_steps=T, algo=algo, tau=tau, batch_size=batch, record_every=record_every)
    est = estimate_memory(model, "train", **sizes)
    print(f"estimate / measured peak = {est.total / peak:.2f}")
    assert peak <= est.total <= 3 * peak, (peak, est.describe())


def test_the_particle_estimate_bounds_the_measured_peak_within_a_factor_three():
    from rtrl_theory import PaperRNN
    from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
    from rtrl_theory.runners import JointProcess

    model = PaperRNN(5, 2, c_f=0.1)
    proc = DataProcess(ExampleChain(2, 0.5), LipschitzTarget.random(2, rng=0))
    jp = JointProcess(model, model.init_params(1), proc, order=2, backend="numpy")
    K = 1500
    peak = _traced_peak(lambda: jp.run(jp.initial(K, rng=1), 3, rng=2))
    est = estimate_memory(model, "particles", n_particles=K, order=2)
    print(f"estimate / measured peak = {est.total / peak:.2f}")
    assert peak <= est.total <= 3 * peak, (peak, est.describe())


def test_check_memory_passes_what_fits_and_names_sizes_it_refuses(monkeypatch):
    from rtrl_theory import PaperRNN

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1G")
    small = estimate_memory(PaperRNN(3, 2), "particles", n_particles=100, order=1)
    assert check_memory(small) <= 2**30
    big = estimate_memory(PaperRNN(3, 2), "contraction", n_particles=10**6, order=2, block="S")
    with pytest.raises(MemoryLimitError, match=r"W1 cost matrix .*n_particles 1000000"):
        check_memory(big, what="contraction")
    with pytest.raises(TypeError, match="do not apply"):
        estimate_memory(PaperRNN(3, 2), "particles", n_particles=10, tau=3)


# ------------------------------------------------------------------------------------------------
# figures and report: failed figures, corrupt manifest, corrupt caches, Dask address
# ------------------------------------------------------------------------------------------------
FLAKY = '''
"""A figure that works, until a file FAIL appears in its output folder."""

from pathlib import Path

NAME = "fig_flaky"
DEFAULT_SEED = 2


def settings(quick):
    return {"n": 1}


def main(argv=None):
    out = Path(argv[argv.index("--out") + 1])
    if (out / "FAIL").exists():
        raise RuntimeError("the data went away")
    png = out / ("fig_flaky_quick.png" if "--quick" in argv else "fig_flaky.png")
    png.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
    return {"png": png, "cached": False, "compute_seconds": 0.0, "summary": "fine"}
'''

CACHED = '''
"""A figure with a real data cache (paper_figures._common.run_figure)."""

import sys

from paper_figures._common import new_figure, run_figure

NAME = "fig_cached"
DEFAULT_SEED = 1
VERSION = 1


def settings(quick):
    return {"n": 3}


def compute(quick, rng):
    return {"y": rng.normal(size=3)}


def plot(data):
    fig, axes = new_figure()
    axes[0, 0].plot(data["y"])
    return fig


def main(argv=None):
    return run_figure(sys.modules[__name__], argv)
'''


@pytest.fixture
def fake_figures(tmp_path, monkeypatch):
    src = tmp_path / "src"
    pkg = src / "faultfigs"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Figure scripts for fault injection."""\n')
    (pkg / "fig_flaky.py").write_text(textwrap.dedent(FLAKY))
    (pkg / "fig_cached.py").write_text(textwrap.dedent(CACHED))
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.syspath_prepend(str(src))  # spawned workers inherit sys.path
    return src


def test_a_failed_figure_is_failed_in_the_report_and_its_old_image_is_stale(
    fake_figures, tmp_path
):
    out = tmp_path / "figs"
    env = {"PYTHONPATH": os.pathsep.join([str(fake_figures), str(ROOT)])}
    base = ["figures", "--package", "faultfigs", "--only", "fig_flaky", "--quick", "--out", out]
    figures_cli.run_figures(["fig_flaky"], out=out, quick=True, package="faultfigs", progress=False)
    first = json.loads((out / "manifest.json").read_text())["figures"][0]
    assert first["status"] == "ok"
    (out / "FAIL").write_text("")
    code, _, err = cli(*base, "--no-progress", env=env)
    assert code == 1
    assert "fig_flaky: FAILED (RuntimeError: the data went away)" in err
    assert "fig_flaky_quick.png" in err and "stale" in err
    entry = json.loads((out / "manifest.json").read_text())["figures"][0]
    assert entry["status"] == "failed" and "png" not in entry["files"]
    assert entry["stale"] == {
        "files": {"png": "fig_flaky_quick.png"},
        "last_success": first["finished"],
    }
    assert (out / "fig_flaky_quick.png").exists()  # the old image is kept, not deleted

    from rtrl_theory.checks import run_checks

    rep = tmp_path / "rep"
    res = report.write_report(
        rep, results=run_checks(["lemma-3.5"], quick=True), figures_dir=out, embed=False
    )
    (item,) = res["figures"]
    assert item.failed and item.stale_since == first["finished"]
    assert res["n_failed_figures"] == 1
    md = (rep / "report.md").read_text()
    page = (rep / "report.html").read_text()
    stale = f"The image is the last successful one, from {first['finished']}: stale"
    for text in (md, page):
        assert "FAILED in its last run (quick mode): RuntimeError: the data went away" in text
        assert stale in text and "1 failed in their last run: fig_flaky" in text
    assert "![fig_flaky (stale)]" in md and 'class="failed"' in page


def test_a_failed_figure_without_an_image_is_listed_not_dropped(tmp_path):
    d = tmp_path / "figs"
    d.mkdir()
    entry = {"figure": "fig_x", "mode": "full", "status": "failed", "error": "ValueError: no"}
    (d / "manifest.json").write_text(
        json.dumps({"schema": figures_cli.MANIFEST_SCHEMA, "figures": [entry]})
    )
    (item,) = report.collect_figures(d)
    assert item.failed and item.png is None and item.error == "ValueError: no"
    md = report.render_markdown([], [item], mode="quick", base=tmp_path, generated="now")
    assert "FAILED in its last run (full mode): ValueError: no. No image." in md


def test_a_corrupt_manifest_is_kept_aside_and_the_user_is_told(fake_figures, tmp_path, capsys):
    out = tmp_path / "figs"
    out.mkdir()
    garbage = '{"schema": "rtrl-theory/figures-manifest/1", "figures": [{"figure": "fig_a"'
    (out / "manifest.json").write_text(garbage)  # cut off in the middle of a write
    pngs = {"fig_a.png": b"old image"}
    for name, data in pngs.items():
        (out / name).write_bytes(data)

    notes: list[str] = []
    items = report.collect_figures(out, problems=notes)  # the report only reads: it says so
    assert "could not be read" in notes[0] and [i.status for i in items] == ["unknown"]

    code = figures_cli.main(
        ["--package", "faultfigs", "--only", "fig_flaky", "--quick", "--out", str(out)]
        + ["--no-progress"]
    )
    assert code == 0
    err = capsys.readouterr().err
    (aside,) = out.glob("manifest.json.corrupt-*")
    assert aside.read_text() == garbage  # nothing lost
    assert str(aside) in err and "could not be read" in err
    data = json.loads((out / "manifest.json").read_text())  # a new, valid manifest
    assert [e["figure"] for e in data["figures"]] == ["fig_flaky"]
    assert (out / "fig_a.png").read_bytes() == b"old image"


def test_malformed_manifest_entries_are_copied_aside_and_the_good_ones_kept(tmp_path):
    path = tmp_path / "manifest.json"
    good = {"figure": "fig_a", "mode": "full", "status": "ok"}
    text = json.dumps({"schema": figures_cli.MANIFEST_SCHEMA, "figures": [good, {"x": 1}]})
    path.write_text(text)
    notes: list[str] = []
    entries = figures_cli._load_manifest(path, notes)
    assert entries == {("fig_a", "full"): good}
    (aside,) = tmp_path.glob("manifest.json.corrupt-*")
    assert aside.read_text() == text and "1 malformed entry" in notes[0]


def test_a_corrupt_figure_cache_is_recomputed_with_a_warning(fake_figures, tmp_path):
    out = tmp_path / "figs"
    args = dict(out=out, quick=True, package="faultfigs", progress=False)
    first = figures_cli.run_figures(["fig_cached"], **args)["entries"][0]
    assert first["status"] == "ok" and first["warnings"] == []
    npz = out / "fig_cached_quick.npz"
    for damage in ("truncate", "flip"):
        raw = npz.read_bytes()
        if damage == "truncate":  # BadZipFile
            npz.write_bytes(raw[: len(raw) // 2])
        else:  # a byte flipped inside a compressed member: Bad CRC-32 / zlib.error
            mid = len(raw) // 2
            npz.write_bytes(raw[:mid] + bytes([raw[mid] ^ 0xFF]) + raw[mid + 1 :])
        res = figures_cli.run_figures(["fig_cached"], **args)
        (entry,) = res["entries"]
        assert entry["status"] == "ok" and entry["cached"] is False, damage  # recomputed
        assert len(entry["warnings"]) == 1, damage
        assert "corrupt or unreadable" in entry["warnings"][0]
        assert str(npz) in entry["warnings"][0]
        log = (out / entry["files"]["log"]).read_text()
        assert "warning: fig_cached: the data cache" in log
        with np.load(npz) as z:  # the rewritten cache is whole again
            assert z["y"].shape == (3,)


def test_a_corrupt_sweep_run_cache_is_run_again_with_a_warning(tmp_path):
    from types import SimpleNamespace

    from rtrl_theory.runners import SweepSpec, run_sweep

    calls = []

    def run_one(config, rng):
        calls.append(config)
        return SimpleNamespace(
            losses=np.full(4, config.eta0), status="completed", stopped_at=None, message=""
        )

    configs = SweepSpec((0.1,), ()).configs()
    first = run_sweep(configs, run_one, seed=0, window=2, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.json")
    path.write_text(path.read_text()[:20])
    with pytest.warns(RuntimeWarning, match="corrupt or unreadable"):
        again = run_sweep(configs, run_one, seed=0, window=2, cache_dir=tmp_path)
    assert len(calls) == 2 and not again[0].from_cache
    np.testing.assert_array_equal(again[0].loss, first[0].loss)
    json.loads(path.read_text())  # rewritten whole


def _dead_address() -> str:
    """A local TCP port nobody listens on (bound, then closed: connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


def test_a_dead_dask_scheduler_is_found_once_before_any_figure(fake_figures, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "figs"
    env = {"PYTHONPATH": os.pathsep.join([str(fake_figures), str(ROOT)])}
    address = _dead_address()
    t0 = time.perf_counter()
    code, _, err = cli(
        "figures", "--package", "faultfigs", "--quick", "--out", out, "--no-progress",
        "--dask-scheduler", address, env=env,
    )  # fmt: skip
    assert code == 2, err
    assert f"no Dask scheduler answers at '{address}'" in err and "within 5 s" in err
    assert not (out / "manifest.json").exists()  # no figure ran
    assert time.perf_counter() - t0 < 60


def test_the_dask_check_times_out_and_parses_addresses():
    from rtrl_theory.runners._sweep import check_dask_scheduler

    seen = {}

    def silent(address, timeout):  # a host that never answers (no network needed)
        seen.update(address=address, timeout=timeout)
        raise TimeoutError("timed out")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "create_connection", silent)
        with pytest.raises(ConnectionError, match=r"within 5 s: timed out"):
            check_dask_scheduler("scheduler.example:8786")
    assert seen == {"address": ("scheduler.example", 8786), "timeout": 5.0}
    with pytest.raises(ValueError, match="cannot read a host and port"):
        check_dask_scheduler("tcp://host:notaport")
    check_dask_scheduler("inproc://whatever")  # other transports are left to dask
    with socket.socket() as server:  # a listening socket answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_dask_scheduler(f"tcp://127.0.0.1:{server.getsockname()[1]}")


def test_run_sweep_checks_the_dask_address_before_running_anything():
    from rtrl_theory.runners import SweepSpec, run_sweep

    def run_one(config, rng):  # pragma: no cover - must not be called
        raise AssertionError("a run started")

    pytest.importorskip("distributed")
    with pytest.raises(ConnectionError, match="no Dask scheduler answers"):
        run_sweep(
            SweepSpec((0.1,), ()).configs(),
            run_one,
            seed=0,
            window=2,
            dask_scheduler=_dead_address(),
        )


def test_a_corrupt_real_data_run_cache_is_run_again_with_a_warning(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from paper_figures._runcache import cached_run

    calls = []

    def run(checkpoint, resume):
        calls.append(resume)
        return {"bpc": 2.5}

    assert cached_run(tmp_path, "fig10", {"n": 1}, run) == {"bpc": 2.5}
    (path,) = tmp_path.glob("fig10-*.json")
    path.write_text('{"payload": {"n": 1}, "res')  # cut off
    assert cached_run(tmp_path, "fig10", {"n": 1}, run) == {"bpc": 2.5}
    assert calls == [False, False]
    assert f"warning: run cache {path} is corrupt or unreadable" in capsys.readouterr().err
    assert json.loads(path.read_text())["result"] == {"bpc": 2.5}  # rewritten whole
