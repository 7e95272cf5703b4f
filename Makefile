# The two commands: `make run` (set up and serve on SQLite) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi.py

.PHONY: run test setup db demo translations extract-messages lint outbox bench clean

run: setup db demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

setup: $(STAMP) translations

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

db: setup
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask demo

outbox: setup
	$(BIN)/flask outbox work

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check portal tests migrations wsgi.py
	$(BIN)/bandit -c bandit.yaml -q -r portal migrations wsgi.py --severity-level medium --confidence-level all

# Benchmarks print figures (nothing is asserted). Full sizes by default; a quick run:
# `BENCH_ORDERS=2000 make bench`. PostgreSQL `bench` database by default (created when
# missing); SQLite when PostgreSQL cannot be reached (the scripts say so). BENCH_INSTRUCTIONS=1
# adds instructions per request to bench/page_cost.py (needs valgrind; two minutes a page).
BENCH_ORDERS ?= 100000
BENCH_MEMBERS ?= $(shell echo $$(( $(BENCH_ORDERS) / 10 > 0 ? $(BENCH_ORDERS) / 10 : 1 )))
BENCH_ITEMS ?= 5
BENCH_CLIENTS ?= 8
BENCH_SECONDS ?= 20
BENCH_ROUNDS ?= 4
BENCH_MESSAGES ?= 1000
BENCH_UPLOAD_MB ?= 10
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench
export BENCH_DATABASE_URL

bench: setup
	$(BIN)/pip install --quiet -r requirements-bench.txt
	$(BIN)/python bench/agency.py --members $(BENCH_MEMBERS) --orders $(BENCH_ORDERS) --items $(BENCH_ITEMS)
	$(BIN)/python bench/staff_list.py
	$(BIN)/python bench/load.py --clients $(BENCH_CLIENTS) --seconds $(BENCH_SECONDS) --rounds $(BENCH_ROUNDS)
	$(BIN)/python bench/page_cost.py $(if $(BENCH_INSTRUCTIONS),--instructions)
	$(BIN)/python bench/outbox.py --messages $(BENCH_MESSAGES)
	$(BIN)/python bench/upload.py --megabytes $(BENCH_UPLOAD_MB)
	$(BIN)/python bench/pdf.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
