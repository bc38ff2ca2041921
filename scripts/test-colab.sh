#!/usr/bin/env bash
# The kernel-level tests again, against kernels of the Colab-pinned environment
# (.venv-colab/, built and checked by scripts/setup-colab.sh): the magic, live pauses
# resumed by a comm message through the pump, Stop, Interrupt, breakpoints, tracebacks,
# the lessons. The test process stays in .venv (its pytest, jupyter_client, nbclient);
# only the kernels change, so only tests marked `kernel` run (the others never touch
# the kernel's stack). About two minutes on 2 cores once the environment exists.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MGDEBUG_VENV:-.venv}
bash scripts/setup-colab.sh
echo "test-colab: kernel-level tests on $(.venv-colab/bin/python -c 'import sys, ipykernel, IPython; print(f"Python {sys.version.split()[0]}, ipykernel {ipykernel.__version__}, IPython {IPython.__version__}")')"
MGDEBUG_TEST_KERNEL_PYTHON="$PWD/.venv-colab/bin/python" "$venv/bin/python" -m pytest -m kernel \
    tests/test_magic.py tests/test_breakpoints.py tests/test_cells.py tests/test_hosts.py \
    tests/test_notebooks.py tests/test_browser_pinned.py "$@"
