"""Download the real data sets into a data directory, pinned by SHA-256.

For users with internet access; the project's tests and CI read ``../shared/data`` instead and
exercise this module through ``file://`` URLs only (the machine that builds the project has no
network). A download goes to a temporary file beside its destination, is checked against the
digest the project pins (:data:`~rtrl_theory.data.TINY_SHAKESPEARE`,
:data:`~rtrl_theory.data.LOBSTER_SAMPLE`, the same digests as the files' README), and only then
renamed into place: an interrupted or altered download never leaves a file that looks valid.

Data sets
---------
``shakespeare``
    Tiny-shakespeare from the char-rnn repository, saved as ``<dir>/shakespeare/tinyshakespeare.txt``.
``lob-sample``
    The LOBSTER free sample ``LOBSTER_SampleFile_AMZN_2012-06-21_1.zip`` (AMZN, 2012-06-21,
    level 1); its message and order-book files are extracted to ``<dir>/lobster/`` (with
    LOBSTER's ReadMe when the archive has one). LOBSTER may change where it serves its samples:
    pass ``url=`` (``--url``) to use another address; the digests still decide.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from ._datadir import ChecksumError, DataFileError, sha256_of
from ._lobster import LOBSTER_SAMPLE
from ._text import TINY_SHAKESPEARE

__all__ = ["DATASETS", "fetch_data"]

#: Default download addresses of the data sets :func:`fetch_data` knows.
DATASETS = {
    "shakespeare": (
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
    ),
    "lob-sample": "https://lobsterdata.com/info/sample/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip",
}

_LOBSTER_README = "LOBSTER_SampleFiles_ReadMe.txt"


def _download(url: str, *, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - pinned digests
            return resp.read()
    except (OSError, ValueError) as exc:  # URLError is an OSError; a bad URL a ValueError
        raise DataFileError(f"url: could not download {url!r}: {exc}") from exc


def _write_verified(dest: Path, payload: bytes, expected: str, *, origin: str) -> Path:
    """Write ``payload`` to ``dest`` atomically if its SHA-256 is ``expected``; else raise."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        got = sha256_of(tmp)
        if got != expected:
            raise ChecksumError(
                f"url: {origin} gave {dest.name} with sha256 {got}, expected {expected} "
                f"({len(payload)} bytes): not the file the project pins; nothing was written"
            )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def fetch_data(
    name: str, data_dir, *, url: str | None = None, force: bool = False, timeout: float = 60.0
) -> list[Path]:
    """Download a data set into ``data_dir`` and verify it (module docstring).

    Parameters
    ----------
    name : {"shakespeare", "lob-sample"}
        The data set.
    data_dir : str or os.PathLike
        The data directory to fill (created if needed): the folder later given as
        ``--data-dir`` or ``RTRL_THEORY_DATA``.
    url : str, optional
        Download address; default :data:`DATASETS` ``[name]``. Any scheme ``urllib`` opens
        (``https://``, ``file://``).
    force : bool, default False
        Download even when the files are already there with the right digests.
    timeout : float, default 60
        Seconds before a stalled connection fails.

    Returns
    -------
    list of pathlib.Path
        The verified files.

    Raises
    ------
    ValueError
        Unknown ``name``.
    DataFileError
        The download failed, or the archive lacks an expected file.
    ChecksumError
        A downloaded file is not the pinned one (nothing is written for it).
    """
    if name not in DATASETS:
        raise ValueError(f"name: expected one of {sorted(DATASETS)}, got {name!r}")
    root = Path(data_dir).expanduser()
    src = url or DATASETS[name]
    if name == "shakespeare":
        dest = root / TINY_SHAKESPEARE.relpath
        if not force and dest.is_file() and sha256_of(dest) == TINY_SHAKESPEARE.sha256:
            return [dest]
        return [
            _write_verified(
                dest, _download(src, timeout=timeout), TINY_SHAKESPEARE.sha256, origin=src
            )
        ]
    # lob-sample: a zip archive holding the two CSV files (possibly in a sub-folder).
    folder = root / "lobster"
    dests = [folder / n for n in LOBSTER_SAMPLE]
    if not force and all(p.is_file() and sha256_of(p) == LOBSTER_SAMPLE[p.name] for p in dests):
        return dests
    payload = _download(src, timeout=timeout)
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as exc:
        raise DataFileError(f"url: {src!r} did not give a zip archive: {exc}") from exc
    members = {Path(m).name: m for m in archive.namelist() if not m.endswith("/")}
    missing = [n for n in LOBSTER_SAMPLE if n not in members]
    if missing:
        raise DataFileError(
            f"url: the archive from {src!r} lacks {missing}; expected the LOBSTER AMZN "
            f"2012-06-21 level-1 sample"
        )
    out = [
        _write_verified(folder / n, archive.read(members[n]), digest, origin=src)
        for n, digest in LOBSTER_SAMPLE.items()
    ]
    if _LOBSTER_README in members:  # documentation, kept beside the data (not pinned)
        with (
            archive.open(members[_LOBSTER_README]) as fh,
            open(folder / _LOBSTER_README, "wb") as dst,
        ):
            shutil.copyfileobj(fh, dst)
    return out
