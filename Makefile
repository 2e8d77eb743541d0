# Studio: two commands on a fresh machine with Python >= 3.11 and make.
#   make demo   creates .venv, installs Studio, builds the example weekly episode into public/
#   make test   installs the test dependencies and runs the test suite
# and to look at the result: make serve (http://127.0.0.1:8000/), make watch (rebuild on every save)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
EPISODE ?= episodes/2023-06-02-ai-compute-weekly.txt

PORT   ?= 8000

.PHONY: demo test bench bench-quick install install-test clean screenshots wheel-check serve watch

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# compileall: byte-code ready even where PYTHONDONTWRITEBYTECODE is set (start-up time)
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m compileall -q studio
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q studio
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/studio build $(EPISODE)
	@echo "Look at it: make serve, then open http://127.0.0.1:$(PORT)/ (the pages, the player, the email, the feed);"
	@echo "the episode itself: public/episodes/<slug>/<slug>.mp3."
	@echo "Studio's command is $(BIN)/studio (or: source $(BIN)/activate, then studio --help)."

# the built site at http://127.0.0.1:$(PORT)/ (Ctrl-C stops it); watch: rebuild on every save, pages reload
serve: install
	$(BIN)/studio serve --port $(PORT)

watch: install
	$(BIN)/studio serve --watch --port $(PORT)

# lint-imports: the stages' import contract in pyproject.toml ([tool.importlinter])
test: install-test
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: install-test
	$(BIN)/python -m benchmarks

bench-quick: install-test
	$(BIN)/python -m benchmarks --quick

# the browser tests' screenshots -> screenshots/: every page kind (email, episode page, transcript, index,
# archive, each `studio listen` page) of both examples and the edge-case fixture, 375/1280 px, light/dark
screenshots: install-test
	rm -rf screenshots
	STUDIO_SCREENSHOTS=screenshots $(BIN)/python -m pytest -q tests/test_browser_pages.py -k measured

# build the sdist and wheel, install the wheel in a fresh venv far from this checkout, init + build a show
wheel-check:
	PYTHON=$(PYTHON) tools/wheel-check.sh

clean:
	rm -rf public .studio-cache screenshots
