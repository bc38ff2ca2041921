#!/usr/bin/env bash
# Install everything the demo and the tests need, on a fresh Debian machine or this one.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. system packages: chromium for the browser tests, graphviz's `dot` for draw_dot
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v dot >/dev/null || missing+=(graphviz)
if ((${#missing[@]})); then
    echo "setup: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. the Python environment, with the package installed editable and its test extra
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.mgdebug-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[test]'
    touch "$stamp"
fi

# 3. the widget frontend: npm packages, then the esbuild bundle in mgdebug/static/
if [ -f js/package.json ]; then
    if [ ! -d js/node_modules ] || [ js/package-lock.json -nt js/node_modules ]; then
        (cd js && npm ci --no-audit --no-fund --loglevel=error)
    fi
    (cd js && npm run --silent build)
fi

# 4. JupyterLab settings for the browser tests: no news toast over the page
overrides=.venv/share/jupyter/lab/settings/overrides.json
if [ ! -f "$overrides" ]; then
    mkdir -p "$(dirname "$overrides")"
    cat > "$overrides" <<'JSON'
{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}
JSON
fi
