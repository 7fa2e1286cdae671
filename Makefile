# Kinerja — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
RUN := $(UV) run --frozen --no-sync
PY_PACKAGES := -p kinerja_shared -p intake -p scoring -p feedback -p notifier -p kinerja_local -p kinerja_ops
TEST_DIRS := shared/tests services/intake/tests services/scoring/tests services/notifier/tests services/feedback/tests deploy/local/tests deploy/ops/tests tests

.PHONY: journeys fuzz help setup install up down run status simulate lint fmt test test-unit test-integration bench bench-intake bench-scoring bench-notifier bench-catchup bench-replay bench-e2e chaos test-tools clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(CURDIR)/.tools/bin/uv:
	@echo "installing uv $(UV_VERSION) into .tools/ (once)"
	@python3 -m venv .tools && .tools/bin/pip install -q "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock */pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml | $(UV)
	$(UV) sync --frozen --all-packages
	@touch $@

setup: .venv/.synced ## create the Python environment from uv.lock

install: setup ## also fetch Kafka's jars and build FerretDB (cached in ~/.cache/kinerja)
	$(RUN) kinerja-local install

up: setup ## start Kafka, FerretDB and the four services in the background
	$(RUN) kinerja-local up

down: ## stop everything `make up` or `make run` started
	@if [ -x .venv/bin/kinerja-local ]; then $(RUN) kinerja-local down; else echo "nothing was set up"; fi

status: setup ## show what runs
	$(RUN) kinerja-local status

run: setup ## start everything, feed a simulated city, stop on Ctrl-C
	$(RUN) kinerja-local run

simulate: setup ## send this month's attendance of a simulated city to a running intake
	$(RUN) kinerja-local simulate

fmt: setup ## format the code
	$(RUN) ruff format .
	$(RUN) ruff check --fix .
	gofmt -w deploy/local/ferretdb

lint: setup ## formatting, lint and type checks
	$(RUN) ruff format --check .
	$(RUN) ruff check .
	$(RUN) mypy $(PY_PACKAGES)
	$(RUN) mypy bench/*.py
	$(RUN) mypy $(foreach d,$(TEST_DIRS),$(wildcard $(d)/*.py))
	@test -z "$$(gofmt -l deploy/local/ferretdb)" || (echo "gofmt: run make fmt"; exit 1)

test-unit: setup ## the pure tests (no Kafka, no MongoDB)
	$(RUN) pytest -m "not integration"

test-integration: install test-tools ## the tests over real Kafka and a MongoDB-wire server
	$(RUN) pytest -m integration

test: lint install test-tools ## lint, type checks and every test
	$(RUN) pytest --durations=25

bench-intake: setup ## intake throughput beside Kafka's ProducerPerformance (needs wrk)
	@command -v wrk >/dev/null || (echo "installing wrk (Debian)"; apt-get install -y wrk >/dev/null)
	$(RUN) python -m bench.intake_throughput

bench-scoring: setup ## scoring throughput beside the store's ceiling and Kafka's ConsumerPerformance
	$(RUN) python -m bench.scoring_throughput

bench-notifier: setup ## alert-to-delivery latency at a sustained alert rate, to a local webhook
	$(RUN) python -m bench.notifier_latency

bench-catchup: setup ## make run measured: a city's month scored after the sender, reads meanwhile
	$(RUN) python -m bench.city_catchup

bench-replay: setup ## a city's year (1M events) scored live, rebuilt by replay, compared
	$(RUN) python -m bench.scoring_replay

bench-e2e: setup ## intake's 202 to the evaluation reflecting it, at 1,000 events/s for 5 minutes
	$(RUN) python -m bench.end_to_end

fuzz: install ## schemathesis against every service, 200 cases a route, a fresh seed each run
	KINERJA_FUZZ_EXAMPLES=200 KINERJA_FUZZ_SEED=random $(RUN) pytest tests/test_api_fuzz.py -s

journeys: setup ## the console's role journeys in a browser, the head's team at 1,100 people
	KINERJA_JOURNEY_TEAM=1100 $(RUN) pytest tests/test_console_browser.py

chaos: setup ## the fault suite, full size (50,000 events a scenario, a 10-minute soak): bench/results/chaos.json
	$(RUN) python -m bench.chaos

bench: bench-intake bench-scoring bench-notifier bench-catchup bench-replay bench-e2e ## every benchmark, then bench/results/SUMMARY.md
	$(RUN) python -m bench.summary

test-tools: ## Debian's prometheus (promtool), docker-compose and chromium, for the suite
	@bash deploy/local/install-test-tools.sh

clean: down ## remove local data and logs (keeps the install cache)
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
