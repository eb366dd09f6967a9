# `make test` and `make demo` work on a fresh clone: they create .venv and install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint typecheck pytest test demo bench reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy --strict abeja tests/typing
	$(VENV)/bin/pyright

# coverage starts before pytest, so the pytest11 plugin's import is measured too.
pytest: install
	$(PY) -m coverage run -m pytest -q
	$(PY) -m coverage report

test: lint typecheck pytest

# The reliability suite alone, printing its figures (docs: README "Reliability").
reliability: install
	$(PY) -m pytest -q -s tests/test_soak.py tests/test_hygiene.py tests/test_hostile.py \
		tests/test_fuzz.py tests/test_secrets.py tests/test_validation.py tests/test_retries.py

demo: install
	$(PY) docs/quickstart.py

bench: install
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .coverage .mypy_cache .ruff_cache
