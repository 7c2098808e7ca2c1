r"""Character-level text for [P1] Section 7.4.

Character-level text: vocabulary, the tiny-shakespeare corpus, next-character streams, and bits
per character ([P1] Section 7.4).

* :class:`CharVocabulary`: the sorted distinct characters of a text; ``encode`` maps text to
  integer symbols (int64), ``decode`` back.
* :func:`load_tiny_shakespeare` / :func:`tiny_shakespeare`: the 1,115,394-byte corpus from the
  data directory (:func:`~rtrl_theory.data.resolve_data_dir`), SHA-256 checked, split into the
  first 90% (1,003,854 training characters) and the held-out tail (111,540 characters). The
  vocabulary (65 characters) is that of the whole text, the char-rnn convention, so every
  held-out character has a symbol.
* :func:`next_char_pairs`, :func:`parallel_streams`, :func:`iter_text_chunks`: (inputs, targets)
  with target = the next character, for one stream or B parallel streams (contiguous segments, the
  usual char-rnn mini-batching). A text of n characters gives n - 1 steps.
* :func:`bits_per_character`: the mean cross-entropy of a model's next-character predictions over
  a text, divided by :math:`\ln 2`, by a plain forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import positive_int

from ._datadir import data_file

__all__ = [
    "CharVocabulary",
    "TextSplit",
    "TINY_SHAKESPEARE",
    "load_tiny_shakespeare",
    "tiny_shakespeare",
    "train_heldout_split",
    "next_char_pairs",
    "parallel_streams",
    "iter_text_chunks",
    "bits_per_character",
]


@dataclass(frozen=True)
class _CorpusFile:
    relpath: str
    sha256: str
    n_bytes: int
    source: str


#: The tiny-shakespeare corpus: path in the data directory, digest, size and origin.
TINY_SHAKESPEARE = _CorpusFile(
    relpath="shakespeare/tinyshakespeare.txt",
    sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    n_bytes=1_115_394,
    source=(
        "the char-rnn repository (https://github.com/karpathy/char-rnn), file "
        "data/tinyshakespeare/input.txt, saved as <data dir>/shakespeare/tinyshakespeare.txt "
        "(`rtrl-theory fetch-data shakespeare --data-dir DIR` does it)"
    ),
)


# ------------------------------------------------------------------------------------------------
# Vocabulary
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CharVocabulary:
    """The sorted distinct characters of a text; symbol i is ``chars[i]``.

    Parameters
    ----------
    chars : str
        Distinct characters in increasing code-point order.

    Examples
    --------
    >>> vocab = CharVocabulary.from_text("hello world")
    >>> vocab.chars, vocab.size
    (' dehlorw', 8)
    >>> vocab.encode("hold").tolist()
    [3, 5, 4, 1]
    >>> vocab.decode(vocab.encode("hello world"))
    'hello world'
    """

    chars: str

    def __post_init__(self) -> None:
        if not isinstance(self.chars, str) or not self.chars:
            raise ValueError(f"chars: expected a non-empty string, got {self.chars!r}")
        if "".join(sorted(set(self.chars))) != self.chars:
            raise ValueError("chars: expected distinct characters in increasing order")

    @classmethod
    def from_text(cls, text: str) -> CharVocabulary:
        """Return the vocabulary of ``text`` (its sorted distinct characters)."""
        if not isinstance(text, str) or not text:
            raise ValueError("text: expected a non-empty string")
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        """V, the number of symbols."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.size

    def _codes(self) -> np.ndarray:
        return np.frombuffer(self.chars.encode("utf-32-le"), dtype=np.uint32)

    def encode(self, text: str) -> np.ndarray:
        """Integer symbols of ``text``, an int64 array of length ``len(text)``.

        Raises
        ------
        ValueError
            Naming the first character of ``text`` outside the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        mine = self._codes()
        table = np.full(int(mine.max()) + 2, -1, dtype=np.int64)
        table[mine] = np.arange(mine.shape[0])
        out = table[np.minimum(codes, table.shape[0] - 1)]
        if out.size and out.min() < 0:
            bad = text[int(np.argmax(out < 0))]
            raise ValueError(f"text: character {bad!r} is not in the vocabulary")
        return out

    def decode(self, indices) -> str:
        """Return the text of integer symbols ``indices`` (inverse of :meth:`encode`)."""
        from rtrl_theory.cells._softmax import as_index_array

        idx = as_index_array(indices, "indices", self.size, shape=(None,))
        return self._codes()[idx].tobytes().decode("utf-32-le")


# ------------------------------------------------------------------------------------------------
# Tiny shakespeare
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextSplit:
    """A text encoded with its vocabulary and split into a training head and a held-out tail.

    The data of the character-level experiment of [P1] Section 7.4 (Fig. 10).

    Parameters
    ----------
    vocab : CharVocabulary
        The vocabulary of the whole text (V symbols).
    train : ndarray of int64, shape (n_train,)
        The training head, as symbols in ``[0, V)``.
    heldout : ndarray of int64, shape (n_heldout,)
        The held-out tail, as symbols.

    See Also
    --------
    tiny_shakespeare : builds the split of the tiny-shakespeare corpus.
    """

    vocab: CharVocabulary
    train: np.ndarray
    heldout: np.ndarray

    @property
    def n_train(self) -> int:
        return int(self.train.shape[0])

    @property
    def n_heldout(self) -> int:
        return int(self.heldout.shape[0])


def load_tiny_shakespeare(data_dir=None) -> str:
    """Return the tiny-shakespeare text, read from the data directory after a SHA-256 check.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        The data directory (default: ``$RTRL_THEORY_DATA``, then ``../shared/data`` of the
        project); the file is ``<data_dir>/shakespeare/tinyshakespeare.txt``.

    Raises
    ------
    MissingDataError
        If the directory or the file is missing (the message says where to get it).
    ChecksumError
        If the file is not the expected 1,115,394-byte corpus.

    Returns
    -------
    str
        The corpus (ASCII), 1,115,394 characters.

    See Also
    --------
    tiny_shakespeare : the text encoded and split.
    """
    f = TINY_SHAKESPEARE
    path = data_file(f.relpath, f.sha256, data_dir=data_dir, source=f.source)
    return path.read_bytes().decode("ascii")


def train_heldout_split(indices, train_fraction: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """``(indices[:n], indices[n:])`` with ``n = floor(train_fraction * len(indices))``.

    The floor is taken in exact arithmetic for fractions with few decimals (0.9 of 1,115,394 is
    1,003,854.6: 1,003,854 training characters).

    Parameters
    ----------
    indices : array_like, shape (n,)
        The sequence to split (any dtype; symbols of a text, in practice).
    train_fraction : float, default 0.9
        The share of the head, in (0, 1).

    Returns
    -------
    train : ndarray, shape (floor(train_fraction n),)
        The head ``indices[:n_train]``.
    heldout : ndarray, shape (n - n_train,)
        The tail.

    Raises
    ------
    ValueError
        If ``train_fraction`` is not in (0, 1).
    """
    idx = np.asarray(indices)
    tf = float(train_fraction)
    if not 0.0 < tf < 1.0:
        raise ValueError(f"train_fraction: expected a number in (0, 1), got {train_fraction!r}")
    n = math.floor(round(idx.shape[0] * tf, 6))
    return idx[:n], idx[n:]


def tiny_shakespeare(data_dir=None, *, train_fraction: float = 0.9) -> TextSplit:
    """Return tiny shakespeare encoded with its 65-character vocabulary and split 90 / 10.

    The corpus of [P1] Section 7.4 (Fig. 10), read by :func:`load_tiny_shakespeare`.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        The data directory (default: ``$RTRL_THEORY_DATA``, then ``../shared/data`` of the
        project).
    train_fraction : float, default 0.9
        The share of the training head (:func:`train_heldout_split`).

    Returns
    -------
    TextSplit
        ``train`` (1,003,854 symbols for the default fraction), ``heldout`` (111,540) and
        ``vocab``.

    Examples
    --------
    >>> split = tiny_shakespeare()  # doctest: +SKIP
    >>> split.vocab.size, split.n_train, split.n_heldout  # doctest: +SKIP
    (65, 1003854, 111540)
    """
    text = load_tiny_shakespeare(data_dir)
    vocab = CharVocabulary.from_text(text)
    train, held = train_heldout_split(vocab.encode(text), train_fraction)
    return TextSplit(vocab, train, held)


# ------------------------------------------------------------------------------------------------
# Streams of (input, next character)
# ------------------------------------------------------------------------------------------------
def _symbols(indices, name: str = "indices") -> np.ndarray:
    arr = np.asarray(indices)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise TypeError(
            f"{name}: expected a 1-D integer array of symbols, got dtype {arr.dtype} and shape "
            f"{arr.shape}"
        )
    if arr.shape[0] < 2:
        raise ValueError(f"{name}: expected at least 2 symbols (one step), got {arr.shape[0]}")
    return arr.astype(np.int64, copy=False)


def next_char_pairs(indices) -> tuple[np.ndarray, np.ndarray]:
    r"""Split into inputs ``indices[:-1]`` and next-character targets ``indices[1:]`` (n - 1 steps).

    Parameters
    ----------
    indices : ndarray of int, shape (n,)
        A text as symbols, n >= 2.

    Returns
    -------
    X : ndarray of int64, shape (n - 1,)
        The inputs :math:`x_0, \dots, x_{n-2}`.
    Y : ndarray of int64, shape (n - 1,)
        The targets, the next characters :math:`x_1, \dots, x_{n-1}`.

    See Also
    --------
    parallel_streams : the same for B parallel streams.

    Examples
    --------
    >>> x, y = next_char_pairs(np.array([3, 1, 4, 1]))
    >>> x.tolist(), y.tolist()
    ([3, 1, 4], [1, 4, 1])
    """
    idx = _symbols(indices)
    return idx[:-1], idx[1:]


def parallel_streams(indices, n_streams: int) -> tuple[np.ndarray, np.ndarray]:
    """B parallel streams: the text cut into B contiguous segments of equal length.

    Segment c covers ``indices[c L : (c + 1) L + 1]`` with ``L = (n - 1) // B``, so that every
    step of every stream has its next character; the last ``(n - 1) - B L`` steps are dropped.

    Parameters
    ----------
    indices : ndarray of int, shape (n,)
        A text as symbols.
    n_streams : int
        B >= 1, the number of streams; n >= B + 1 is needed.

    Returns
    -------
    X, Y : ndarray of int64, shape (B, L)
        Inputs and next-character targets for ``train_online(..., batch_size=B)``.

    See Also
    --------
    next_char_pairs : the single-stream case.
    iter_text_chunks : the streams in chunks of steps.
    """
    idx = _symbols(indices)
    B = positive_int(n_streams, "n_streams")
    L = (idx.shape[0] - 1) // B
    if L < 1:
        raise ValueError(f"n_streams: {B} streams need at least {B + 1} symbols")
    starts = np.arange(B)[:, None] * L + np.arange(L)[None, :]
    return idx[starts], idx[starts + 1]


def iter_text_chunks(
    indices, chunk: int, *, n_streams: int = 1
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield consecutive chunks ``(X, Y)`` of at most ``chunk`` steps.

    ``X``, ``Y`` are (m,) for one stream, (B, m) for ``n_streams = B`` (see
    :func:`parallel_streams`).

    Parameters
    ----------
    indices : ndarray of int, shape (n,)
        A text as symbols.
    chunk : int
        The largest number of steps per chunk (m <= chunk; the last chunk may be shorter).
    n_streams : int, default 1
        B, the number of parallel streams.

    Yields
    ------
    X, Y : ndarray of int64, shape (m,) or (B, m)
        Consecutive inputs and next-character targets; their concatenation is the output of
        :func:`next_char_pairs` (B = 1) or :func:`parallel_streams`.
    """
    chunk = positive_int(chunk, "chunk")
    if n_streams == 1:
        X, Y = next_char_pairs(indices)
        for a in range(0, X.shape[0], chunk):
            yield X[a : a + chunk], Y[a : a + chunk]
        return
    X, Y = parallel_streams(indices, n_streams)
    for a in range(0, X.shape[1], chunk):
        yield X[:, a : a + chunk], Y[:, a : a + chunk]


