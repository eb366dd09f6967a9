# `make demo` and `make test` work on a fresh clone: they create .venv and install what
# they need (the demo only the package itself; the tests the dev tools too).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The interpreter's version is in the stamps: `make test PYTHON=python3.12` rebuilds .venv.
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
RUNTIME := $(VENV)/.runtime-$(PYVER)
DEV := $(VENV)/.dev-$(PYVER)

.PHONY: install lint generate typecheck pytest dist docs test test-long test-pythons demo bench bench-ir bench-async bench-threads bench-upload bench-batch bench-answer house reliability clean

# Packages go in through uv, which pip puts in the venv first: on a fresh machine it
# installs the dev tools in about 10 s where pip takes 70 (make test's five minutes count
# the install). Where uv cannot be had (no wheel for the platform, no index that has it),
# pip does the same work. Both leave bytecode compiled, as pip does by default: where
# PYTHONDONTWRITEBYTECODE is set (this machine's kind sets it), nothing else would, and
# every process the tests start would compile pydantic and requests from source.
pip_install = if $(PY) -m uv --version > /dev/null 2>&1; \
	then $(PY) -m uv pip install --quiet --compile-bytecode --python $(PY) $(1); \
	else $(PY) -m pip install --quiet --disable-pip-version-check $(1); fi

$(RUNTIME): pyproject.toml
	@if [ ! -x $(PY) ] || [ "$$($(PY) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" != "$(PYVER)" ]; then \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); fi
	-$(PY) -m pip install --quiet --disable-pip-version-check uv 2> /dev/null
	@$(call pip_install,-e .)
	touch $@

$(DEV): $(RUNTIME)
	@$(call pip_install,-e '.[dev]')
	touch $@

install: $(DEV)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) .ci/unasync.py --check

# The sync managers are written from the async ones (.ci/unasync.py); after changing an
# async manager, regenerate its sync twin (lint fails while one is stale).
generate: install
	$(PY) .ci/unasync.py

typecheck: install
	$(VENV)/bin/mypy --strict abeja tests/typing
	$(VENV)/bin/pyright

# abejaruntime 1.1.1 imports the cgi module, which Python 3.13 removed: there the emulator's
# abejaruntime mode (its one module) cannot run, so it is left out of the figure, not the
# floor (every other Python measures it).
NO_RUNTIME := $(shell $(PYTHON) -c 'import sys; print(int(sys.version_info >= (3, 13)))')
COVERAGE_OMIT := $(if $(filter 1,$(NO_RUNTIME)),--omit=abeja/services/testing/_runtime/_runtime_process.py,)

# The tests on three workers (pytest-xdist): on this 2-core machine the tests wait on
# processes and sockets enough that a third worker fills the gaps (pytest 245 s on two,
# 214 s on three, from a fresh clone); `make test WORKERS=0` runs them in one process.
# What builds a wheel of this tree or fills a shared .cache/ environment takes turns
# through file locks (tests/locks.py). coverage starts before pytest (the pytest11
# plugin's import is measured) and, through its subprocess patch, in each worker and each
# command the tests run; the data is combined, reported and held to fail_under.
# The long soak, fuzz and hygiene figures (the installs beside abeja-sdk, the typed wheel,
# 200 MiB and 1,000-call runs) are `make test-long`'s (marker `long`), which .ci/run runs
# too, in one process: they time and size things, so they run alone.
WORKERS ?= 3
PARALLEL := -n $(WORKERS)
pytest: install
	rm -f .coverage .coverage.*
	@# The package's own bytecode, for the same reason (its source is installed editable).
	$(PY) -m compileall -q abeja
	$(PY) -m coverage run -m pytest -q $(PARALLEL) -m "not long"
	$(PY) -m coverage combine -q
	$(PY) -m coverage report $(COVERAGE_OMIT)

test-long: install
	$(PY) -m pytest -q -m long

