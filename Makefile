# Developer and CI entry points. `make test` sets up everything on a fresh machine and runs the suite.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PORT ?= 8000
DEMO_MONGO_PORT ?= 27017
export DJANGO_SETTINGS_MODULE ?= config.settings.test

.PHONY: help test quick lint typecheck imports pytest venv system-deps browser-deps proxy-deps services demo screenshot clean conformance bench rabbitmq soak

help:
	@echo "make test   - set up (venv, packages, services) and run lint, types, import rules and all tests with coverage"
	@echo "make quick  - unit and integration tests without the slow ones (pytest -m 'not slow'): under 30 s"
	@echo "make demo   - run the whole stack on the local services (web on :$(DEMO_PORT), projector, Celery worker and beat)"
	@echo "make screenshot - start the stack, drive a few commands and save docs/demo-page.png"
	@echo "make bench  - benchmarks, side by side with django-cqrs; writes docs/BENCHMARKS.md (about 12 minutes)"
	@echo "make soak   - the chaos soak (SOAK_MINUTES, default 30; SOAK_SEED): writes docs/RELIABILITY.md"
	@echo "make clean  - remove the virtualenv, caches and demo data"
	@echo "make conformance - MongoDB's unified spec tests (pinned pymongo sdist) against the stand-in; pass rate per spec"

# System packages that mysqlclient needs to build; installed only when missing (needs root + apt).
system-deps:
	@if ! pkg-config --exists mariadb 2>/dev/null && ! pkg-config --exists mysqlclient 2>/dev/null; then \
	  echo "installing libmariadb-dev and pkg-config (needed to build mysqlclient)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmariadb-dev pkg-config >/dev/null; \
	fi

# Debian's chromium for the browser tests (Playwright drives it; Playwright's own browser downloads
# are never used). CHROMIUM names another Chromium-based browser (the GitHub workflow uses Chrome).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "installing chromium and fonts (needed by the browser tests)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	fi

# Debian's nginx for the proxy tests: they run it with the same config/nginx template compose mounts.
NGINX ?= /usr/sbin/nginx
export NGINX
proxy-deps:
	@if [ ! -x "$(NGINX)" ]; then \
	  echo "installing nginx (needed by the proxy tests)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx >/dev/null; \
	  if command -v systemctl >/dev/null 2>&1; then $(SUDO) systemctl disable --now nginx >/dev/null 2>&1 || true; fi; \
	fi

$(STAMP): requirements.txt requirements-dev.txt | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# The benchmarks' own virtualenv: the product's packages plus the peer (django-cqrs) and matplotlib.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): requirements.txt requirements-dev.txt bench/requirements.txt | system-deps
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -r bench/requirements.txt
	touch $(BENCH_STAMP)

# Start MariaDB/MySQL and Redis when they are installed but not answering.
services:
	@if ! mysqladmin --host=127.0.0.1 --user=root ping >/dev/null 2>&1; then \
	  echo "starting MariaDB"; \
	  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd; \
	  for i in $$(seq 1 60); do mysqladmin --host=127.0.0.1 --user=root ping >/dev/null 2>&1 && break; sleep 0.5; done; \
	fi
	@mysqladmin --host=127.0.0.1 --user=root ping >/dev/null || { echo "MariaDB/MySQL is not reachable on 127.0.0.1:3306"; exit 1; }
	@if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then \
	  echo "starting Redis"; mkdir -p /var/lib/redis /var/log/redis; \
	  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
	    --dir /var/lib/redis --logfile /var/log/redis/ci.log; \
	  for i in $$(seq 1 40); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.25; done; \
	fi
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis is not reachable on 127.0.0.1:6379"; exit 1; }
	@mysql --host=127.0.0.1 --user=root -e "CREATE DATABASE IF NOT EXISTS cqrs_read CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

# RabbitMQ, for the peer of the benchmarks: installed with apt when missing, started when down.
rabbitmq:
	@command -v rabbitmq-server >/dev/null || { echo "installing rabbitmq-server"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null; }
	@if ! rabbitmqctl -q status >/dev/null 2>&1; then \
	  echo "starting RabbitMQ"; rabbitmq-server -detached; \
	  rabbitmqctl -q await_startup --timeout 90 >/dev/null 2>&1 || sleep 10; \
	fi
	@rabbitmqctl -q status >/dev/null 2>&1 || { echo "RabbitMQ is not running on 127.0.0.1:5672"; exit 1; }

