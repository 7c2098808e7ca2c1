"""Where the real-data files live, and checking that they are the expected ones.

The project ships no data. Real-data experiments read their files from a *data directory*:

1. the ``path`` argument (a ``--data-dir`` flag), when given;
2. else the environment variable ``RTRL_THEORY_DATA``, when set and non-empty;
3. else ``../shared/data`` relative to the project root (the folder holding ``pyproject.toml``
   above the package), when it exists: the layout of the development checkout and of CI.

Files are identified by their path inside that directory and their SHA-256 digest
(:func:`verify_sha256`); a missing or altered file raises an error that says what is expected,
where it was looked for, and where to get it (:func:`data_file`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = [
    "DATA_ENV_VAR",
    "DataFileError",
    "MissingDataError",
    "ChecksumError",
    "resolve_data_dir",
    "verify_sha256",
    "sha256_of",
    "data_file",
]

#: Environment variable naming the data directory (after an explicit argument).
DATA_ENV_VAR = "RTRL_THEORY_DATA"


class DataFileError(Exception):
    """Base class of the data-location errors (a missing directory or file, a bad digest)."""


class MissingDataError(DataFileError, FileNotFoundError):
    """The data directory or a data file does not exist."""


class ChecksumError(DataFileError, ValueError):
    """A data file exists but its SHA-256 digest is not the expected one."""


def _project_default() -> Path | None:
    """``<project root>/../shared/data`` when the package sits in a source checkout."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        return None
    return (root.parent / "shared" / "data").resolve()


def resolve_data_dir(path=None) -> Path:
    """Return the data directory: ``path`` > ``$RTRL_THEORY_DATA`` > ``../shared/data`` (module docstring).

    Parameters
    ----------
    path : str or os.PathLike, optional
        An explicit directory (for example from a ``--data-dir`` flag).

    Returns
    -------
    pathlib.Path
        The resolved, existing directory.

    Raises
    ------
    MissingDataError
        If the chosen directory does not exist (naming where the choice came from), or if none
        was given and the project default does not exist.
    """
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_dir():
            raise MissingDataError(
                f"data_dir: {str(p)!r} is not an existing directory (given as the data "
                f"directory argument / --data-dir)"
            )
        return p.resolve()
    env = os.environ.get(DATA_ENV_VAR, "")
    if env:
        p = Path(env).expanduser()
        if not p.is_dir():
            raise MissingDataError(
                f"{DATA_ENV_VAR}: {env!r} is not an existing directory; set it to the data "
                f"directory or pass --data-dir"
            )
        return p.resolve()
    default = _project_default()
    if default is not None and default.is_dir():
        return default
    where = f" (the project default {str(default)!r} does not exist)" if default else ""
    raise MissingDataError(
        f"data_dir: no data directory given; pass --data-dir (the data_dir argument) or set "
        f"{DATA_ENV_VAR} to the folder holding the data files{where}"
    )


def sha256_of(path, *, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 digest of a file, read in chunks of ``chunk_size`` bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_size):
            h.update(block)
    return h.hexdigest()


def verify_sha256(path, expected: str, *, source: str | None = None) -> Path:
    """Check that the file ``path`` exists and has the SHA-256 digest ``expected``.

    Parameters
    ----------
    path : str or os.PathLike
    expected : str
        Hex digest (case-insensitive).
    source : str, optional
        Where to get the file, added to the error messages.

    Returns
    -------
    pathlib.Path
        ``path``, checked.

    Raises
    ------
    MissingDataError
        If the file does not exist.
    ChecksumError
        If its digest differs (an altered, truncated or different file).
    """
    p = Path(path)
    hint = f"; get it from {source}" if source else ""
    if not p.is_file():
        raise MissingDataError(
            f"path: data file {str(p)!r} not found (expected sha256 {expected}){hint}"
        )
    got = sha256_of(p)
    if got != expected.lower():
        raise ChecksumError(
            f"path: data file {str(p)!r} has sha256 {got}, expected {expected.lower()} "
            f"({p.stat().st_size} bytes): the file is altered or not the expected one{hint}"
        )
    return p


def data_file(relpath, sha256: str | None = None, *, data_dir=None, source=None) -> Path:
    """Locate ``relpath`` inside the data directory and, if ``sha256`` is given, verify it.

    Parameters
    ----------
    relpath : str or os.PathLike
        Path of the file inside the data directory (e.g. ``"shakespeare/tinyshakespeare.txt"``).
    sha256 : str, optional
        Expected hex digest.
    data_dir : str or os.PathLike, optional
        Explicit data directory (see :func:`resolve_data_dir`).
    source : str, optional
        Where to get the file, for the error messages.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    MissingDataError, ChecksumError
    """
    root = resolve_data_dir(data_dir)
    p = root / relpath
    if sha256 is not None:
        return verify_sha256(p, sha256, source=source)
    if not p.is_file():
        hint = f"; get it from {source}" if source else ""
        raise MissingDataError(f"relpath: data file {str(p)!r} not found{hint}")
    return p
