"""Output paths of every command: checked before any work, locked, written atomically.

A leaf module (standard library only) used by every command that writes a file: ``train --out
/--checkpoint``, ``verify --json/--markdown``, ``assumptions --json``, ``contraction --json
/--plot/--marginals``; :func:`rtrl_theory.runners.write_json_atomic` and the checkpoint writer
write through :func:`atomic_path`, so there is one writer.

Rules
-----
* **Checked first.** :func:`prepare_outputs` runs before any work: each target must not be a
  directory, a block device or a socket; its folder must exist or be creatable, and a file must
  be creatable in it (a probe file is created and removed, which also catches a read-only file
  system, whatever the user's privileges). Two options naming the same file are refused.
* **No silent replacement.** An option declared ``overwrite=False`` (a run record) refuses a
  target that already exists; the command says which flag allows it (``--overwrite``).
* **Locks.** An advisory ``fcntl.flock`` is taken on a lock file beside each regular-file target
  (``.NAME.lock``, holding the process id) for the whole command, so a second process on the
  same path stops at once with a message naming the first (:class:`OutputBusy`). The lock file is
  removed on release; the protocol (lock, then check that the file on disk is still the one
  locked) is safe against a concurrent release.
* **Atomic writes onto regular files only.** A regular file (or a missing one) is written to a
  temporary file in the same folder, flushed, fsync'ed and moved over the target with
  ``os.replace``: a reader sees the old or the new file, never half of one.
  A **symbolic link** is never replaced: the file it points to is (the link stays).
  A **character device or FIFO** (``/dev/null``, ``/dev/stdout``, a named pipe) is *written
  through*, not atomically (it is a stream: there is nothing to replace), where the option allows
  it (text outputs); an option that needs a real file (a checkpoint, a plot) refuses it.
  A directory, a block device or a socket is refused with a message saying which.
* ``-`` means standard output (for the options that allow it).
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import json
import math
import os
import platform
import stat
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "to_jsonable",
    "write_json_atomic",
    "environment_info",
    "STDOUT",
    "OutputError",
    "OutputBusy",
    "OutputSpec",
    "Outputs",
    "PathLock",
    "atomic_path",
    "is_stdout",
    "path_kind",
    "prepare_outputs",
    "write_bytes",
    "write_text",
]

#: The name of standard output on the command line (the Unix convention).
STDOUT = "-"


class OutputError(ValueError):
    """An output path that cannot be used; the message names the option, the path and why."""


class OutputBusy(OutputError):
    """An output path locked by another process (the message names its process id)."""


def is_stdout(path) -> bool:
    """Return True for ``"-"`` (standard output)."""
    return path is not None and os.fspath(path) == STDOUT


def path_kind(path) -> str:
    """Classify what is at ``path``, symbolic links followed.

    One of ``"missing"``, ``"file"``, ``"directory"``, ``"character device"``, ``"block device"``,
    ``"FIFO"``, ``"socket"``.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent, or a path through a file: the folder check says which
        return "missing"
    for test, name in (
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "directory"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


_STREAMS = ("character device", "FIFO")


def _describe(path: Path) -> str:
    link = f" (a symbolic link to {os.path.realpath(path)!r})" if os.path.islink(path) else ""
    return f"{str(path)!r}{link}"


@dataclass(frozen=True)
class OutputSpec:
    """One output of a command.

    Attributes
    ----------
    option : str
        The flag as the user typed it (``"--out"``), used in every message.
    path : str or os.PathLike
    stdout_ok : bool
        ``"-"`` writes to standard output (text outputs).
    stream_ok : bool
        A character device or FIFO is written through (text outputs); else refused.
    overwrite : bool
        False: an existing target is refused (``overwrite_hint`` says how to allow it).
    overwrite_hint : str
    lock : bool
        Take the advisory lock on a regular-file target.
    """

    option: str
    path: object
    stdout_ok: bool = True
    stream_ok: bool = True
    overwrite: bool = True
    overwrite_hint: str = "pass --overwrite to replace it"
    lock: bool = True


def _real(path: Path) -> Path:
    """Return the file a write lands in: symbolic links resolved (the link itself is never replaced)."""
    return Path(os.path.realpath(path))


def _check_folder(option: str, path: Path) -> None:
    folder = _real(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(
            f"{option}: cannot write {str(path)!r}: a part of its folder {str(folder)!r} is a "
            f"file, not a folder"
        ) from None
    except OSError as exc:
        raise OutputError(
            f"{option}: cannot create the folder {str(folder)!r} for {str(path)!r}: "
            f"{exc.strerror or exc}"
        ) from None
    if not folder.is_dir():
        raise OutputError(f"{option}: {str(folder)!r}, the folder of {str(path)!r}, is not a folder")
    try:  # a probe: the only test that also holds for root and for read-only file systems
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        raise OutputError(
            f"{option}: cannot write into {str(folder)!r} (for {str(path)!r}): "
            f"{exc.strerror or exc}; choose a writable place"
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_output(spec: OutputSpec) -> str:
    """Check one output before any work and return its kind.

    The kind is ``"stdout"``, ``"file"``, ``"missing"``, ``"character device"`` or ``"FIFO"``; an
    unusable output raises :class:`OutputError`.
    """
    opt = spec.option
    if is_stdout(spec.path):
        if not spec.stdout_ok:
            raise OutputError(f"{opt}: '-' (standard output) is not possible here; give a file path")
        return "stdout"
    path = Path(spec.path)
    if str(spec.path) == "":
        raise OutputError(f"{opt}: empty path")
    kind = path_kind(path)
    if kind == "directory":
        raise OutputError(f"{opt}: {_describe(path)} is a directory; give a file path inside it")
    if kind in _STREAMS:
        if not spec.stream_ok:
            raise OutputError(
                f"{opt}: {_describe(path)} is a {kind}, not a regular file; this output must be "
                f"a regular file"
            )
        if not os.access(path, os.W_OK):
            raise OutputError(f"{opt}: {_describe(path)} ({kind}) is not writable")
        return kind
    if kind not in ("file", "missing"):
        raise OutputError(
            f"{opt}: {_describe(path)} is a {kind}, not a regular file; refusing to write there"
        )
    if kind == "file" and not spec.overwrite:
        raise OutputError(f"{opt}: {str(path)!r} exists; {spec.overwrite_hint}")
    _check_folder(opt, path)
    return kind


class PathLock:
    """An advisory exclusive lock (``fcntl.flock``) on ``.NAME.lock`` beside ``path``.

    ``acquire`` raises :class:`OutputBusy`, naming the holder's process id, when another process
    holds it. Only cooperating processes (this package) respect it.
    """

    def __init__(self, path, option: str = "output"):
        real = _real(Path(path))
        self.path = Path(path)
        self.option = option
        self.lock_path = real.with_name(f".{real.name}.lock")
        self._fd = None

    def acquire(self) -> PathLock:
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
                finally:
                    os.close(fd)
                raise OutputBusy(
                    f"{self.option}: {str(self.path)!r} is in use by another run (pid {holder}, "
                    f"lock {str(self.lock_path)!r}); wait for it to finish, stop it, or choose "
                    f"another path"
                ) from None
            try:  # the holder before us may have removed the file after we opened it: retry
                same = os.path.samestat(os.fstat(fd), os.stat(self.lock_path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.lock_path)
        except FileNotFoundError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


class Outputs:
    """The checked (and locked) outputs of one command; release with :meth:`release` or ``with``.

    ``kinds`` maps each option to its kind (:func:`check_output`); :attr:`to_stdout` says whether
    any output is standard output (the command then prints its table or summary on stderr).
    """

    def __init__(self, kinds: dict, locks: list):
        self.kinds = kinds
        self.locks = locks

    @property
    def to_stdout(self) -> bool:
        return "stdout" in self.kinds.values()

    def release(self) -> None:
        for lock in reversed(self.locks):
            lock.release()
        self.locks = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def prepare_outputs(specs) -> Outputs:
    """Check every output (:func:`check_output`) and take their locks, before any work.

    ``specs`` is an iterable of :class:`OutputSpec`; those whose ``path`` is None are skipped.
    Two options naming the same file, or two naming standard output, are refused. On any error
    the locks taken so far are released and :class:`OutputError` is raised.
    """
    specs = [s for s in specs if s.path is not None]
    seen = {}
    for s in specs:
        key = STDOUT if is_stdout(s.path) else os.path.realpath(s.path)
        if key in seen:
            what = "standard output" if key == STDOUT else repr(str(s.path))
            raise OutputError(f"{s.option}: {seen[key]} and {s.option} both name {what}")
        seen[key] = s.option
    kinds, locks = {}, []
    try:
        for s in specs:
            kinds[s.option] = check_output(s)
        for s in specs:
            if s.lock and kinds[s.option] in ("file", "missing"):
                locks.append(PathLock(s.path, s.option).acquire())
    except BaseException:
        for lock in reversed(locks):
            lock.release()
        raise
    return Outputs(kinds, locks)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path):
    """Yield the path to write ``path`` through; on success the result is in place.

    A regular (or missing) file: a temporary file beside it, moved over it with ``os.replace``
    on success (atomic on POSIX), removed on any error; the folder is created if needed. A
    symbolic link: the same, onto the file it points to (the link is kept). A character device or
    FIFO: the path itself (written through). A directory, block device or socket:
    :class:`OutputError`.
    """
    path = Path(path)
    kind = path_kind(path)
    if kind in _STREAMS:
        yield path
        return
    if kind not in ("file", "missing"):
        raise OutputError(f"{_describe(path)} is a {kind}, not a regular file; refusing to write")
    real = _real(path)
    real.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=real.suffix or ".tmp", dir=real.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual file mode
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` (``"-"``: standard output) by the rules of the module."""
    if is_stdout(path):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        if path_kind(tmp) == "file":
            os.fsync(fh.fileno())


def write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` (``"-"``: standard output) by the rules of the module."""
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_bytes(path, text.encode("utf-8"))


# --- JSON records (moved from rtrl_theory.runners._records, which re-exports them) ---


def to_jsonable(obj):
    """Convert numpy scalars/arrays (and non-finite floats, as strings) into JSON-safe values."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json_atomic(path, obj, *, indent: int | None = 1) -> Path:
    """Write ``obj`` as JSON to ``path``, the one writer of :mod:`rtrl_theory._outputs`.

    It follows that module's rules: atomically onto a regular file (temporary file,
    fsync, ``os.replace``), through a symbolic link onto its target, through a character device or
    FIFO, ``"-"`` to standard output.
    """
    text = json.dumps(to_jsonable(obj), indent=indent, allow_nan=False)
    write_text(path, text + "\n")
    return path if is_stdout(path) else Path(path)


def environment_info() -> dict:
    """Python, platform and versions of the packages that shape numerical results."""
    import numpy as np

    from rtrl_theory._version import __version__

    versions = {"rtrl_theory": __version__, "numpy": np.__version__}
    for dist in ("scipy", "numba", "POT", "sympy"):
        try:  # metadata only: no import of heavy packages
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": versions,
    }
