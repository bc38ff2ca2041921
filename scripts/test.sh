#!/usr/bin/env bash
# Every test: the frontend's lint and format check (Biome) and unit tests (vitest),
# Python lint and format (ruff), then pytest (engine, trace, kernels, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f js/package.json ]; then
    (cd js && npm run --silent lint)
    (cd js && npm test --silent)
fi
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/python -m pytest "$@"
