"""One module per statement of [P1] with computable content; see ``rtrl_theory.checks``.

Each public module defines ``ID``, ``STATEMENT`` and ``check(quick=True) -> CheckResult``.
"""
