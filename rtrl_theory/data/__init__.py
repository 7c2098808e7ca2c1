"""Data processes of [P1]: input chains, targets, the Section 7 set-ups and real data.

Contracting input chains and bounded-noise targets (Section 2.1, Example 2.4); the Section 7
set-ups (Gaussian inputs, Wishart and rescaled-Gaussian teachers); tiny shakespeare (Section 7.4);
LOBSTER order books (reader, features, baselines, synthetic order flow; Section 7.5); the data
directory and its checksums.
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._chains import DataProcess, DataStream, ExampleChain, LipschitzTarget, TeacherTarget
from ._datadir import (
    DATA_ENV_VAR,
    ChecksumError,
    DataFileError,
    MissingDataError,
    data_file,
    resolve_data_dir,
    verify_sha256,
)
from ._fetch import DATASETS, fetch_data
from ._linear import AR1Chain
from ._lob_baselines import (
    BaselineResult,
    LogisticFit,
    fit_multinomial_logistic,
    logistic_baseline,
    prior_baseline,
)
from ._lobster import (
    LOBSTER_SAMPLE,
    LobsterDay,
    LobsterFormatError,
    TimeSplit,
    class_balance,
    lob_features,
    lobster_sample_paths,
    read_lobster,
    split_by_time,
    validate_lobster,
    write_lobster,
)
from ._orderflow import OrderFlowParams, simulate_order_flow
from ._teachers import (
    DelayLineCell,
    GaussianInputs,
    Teacher,
    delayed_input_teacher,
    elman_teacher,
    linear_sde_teacher,
    neural_sde_teacher,
    rescaled_gaussian_matrix,
    wishart_matrix,
)
from ._text import (
    TINY_SHAKESPEARE,
    CharVocabulary,
    TextSplit,
    bits_per_character,
    iter_text_chunks,
    load_tiny_shakespeare,
    next_char_pairs,
    parallel_streams,
    tiny_shakespeare,
    train_heldout_split,
)
from ._trace import (
    LeakyTraceCell,
    leaky_trace_teacher,
    lifted_chain_step,
    lifted_lambda,
    trace_process,
)

__all__ = [
    "DATASETS",
    "fetch_data",
    "DATA_ENV_VAR",
    "TINY_SHAKESPEARE",
    "CharVocabulary",
    "ChecksumError",
    "DataFileError",
    "MissingDataError",
    "TextSplit",
    "bits_per_character",
    "data_file",
    "iter_text_chunks",
    "load_tiny_shakespeare",
    "next_char_pairs",
    "parallel_streams",
    "resolve_data_dir",
    "tiny_shakespeare",
    "train_heldout_split",
    "verify_sha256",
    "LOBSTER_SAMPLE",
    "BaselineResult",
    "LobsterDay",
    "LobsterFormatError",
    "LogisticFit",
    "OrderFlowParams",
    "TimeSplit",
    "class_balance",
    "fit_multinomial_logistic",
    "lob_features",
    "lobster_sample_paths",
    "logistic_baseline",
    "prior_baseline",
    "read_lobster",
    "simulate_order_flow",
    "split_by_time",
    "validate_lobster",
    "write_lobster",
    "AR1Chain",
    "DataProcess",
    "DelayLineCell",
    "LeakyTraceCell",
    "leaky_trace_teacher",
    "lifted_chain_step",
    "lifted_lambda",
    "trace_process",
    "delayed_input_teacher",
    "DataStream",
    "ExampleChain",
    "GaussianInputs",
    "LipschitzTarget",
    "TeacherTarget",
    "Teacher",
    "elman_teacher",
    "linear_sde_teacher",
    "neural_sde_teacher",
    "rescaled_gaussian_matrix",
    "wishart_matrix",
]

# Checksum plumbing of the data directory (verify_sha256 is the user's check): deprecated here for
# one release.
__getattr__ = _moved_names(__name__, {"sha256_of": "rtrl_theory.data._datadir:sha256_of"})
