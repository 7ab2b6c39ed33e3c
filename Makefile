# EnergieWatch — every entry point. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
KEDRO_DIR := data-collection-kedro
DATA_DIR ?= $(abspath $(KEDRO_DIR))/data
SAMPLE_DIR := $(DATA_DIR)/01_raw/sample

# offline by design: no telemetry, no tracking calls home
export KEDRO_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export MLFLOW_DISABLE_TELEMETRY := true
# no model is ever unpickled (the project logs its models without pickle)
export MLFLOW_ALLOW_PICKLE_DESERIALIZATION := false
export ENERGIEWATCH_DATA_DIR := $(DATA_DIR)

.PHONY: help install run sample-data lint format typecheck test check browser bench \
        carbon-report eval dashboard airflow viz usage-api integration clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): requirements.txt constraints.txt $(KEDRO_DIR)/pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade --quiet pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.txt -c constraints.txt
	@touch $(STAMP)

install: $(STAMP) ## create .venv (if missing) and install requirements.txt

sample-data: install ## generate the offline sample data (skipped when present)
	@test -f $(SAMPLE_DIR)/manifest.json || $(BIN)/python -m data_collection_kedro.sample_data --out $(SAMPLE_DIR)

run: install sample-data ## THE MAIN JOB: the whole default pipeline, offline, on the embedded store
	cd $(KEDRO_DIR) && $(BIN)/kedro run
	@cd $(KEDRO_DIR) && $(BIN)/python -m data_collection_kedro.reporting.run_report

lint: install ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy
	$(BIN)/mypy

browser: ## Debian's chromium for the dashboard screenshot test (installed when root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed: the browser test will be skipped"; fi; }

test: install browser ## pytest (MongoDB tests on SecantusDB in-process, or MONGODB_URI's server)
	$(BIN)/pytest

check: lint typecheck test ## THE TEST COMMAND: lint, types and tests

integration: install ## only the tests that talk to a database server (no Docker needed, see README)
	$(BIN)/pytest -m integration

bench: install ## benchmarks (figures compared with a baseline in the same run)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

carbon-report: install ## carbon footprint summary of the pipeline runs
	$(BIN)/python scripts/carbon_summary.py

eval: install ## forecasting evaluation on the real data in ../shared/data/real
	$(BIN)/python scripts/evaluate_forecasting.py

dashboard: install ## the Streamlit dashboard on http://localhost:8501
	$(BIN)/streamlit run dashboard_ui/app.py

VIZ_PORT ?= 4141
viz: install ## the pipelines in kedro-viz on http://127.0.0.1:4141 (static build, offline)
	cd $(KEDRO_DIR) && PYTHONWARNINGS="ignore:ORJSONResponse is deprecated" $(BIN)/kedro viz build
	@echo "Kedro-Viz on http://127.0.0.1:$(VIZ_PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(VIZ_PORT) --bind 127.0.0.1 --directory $(abspath $(KEDRO_DIR))/build

airflow: install ## Airflow standalone with dags/ (AIRFLOW_HOME=./airflow_home)
	AIRFLOW_HOME=$(abspath airflow_home) AIRFLOW__CORE__DAGS_FOLDER=$(abspath dags) \
	AIRFLOW__CORE__LOAD_EXAMPLES=False $(BIN)/airflow standalone

usage-api: install ## the usage-footprint REST service on 127.0.0.1:8000
	$(BIN)/uvicorn data_collection_kedro.usage.api:app --host 127.0.0.1 --port 8000 \
	  --limit-concurrency 32 --timeout-keep-alive 5

clean: ## remove generated data, stores and reports (keeps .venv)
	rm -rf $(DATA_DIR) reports airflow_home $(KEDRO_DIR)/build $(KEDRO_DIR)/.viz
