# Two entry points a fresh machine needs: `make serve` and `make test`.
# Each bootstraps .venv from nothing (python -m venv + pip; torch is the CPU wheel on disk).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export NO_ALBUMENTATIONS_UPDATE := 1

.PHONY: serve test lint venv-runtime venv-dev train export bench bench-quick clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[serve]"
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[serve,train,dev]"
	touch $@ $(VENV)/.runtime-installed

venv-runtime: $(VENV)/.runtime-installed
venv-dev: $(VENV)/.dev-installed

serve: venv-runtime
	$(BIN)/uvicorn serve.main:app --host $(HOST) --port $(PORT)

lint: venv-dev
	$(BIN)/ruff check liveness training serve tests benchmarks

test: venv-dev lint
	$(BIN)/python -m pytest -q

train: venv-dev
	$(BIN)/liveness train --data ../shared/data/faces --out runs/latest

export: venv-dev
	$(BIN)/liveness export --run runs/latest

# Benchmarks + regression gate against benchmarks/baseline.json (see README "Benchmarks").
bench: venv-dev
	$(BIN)/python -m benchmarks.run

bench-quick: venv-dev
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
