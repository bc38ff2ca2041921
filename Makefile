# The two commands the README starts with, and the steps behind them.
.PHONY: setup demo test test-python test-js bench

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/jupyter lab notebooks/01_micrograd_demo.ipynb

test: setup
	@bash scripts/test.sh

bench: setup
	.venv/bin/python bench/engine_vs_micrograd.py