# vulture at 100% confidence (unused arguments, unreachable code); framework-bound names are in
# .vulture_whitelist.py. Lower confidences (unused functions, classes) are worth a look by hand:
# Django and ninja call many of ours by name.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check config accounts_write accounts_read projector
	$(BIN)/vulture accounts_write accounts_read projector config tests bench .vulture_whitelist.py \
	  --min-confidence 100 --exclude "*/migrations/*"

typecheck: $(STAMP)
	$(BIN)/mypy config accounts_write accounts_read projector tests bench

imports: $(STAMP)
	$(BIN)/lint-imports

# The MongoDB stand-in is started by the test fixtures unless MONGO_URL points at a real replica set.
pytest: $(STAMP) services browser-deps proxy-deps
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine -q
	$(BIN)/coverage report --fail-under=90

test: lint typecheck imports pytest

# The edit-and-rerun loop: no lint, no coverage, no fault, browser, proxy, soak, schemathesis or bench
# tests (tests/faults and tests/e2e are not collected; tests marked slow are left out).
quick: $(STAMP) services
	$(BIN)/pytest -q -m "not slow" -n auto tests/unit tests/integration

# The stand-in keeps its data in .data/mongo (journaled) unless MONGO_URL names a real replica set.
# Every process is stopped when the web server stops (Ctrl-C). The demo page's fault buttons are on,
# and a poisoned account's event goes dead within seconds: 3 attempts, short backoff, quick sweeps.
# The web server listens on 127.0.0.1 only: DEBUG is on, and its error pages show the settings.
demo: export DJANGO_SETTINGS_MODULE = config.settings.local
demo: export DEMO_FAULTS = true
demo: export PROJECTOR_MAX_ATTEMPTS ?= 3
demo: export PROJECTOR_RETRY_BACKOFF_BASE_SECONDS ?= 0.5
demo: export PROJECTOR_RETRY_BACKOFF_MAX_SECONDS ?= 2
demo: export PROJECTOR_RETRY_INTERVAL_SECONDS ?= 1
demo: $(STAMP) services
	mkdir -p .data/mongo
	pids=""; trap 'kill $$pids 2>/dev/null; wait' EXIT INT TERM; \
	if [ -z "$${MONGO_URL:-}" ]; then \
	  $(BIN)/python -m tests.mongo_standin --host 127.0.0.1 --port $(DEMO_MONGO_PORT) --dbpath .data/mongo & pids="$$pids $$!"; \
	  export MONGO_URL="mongodb://127.0.0.1:$(DEMO_MONGO_PORT)/?replicaSet=rs0"; \
	  for i in $$(seq 1 50); do $(BIN)/python manage.py ensure_mongo >/dev/null 2>&1 && break; sleep 0.2; done; \
	fi; \
	$(BIN)/python manage.py migrate --noinput; \
	$(BIN)/python manage.py ensure_mongo; \
	$(BIN)/python manage.py demo_login; \
	$(BIN)/python manage.py runprojector & pids="$$pids $$!"; \
	$(BIN)/celery -A config.celery:app worker --loglevel INFO --concurrency 2 & pids="$$pids $$!"; \
	$(BIN)/celery -A config.celery:app beat --loglevel INFO --schedule .data/celerybeat-schedule & pids="$$pids $$!"; \
	echo "demo page: http://127.0.0.1:$(DEMO_PORT)/ (log in with the user and password above)"; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(DEMO_PORT)

# A PNG of the demo page for the README, made from the running stack (stand-in, web, projector).
screenshot: $(STAMP) services browser-deps
	$(BIN)/python -m tests.e2e.browser.screenshot

# Not part of `make test`: downloads the pinned pymongo sdist (cached in .data/conformance) and
# runs for several minutes. Fails when a spec's pass rate is under 95%.
conformance: $(STAMP)
	$(BIN)/python -m tests.conformance $(CONFORMANCE_ARGS)

# CQRS Sync and django-cqrs side by side, then our own figures: docs/BENCHMARKS.md and its plots.
bench: $(BENCH_STAMP) services rabbitmq
	$(BENCH_VENV)/bin/python bench/run_all.py

# The chaos soak on private services it starts itself (MariaDB, Redis, the stand-in): see
# docs/RELIABILITY.md. Its plotting library is the soak's own, not a product dependency.
SOAK_MINUTES ?= 30
SOAK_SEED ?=
soak: $(STAMP)
	$(BIN)/python -m pip install -q -r tests/faults/soak/requirements.txt
	$(BIN)/python -m tests.faults.soak --minutes $(SOAK_MINUTES) $(if $(SOAK_SEED),--seed $(SOAK_SEED)) \
	  --report docs/RELIABILITY.md

clean:
	rm -rf $(VENV) $(BENCH_VENV) bench/results .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov .data
