"""Cells (state recursions), heads and models; see ``_base`` for the cell interface."""

from ._base import (
    Cell,
    Linearization,
    ParamBlock,
    PreactivationCell,
    RowLocalTerm,
    SecondOrderPieces,
    StateJacobian,
)
from ._heads import HeadDerivatives, SquaredErrorReadout
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

__all__ = [
    "BOUNDED_MAPS",
    "Cell",
    "ELU",
    "HeadDerivatives",
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
    "SecondOrderPieces",
    "Sigmoid",
    "SquaredErrorReadout",
    "StateJacobian",
    "Tanh",
    "bounded_map",
]
