#!/usr/bin/env bash
# What `make demo` runs once setup is done: JupyterLab on the demo notebook, as root
# (a container, a fresh cloud machine) or as a normal user, with or without a display.
# Without one no browser is started and JupyterLab prints the URL to open. Arguments
# go to `jupyter lab`: `make demo ARGS="--port 8890"`, or `--ip 0.0.0.0` in a
# container whose port is published.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MGDEBUG_VENV:-.venv}
# the server's root is the lessons' folder (its file browser lists them); the printed
# URL opens the first, by its path inside that root
args=(--ServerApp.root_dir=notebooks --LabApp.default_url=/lab/tree/01_micrograd_demo.ipynb)
if [ "$(id -u)" = 0 ]; then
    args+=(--allow-root)  # JupyterLab refuses root otherwise
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" != Darwin ]; then
    args+=(--no-browser)
    echo "demo: no display here, so no browser; open the http://127.0.0.1:... URL below"
fi
exec "$venv/bin/jupyter" lab "${args[@]}" "$@"
