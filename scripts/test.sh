#!/usr/bin/env bash
# Every test: the frontend unit tests (vitest), then pytest (engine, trace, kernels, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f js/package.json ]; then
    (cd js && npm test --silent)
fi
.venv/bin/python -m pytest "$@"
