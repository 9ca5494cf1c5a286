# Two commands: `make lab` to learn, `make test` to check everything.
# Both create .venv (Python 3.11) if it is missing and install exact versions;
# nothing needs to be installed by hand first.
#   make lab:  requirements.lock only (what a learner needs)
#   make test: also requirements-dev.lock (nbgrader, pytest-xdist, playwright), whose
#              JupyterLab interfaces are switched off, so the lab looks the same.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
JUPYTER := $(VENV)/bin/jupyter
STAMP  := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
PIP    := $(PY) -m pip --disable-pip-version-check --quiet
JOBS   ?= 2

.PHONY: install install-dev lab test test-unit test-notebooks build check-build execute site lock clean

# The learner's environment. JupyterLab's news pop-up (it asks to fetch news from the
# internet) is switched off: the course works offline.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	$(JUPYTER) labextension disable --level=sys_prefix @jupyterlab/apputils-extension:announcements
	@touch $(STAMP)

# The test tools on top. nbgrader is here only for tests/workbook/test_grade.py's
# interoperability test: its menus, panels and server pages are switched off in the lab.
$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(PIP) install -r requirements.lock -r requirements-dev.lock
	$(JUPYTER) labextension disable --level=sys_prefix @jupyter/nbgrader @jupyter-notebook/lab-extension
	$(JUPYTER) server extension disable --sys-prefix nbgrader.server_extensions.formgrader \
	    nbgrader.server_extensions.validate_assignment nbgrader.server_extensions.assignment_list \
	    nbgrader.server_extensions.course_list notebook >/dev/null
	@touch $(DEV_STAMP)

# Node tools for the tests and the site (package-lock.json): MathJax, axe-core,
# configurable-http-proxy. Node 20 and npm come with the machine; nothing is fetched at run time.
NODE_STAMP := node_modules/.installed-stamp
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP) $(NODE_STAMP)

# LAB_ARGS passes options to JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=
lab: install
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) notebooks/

# Unit, build, data, grading and browser tests run on JOBS workers (tests sharing one
# grading run form an xdist group and stay on one worker); then nbval runs the
# solution notebooks, each whole on one of JOBS workers (--dist loadfile). A notebook
# uses one CPU thread (set_seed), so with JOBS <= cores their measured times are honest.
UNIT_TESTS  = $(PY) -m pytest -n $(JOBS) --dist loadgroup tests
NBVAL_TESTS = $(PY) -m pytest -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
              --nbval-sanitize-with tests/sanitize.cfg solutions

test: install-dev
	$(UNIT_TESTS)
	$(NBVAL_TESTS)

test-unit: install-dev
	$(UNIT_TESTS)

test-notebooks: install-dev
	$(NBVAL_TESTS)

build: install
	$(PY) -m utils build

check-build: install
	$(PY) -m utils build --check

# The course website (docs/site.md): _site/ for learners, or with SOLUTIONS=1 the instructors'
# version with the answers in _site-solutions/ (never published). Offline; notebooks are not run.
site: install-dev
	$(PY) -m utils site $(if $(filter 1,$(SOLUTIONS)),--solutions)

# Re-run solution notebooks in place (stores outputs), e.g. make execute NB=solutions/01_feedforward.ipynb
execute: install
	$(PY) -m utils execute $(or $(NB),solutions/*.ipynb)

# Regenerate requirements.lock and requirements-dev.lock (and environment.yml, binder/requirements.txt) from the
# .in files in a throw-away venv: the learner's set first, then the test tools on top.
LOCK_VENV := /tmp/workbook-lock
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet -r requirements.in
	$(LOCK_VENV)/bin/pip freeze | sed 's/^torch==2.13.0+cpu$$/torch==2.13.0/' | sort -f > $(LOCK_VENV)/learner.txt
	$(LOCK_VENV)/bin/pip install --quiet -c $(LOCK_VENV)/learner.txt -r requirements-dev.in
	$(LOCK_VENV)/bin/pip freeze | sed 's/^torch==2.13.0+cpu$$/torch==2.13.0/' | sort -f > $(LOCK_VENV)/full.txt
	{ echo "# The learner's environment (make lab): exact versions of every package (Python 3.11, CPU)."; \
	  echo "# Made by \`make lock\` from requirements.in; \`make lab\` and \`make test\` install from it."; \
	  cat $(LOCK_VENV)/learner.txt; } > requirements.lock
	{ echo "# Test-only packages (make test), on top of requirements.lock: exact versions of what it does not hold."; \
	  echo "# Made by \`make lock\` from requirements-dev.in; \`make test\` installs it after requirements.lock."; \
	  grep -vxFf $(LOCK_VENV)/learner.txt $(LOCK_VENV)/full.txt; } > requirements-dev.lock
	$(PYTHON) scripts/environment_from_lock.py
	{ sed -n '1,5p' binder/requirements.txt; grep -v '^#' requirements.lock | sed 's/^torch==2.13.0$$/torch==2.13.0+cpu/'; } \
	    > binder/requirements.txt.new && mv binder/requirements.txt.new binder/requirements.txt

clean:
	rm -rf $(VENV) reports .pytest_cache _site _site-solutions node_modules
