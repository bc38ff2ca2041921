"""A long run of tiny steps: what opening, pausing, exporting and loading it cost.

Usage: python bench/steps_bench.py [--steps 20000] [--runs 5] [--json PATH]

Workload: `w = Value(0.5)`, then STEPS times `(w * k + 1.0).tanh().backward()`
inside `mgdebug.record()`: every step kept in full, 5 nodes and 6 visits each,
all sharing one structure (a per-sample SGD loop on a tiny model looks like
this). Each figure is the median of RUNS fresh repetitions (a new Trace object
where an answer is cached on the trace):

  open         what a viewer asks when it opens on the finished trace, in a
               kernel: hello, the last step, parameters, hits, anomaly (no
               breakpoints set: hits are only the recorded ones)
  open + hits  the same with the breakpoints `grad>0.1` and `op:tanh` set
  pause        what a live pause costs the kernel at the last step: the trace
               with the step so far (`Trace.with_step`) and its meta
  to_html      the standalone page (every step's numbers, each structure once)
  save, load   the trace file
  view         `python -m mgdebug view`'s work: load, then the page

It is a measurement, not a test: it exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mgdebug  # noqa: E402
from mgdebug import protocol  # noqa: E402
from micrograd import Value  # noqa: E402


def record(steps: int) -> mgdebug.Trace:
    w = Value(0.5, label="w")
    with mgdebug.record() as trace:
        for k in range(steps):
            (w * float(k) + 1.0).tanh().backward()
    return trace


def open_viewer(trace: mgdebug.Trace, breakpoints: list[str]) -> None:
    last = len(trace.steps) - 1
    for request in ({"kind": "hello"}, {"kind": "get_step", "step": last},
                    {"kind": "get_params"}, {"kind": "get_hits"},
                    {"kind": "get_anomaly"}):  # fmt: skip
        reply, _ = protocol.answer(trace, {**request, "id": 1}, breakpoints=breakpoints)
        assert reply["kind"] != "error", reply


def pause(trace: mgdebug.Trace) -> None:
    s = trace.steps[-1]
    shown = trace.with_step(s, trace.graph(s.index))
    protocol.trace_meta(shown, recording=True)


def median_s(make, run, runs: int) -> float:
    times = []
    for _ in range(runs):
        subject = make()
        t0 = time.perf_counter()
        run(subject)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    t0 = time.perf_counter()
    trace = record(args.steps)
    recorded = time.perf_counter() - t0
    folder = Path(tempfile.mkdtemp())
    trace.save(folder / "t.mgtrace")
    size = (folder / "t.mgtrace").stat().st_size

    def fresh():  # a new Trace object: nothing cached from an earlier run
        return mgdebug.load(folder / "t.mgtrace")

    figures = {
        "open": median_s(fresh, lambda t: open_viewer(t, []), args.runs),
        "open + hits": median_s(
            fresh, lambda t: open_viewer(t, ["grad>0.1", "op:tanh"]), args.runs
        ),
        "pause": median_s(fresh, pause, args.runs),
        "to_html": median_s(fresh, lambda t: t.to_html(folder / "t.html"), args.runs),
        "save": median_s(fresh, lambda t: t.save(folder / "again.mgtrace"), args.runs),
        "load": median_s(lambda: None, lambda _: fresh(), args.runs),
        "view": median_s(
            lambda: None, lambda _: fresh().to_html(folder / "v.html"), args.runs
        ),
    }
    print(f"{trace!r}; recorded in {recorded:.1f} s; file {size / 1e6:.1f} MB")
    for name, seconds in figures.items():
        print(f"  {name:12s} {seconds * 1000:8.0f} ms  (median of {args.runs})")
    if args.json:
        record_ = {"steps": args.steps, "runs": args.runs, "file_bytes": size,
                   "seconds": figures}  # fmt: skip
        args.json.write_text(json.dumps(record_, indent=1))


if __name__ == "__main__":
    main()
