#!/usr/bin/env bash
# A second environment pinned to Google Colab's runtime (scripts/colab-pins.txt) in
# .venv-colab/, with mgdebug installed the way a Colab user installs it: with its
# dependencies, not --no-deps. Fails if installing mgdebug changed any version that
# was there before (it may only add packages). scripts/test.sh runs the kernel-level
# tests against a kernel of this environment.
# Idempotent: rebuilt from scratch only when the pins, pyproject.toml or this change.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-colab
stamp=$venv/.mgdebug-colab-installed
if [ -f "$stamp" ] && [ "$stamp" -nt scripts/colab-pins.txt ] && [ "$stamp" -nt pyproject.toml ] \
    && [ "$stamp" -nt scripts/setup-colab.sh ]; then
    exit 0
fi

# Colab runs Python 3.12: the first 3.12 that works -- on PATH (a pyenv shim may be
# there without its version being active), then one pyenv installed -- else the
# default python3, and say so
python=python3
candidates=(python3.12)
if command -v pyenv >/dev/null; then
    candidates+=("$(pyenv root)"/versions/3.12*/bin/python3.12)
fi
for candidate in "${candidates[@]}"; do
    if "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [ "$python" = python3 ]; then
    echo "setup-colab: no working Python 3.12 (Colab runs 3.12); using $(python3 --version)"
fi

pip() {
    # an extra index folder named in pip's configuration but absent makes pip warn
    # once per package; those lines say nothing about this environment
    local status=0
    "$venv/bin/pip" "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) \
        || status=$?
    return $status
}

rm -rf "$venv"
"$python" -m venv "$venv"
pip install -q --upgrade pip
pip install -q -r scripts/colab-pins.txt
pip freeze --all --exclude-editable | sort > "$venv/freeze-before.txt"
pip install -q -e .
pip freeze --all --exclude-editable | sort > "$venv/freeze-after.txt"
changed=$(comm -23 "$venv/freeze-before.txt" "$venv/freeze-after.txt")
if [ -n "$changed" ]; then
    echo "setup-colab: installing mgdebug changed Colab's pinned stack; these were:"
    echo "$changed"
    echo "and are now:"
    comm -13 "$venv/freeze-before.txt" "$venv/freeze-after.txt"
    exit 1
fi
pip check
added=$(comm -13 "$venv/freeze-before.txt" "$venv/freeze-after.txt" | tr '\n' ' ')
echo "setup-colab: $("$venv/bin/python" --version), Colab's pins unchanged; mgdebug added ${added:-nothing else}"
touch "$stamp"
