# The two commands of the README: `make run` and `make test`. Both set up .venv on first use;
# re-running is fast because installs are keyed on pyproject.toml through stamp files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.stamp-run: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[ray,plot,progress,viz]'
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev,ray,plot]'
	touch $@

# The main job: evolve XOR with NEAT + Lamarckian fine-tuning on local Ray workers.
run: $(VENV)/.stamp-run
	RAY_USAGE_STATS_ENABLED=0 $(PY) -m ottorch.run xor

# One BLAS thread: ottorch's matrices are small, and OpenBLAS threads fighting over two cores (with
# other processes around) made example runs 5-20x slower; it also makes float32 results repeatable.
test: $(VENV)/.stamp-dev
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check ottorch tests scripts examples

bench: $(VENV)/.stamp-dev
	$(PY) scripts/bench_core.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
