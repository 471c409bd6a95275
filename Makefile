# 一张网: `make run` starts the suite with a demo community; `make test` runs every test;
# `make up` and `make down` start and stop it in containers (docker compose);
# `make chaos` drives thousands of journeys through the suite under injected faults;
# `make bench` measures it against the floor of its own bus (bench/run.py);
# `make console` builds the web console (web/, Vite) that the gateway serves at /.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := kernel services/grid services/appeals services/volunteer services/funding gateway
AMQP_URI ?= pyamqp://guest:guest@127.0.0.1:5672/
RABBIT_API_URI ?= http://guest:guest@127.0.0.1:15672
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
COMPOSE := docker compose -f deploy/docker-compose.yml --env-file deploy/.env
# nameko 2 imports pkg_resources and eventlet, which print notices at every start
export PYTHONWARNINGS := ignore

.PHONY: run test chaos bench lint format venv infra clean up down console browser

# The web console: npm ci when the lock file changes, vite build when a source does.
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.js
WEB_MODULES := web/node_modules/.package-lock.json
CONSOLE := web/dist/index.html

venv: $(STAMP)

$(STAMP): requirements.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip==26.*"
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps $(addprefix -e ,$(PACKAGES))
	@touch $@

infra:
	@scripts/ensure-infra.sh

$(WEB_MODULES): web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(CONSOLE): $(WEB_MODULES) $(WEB_SOURCES)
	cd web && npm run build --silent

console: $(CONSOLE)

# Debian's Chromium for the browser tests (tests/browser), installed once.
browser:
	@scripts/ensure-browser.sh

run: venv infra console
	$(BIN)/python scripts/run_suite.py

test: venv console browser
	@scripts/ensure-infra.sh --postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	YZW_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) YZW_TEST_AMQP_URI=$(AMQP_URI) \
	YZW_TEST_RABBIT_API=$(RABBIT_API_URI) scripts/run_tests.sh $(BIN)/nameko \
	  --amqp-uri $(AMQP_URI) --rabbit-ctl-uri $(RABBIT_API_URI) -p no:cacheprovider -q

# Fault injection at full size (tests/support/chaos.py); a shorter run is in `make test`.
CHAOS_JOURNEYS ?= 2000
CHAOS_DONATIONS ?= 1000
chaos: venv
	@scripts/ensure-infra.sh --postgres
	TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python tests/support/chaos.py \
	  --journeys $(CHAOS_JOURNEYS) --donations $(CHAOS_DONATIONS) \
	  --amqp-uri $(AMQP_URI) --rabbit-api-uri $(RABBIT_API_URI)

# Benchmarks (bench/run.py): the floor, gateway reads, journeys, a district in bulk on
# PostgreSQL, memory; writes bench/results/latest.json and latest.md. BENCH_SCALE=0.1
# loads a tenth of the district (100,000 appeals instead of 1,000,000); 0 skips it.
BENCH_SCALE ?= 1
bench: venv
	@scripts/ensure-infra.sh --postgres
	$(BIN)/python bench/run.py --scale $(BENCH_SCALE) \
	  --amqp-uri $(AMQP_URI) --rabbit-api-uri $(RABBIT_API_URI) --postgres-url $(TEST_POSTGRES_URL)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The suite in containers (deploy/docker-compose.yml); secrets in deploy/.env.
up:
	@test -f deploy/.env || { echo "up: copy deploy/.env.example to deploy/.env and fill it in"; exit 1; }
	$(COMPOSE) up -d --build

down:
	$(COMPOSE) down

clean:
	rm -rf $(VENV) var web/node_modules web/dist
