"""The downloader (rtrl_theory.data.fetch_data, rtrl-theory fetch-data), through file:// URLs.

There is no network here, so the "server" is a file: the shared data directory (../shared/data,
whose files carry the pinned digests) or an altered copy of it. Truth: the pinned SHA-256 digests
(the data README's); a download that does not match must leave nothing behind.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rtrl_theory.cli import main
from rtrl_theory.data import (
    LOBSTER_SAMPLE,
    TINY_SHAKESPEARE,
    ChecksumError,
    DataFileError,
    fetch_data,
    load_tiny_shakespeare,
    lobster_sample_paths,
    resolve_data_dir,
)
from rtrl_theory.data._datadir import sha256_of

SHARED = resolve_data_dir()


def _needs(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"shared data file {path} absent")
    return path


def test_shakespeare_download_is_verified_and_readable(tmp_path):
    src = _needs(SHARED / TINY_SHAKESPEARE.relpath)
    out = fetch_data("shakespeare", tmp_path / "d", url=src.as_uri())
    assert out == [tmp_path / "d" / TINY_SHAKESPEARE.relpath]
    assert sha256_of(out[0]) == TINY_SHAKESPEARE.sha256
    assert len(load_tiny_shakespeare(data_dir=tmp_path / "d")) == TINY_SHAKESPEARE.n_bytes
    # Already there with the right digest: kept, even if the URL is now unreachable.
    assert fetch_data("shakespeare", tmp_path / "d", url="file:///nonexistent/x.txt") == out


def test_an_altered_download_is_refused_and_leaves_nothing(tmp_path):
    src = _needs(SHARED / TINY_SHAKESPEARE.relpath)
    bad = tmp_path / "input.txt"
    data = bytearray(src.read_bytes())
    data[100] ^= 1  # one flipped bit
    bad.write_bytes(bytes(data))
    dest = tmp_path / "d"
    with pytest.raises(ChecksumError, match="sha256 .* expected " + TINY_SHAKESPEARE.sha256):
        fetch_data("shakespeare", dest, url=bad.as_uri())
    assert not any(p.is_file() for p in dest.rglob("*")), "a refused download left a file"


def test_a_failed_download_names_the_url(tmp_path):
    with pytest.raises(DataFileError, match="url: could not download"):
        fetch_data("shakespeare", tmp_path, url=(tmp_path / "missing.txt").as_uri())
    with pytest.raises(ValueError, match="name: expected one of"):
        fetch_data("mnist", tmp_path)


def _sample_zip(tmp_path, *, alter=False, drop=None) -> Path:
    z = tmp_path / "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in LOBSTER_SAMPLE:
            if name == drop:
                continue
            payload = _needs(SHARED / "lobster" / name).read_bytes()
            if alter and "orderbook" in name:
                payload = payload.replace(b",", b";", 1)
            zf.writestr(f"sample/{name}", payload)  # inside a sub-folder, as archives often are
        zf.writestr("sample/LOBSTER_SampleFiles_ReadMe.txt", "readme")
    return z


def test_lobster_sample_is_extracted_verified_and_readable(tmp_path):
    z = _sample_zip(tmp_path)
    out = fetch_data("lob-sample", tmp_path / "d", url=z.as_uri())
    assert [p.name for p in out] == list(LOBSTER_SAMPLE)
    msg, book = lobster_sample_paths(tmp_path / "d")  # checks the digests again
    assert (msg, book) == tuple(out)
    assert (tmp_path / "d" / "lobster" / "LOBSTER_SampleFiles_ReadMe.txt").is_file()


def test_lobster_archive_with_an_altered_or_missing_file_is_refused(tmp_path):
    with pytest.raises(ChecksumError, match="orderbook"):
        fetch_data("lob-sample", tmp_path / "a", url=_sample_zip(tmp_path, alter=True).as_uri())
    assert not (tmp_path / "a" / "lobster" / list(LOBSTER_SAMPLE)[1]).exists()
    drop = list(LOBSTER_SAMPLE)[0]
    (tmp_path / "z").mkdir()
    z = _sample_zip(tmp_path / "z", drop=drop)
    with pytest.raises(DataFileError, match="lacks"):
        fetch_data("lob-sample", tmp_path / "b", url=z.as_uri())
    not_zip = tmp_path / "page.html"
    not_zip.write_text("<html>moved</html>")
    with pytest.raises(DataFileError, match="zip archive"):
        fetch_data("lob-sample", tmp_path / "c", url=not_zip.as_uri())


def test_cli_fetch_data(tmp_path, capsys):
    src = _needs(SHARED / TINY_SHAKESPEARE.relpath)
    assert (
        main(["fetch-data", "shakespeare", "--data-dir", str(tmp_path), "--url", src.as_uri()]) == 0
    )
    assert "sha256 verified" in capsys.readouterr().out
    bad = tmp_path / "bad.txt"
    bad.write_text("not shakespeare")
    assert (
        main(
            ["fetch-data", "shakespeare", "--data-dir", str(tmp_path / "x"), "--url", bad.as_uri()]
        )
        == 2
    )
    assert "expected " + TINY_SHAKESPEARE.sha256 in capsys.readouterr().err
    assert (
        main(
            [
                "fetch-data",
                "shakespeare",
                "lob-sample",
                "--data-dir",
                str(tmp_path),
                "--url",
                src.as_uri(),
            ]
        )
        == 2
    )
