"""Fault injection for issue 15: every fault a user can meet, one module, a section per family.

Each test injects one fault and checks what happens now: the exit status (through a subprocess,
``python -m rtrl_theory ...``, where the behaviour is the command's exit status), the message (it
names the file, the argument or the number) and that nothing already on disk was lost or
replaced (records, checkpoints, manifests and images are kept or marked, never silently dropped
or shown as current).

Families: outputs checked before any work; a second run on the same paths; signals on every
backend; divergence by growth; the resume contract and damaged checkpoints; validation of every
number; record hygiene; the output module itself; non-finite prices and sizes in LOBSTER files;
memory requests far beyond the machine (train, contraction, JointProcess) and the accuracy of the
estimate that refuses them; a failed figure's stale image in the report; a corrupt manifest; a
corrupt figure cache and sweep run cache; a Dask scheduler address that does not answer.

Truth: the documented contract of the command line (README, "Command line"): exit 0 completed,
1 a check or hypothesis fails, 2 bad arguments / unusable output / damaged checkpoint (nothing
written), 3 diverged or interrupted (recorded). No tolerance is involved except the divergence
rule, whose thresholds are the documented defaults of ``rtrl_theory.runners._divergence``, and the
memory estimate's factor three (argued at its test). The compiled-kernel signal tests are marked
slow (first compilation); the module runs in well under three minutes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from rtrl_theory import figures, report
from rtrl_theory._memory import (
    MEMORY_LIMIT_ENV,
    MemoryLimitError,
    available_memory,
    check_memory,
    estimate_memory,
)
from rtrl_theory.commands.figures import main as figures_main
from rtrl_theory.data._lobster import LobsterDay, LobsterFormatError, read_lobster, write_lobster
from rtrl_theory.runners import DivergenceRule, divergence_step

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "NUMBA_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
}


def _data_dir() -> Path:
    return Path(os.environ.get("RTRL_THEORY_DATA", ROOT.parent / "shared" / "data"))


def cli(*args, cwd, timeout=120):
    """Run ``python -m rtrl_theory ARGS``; returns the CompletedProcess (text)."""
    return subprocess.run(
        [sys.executable, "-m", "rtrl_theory", *map(str, args)],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def no_traceback(proc):
    assert "Traceback" not in proc.stderr, proc.stderr


def quick_train(tmp_path, *extra, out="run.json"):
    return cli("train", "--steps", "200", "--no-progress", "--out", out, *extra, cwd=tmp_path)


# ------------------------------------------------------------------------------------------------
# Outputs: checked before any work
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ("train", "--steps", "1000000", "--no-progress", "--out"),
        ("train", "--steps", "1000000", "--no-progress", "--out", "r.json", "--checkpoint"),
        ("verify", "--only", "lemma-3.5", "--json"),
        ("verify", "--only", "lemma-3.5", "--markdown"),
        ("assumptions", "--json"),
        ("contraction", "--particles", "20000", "--steps", "300", "--json"),
        ("contraction", "--particles", "20000", "--steps", "300", "--plot"),
    ],
    ids=lambda c: "-".join(a for a in c if a.startswith("--") or a.isalpha())[:40],
)
def test_an_output_on_a_directory_is_refused_before_any_work(tmp_path, command):
    (tmp_path / "adir").mkdir()
    t0 = time.monotonic()
    proc = cli(*command, "adir", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "is a directory" in proc.stderr and "nothing was run" in proc.stderr
    no_traceback(proc)
    # a million-step run or 20,000 particles would take minutes: refused before starting
    assert time.monotonic() - t0 < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir"]


def test_an_output_below_a_file_or_in_an_unwritable_place_is_refused(tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = quick_train(tmp_path, out="afile/run.json")
    assert proc.returncode == 2 and "is a file, not a folder" in proc.stderr
    no_traceback(proc)
    # /proc refuses new files even to root (the probe file test, not permission bits)
    proc = cli("assumptions", "--json", "/proc/rtrl-theory-test.json", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot write into '/proc'" in proc.stderr
    no_traceback(proc)


def test_dash_is_standard_output_and_the_table_moves_to_stderr(tmp_path):
    proc = cli("assumptions", "--json", "-", cwd=tmp_path)
    assert proc.returncode == 0
    rep = json.loads(proc.stdout)  # stdout is exactly the JSON document
    assert rep["hypotheses_hold"] is True and "Hypotheses:" in proc.stderr
    proc = quick_train(tmp_path, out="-")
    assert proc.returncode == 0
    rec = json.loads(proc.stdout)
    assert rec["status"] == "completed" and "completed after 200 steps" in proc.stderr
    assert rec["param_path"]["file"] is None  # nothing written beside standard output
    assert list(tmp_path.iterdir()) == []


def test_a_symlink_is_never_replaced_devices_and_fifos_are_written_through(tmp_path):
    # a link to a regular file: the file it points to is replaced, the link stays
    (tmp_path / "target.json").write_text("old")
    (tmp_path / "link.json").symlink_to(tmp_path / "target.json")
    proc = cli("assumptions", "--json", "link.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads((tmp_path / "target.json").read_text())["hypotheses_hold"] is True
    # a link to a character device (as /dev/stdout is): written through, the link stays
    (tmp_path / "null.json").symlink_to("/dev/null")
    proc = cli("verify", "--only", "lemma-3.5", "--json", "null.json", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert (tmp_path / "null.json").is_symlink()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    # a FIFO: written through to its reader
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    proc = cli("assumptions", "--json", fifo, cwd=tmp_path)
    reader.join(timeout=60)
    assert proc.returncode == 0 and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(got[0])["hypotheses_hold"] is True
    # a checkpoint must be a regular file
    proc = quick_train(tmp_path, "--checkpoint", "null.json", out="r.json")
    assert proc.returncode == 2 and "character device, not a regular file" in proc.stderr
    # a socket is refused, saying so
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "s.json"))
    try:
        proc = cli("assumptions", "--json", "s.json", cwd=tmp_path)
    finally:
        sock.close()
    assert proc.returncode == 2 and "is a socket" in proc.stderr
    no_traceback(proc)


def test_an_existing_record_is_not_replaced_without_overwrite(tmp_path):
    proc = quick_train(tmp_path)
    assert proc.returncode == 0
    before = (tmp_path / "run.json").read_bytes()
    proc = cli("train", "--steps", "100", "--no-progress", "--out", "run.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert "exists" in proc.stderr and "--overwrite" in proc.stderr
    assert (tmp_path / "run.json").read_bytes() == before
    proc = cli(
        "train", "--steps", "100", "--no-progress", "--out", "run.json", "--overwrite", cwd=tmp_path
    )
    assert proc.returncode == 0 and json.loads((tmp_path / "run.json").read_text())[
        "n_steps_run"
    ] == 100


def _wait_for(path: Path, proc, timeout=120.0):
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: {proc.stderr.read()}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError(f"{path} did not appear")
        time.sleep(0.05)


def _start_long_run(tmp_path, *args, out="run.json"):
    return subprocess.Popen(
        [sys.executable, "-m", "rtrl_theory", "train", "--no-progress", "--out", out,
         "--checkpoint-seconds", "0", *map(str, args)],  # fmt: skip
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_interrupted(tmp_path, proc, signum, ckpt="run.ckpt.npz"):
    """Send ``signum``; the run must exit 3 with an interrupted record and checkpoint."""
    from rtrl_theory.runners import load_checkpoint

    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert "Traceback" not in err and "interrupted by" in out
    rec = json.loads((tmp_path / "run.json").read_text())
    assert rec["status"] == "interrupted"
    assert rec["stopped_at"] == rec["n_steps_run"] > 0
    assert signal.Signals(signum).name in rec["message"]
    ck = load_checkpoint(tmp_path / ckpt)
    assert ck.status == "interrupted" and ck.step == rec["n_steps_run"]
    return rec


def test_a_second_run_on_the_same_paths_exits_2_naming_the_first(tmp_path):
    first = _start_long_run(
        tmp_path, "--backend", "numpy", "--steps", "10000000", "--record-every", "200",
        "--checkpoint", "run.ckpt.npz",
    )  # fmt: skip
    try:
        _wait_for(tmp_path / "run.json", first)
        before = (tmp_path / "run.ckpt.npz").stat().st_size
        second = quick_train(tmp_path, "--overwrite", out="run.json")
        assert second.returncode == 2 and f"in use by another run (pid {first.pid}" in second.stderr
        second = quick_train(tmp_path, "--checkpoint", "run.ckpt.npz", "--resume", out="b.json")
        assert second.returncode == 2 and f"(pid {first.pid}" in second.stderr
        assert "--checkpoint" in second.stderr and not (tmp_path / "b.json").exists()
        assert (tmp_path / "run.ckpt.npz").stat().st_size >= before
    finally:
        # SIGTERM on the NumPy backend: stops at the next chunk, recorded (the signals test)
        _check_interrupted(tmp_path, first, signal.SIGTERM)
    assert not list(tmp_path.glob(".*.lock"))  # locks released


# ------------------------------------------------------------------------------------------------
# Signals on every backend
# ------------------------------------------------------------------------------------------------
BACKENDS = {
    "numpy": ("--backend", "numpy", "--steps", "10000000", "--record-every", "200"),
    "tbptt": ("--algo", "tbptt", "--tau", "5", "--steps", "10000000", "--record-every", "200"),
    "compiled-paper": ("--backend", "numba", "--steps", "100000000", "--record-every", "20000"),
    "compiled-text": (
        "--data", "shakespeare", "--cell", "gru", "--n-hidden", "5", "--backend", "numba",
        "--steps", "900000", "--record-every", "300",
    ),  # fmt: skip
}


@pytest.mark.parametrize(
    "backend,signum",
    [
        ("numpy", signal.SIGINT),
        ("tbptt", signal.SIGINT),
        ("tbptt", signal.SIGTERM),
        pytest.param("compiled-paper", signal.SIGINT, marks=pytest.mark.slow),
        pytest.param("compiled-paper", signal.SIGTERM, marks=pytest.mark.slow),
        pytest.param("compiled-text", signal.SIGINT, marks=pytest.mark.slow),
        pytest.param("compiled-text", signal.SIGTERM, marks=pytest.mark.slow),
    ],
)
def test_signals_stop_at_the_next_chunk_recorded_with_the_checkpoint(tmp_path, backend, signum):
    if backend == "compiled-text":
        if not (_data_dir() / "shakespeare" / "tinyshakespeare.txt").is_file():
            pytest.skip("tiny-shakespeare not in the data directory")
    if backend.startswith("compiled"):
        pytest.importorskip("numba")
    proc = _start_long_run(tmp_path, *BACKENDS[backend], "--checkpoint", "run.ckpt.npz")
    _wait_for(tmp_path / "run.json", proc)
    rec = _check_interrupted(tmp_path, proc, signum)
    # one compiled engine for every cell since h7's merge: the record names "numba" for both
    assert rec["backend"] == ("numba" if backend.startswith("compiled") else "numpy")
    if backend == "compiled-text":  # the summary in the units of text
        assert rec["summary"]["bits_per_char"] == pytest.approx(
            rec["summary"]["mean_loss"] / np.log(2.0)
        )


# ------------------------------------------------------------------------------------------------
# Divergence by growth
# ------------------------------------------------------------------------------------------------
def test_eta0_5_diverges_by_growth_exit_3(tmp_path):
    proc = cli("train", "--eta0", "5", "--steps", "200", "--no-progress", "--out", "r.json",
               cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 3 and "diverged" in proc.stdout
    rec = json.loads((tmp_path / "r.json").read_text())
    assert rec["status"] == "diverged" and rec["n_steps_run"] < 200
    assert rec["config"]["divergence"]["theta_bound"] == 1e6
    assert rec["config"]["divergence"]["loss_factor"] == 1000
    # the loss rule alone (parameter bound off) also stops it, and says so
    proc = cli("train", "--eta0", "5", "--steps", "200", "--no-progress", "--out", "q.json",
               "--divergence-theta-bound", "inf", "--backend", "numpy", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 3
    rec = json.loads((tmp_path / "q.json").read_text())
    assert rec["status"] == "diverged" and "exceeds 1000 x the initial loss" in rec["message"]
    assert rec["config"]["divergence"]["theta_bound"] is None


def test_the_divergence_rule_on_recorded_losses():
    """The rule as a function (what figures reuse): truth by construction of the loss arrays."""
    rule = DivergenceRule(loss_factor=10.0, theta_bound=None, window=5)
    flat = np.ones(50)
    assert divergence_step(flat, rule) == (None, None)
    grow = flat.copy()
    grow[30:] = 100.0  # window mean crosses 10 x 1 when 1 + 99 k / 5 > 10, k = 1: step 30
    step, why = divergence_step(grow, rule)
    assert step == 30 and "exceeds 10 x the initial loss" in why
    # just below the factor: no divergence (the rule can fail both ways)
    assert divergence_step(np.r_[np.ones(5), np.full(20, 9.99)], rule)[0] is None
    bad = flat.copy()
    bad[7] = np.nan
    assert divergence_step(bad, rule)[0] == 7
    with pytest.raises(ValueError, match="loss_factor"):
        DivergenceRule(loss_factor=0.5)


# ------------------------------------------------------------------------------------------------
# The resume contract and damaged checkpoints
# ------------------------------------------------------------------------------------------------
def test_resume_refuses_other_settings_and_records_where_it_resumed(tmp_path):
    base = ("train", "--no-progress", "--record-every", "50", "--checkpoint", "c.npz",
            "--out", "run.json")  # fmt: skip
    assert cli(*base, "--steps", "200", cwd=tmp_path).returncode == 0
    before = (tmp_path / "run.json").read_bytes()
    for extra, field in (
        (("--seed", "5"), "seed: checkpoint 0, now 5"),
        (("--lam", "0.6"), "data.lam: checkpoint 0.5, now 0.6"),
        (("--divergence-window", "10"), "divergence"),
    ):
        proc = cli(*base, "--steps", "400", "--resume", *extra, cwd=tmp_path)
        assert proc.returncode == 2 and field in proc.stderr, proc.stderr
        no_traceback(proc)
        assert (tmp_path / "run.json").read_bytes() == before
    proc = cli(*base, "--steps", "400", "--resume", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads((tmp_path / "run.json").read_text())
    assert rec["resumed_at"] == [200] and rec["n_steps_run"] == 400
    assert rec["command"] == (
        "rtrl-theory train --no-progress --record-every 50 --checkpoint c.npz --out run.json "
        "--steps 400 --resume"
    )


@pytest.mark.parametrize("damage", ["truncated", "bit-flipped", "empty"])
def test_a_damaged_checkpoint_says_what_is_wrong_and_keeps_the_record(tmp_path, damage):
    base = ("train", "--no-progress", "--checkpoint", "c.npz", "--out", "run.json")
    assert cli(*base, "--steps", "200", cwd=tmp_path).returncode == 0
    ck = tmp_path / "c.npz"
    raw = bytearray(ck.read_bytes())
    if damage == "truncated":
        raw = raw[: len(raw) // 2]
    elif damage == "bit-flipped":  # inside the first array member's data (after its headers)
        raw[200] ^= 0x10
    else:
        raw = b""
    ck.write_bytes(bytes(raw))
    before = (tmp_path / "run.json").read_bytes()
    proc = cli(*base, "--steps", "400", "--resume", cwd=tmp_path)
    assert proc.returncode == 2
    assert "is damaged" in proc.stderr and "is intact" in proc.stderr
    word = {"truncated": "truncated", "bit-flipped": "CRC-32", "empty": "empty"}[damage]
    assert word in proc.stderr, proc.stderr
    no_traceback(proc)
    assert (tmp_path / "run.json").read_bytes() == before


# ------------------------------------------------------------------------------------------------
# Everything that reaches a number is validated
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args,flag",
    [
        (("--tau", "5"), "--tau: applies only to --algo tbptt"),
        (("--data", "lob-synthetic", "--cell", "gru"), "--cell: applies only to --data shakespeare"),
        (("--data", "lob-synthetic", "--n-input", "3"), "--n-input: applies only"),
        (("--algo", "tbptt", "--tau", "4", "--backend", "numba"), "--backend: 'numba'"),
        (("--schedule", "eta0=0.1,eta0=0.2"), "eta0 is given twice"),
        (("--schedule", "eta0=0.1", "--eta0", "0.2"), "--eta0: give the learning rates"),
        (("--checkpoint-seconds", "-1"), "--checkpoint-seconds: expected"),
        (("--divergence-loss-factor", "0.5"), "loss_factor"),
        (("--target", "lipschitz", "--teacher-scale", "3"), "--teacher-scale: applies only"),
    ],
)
def test_flags_that_do_not_apply_or_bad_values_are_refused(tmp_path, args, flag):
    proc = quick_train(tmp_path, *args)
    assert proc.returncode == 2 and flag in proc.stderr, proc.stderr
    no_traceback(proc)
    assert not (tmp_path / "run.json").exists()


def test_c_f_outside_the_hypotheses_warns_and_is_recorded(tmp_path):
    proc = quick_train(tmp_path, "--c-f", "1.5")
    assert proc.returncode == 0
    assert "warning: outside the convergence theorem's hypotheses (N C_f < 4" in proc.stderr
    rec = json.loads((tmp_path / "run.json").read_text())
    a = rec["assumptions"]
    assert a["hypotheses_hold"] is False
    assert a["hypotheses"]["N C_f < 4 (Lemmas 3.5, 3.7)"]["holds"] is False
    assert a["hypotheses"]["Robbins-Monro (Assumption 2.14)"]["holds"] is True


def test_assumptions_does_not_say_all_hold_when_robbins_monro_was_not_assessed(tmp_path):
    proc = cli("assumptions", cwd=tmp_path)
    assert proc.returncode == 0
    assert "All hypotheses" not in proc.stdout
    assert "Not assessed: Robbins-Monro (Assumption 2.14)" in proc.stdout
    proc = cli("assumptions", "--schedule", "eta0=0.1,t0=100,gamma=0.75", cwd=tmp_path)
    assert proc.returncode == 0 and "All hypotheses of the convergence theorem hold." in proc.stdout


# ------------------------------------------------------------------------------------------------
# Record hygiene
# ------------------------------------------------------------------------------------------------
def test_the_parameter_path_lives_beside_the_record_and_the_summary_has_units(tmp_path):
    proc = cli("train", "--steps", "3000", "--record-every", "10", "--no-progress",
               "--out", "run.json", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0
    assert "online loss" in proc.stdout and "mean of the last 1000 steps" in proc.stdout
    rec = json.loads((tmp_path / "run.json").read_text())
    pp = rec["param_path"]
    assert pp["file"] == "run.params.npz" and "theta" not in pp
    with np.load(tmp_path / pp["file"]) as z:
        assert z["theta"].shape == (pp["n_snapshots"], pp["n_params"]) == (301, 28)
        np.testing.assert_array_equal(z["theta"][-1], rec["final_params"])
    assert rec["summary"]["window_steps"] == 1000
    # the record's size does not depend on the number of snapshots: 3 instead of 301 change it
    # by a few bytes (the digits of record_every and n_snapshots), not by 298 x 28 numbers
    proc = cli("train", "--steps", "3000", "--record-every", "1500", "--no-progress",
               "--out", "few.json", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0
    few = json.loads((tmp_path / "few.json").read_text())
    assert few["param_path"]["n_snapshots"] == 3
    sizes = [(tmp_path / n).stat().st_size for n in ("run.json", "few.json")]
    assert abs(sizes[0] - sizes[1]) < 200, sizes


# ------------------------------------------------------------------------------------------------
# The output module itself (in process: fast)
# ------------------------------------------------------------------------------------------------
def test_path_lock_is_exclusive_names_the_holder_and_is_removed_on_release(tmp_path):
    from rtrl_theory._outputs import OutputBusy, PathLock

    target = tmp_path / "run.json"
    first = PathLock(target, "--out").acquire()
    # flock conflicts between two open file descriptions, even in one process
    with pytest.raises(OutputBusy, match=rf"in use by another run \(pid {os.getpid()}"):
        PathLock(target, "--out").acquire()
    first.release()
    assert not first.lock_path.exists()
    with PathLock(target, "--out"):  # free again
        pass
    # a lock file left by a killed process (kill -9) holds no flock: it does not block
    (tmp_path / ".run.json.lock").write_text("999999\n")
    with PathLock(target, "--out") as lock:
        assert lock.lock_path.read_text() == f"{os.getpid()}\n"


def test_atomic_writes_keep_links_and_refuse_directories(tmp_path):
    from rtrl_theory._outputs import OutputError, write_text

    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to("real.txt")
    write_text(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "real.txt").read_text() == "new"
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        write_text(tmp_path / "d", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "link.txt", "real.txt"]


# ================================================================================================
# Data, memory, figures and report (the data half)
# ================================================================================================
def cli_rc(*args, env=None, timeout=120):
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
    code, out, err = cli_rc("contraction", "--particles", 100_000_000, "--no-progress")
    assert code == 2, err
    assert "needs about" in err and "TiB" in err and "available on this machine" in err
    assert "--force" in err and "MemoryError" not in err and "Traceback" not in err
    assert time.perf_counter() - t0 < 60  # no allocation was attempted (seconds, not minutes)


def test_train_with_a_huge_hidden_layer_is_refused_and_writes_nothing(tmp_path):
    out = tmp_path / "run.json"
    code, _, err = cli_rc(
        "train", "--n-hidden", 2000, "--steps", 100, "--out", out, "--no-progress"
    )
    assert code == 2, err
    assert "RTRL sensitivities" in err and "GiB" in err and "--force" in err
    assert not out.exists()


def test_force_overrides_the_refusal(tmp_path):
    env = {MEMORY_LIMIT_ENV: "64K"}  # a budget far below any run: everything is refused ...
    args = ["contraction", "--particles", 100, "--steps", 10, "--coupling", "synchronous"]
    args += ["--no-progress"]
    code, _, err = cli_rc(*args, env=env)
    assert code == 2 and f"{MEMORY_LIMIT_ENV}=64K" in err
    code, out, err = cli_rc(*args, "--force", env=env)  # ... unless --force
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
    figures.run_figures(["fig_flaky"], out=out, quick=True, package="faultfigs", progress=False)
    first = json.loads((out / "manifest.json").read_text())["figures"][0]
    assert first["status"] == "ok"
    (out / "FAIL").write_text("")
    code, _, err = cli_rc(*base, "--no-progress", env=env)
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
        json.dumps({"schema": figures.MANIFEST_SCHEMA, "figures": [entry]})
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

    code = figures_main(
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
    text = json.dumps({"schema": figures.MANIFEST_SCHEMA, "figures": [good, {"x": 1}]})
    path.write_text(text)
    notes: list[str] = []
    entries = figures._load_manifest(path, notes)
    assert entries == {("fig_a", "full"): good}
    (aside,) = tmp_path.glob("manifest.json.corrupt-*")
    assert aside.read_text() == text and "1 malformed entry" in notes[0]


def test_a_corrupt_figure_cache_is_recomputed_with_a_warning(fake_figures, tmp_path):
    out = tmp_path / "figs"
    args = dict(out=out, quick=True, package="faultfigs", progress=False)
    first = figures.run_figures(["fig_cached"], **args)["entries"][0]
    assert first["status"] == "ok" and first["warnings"] == []
    npz = out / "fig_cached_quick.npz"
    for damage in ("truncate", "flip"):
        raw = npz.read_bytes()
        if damage == "truncate":  # BadZipFile
            npz.write_bytes(raw[: len(raw) // 2])
        else:  # a byte flipped inside a compressed member: Bad CRC-32 / zlib.error
            mid = len(raw) // 2
            npz.write_bytes(raw[:mid] + bytes([raw[mid] ^ 0xFF]) + raw[mid + 1 :])
        res = figures.run_figures(["fig_cached"], **args)
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
    code, _, err = cli_rc(
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
