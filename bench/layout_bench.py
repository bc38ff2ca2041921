"""The layout worker's own time on micrograd's demo step, alone in headless Chromium.

Usage: python bench/layout_bench.py [--runs N] [--json PATH]

bench/viewer_bench.py times what a user waits for in JupyterLab, where the worker
shares two cores with the kernel, the server and the page, so its figures move with
whatever else runs. This measures the worker's work by itself: one demo step
(MLP(2, [16, 16, 1]) built inside the recording, 100 samples: the step a first pause
lands in, 65,818 nodes) read as the viewer reads it (js/src/data/decode.ts), then laid
out by the very worker bundle the widget inlines, started from a Blob URL in a blank
page, with a reveal that opens a neuron's 58th call (as a pause there does).
The JavaScript measured is the current directory's when it holds js/src (bench/ab.py
runs each side in its own tree: `python bench/ab.py --base REV --script-from-head
bench/layout_bench.py`), else this checkout's. Each run starts a fresh worker: "cold" is its first layout (a viewer's first paint or
first pause), "warm" the same work again in that worker (another structure, so the
tree is rebuilt). Medians and ranges over the runs; with --json, the raw figures
(bench/ab.py compares two revisions with them).
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from browser_helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from demo import demo_model, demo_step, moons  # noqa: E402

import mgdebug  # noqa: E402  (after the path setup, so this checkout is measured)
from mgdebug import _bundle  # noqa: E402
from mgdebug.protocol import frontend_columns  # noqa: E402

REVEAL_SCOPE, REVEAL_CALL = "MLP/layers.1/neurons.3", 57
# the tree whose viewer code is measured
CODE = Path.cwd() if (Path.cwd() / "js/src/layout/worker.ts").exists() else ROOT


def esbuild() -> str:
    """This checkout's esbuild, or the one of a checkout it lies in (bench/ab.py's trees)."""
    for folder in (ROOT, *ROOT.parents):
        exe = folder / "js" / "node_modules" / ".bin" / "esbuild"
        if exe.exists():
            return str(exe)
    found = shutil.which("esbuild")
    if not found:
        sys.exit("esbuild not found: run `make setup` (npm ci in js/) first")
    return found


def bundle(entry: Path) -> str:
    out = subprocess.run(
        [
            esbuild(),
            str(entry),
            "--bundle",
            "--format=iife",
            "--minify",
            "--target=es2020",
            "--log-level=warning",
        ],  # fmt: skip
        check=True,
        capture_output=True,
        text=True,
        cwd=CODE / "js",
    )
    return out.stdout


def demo_step_input() -> dict:
    """The demo's first step as the kernel sends it, and the node a reveal opens."""
    X, y = moons()
    with mgdebug.record() as trace:
        demo_step(demo_model(), X, y, 0)
    graph = trace.graph(0)
    meta = {"step": 0, "n_created": graph.n_created}
    columns = frontend_columns(graph, with_structure=True)
    strings = trace.strings
    ops, scopes = list(strings.ops), list(strings.scopes)
    relu, scope = ops.index("ReLU"), scopes.index(REVEAL_SCOPE)
    op, node_scope = columns["op"], columns["scope"]
    calls = [
        i for i in range(graph.n_created) if op[i] == relu and node_scope[i] == scope
    ]
    return {
        "bundle": base64.b64encode(_bundle.encode(columns, meta)).decode(),
        "n_created": graph.n_created,
        "strings": {"ops": ops, "scopes": scopes, "labels": list(strings.labels)},
        "reveal": calls[REVEAL_CALL],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh workers (default 9)")
    parser.add_argument("--json", help="also write the raw figures (ms) here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    step = demo_step_input()
    worker_source = bundle(CODE / "js/src/layout/worker.ts")
    # the page's entry beside the code it reads (its imports are relative)
    entry = CODE / "bench/.cache/layout_page.ts"
    entry.parent.mkdir(parents=True, exist_ok=True)
    page_ts = (ROOT / "bench/layout_page.ts").read_text()
    entry.write_text(page_ts.replace('"../js/src/', '"../../js/src/'))
    page_source = bundle(entry)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto("about:blank")
        page.add_script_tag(content=page_source)
        rounds = page.evaluate(
            """([b, n, s, w, reveal, runs]) => layoutBench(b, n, s, w, reveal, runs)""",
            [
                step["bundle"],
                step["n_created"],
                step["strings"],
                worker_source,
                step["reveal"],
                args.runs,
            ],  # fmt: skip
        )
        browser.close()
    if not all(r["revealed"] for r in rounds):
        sys.exit(
            "the revealed node is not a box of its own: the layout measured is not a pause's"
        )

    figures = {
        "cold: the worker's first layout (its own time)": [r["coldMs"] for r in rounds],
        "cold: graph posted -> layout back on the page": [
            r["coldTripMs"] for r in rounds
        ],
        "warm: the same layout again in that worker": [r["warmMs"] for r in rounds],
    }
    print(f"demo step, {step['n_created']:,} nodes; {args.runs} fresh workers; "
          f"{rounds[0]['units']} boxes laid out\n")  # fmt: skip
    print("| measurement | median ms | range ms |")
    print("|---|---:|---:|")
    for name, xs in figures.items():
        print(f"| {name} | {statistics.median(xs):.0f} | {min(xs):.0f}-{max(xs):.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
