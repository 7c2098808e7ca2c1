"""Note (THEORY.md section 9, item 5): slips in [P1]'s text.

Lemma 3.7's proof cites (B.1) where (B.5) is meant; "Theorem 3.15" and "Lemma 3.15" name the same
result; "Lemma 5.24" is an equation; "Chapter 5" means Section 4. Reported so that readers of the
verification table can map references; this row is not a check.
"""

from __future__ import annotations

from rtrl_theory.checks import CheckResult

ID = "note-9.5"
STATEMENT = "Reference slips in [P1]'s text ((B.1) for (B.5), Theorem/Lemma 3.15, ...)"


def check(quick: bool = True) -> CheckResult:
    return CheckResult(
        ID,
        STATEMENT,
        claimed="as printed in [P1]",
        measured="(B.1) -> (B.5) in Lemma 3.7; Theorem 3.15 = Lemma 3.15; 'Lemma 5.24' is an "
        "equation; 'Chapter 5' = Section 4",
        method="reported (text), not checked",
        status="note",
    )


#: A ``note`` row reports text; there is no computed claim to make false (reference slips in the text, nothing computed).
MUTANTS = ()
