# Two entry points for a fresh machine (see README):
#   make demo   install into .venv (idempotent) and run the main job (DEMO_ARGS=--quick: under a minute)
#   make test   install into .venv (idempotent) and run the test suite
VENV ?= .venv
DEMO_ARGS ?=
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test clean

$(STAMP): setup.cfg pyproject.toml models/setup.cfg
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: the local CPU build (a bare `torch` would fetch GBs of CUDA wheels)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	# the released teacher weights: their own small distribution (models/)
	$(PY) -m pip install --quiet -e ./models
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/crysgnn-zoo demo $(DEMO_ARGS)

test: install
	$(PY) -m pytest -q -p no:cacheprovider tests

clean:
	rm -rf $(VENV) runs build *.egg-info
