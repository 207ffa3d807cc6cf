# make lab      set up (first time only) and open JupyterLab on course/
# make test     set up (first time only) and run every test
# make quick    the edit loop: the tests that need no nbgrader run, browser or database server
# make release  regenerate course/ from solutions/ with nbgrader
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

# nbgrader shells out to `alembic` and kernels must come from this environment, not a user's.
export PATH := $(BIN):$(PATH)
export JUPYTER_PREFER_ENV_PATH := 1
# The browser tests use Debian's Chromium: Playwright never downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: setup system-packages lab test quick release record benchmark sweep char-models clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 10) else "Python 3.10 or newer is needed; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "$(PYTHON) -m venv failed: on Debian run as root \`apt-get install python3-venv\`" >&2; exit 1; }
	$(BIN)/python -m pip install --disable-pip-version-check -q -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (rnncourse)" >/dev/null
	@touch $(STAMP)

# JupyterLab refuses to run as root unless told; containers and shared machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=course $(ALLOW_ROOT) $(LAB_ARGS)

# The system packages the tests need (Chromium, PostgreSQL's server): installed with apt as root,
# otherwise one line that says what to run, before anything else is set up.
system-packages:
	@scripts/system-packages

test: system-packages setup
	$(BIN)/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

# Left out of `make quick`: what runs nbgrader over classes of submissions, drives a browser,
# starts a database server or executes whole lessons (`make test` runs them all).
SLOW_TESTS := test_grading test_grade_command test_canary test_class_report test_hostile_submissions \
	test_grade_postgres test_browser_lessons test_browser_nbgrader test_notebooks

quick: setup
	$(BIN)/python -m pytest -n auto $(foreach t,$(SLOW_TESTS),--ignore=tests/$(t).py) $(PYTEST_ARGS)

release: setup
	$(BIN)/python -m autograder.release

record: setup
	$(BIN)/python -m autograder.record

sweep: setup
	$(BIN)/python benchmarks/rnn_vs_lstm_sweep.py

# Lesson 06's checkpoint and its RNN-vs-LSTM table (seeded; about 2.5 minutes).
char-models: setup
	$(BIN)/python scripts/train_char_models.py

benchmark: setup
	$(BIN)/python benchmarks/course_timings.py
	$(BIN)/python benchmarks/char_lstm_speed.py

clean:
	rm -rf $(VENV) autograder/submitted autograder/autograded autograder/feedback autograder/gradebook.db
