# Two commands: `make lab` to learn, `make test` to check everything.
# Both create .venv (Python 3.11) if it is missing and install the exact versions
# in requirements.lock; nothing needs to be installed by hand first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PIP    := $(PY) -m pip --disable-pip-version-check --quiet
JOBS   ?= 2

.PHONY: install lab test test-unit test-notebooks build check-build execute lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

# LAB_ARGS passes options to JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=
lab: install
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) notebooks/

# Unit, build, data and grading tests run in parallel; the solution notebooks then
# run one at a time under nbval, so that their measured times are honest.
UNIT_TESTS  = $(PY) -m pytest -n $(JOBS) tests
NBVAL_TESTS = $(PY) -m pytest -p no:xdist --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg solutions

test: install
	$(UNIT_TESTS)
	$(NBVAL_TESTS)

test-unit: install
	$(UNIT_TESTS)

test-notebooks: install
	$(NBVAL_TESTS)

build: install
	$(PY) -m utils build

check-build: install
	$(PY) -m utils build --check

# Re-run solution notebooks in place (stores outputs), e.g. make execute NB=solutions/01_feedforward.ipynb
execute: install
	$(PY) -m utils execute $(or $(NB),solutions/*.ipynb)

# Regenerate requirements.lock (and environment.yml) from requirements.in in a throw-away venv.
lock:
	rm -rf /tmp/workbook-lock && $(PYTHON) -m venv /tmp/workbook-lock
	/tmp/workbook-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Exact versions of every package the workbook installs (Python 3.11, CPU)."; \
	  echo "# Made by \`make lock\` from requirements.in; \`make lab\` and \`make test\` install from it."; \
	  /tmp/workbook-lock/bin/pip freeze | sed 's/^torch==2.13.0+cpu$$/torch==2.13.0/' | sort -f; } > requirements.lock
	$(PYTHON) scripts/environment_from_lock.py

clean:
	rm -rf $(VENV) reports .pytest_cache
