# One command to set up and run the main job, one to set up and run the tests.
# Both create the virtual environment themselves (in .venv) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AS_OF ?= 2018-11-21T09:00:00-08:00

.PHONY: demo test check-rules bench sample workbook clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/wishxl rules check rules
	$(BIN)/wishxl recalc samples/orders.xlsx --out out/orders-recalc.xlsx --as-of $(AS_OF)
	@echo "Wrote out/orders-recalc.xlsx"
	cp workbook.xlsm out/workbook.xlsm
	$(BIN)/wishxl recalc out/workbook.xlsm --as-of $(AS_OF)
	@echo "Updated out/workbook.xlsm in place (a copy of the bundled workbook)"

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

sample: $(BIN)/.installed
	$(BIN)/python samples/make_sample.py samples/orders.xlsx

workbook: $(BIN)/.installed
	$(BIN)/python tools/build_workbook.py

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_rules.py

clean:
	rm -rf $(VENV) out .pytest_cache
