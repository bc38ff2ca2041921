# The two commands the README starts with, and the steps behind them.
.PHONY: setup demo test test-colab bench

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh $(ARGS)

test: setup
	@bash scripts/test.sh

test-colab: setup
	@bash scripts/test-colab.sh

bench: setup
	.venv/bin/python bench/engine_vs_micrograd.py
