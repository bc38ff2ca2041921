"""The standalone HTML viewer for one step of micrograd's demo: file size and load time.

    .venv/bin/python bench/html_bench.py [--runs N]

Records one demo step (MLP(2, [16, 16, 1]), 100 moons points, SVM loss + L2),
writes `trace.to_html`, then opens it from file:// in headless Chromium, offline,
and times navigation -> the grouped view drawn (the root's data-busy="0" with
boxes on screen). Medians of N fresh page loads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, VIEWER  # noqa: E402
from demo import demo_model, demo_step, moons  # noqa: E402

import mgdebug  # noqa: E402


def demo_trace() -> mgdebug.Trace:
    X, y = moons()
    model = demo_model()
    with mgdebug.record() as trace:
        demo_step(model, X, y, 0)
    return trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    trace = demo_trace()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.html"
        t0 = time.perf_counter()
        trace.to_html(path)
        write_s = time.perf_counter() - t0
        size = path.stat().st_size
        loads = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.runs):
                context = browser.new_context(
                    viewport={"width": 1400, "height": 900}, offline=True
                )
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_function(
                    "sel => { const v = document.querySelector(sel); return v &&"
                    " v.dataset.busy === '0' && Number(v.dataset.units || 0) > 0; }",
                    arg=VIEWER,
                    timeout=120_000,
                )
                loads.append(time.perf_counter() - t0)
                context.close()
            browser.close()
    nodes = trace.graph(0).num_nodes
    if args.json:
        figures = {"size_mb": size / 1e6, "write_ms": write_s * 1000,
                   "load_ms": [x * 1000 for x in loads]}  # fmt: skip
        Path(args.json).write_text(json.dumps(figures))
    print(
        f"standalone HTML, one demo step ({nodes:,} nodes) - {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print("| measure | result |")
    print("|---|---:|")
    print(f"| file size | {size / 1e6:.2f} MB ({size / nodes:.0f} B/node) |")
    print(f"| trace.to_html() | {write_s * 1000:.0f} ms |")
    print(
        f"| load from file:// to grouped view drawn, median of {args.runs} | {statistics.median(loads) * 1000:.0f} ms (range {min(loads) * 1000:.0f}-{max(loads) * 1000:.0f}) |"
    )


if __name__ == "__main__":
    main()
