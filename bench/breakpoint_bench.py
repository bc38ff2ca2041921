"""What breakpoints that never match cost while recording (target: at most +20%).

Usage: python bench/breakpoint_bench.py [--rounds N] [--json PATH]

One step of micrograd's published demo (MLP(2, [16, 16, 1]) on 100 moons points
from sklearn, seed 1337; SVM loss + L2, backward, SGD), fed plain Python numbers.
Per round, in an order that rotates between rounds, the same step is recorded:

  record()                     no breakpoints
  record(break_on=SPECS)       three breakpoints that match nothing, record-only
  live (pause handler)         the same three, with a pause handler attached, as
                               `%%mgtrace --break` has: every node is checked
                               right before its chain rule (info: not the target)
  viewer, nothing set          a pause handler and an empty list the viewer may
                               fill while the cell runs, as every `%%mgtrace`
                               cell with a viewer has (info: should cost nothing)

and an untraced step for scale. Reported: medians of wall and CPU time
(`process_time`, less disturbed by neighbours on a shared VM), their ratio to
`record()`, and the range of per-round ratios. A measurement, not a test: it
exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo import demo_step, moons  # noqa: E402

import mgdebug  # noqa: E402  (after the path setup, so this checkout is measured)
from mgdebug._live import LiveSpecs  # noqa: E402
from mgdebug._record import recording  # noqa: E402
from mgdebug.breakpoints import parse_specs  # noqa: E402
from micrograd.nn import MLP  # noqa: E402

# the demo has no sigmoid, no grad that large, no such scope
SPECS = ["op:sigmoid", "grad>1e9", "scope:nothing"]
TARGET = 1.20  # non-matching breakpoints slow recording by at most 20%


# ---------------------------------------------------------------------- the demo


class NeverCalled:
    """A pause handler: it turns on the live check at every node; nothing matches."""

    def wait(self, at):
        raise AssertionError(f"a non-matching breakpoint paused: {at}")


def run_mode(mode: str, model, X, y, k) -> tuple[float, float, int]:
    """(wall s, cpu s, hits) of one demo step in `mode`."""
    gc.collect()  # the last round's 65k-node graph is freed here, outside the timing
    w0, c0 = time.perf_counter(), time.process_time()
    hits = 0
    if mode == "untraced":
        demo_step(model, X, y, k)
    elif mode == "record()":
        with mgdebug.record() as trace:
            demo_step(model, X, y, k)
    elif mode == "record(break_on=SPECS)":
        with mgdebug.record(break_on=SPECS) as trace:
            demo_step(model, X, y, k)
        hits = len(trace.hits)
    elif mode == "viewer, nothing set":
        trace = mgdebug.Trace()
        with recording(trace, pause=NeverCalled(), live_specs=LiveSpecs()):
            demo_step(model, X, y, k)
    else:
        trace = mgdebug.Trace()
        with recording(trace, breakpoints=parse_specs(SPECS), pause=NeverCalled()):
            demo_step(model, X, y, k)
        hits = len(trace.hits)
    return time.perf_counter() - w0, time.process_time() - c0, hits


MODES = [
    "untraced",
    "record()",
    "record(break_on=SPECS)",
    "live (pause handler)",
    "viewer, nothing set",
]


def bench(rounds: int) -> tuple[dict, dict]:
    X, y = moons()
    random.seed(1337)  # the demo seeds before building MLP(2, [16, 16, 1])
    model = MLP(2, [16, 16, 1])
    for mode in MODES:  # warm-up: first-call costs of numpy and the recorder
        run_mode(mode, model, X, y, 0)
    wall = {m: [] for m in MODES}
    cpu = {m: [] for m in MODES}
    for r in range(rounds):
        order = MODES[r % len(MODES) :] + MODES[: r % len(MODES)]
        for mode in order:
            w, c, hits = run_mode(mode, model, X, y, r + 1)
            if hits:
                raise AssertionError(f"{mode}: {hits} hits; the specs match nothing")
            wall[mode].append(w)
            cpu[mode].append(c)
    return wall, cpu


# ---------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--json", help="also write the raw times here")
    args = parser.parse_args()

    print(f"{args.rounds} rounds of {len(MODES)} demo steps ...", file=sys.stderr)
    wall, cpu = bench(args.rounds)

    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"\nbreakpoint overhead - {now}")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"python {platform.python_version()}, nproc {os.cpu_count()}, "
        f"{platform.platform()}, rounds {args.rounds}; load average {load}"
    )
    print(f"specs: {', '.join(SPECS)} (none matches)\n")
    print("| mode | clock | median | / record() | per-round range | target | |")
    print("|---|---|---:|---:|---|---|---|")
    for mode in MODES[2:]:
        for clock, times in (("wall", wall), ("CPU", cpu)):
            base = times["record()"]
            r = statistics.median(times[mode]) / statistics.median(base)
            paired = sorted(m / b for m, b in zip(times[mode], base, strict=True))
            target = f"<= {TARGET:.2f}x" if mode == "record(break_on=SPECS)" else ""
            ok = ("ok" if r <= TARGET else "**MISS**") if target else "(info)"
            ms = statistics.median(times[mode]) * 1000
            print(
                f"| {mode} | {clock} | {ms:.0f} ms | {r:.2f}x | "
                f"{paired[0]:.2f}-{paired[-1]:.2f} | {target} | {ok} |"
            )
    r, u = (statistics.median(cpu[m]) * 1000 for m in ("record()", "untraced"))
    print(f"\nfor scale, CPU medians: record() {r:.0f} ms, untraced {u:.0f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({"wall_s": wall, "cpu_s": cpu}, indent=1))


if __name__ == "__main__":
    main()
