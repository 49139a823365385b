# The two commands: `make demo` and `make test`. Both create .venv and install into it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo test lint typecheck bench clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# compileall: an editable install compiles none of src/, and where PYTHONDONTWRITEBYTECODE
# is set nothing ever writes the bytecode: every command then compiled its modules again
# (about 0.15 s of `conviction status`). A changed module is compiled again in memory.
$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install -q -e .
	$(BIN)/python -m compileall -q src
	touch $@

$(VENV)/.installed-test: $(BIN)/activate pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q src
	touch $(VENV)/.installed $@

DEMO_DB := sqlite:///$(CURDIR)/out/baron.db
CONVICTION := $(BIN)/conviction --db $(DEMO_DB)

demo: $(VENV)/.installed
	@mkdir -p out && rm -f out/baron.db
	$(BIN)/python -m conviction.warmup  # compile the numba kernels once (cached on disk)
	$(CONVICTION) load examples/baron
	$(CONVICTION) status --as-of 2025-11-14
	$(CONVICTION) review --as-of 2025-11-14
	$(CONVICTION) project --config examples/baron/projection.toml --paths 100000
	$(CONVICTION) compare --config examples/baron/projection.toml --paths 20000 \
	  $(foreach p,hold baron index,--policy examples/baron/policies/$(p).toml)
	@rm -f out/yen-holder.db
	$(BIN)/conviction --db sqlite:///$(CURDIR)/out/yen-holder.db load examples/yen-holder
	$(BIN)/conviction --db sqlite:///$(CURDIR)/out/yen-holder.db status --as-of 2025-11-14
	$(BIN)/conviction --db sqlite:///$(CURDIR)/out/yen-holder.db status --as-of 2025-11-14 --currency USD
	$(BIN)/conviction --db sqlite:///$(CURDIR)/out/yen-holder.db history --currency USD
	$(CONVICTION) report --out out/report.html --from examples/baron \
	  $(if $(wildcard ../shared/data/prices/GSPC.csv),--benchmark ../shared/data/prices/GSPC.csv --benchmark-name "S&P 500")

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

test: $(VENV)/.installed-test lint typecheck
	bash .ci/ensure-services.sh
	bash .ci/ensure-chromium.sh
	$(BIN)/pytest -q -n 2 --dist loadfile  # two workers, a test file each: CI has 2 cores

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
