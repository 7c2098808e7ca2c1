"""The package's layers import downward only (issue 14, item 5).

Truth: the source itself. Every module of ``rtrl_theory`` is parsed (``ast``), and every import
in it -- at the top, inside functions, under ``if TYPE_CHECKING`` -- is resolved to the module it
names (``from pkg import name`` names ``pkg.name`` when that is a module, else ``pkg``; relative
imports are resolved against the importing module's package). Each module belongs to the entry
of ``LAYERS`` with the longest matching prefix; an import is allowed only into the same entry or
an entry listed BEFORE it. ``LAYERS`` is a total order, so the graph of entries is acyclic by
construction; the README's Layout section documents the same order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rtrl_theory

ROOT = Path(rtrl_theory.__file__).parent

#: Lowest first. A module may import from its own entry and from the entries above it here.
LAYERS = (
    "rtrl_theory._version",  # the version string
    "rtrl_theory._deprecation",  # deprecated aliases of names that left a face (stdlib only)
    "rtrl_theory._progress",  # the progress-bar class (tqdm only)
    "rtrl_theory._validate",  # argument checking
    "rtrl_theory._options",  # command-line options declared as data (stdlib only)
    "rtrl_theory._outputs",  # I/O leaf: output checks, locks, atomic writes, JSON records
    "rtrl_theory._memory",  # memory estimates and the refusal rule
    "rtrl_theory.optim",  # schedules, optimizers, the divergence rule
    "rtrl_theory.checks",  # the verification harness (the checks live in proofs_checks/)
    "rtrl_theory.cells",  # models: cells, heads, parameters
    "rtrl_theory.engine",  # RTRL / BPTT / second order, NumPy and compiled
    "rtrl_theory.data",  # data processes, real data sets
    "rtrl_theory.oracles",  # closed-form oracles
    "rtrl_theory.bounds",  # constants, radii, the theorem's hypotheses
    "rtrl_theory.symbolic",  # SymPy derivations
    "rtrl_theory.runners._result",  # TrainResult (returned by online and runners)
    "rtrl_theory.online",  # online gradient estimators (UORO, KF-RTRL, SnAp, ...)
    "rtrl_theory.runners",  # trainers, particles, sweeps, real-data experiments
    "rtrl_theory.estimators",  # contraction rates, limits, convergence
    "rtrl_theory.plotting",  # figures
    "rtrl_theory.setups",  # experiments as library objects
    "rtrl_theory._train_options",  # the train command's option table and its resolution
    "rtrl_theory._contraction_options",  # the contraction command's option table
    "rtrl_theory._train_job",  # the train command's run and record
    "rtrl_theory.figures",  # the paper figures' runner and manifest
    "rtrl_theory.report",  # the report
    "rtrl_theory.commands._common",  # helpers shared by the commands (the parser builder)
    "rtrl_theory.commands",  # one module per command
    "rtrl_theory.figures_cli",  # deprecated alias module (was the runner and the command)
    "rtrl_theory.online._cli",  # deprecated alias module (was the estimators command)
    "rtrl_theory",  # the package face (__init__)
    "rtrl_theory.cli",  # the entry point
    "rtrl_theory.__main__",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _entry(module: str) -> str:
    best = None
    for e in LAYERS:
        inside = module == e or (e != "rtrl_theory" and module.startswith(e + "."))
        if inside and (best is None or len(e) > len(best)):
            best = e
    if best is None:
        raise AssertionError(f"{module}: in no entry of LAYERS; add it where it belongs")
    return best


def _imports(module: str, path: Path):
    """(line, imported module) for every import of ``rtrl_theory`` in the module."""
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for a in node.names:
                sub = f"{target}.{a.name}"
                yield node.lineno, sub if sub in MODULES else target


def _violations():
    order = {e: i for i, e in enumerate(LAYERS)}
    bad = []
    for module, path in MODULES.items():
        src = _entry(module)
        for line, target in _imports(module, path):
            if not (target == "rtrl_theory" or target.startswith("rtrl_theory.")):
                continue
            dst = _entry(target)
            if dst != src and order[dst] > order[src]:
                bad.append(f"{path.relative_to(ROOT.parent)}:{line}: {module} ({src}) imports "
                           f"{target} ({dst}), a higher layer")
    return bad


def test_every_module_has_a_layer():
    """The face entry ``rtrl_theory`` holds only ``__init__``: a new module must be placed."""
    for module in MODULES:
        _entry(module)


def test_imports_go_downward_only():
    bad = _violations()
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source, line",
    [
        ("rtrl_theory/bounds/_x.py", "def f():\n    from rtrl_theory.runners import train_online\n"),
        ("rtrl_theory/engine/_x.py", "from ..runners import TrainResult\n"),
        ("rtrl_theory/commands/_x.py", "from rtrl_theory.cli import main\n"),
        ("rtrl_theory/plotting.py", "from rtrl_theory import setups\n"),
    ],
)
def test_the_walk_catches_an_upward_import(source, line, monkeypatch):
    """Mutants: an upward import (inside a function, relative, into the entry point, through
    ``from rtrl_theory import <module>``) added to a module makes the test fail."""
    path = ROOT.parent / source
    original = path.read_text() if path.exists() else ""
    module = _module_name(path)
    monkeypatch.setitem(MODULES, module, path)
    real_read = Path.read_text

    def read_text(self, *a, **k):
        if self == path:
            return original + "\n" + line
        return real_read(self, *a, **k)

    monkeypatch.setattr(Path, "read_text", read_text)
    assert any(module in b for b in _violations())
