"""``rtrl-theory train``: online RTRL / TBPTT training with a JSON run record.

The flags are the table :data:`rtrl_theory._train_options.TRAIN_OPTIONS`; the run is
:func:`rtrl_theory._train_job.run_train_job` on a :class:`~rtrl_theory.setups.TrainSetup`.
"""

from __future__ import annotations

import sys

from rtrl_theory._train_options import DATA_KINDS, TRAIN_DESCRIPTION, TRAIN_HELP, TRAIN_OPTIONS
from rtrl_theory.commands._common import add_command, error

__all__ = ["DATA_KINDS", "add_parser"]


def add_parser(sub):
    """Register ``train`` (flags: :data:`~rtrl_theory._train_options.TRAIN_OPTIONS`)."""
    return add_command(sub, "train", TRAIN_HELP, TRAIN_DESCRIPTION, TRAIN_OPTIONS, _cmd_train)


def _cmd_train(args) -> int:
    from rtrl_theory._outputs import OutputError, prepare_outputs
    from rtrl_theory._train_job import TermAsInterrupt, run_train_job, train_outputs
    from rtrl_theory._train_options import divergence_rule, resolve_train_options
    from rtrl_theory.data import DataFileError
    from rtrl_theory.runners import CheckpointError

    try:
        args = resolve_train_options(args)
        divergence = divergence_rule(args)
    except ValueError as exc:
        return error("train", exc)
    out, params_file, stream, specs = train_outputs(args)
    try:
        outputs = prepare_outputs(specs)
    except OutputError as exc:
        return error("train", f"{exc} (nothing was run or written)")
    try:
        with outputs, TermAsInterrupt():
            return run_train_job(args, out, params_file, divergence, stream)
    except KeyboardInterrupt:
        print(
            "rtrl-theory train: interrupted outside the training loop (while loading the data, "
            "or just after the final record was written); the files on disk are the last "
            "complete ones",
            file=sys.stderr,
        )
        return 3
    except CheckpointError as exc:
        return error(
            "train",
            f"{exc}. The run record {out!r} is intact (not touched); restore the checkpoint "
            f"from a copy, or start afresh with another --checkpoint",
        )
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, DataFileError) as exc:
        return error("train", exc)
