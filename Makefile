# One command each: `make demo`, `make test` (lint, types and every test), `make test-fast`, `make install`, `make bench`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := out/demo.db
PORT ?= 8501

.PHONY: install demo test test-fast lint bench train-tone browser-deps clean

install: $(STAMP)

# torch is pinned and installed first: the pin takes the CPU build; an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]" torch==2.13.0
	touch $(STAMP)

demo: install
	$(BIN)/perspectives run data/demo/articles.jsonl --db $(DEMO_DB) --out out
	$(BIN)/perspectives app --db $(DEMO_DB) --port $(PORT)

# The browser test needs Debian's chromium; install it when we can (root with apt), else that test skips and says why.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-color-emoji; fi

test: install browser-deps lint
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

# The tests that load no model and run no pipeline (see tests/conftest.py: SLOW_FIXTURES): under a minute.
test-fast: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m "not slow and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/pip install --quiet -e ".[bench]" torch==2.13.0
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/run.py

# Retrains the tone heads shipped in perspectives/framing/tone_heads/ (needs ../shared/datasets/newsmtsc).
train-tone: install
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/train_tone.py

clean:
	rm -rf out tests/artifacts benchmarks/results
