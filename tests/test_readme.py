"""The README's Python blocks import only from ``rtrl_theory`` and run as written.

Truth: the README itself. Every fenced ``python`` block is extracted, checked for imports from
subpackages (the curated API of ``rtrl_theory/__init__.py`` must suffice), and executed in one
namespace, in order (the second block uses the first one's model). The run test shrinks the
sizes (time steps, particles) by textual substitutions listed below, each of which must match the
README exactly once, so a README edit that changes a size fails here instead of silently running
at full size; nothing else of the blocks is changed.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

#: (README text, quick replacement): the sizes of the blocks, reduced so the run takes seconds.
QUICK_SIZES = (
    ("process, 20_000, rng=1", "process, 400, rng=1"),
    ("result.loss_windows(2000)", "result.loss_windows(100)"),
    ("jp.initial(1000, rng=1", "jp.initial(64, rng=1"),
    ("jp.initial(1000, rng=2", "jp.initial(64, rng=2"),
    ("x0, y0, 60, coupling", "x0, y0, 8, coupling"),
    ("n_particles=400, n_steps=200, burn_in=40", "n_particles=32, n_steps=20, burn_in=5"),
)


def python_blocks(text: str) -> list[str]:
    """The fenced ```python blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def subpackage_imports(code: str) -> list[str]:
    """Modules below ``rtrl_theory`` that ``code`` imports from (``rtrl_theory.x...``)."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [n for n in names if n.startswith("rtrl_theory.")]
    return found


def test_python_blocks_import_only_from_rtrl_theory():
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 2, "the README lost its Python API blocks"
    for i, code in enumerate(blocks):
        assert subpackage_imports(code) == [], f"README python block {i} imports a subpackage"


def test_subpackage_import_detector_catches_one():
    # The check above can fail: a block importing from a subpackage is reported.
    code = "from rtrl_theory.runners import train_online\nimport rtrl_theory.data as d\n"
    assert subpackage_imports(code) == ["rtrl_theory.runners", "rtrl_theory.data"]
    assert subpackage_imports("from rtrl_theory import train_online\n") == []


@pytest.mark.slow  # 15 s on the loaded two-core machine, mostly compiling the numba kernels
def test_python_blocks_run_with_quick_sizes():
    text = README.read_text()
    for old, new in QUICK_SIZES:
        assert text.count(old) == 1, f"README: expected {old!r} exactly once (update QUICK_SIZES)"
        text = text.replace(old, new)
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for i, code in enumerate(python_blocks(text)):
            exec(compile(code, f"README.md python block {i}", "exec"), namespace)
    # What the blocks promise: a finished training run and a contraction-rate estimate in (0, 1]
    # with a confidence interval around it (Assumption 2.10's rho < 1 for this small c_f).
    assert namespace["result"].status == "completed"
    est = namespace["est"]
    assert 0.0 < est.rate <= 1.0
    assert est.rate_ci[0] <= est.rate <= est.rate_ci[1]
    assert "rho" in out.getvalue()


@pytest.mark.parametrize("name", ["train_online", "JointProcess", "GRURNN", "char_rnn"])
def test_issue_names_are_top_level(name):
    # Issue 16: the names the README had to import from subpackages are at the top level.
    import rtrl_theory

    assert name in rtrl_theory.__all__
    assert getattr(rtrl_theory, name) is not None


def test_top_level_all_matches_the_lazy_table():
    # __all__ is a literal list (for linters); it must name every lazy name and resolve each one
    # to the object its subpackage defines.
    import importlib

    import rtrl_theory

    assert len(set(rtrl_theory.__all__)) == len(rtrl_theory.__all__)
    assert set(rtrl_theory._LAZY) <= set(rtrl_theory.__all__)
    for name, sub in rtrl_theory._LAZY.items():
        module = importlib.import_module(f"rtrl_theory.{sub}")
        assert getattr(rtrl_theory, name) is getattr(module, name)
    for name in rtrl_theory.__all__:
        assert hasattr(rtrl_theory, name)
