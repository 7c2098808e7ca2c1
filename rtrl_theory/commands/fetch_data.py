"""``rtrl-theory fetch-data``: download and verify the real data sets (:mod:`rtrl_theory.data`)."""

import sys
from pathlib import Path

from rtrl_theory._options import flag
from rtrl_theory.commands import _common as c

DESCRIPTION = ("Download tiny-shakespeare (shakespeare) or the LOBSTER AMZN 2012-06-21 level-1 "
               "sample (lob-sample) into DATA_DIR, in the layout `train --data-dir` reads. Each "
               "file is checked against the SHA-256 the project pins before it is moved into "
               "place; files already there with the right digest are kept. Exit status: 0 done, "
               "2 bad arguments, a failed download or a file that is not the pinned one.")
OPTIONS = (
    flag("datasets", nargs="+", choices=["shakespeare", "lob-sample"], metavar="DATASET",
         help="shakespeare, lob-sample"),
    flag("--data-dir", type=Path, required=True,
         help="folder to fill (then pass it as --data-dir or RTRL_THEORY_DATA)"),
    flag("--url", default=None,
         help="download address (only with one DATASET); default the project's"),
    flag("--force", action="store_true", help="download even if already there"),
)


def add_parser(sub):
    """Register ``fetch-data`` (flags: :data:`OPTIONS`)."""
    help = "download the real data sets into a data directory, checked by SHA-256"
    return c.add_command(sub, "fetch-data", help, DESCRIPTION, OPTIONS, _cmd_fetch_data)


def _cmd_fetch_data(args) -> int:
    from rtrl_theory.data import DataFileError, fetch_data

    if args.url is not None and len(args.datasets) != 1:
        print("error: --url: give exactly one DATASET with --url", file=sys.stderr)
        return 2
    for name in args.datasets:
        try:
            paths = fetch_data(name, args.data_dir, url=args.url, force=args.force)
        except (ValueError, DataFileError) as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            return 2
        for path in paths:
            print(f"{name}: {path} (sha256 verified)")
    return 0
