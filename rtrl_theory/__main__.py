"""``python -m rtrl_theory``: the same as the ``rtrl-theory`` command."""

import sys

from rtrl_theory.cli import main

sys.exit(main())