# The wheel and sdist users would get, checked as the registry would check them.
dist: install
	rm -rf dist
	$(PY) -m build --outdir dist . > /dev/null
	$(VENV)/bin/twine check --strict dist/*
	@# The sdist is the source: nothing a test run, a build or the docs left behind.
	@! tar tzf dist/*.tar.gz | grep -E '/(\.hypothesis|\.cache|\.venv[^/]*|site|\.coverage)(/|$$)'
	@unzip -p dist/*.whl '*/METADATA' | grep -q '^License-Expression: Apache-2.0$$'
	@# The PyPI description: no relative link (dead there), no benchmark-target rows.
	@! unzip -p dist/*.whl '*/METADATA' | grep -E '\]\((docs|benchmarks|CHANGELOG|LICENSE)|missed by'


# The docs site (mkdocs-material, API reference from the docstrings); --strict fails on any
# warning, such as a broken link or a docstring that does not render.
docs: install
	@# Not --quiet: with it, mkdocs does not count warnings, and --strict lets them pass.
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

test: lint typecheck pytest dist docs

# The tests again on every other Python the README names, each in its own .venv-3.X (CI
# runs this after `make test`), one process each: on two workers, the slower 3.10 was seen
# to miss real-time tests (a wait, a runtime process starting) under the load. A Python
# that is not on the machine is said and skipped.
OTHER_PYTHONS ?= 3.10 3.12 3.13
test-pythons:
	@for version in $(OTHER_PYTHONS); do \
		python=$$(ls -d $$HOME/.pyenv/versions/$$version.*/bin/python 2>/dev/null | tail -1); \
		[ -n "$$python" ] || python=$$(command -v python$$version); \
		if [ -z "$$python" ] || ! "$$python" -c '' 2>/dev/null; then echo "test-pythons: no Python $$version here: skipped"; continue; fi; \
		echo "test-pythons: Python $$version ($$python)"; \
		$(MAKE) --no-print-directory install PYTHON=$$python VENV=.venv-$$version || exit 1; \
		.venv-$$version/bin/python -m compileall -q abeja || exit 1; \
		.venv-$$version/bin/python -m pytest -q -m "not long" || exit 1; \
	done

# The reliability suite alone, printing its figures (docs: README "Reliability").
reliability: install
	$(PY) -m pytest -q -s tests/test_soak.py tests/test_hygiene.py tests/http/test_hostile.py \
		tests/test_fuzz.py tests/test_secrets.py tests/api/test_validation.py tests/http/test_retries.py \
		tests/http/test_connection.py tests/api/test_refusals.py tests/testing/test_control.py \
		tests/testing/test_multipart.py tests/http/test_networks.py tests/http/test_hostile_network.py

demo: $(RUNTIME)
	$(PY) docs/quickstart.py

# Every figure in one run (benchmarks/all.py: each benchmark below in turn, one report with
# the date and commit in benchmarks/results/all.md); `make bench BENCH=--quick` for fewer rounds.
bench: install
	$(PY) benchmarks/all.py $(BENCH)

# The async client against 16 threads on the sync one, and against bare httpx.
bench-async: install
	$(PY) benchmarks/async_bench.py

# Instructions per call under callgrind (valgrind): stable where time is noisy.
bench-ir: install
	$(PY) benchmarks/ir.py
	$(PY) benchmarks/ir.py --tls --kinds floor,typed,compat
	$(PY) benchmarks/ir.py --lists
	$(PY) benchmarks/ir.py --predict
	$(PY) benchmarks/ir.py --compat-list
	$(PY) benchmarks/ir.py --logs

# Batch prediction against 16 instances of a 20 ms handler (the emulator, and a lean
# server of the same capacity), at concurrency 16, 64, 256; and RSS over a million rows.
bench-batch: install
	$(PY) benchmarks/batch_bench.py

# The peak RSS of a 100 MiB answer, ours beside http.client's read() and a streamed read.
bench-answer: install
	$(PY) benchmarks/big_answer.py

# The package's shape beside issue 34's targets: folders, long modules and functions,
# import circles, modules that repeat each other (prints; does not fail).
house:
	$(PYTHON) .ci/house.py

# A 200 MiB folder uploaded as a deployment version, against a plain requests.put.
bench-upload: install
	$(PY) benchmarks/versions_upload.py

# 16 threads on one client: this tree against the commit before the fast path, one run.
bench-threads: install
	$(PY) benchmarks/threads_vs.py

clean:
	rm -rf $(VENV) .venv-3.* .coverage .mypy_cache .ruff_cache site
