# One command each for the main job and the tests; both create or reuse the virtualenv .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: verify verify-full test test-all bench figures figures-quick notebooks report docs docs-clean clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

## verify: install, then run the verification suite (quick mode)
verify: $(BIN)/.installed
	$(BIN)/rtrl-theory verify --quick

verify-full: $(BIN)/.installed
	$(BIN)/rtrl-theory verify --full

## test: install, then lint (ruff, docstring rules included) and run the default test suite
## (slow tests excluded)
test: $(BIN)/.installed
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest

test-all: $(BIN)/.installed
	$(BIN)/python -m pytest -m ""

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_rtrl.py
	$(BIN)/python benchmarks/bench_particles.py
	$(BIN)/python benchmarks/bench_w1.py

## figures: regenerate every figure of paper_figures/ in full mode into figures/ (about 40 min on
## two cores; cached data and sweep runs are reused, pass ARGS=--recompute to redo them)
figures: $(BIN)/.installed
	$(BIN)/python -m paper_figures --out figures $(ARGS)

figures-quick: $(BIN)/.installed
	$(BIN)/python -m paper_figures --quick --out figures $(ARGS)

## notebooks: execute every notebook of notebooks/ top to bottom (quick mode unless QUICK=0) into
## build/notebooks/*.ipynb, with their outputs and figures (open them in Jupyter)
QUICK ?= 1
$(BIN)/.installed-notebooks: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,notebooks]"
	touch $@

notebooks: $(BIN)/.installed-notebooks
	mkdir -p build/notebooks
	for nb in notebooks/[0-9]*.py; do \
		echo "$$nb"; \
		RTRL_THEORY_QUICK=$(QUICK) $(BIN)/jupytext --to ipynb --execute \
			--output build/notebooks/$$(basename $$nb .py).ipynb $$nb || exit 1; \
	done

## report: the verify table (quick checks) and every figure in figures/ as report/report.md and a
## self-contained report/report.html (run `make figures` or `make figures-quick` first)
report: $(BIN)/.installed
	$(BIN)/python -m rtrl_theory report --out report --figures figures $(ARGS)

## docs: the documentation site into build/docs/html (open build/docs/html/index.html), warnings
## as errors. Quick-mode gallery and notebooks are executed and cached in build/docs (a rebuild
## reuses them; `make docs-clean` starts afresh). RTRL_THEORY_VERIFY_JSON=verify.json shows the
## statuses of a `rtrl-theory verify --quick --json verify.json` run in the verify table;
## RTRL_THEORY_DOCS_EXECUTE=0 renders the notebooks without running them.
$(BIN)/.installed-docs: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,docs]"
	touch $@

docs: $(BIN)/.installed-docs
	$(BIN)/python -m sphinx -b html -W --keep-going -j 1 docs build/docs/html

docs-clean:
	rm -rf build/docs docs/_generated docs/api docs/notebooks docs/auto_gallery docs/sg_execution_times.rst

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
