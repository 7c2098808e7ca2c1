"""Every public object of every face has numpydoc sections (issue 16, item 4).

Truth: the docstrings themselves, read with a small numpydoc section parser written here (a
section is a title line followed by a line of dashes, as in numpydoc's format). The rule, for each
function or class named in a face's ``__all__`` and defined in ``rtrl_theory``:

* a one-line summary;
* a ``Parameters`` section (``Attributes`` also counts for a class) naming every parameter of the
  signature (a class's is its constructor's), ``self``/``cls`` and private ``_names`` excepted;
  ``*args``/``**kwargs`` are named as ``*args``/``**kwargs``; ``a, b : float`` names both;
* for a function whose return annotation is not ``None``: a ``Returns`` or ``Yields`` section.

Exceptions and enums need only the summary. ``PENDING`` lists, per face, the names that do not
yet follow the rule; the test fails when a name outside it breaks the rule, and also when a name
in it now follows the rule (so the list can only shrink, and is empty when the work is done).
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
import warnings

import pytest

FACES = [
    "rtrl_theory",
    "rtrl_theory.bounds",
    "rtrl_theory.cells",
    "rtrl_theory.checks",
    "rtrl_theory.data",
    "rtrl_theory.engine",
    "rtrl_theory.estimators",
    "rtrl_theory.figures",
    "rtrl_theory.online",
    "rtrl_theory.optim",
    "rtrl_theory.oracles",
    "rtrl_theory.plotting",
    "rtrl_theory.report",
    "rtrl_theory.runners",
    "rtrl_theory.setups",
    "rtrl_theory.symbolic",
]

# Names known not to follow the rule yet (issue 16): remove a name once its docstring is fixed.
PENDING: dict[str, set[str]] = {}

_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::.*)?$")


def sections(doc: str) -> dict[str, list[str]]:
    """Split a numpydoc docstring into {title: lines}; '' holds the text before any section."""
    lines = doc.splitlines()
    out: dict[str, list[str]] = {"": []}
    title = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and nxt.strip() and set(nxt.strip()) == {"-"} and len(nxt.strip()) == len(line.strip()):
            title = line.strip()
            out[title] = []
            i += 2
            continue
        out[title].append(line)
        i += 1
    return out


def documented_names(block: list[str]) -> set[str]:
    """Parameter names of a Parameters/Attributes section (entries start at column 0)."""
    names: set[str] = set()
    for line in block:
        if not line or line[0].isspace():
            continue
        m = _ENTRY.match(line.strip())
        if m:
            names.update(n.strip() for n in m.group(1).split(","))
    return names


def problems(obj) -> list[str]:
    """What the docstring of ``obj`` lacks under the rule of this module."""
    doc = inspect.getdoc(obj) or ""
    secs = sections(doc)
    summary = [ln for ln in secs[""] if ln.strip()]
    out = [] if summary else ["no summary"]
    if inspect.isclass(obj) and (issubclass(obj, (BaseException, enum.Enum))):
        return out
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return out
    wanted = []
    for p in sig.parameters.values():
        if p.name in ("self", "cls") or p.name.startswith("_"):
            continue
        prefix = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
        wanted.append(prefix + p.name)
    have = documented_names(secs.get("Parameters", []))
    if inspect.isclass(obj):
        have |= documented_names(secs.get("Attributes", []))
    have |= {n.lstrip("*") for n in have}
    missing = [n for n in wanted if n not in have and n.lstrip("*") not in have]
    if missing:
        out.append("Parameters lacks " + ", ".join(missing))
    if not inspect.isclass(obj):
        ret = sig.return_annotation
        if ret not in (None, "None") and "Returns" not in secs and "Yields" not in secs:
            out.append("no Returns section")
    return out


def face_objects(face: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        mod = importlib.import_module(face)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if not getattr(obj, "__module__", "").startswith("rtrl_theory"):
                continue
            yield name, obj


def test_section_parser_reads_numpydoc():
    """The parser itself, on a docstring written here (so the rule cannot pass vacuously)."""

    def f(a, b, *args, c=1, **kw) -> int:
        """Do it.

        Parameters
        ----------
        a, b : float
            Two.
        *args
            More.
        c : int
        **kw
            Options.

        Returns
        -------
        int
        """

    def g(a, b) -> int:
        """Do it.

        Parameters
        ----------
        a : float
        """

    assert problems(f) == []
    assert problems(g) == ["Parameters lacks b", "no Returns section"]


@pytest.mark.parametrize("face", FACES)
def test_every_public_object_has_numpydoc_sections(face):
    bad = {name: p for name, obj in face_objects(face) if (p := problems(obj))}
    pending = PENDING.get(face, set())
    new = {n: p for n, p in bad.items() if n not in pending}
    fixed = sorted(pending - set(bad))
    assert not new, f"{face}: public objects without numpydoc sections: {new}"
    assert not fixed, f"{face}: now documented, remove from PENDING: {fixed}"
