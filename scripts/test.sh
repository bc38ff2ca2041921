#!/usr/bin/env bash
# Every test: the frontend's lint and format check (Biome) and unit tests (vitest),
# Python lint and format (ruff), pytest (engine, trace, kernels, browser), then the
# kernel-level tests again on Google Colab's pinned stack (scripts/test-colab.sh).
# Arguments go to both pytest runs (e.g. -q). MGDEBUG_VENV names another venv than .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MGDEBUG_VENV:-.venv}
if [ -f js/package.json ]; then
    (cd js && npm run --silent lint)
    (cd js && npm test --silent)
fi
"$venv/bin/ruff" check --quiet .
"$venv/bin/ruff" format --check --quiet .
"$venv/bin/python" -m pytest "$@"
bash scripts/test-colab.sh "$@"
