# seqviz: two commands for a fresh machine with Python 3.11, pip and apt.
#   make run    create .venv if missing, install, serve the app on http://$(HOST):$(PORT)
#   make test   install the dev requirements and Debian's chromium if missing, run every test tier
#   make bench  print the benchmark figures (not part of the tests)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8501
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast bench bench-load build-zoo chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements-hf.txt $(VENV)/.installed
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py --server.address $(HOST) --server.port $(PORT) --server.fileWatcherType none

# The browser tests drive Debian's chromium (never `playwright install`: no downloads from elsewhere).
chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

test: $(VENV)/.dev-installed chromium
	$(PY) -m pytest

test-fast: $(VENV)/.dev-installed
	$(PY) -m pytest -m "not browser"

bench: $(VENV)/.dev-installed chromium
	$(PY) bench/bench_foundation.py
	$(PY) bench/bench_recurrent.py
	$(PY) bench/bench_transformer.py
	$(PY) bench/bench_sentiment.py
	$(PY) bench/bench_projection.py
	$(PY) bench/bench_embeddings.py

# A class at once (minutes; heavy on a small machine): cold start, memory budget, soak, server CPU of a
# slider move on every lesson, 30 simulated students (protocol level, plus one chromium tab), and a
# slider's latency against a one-slider app.
bench-load: $(VENV)/.dev-installed chromium
	$(PY) bench/bench_coldstart.py && $(PY) bench/bench_memory.py && $(PY) bench/bench_soak.py && \
	$(PY) bench/bench_pages_cpu.py && $(PY) bench/bench_load.py --students 30 --trainers 10 --seconds 120 && \
	$(PY) bench/bench_latency.py

# Rebuild every shipped checkpoint from its recipe (deterministic; writes assets/ and SHA256SUMS).
build-zoo: $(VENV)/.installed
	$(PY) -m seqviz.zoo build all

clean:
	rm -rf $(VENV) build .pytest_cache