# ------------------------------------------------------------------------------------------------
# Evaluation
# ------------------------------------------------------------------------------------------------
def bits_per_character(
    model, params, indices, *, S0=None, return_state: bool = False, backend: str = "auto"
):
    r"""Bits per character of a model's next-character predictions over a text.

    .. math:: \mathrm{bpc} = \frac{1}{(n-1)\ln 2}\sum_{t=0}^{n-2} -\log p_\theta(x_{t+1}\mid
              x_0,\dots,x_t),

    by a plain forward pass (``model.cell.step`` and the head's ``loss``) from ``S0``.

    Parameters
    ----------
    model : RNNModel with a softmax cross-entropy head
        E.g. :func:`~rtrl_theory.cells.char_rnn`; one-hot or dense (one-hot vectors are then
        built per step) inputs.
    params : flat parameters
    indices : ndarray of int, shape (n,)
        The text as symbols (e.g. ``TextSplit.heldout``); n - 1 predictions.
    S0 : ndarray, shape (N,), optional
        Starting state (default 0: the held-out text is read from a fresh state).
    return_state : bool
        Also return the final state (N,).
    backend : {"auto", "numpy", "numba"}
        Decided by ``rtrl_theory.engine.select_backend`` (task "losses"): the compiled forward
        pass when numba is installed and covers the model, else NumPy; both give the same
        number to rounding.

    Returns
    -------
    float, or (float, ndarray)

    Examples
    --------
    >>> from rtrl_theory.cells._gru import GRURNN
    >>> model = GRURNN(3, 4, 4)
    >>> theta = model.init_params(0)
    >>> theta[: model.n_head_params] = 0.0  # zero logits: the uniform prediction
    >>> bits_per_character(model, theta, np.array([0, 1, 2, 3, 0]))  # log2(4)
    2.0
    """
    head = model.head
    if not callable(getattr(head, "loss", None)):
        raise TypeError(
            f"model: bits per character need a classification head with a loss method "
            f"(SoftmaxCrossEntropy), got {type(head).__name__}"
        )
    theta = model.flatten(params)
    x, y = next_char_pairs(indices)
    cell = model.cell
    V = getattr(model, "n_classes", None) or head.n_classes
    if x.max() >= cell.n_input or y.max() >= V:
        raise ValueError(
            f"indices: symbols must lie in [0, {min(cell.n_input, V)}), got {int(max(x.max(), y.max()))}"
        )
    from rtrl_theory.engine import select_backend

    N = cell.n_state
    if S0 is not None:
        S0 = np.array(S0, dtype=float).reshape(N)
    if select_backend(model, "losses", backend=backend).name == "numba":
        from rtrl_theory.engine._compiled import sequence_compiled

        nats, _, S_T, _ = sequence_compiled(model, theta, x, y, S0=S0, grad=False)
        bpc = float(nats.mean() / math.log(2.0))
        return (bpc, S_T) if return_state else bpc
    th, tc = model.split(theta)
    prep = cell.prepare(tc)
    S = np.zeros((1, N)) if S0 is None else S0.reshape(1, N)
    onehot = getattr(cell, "input_kind", "dense") == "onehot"
    eye = None if onehot else np.eye(cell.n_input)
    states = np.empty((x.shape[0], N))
    for t in range(x.shape[0]):
        xt = x[t : t + 1] if onehot else eye[x[t : t + 1]]
        S = cell.step(prep, S, xt)
        states[t] = S[0]
    nats = head.loss(th, states, y)
    bpc = float(nats.mean() / math.log(2.0))
    return (bpc, S[0].copy()) if return_state else bpc
