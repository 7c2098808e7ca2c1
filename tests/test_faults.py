"""Fault injection for the train/output half of issue 15: every fault is run as a user would run
it (``python -m rtrl_theory ...`` in a subprocess) and the test checks the exit status, the
message and that nothing already on disk was lost or replaced.

Truth: the documented contract of the command line (README, "Command line"): exit 0 completed,
1 a check or hypothesis fails, 2 bad arguments / unusable output / damaged checkpoint (nothing
written), 3 diverged or interrupted (recorded). No tolerance is involved except the divergence
rule, whose thresholds are the documented defaults of ``rtrl_theory.runners._divergence``.
The compiled-kernel signal tests are marked slow (first compilation); the module runs in well
under three minutes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

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
    want = {"numpy": "numpy", "tbptt": "numpy", "compiled-paper": "numba"}.get(backend, "numba-text")
    assert rec["backend"] == want
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
