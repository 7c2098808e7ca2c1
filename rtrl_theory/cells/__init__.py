"""Cells (state recursions), heads and models.

The types a new cell is written against are in :mod:`rtrl_theory.cells.seam` (the common ones
also here).
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._base import (
    Cell,
    CompiledCell,
    CompiledTerm,
    IndexedRowLocalTerm,
    Linearization,
    ParamBlock,
    PreactivationCell,
    RowLocalTerm,
    StateJacobian,
)
from ._gru import CHAR_CELLS, GRURNN, CharElmanRNN, GRUCell, OneHotElmanCell, char_rnn
from ._heads import SquaredErrorReadout, StateSliceHead
from ._lstm import LSTMRNN, LSTMCell
from ._maps import (
    BOUNDED_MAPS,
    ELU,
    Identity,
    ReLU,
    ScalarMap,
    ScaledSigmoid,
    ScaledTanh,
    Sigmoid,
    Tanh,
    bounded_map,
)
from ._model import RNNModel
from ._paper import PaperCell, PaperParams, PaperRNN
from ._section7 import (
    ACTIVATIONS,
    ElmanCell,
    ElmanParams,
    ElmanRNN,
    LinearSDE,
    LinearSDECell,
    LinearSDEParams,
    NeuralSDE,
    NeuralSDECell,
    NeuralSDEParams,
    activation_map,
)
from ._softmax import SoftmaxCrossEntropy

__all__ = [
    "CHAR_CELLS",
    "CharElmanRNN",
    "LSTMCell",
    "LSTMRNN",
    "StateSliceHead",
    "GRUCell",
    "GRURNN",
    "IndexedRowLocalTerm",
    "OneHotElmanCell",
    "SoftmaxCrossEntropy",
    "char_rnn",
    "ACTIVATIONS",
    "BOUNDED_MAPS",
    "ElmanCell",
    "ElmanParams",
    "ElmanRNN",
    "LinearSDE",
    "LinearSDECell",
    "LinearSDEParams",
    "NeuralSDE",
    "NeuralSDECell",
    "NeuralSDEParams",
    "activation_map",
    "Cell",
    "CompiledCell",
    "CompiledTerm",
    "ELU",
    "Identity",
    "Linearization",
    "PaperCell",
    "PaperParams",
    "PaperRNN",
    "ParamBlock",
    "PreactivationCell",
    "RNNModel",
    "ReLU",
    "RowLocalTerm",
    "ScalarMap",
    "ScaledSigmoid",
    "ScaledTanh",
    "Sigmoid",
    "SquaredErrorReadout",
    "StateJacobian",
    "Tanh",
    "bounded_map",
]

# Plumbing, and seam types a cell writer meets only as return values: deprecated here for one
# release (the seam types live on in rtrl_theory.cells.seam).
__getattr__ = _moved_names(
    __name__,
    {
        "HeadDerivatives": "rtrl_theory.cells.seam:HeadDerivatives",
        "SecondOrderPieces": "rtrl_theory.cells.seam:SecondOrderPieces",
        "INPUT_KINDS": "rtrl_theory.cells._gru:INPUT_KINDS",
        "as_index_array": "rtrl_theory.cells._softmax:as_index_array",
    },
)
