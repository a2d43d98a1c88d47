# Two commands for everyone: `make lab` (set up and open JupyterLab) and `make test`.
# Everything is installed into .venv from the exact pins in requirements.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.dlkit-installed
KERNEL := dlkit
NB     ?= notebooks/*.ipynb
export KERAS_BACKEND := tensorflow
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: setup lab test unit notebooks release lint format bench clean

setup: $(STAMP)

# Rebuilt only when the pins or the package metadata change: re-running is a no-op.
$(STAMP): requirements.txt pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11+ is needed, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (dlkit)" \
		--env KERAS_BACKEND tensorflow --env TF_CPP_MIN_LOG_LEVEL 3 >/dev/null
	@touch $@
	@echo "dlkit environment ready in $(VENV) (kernel '$(KERNEL)')"

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# Unit tests, every lesson re-executed by nbval, and the grading round trip (whose run of
# each solution notebook is the exercises notebooks' regression test: see tests/test_grading.py).
test: $(STAMP)
	$(BIN)/python -m pytest tests notebooks --ignore-glob='notebooks/*_exercises.ipynb' \
		--nbval-lax --nbval-kernel-name $(KERNEL) \
		--nbval-sanitize-with tests/nbval_sanitize.cfg \
		--nbval-cell-timeout 300 -p no:cacheprovider

unit: $(STAMP)
	$(BIN)/python -m pytest tests -p no:cacheprovider

# Re-execute notebooks top to bottom and store their outputs (NB=notebooks/01_tensors.ipynb for one).
notebooks: $(STAMP)
	$(BIN)/python tests/execute_notebooks.py $(NB)

# Student copies of every exercises notebook (solutions stripped) in release/.
release: $(STAMP)
	$(BIN)/dlkit release notebooks/*_exercises.ipynb --out release

lint: $(STAMP)
	$(BIN)/ruff check dlkit tests benchmarks hidden_checks
	$(BIN)/ruff format --check dlkit tests benchmarks hidden_checks

format: $(STAMP)
	$(BIN)/ruff format dlkit tests benchmarks hidden_checks
	$(BIN)/ruff check --fix dlkit tests benchmarks hidden_checks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_roofline.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info release
