"""The cell seam: every type a new cell or head is written against (README, "adding a cell").

A cell (:class:`Cell`, or :class:`PreactivationCell` for second order) declares its parameter
blocks (:class:`ParamBlock`), returns its state Jacobian (:class:`StateJacobian`) and its immediate
parameter Jacobian as row-local terms (:class:`RowLocalTerm`, :class:`IndexedRowLocalTerm`)
inside a :class:`Linearization`, and for second order the :class:`SecondOrderPieces`; a compiled
path is described by a :class:`CompiledCell` with one :class:`CompiledTerm` per row-local term,
and its forward function is registered with :func:`register_forward` (``cells._jit``). A
head (e.g. :class:`StateSliceHead`) returns its loss derivatives as :class:`HeadDerivatives`.
The common ones are also on :mod:`rtrl_theory.cells`; this namespace has the complete set.
"""

from ._base import (
    Cell,
    CompiledCell,
    CompiledTerm,
    IndexedRowLocalTerm,
    Linearization,
    ParamBlock,
    PreactivationCell,
    RowLocalTerm,
    SecondOrderPieces,
    StateJacobian,
)
from ._heads import HeadDerivatives, StateSliceHead
from ._jit import register_forward

__all__ = [
    "Cell",
    "CompiledCell",
    "CompiledTerm",
    "HeadDerivatives",
    "IndexedRowLocalTerm",
    "Linearization",
    "ParamBlock",
    "PreactivationCell",
    "RowLocalTerm",
    "SecondOrderPieces",
    "StateJacobian",
    "StateSliceHead",
    "register_forward",
]
