"""What recording a trace costs: overhead, bytes per node, state_at, State.move, files.

Usage: python bench/trace_bench.py [--rounds N] [--quick] [--full-steps N] [--json PATH]

Everything runs on micrograd's published demo (MLP(2, [16, 16, 1]) on the 100 moons
points, SVM loss + L2, SGD), fed plain Python floats and ints so that no numpy
reaches the engine. In one process:

  1. overhead: per round, one demo step untraced, one inside `mgdebug.record()`
     and one inside `mgdebug.record(source=True)`, in an order that rotates
     between rounds; medians of wall time and of CPU time (`process_time`, less
     disturbed by other jobs on the machine), their ratio and the range of
     per-round ratios.
     A traced step includes entering and leaving `record()` and closing the step.
  2. the recorded step: bytes per node of its columns, `state_at(t)` for random t
     (the first call on a fresh trace replays the backward once; later calls are
     cached), `State.move` by one event forward and back, save and load.
Then, in two fresh processes, the full demo (default 100 steps) untraced and
recorded with the default caps: peak RSS, steps kept in full, column bytes.

It is a measurement, not a test: it exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo import demo_model, demo_step, moons  # noqa: E402

import mgdebug  # noqa: E402  (after the path setup, so this checkout is measured)

OVERHEAD_TARGET = 2.0  # a traced demo step costs at most 2x an untraced one
BYTES_TARGET = 64  # bytes per recorded node, edges included
STATE_AT_TARGET_MS = 50  # state_at for a random t on a ~65k-node step
RSS_TARGET_MB = 300  # peak RSS of the whole traced 100-step demo, every step kept


# ---------------------------------------------------------------------- the demo


# ---------------------------------------------------------------------- 1. overhead

MODES = {
    "untraced": None,
    "traced": {},
    "traced, source=True": {"source": True},
}


def timed_step(model, X, y, k, options):
    """(wall s, cpu s, trace or None) for one demo step in the given mode."""
    w0, c0 = time.perf_counter(), time.process_time()
    if options is None:
        demo_step(model, X, y, k)
        trace = None
    else:
        with mgdebug.record(**options) as trace:
            demo_step(model, X, y, k)
    return time.perf_counter() - w0, time.process_time() - c0, trace


def bench_overhead(rounds: int):
    X, y = moons()
    model = demo_model()
    timed_step(
        model, X, y, 0, {}
    )  # warm-up: first-call costs of numpy and the recorder
    wall = {m: [] for m in MODES}
    cpu = {m: [] for m in MODES}
    traces = []
    names = list(MODES)
    for r in range(rounds):
        order = names[r % 3 :] + names[: r % 3]  # rotate who goes first
        for mode in order:
            w, c, trace = timed_step(model, X, y, r + 1, MODES[mode])
            wall[mode].append(w)
            cpu[mode].append(c)
            if mode == "traced":
                traces.append(trace)
    return wall, cpu, traces


# ---------------------------------------------------------------------- 2. the recorded step


def median_ms(xs):
    return statistics.median(xs) * 1000


def bench_state_at(traces, samples: int):
    """First call (replay included) on each fresh trace, then cached calls at random t."""
    rng = random.Random(0)
    first = []
    for trace in traces:
        s = trace.steps[0]
        t = rng.randrange(
            s.num_created + 1, s.num_events
        )  # a random mid-backward event
        t0 = time.perf_counter()
        trace.state_at(t)
        first.append(time.perf_counter() - t0)
    trace = traces[-1]
    n_created = trace.steps[0].num_created
    backward, forward = [], []
    for _ in range(samples):
        t = rng.randrange(trace.num_events)
        t0 = time.perf_counter()
        trace.state_at(t)
        (forward if t < n_created else backward).append(time.perf_counter() - t0)
    cached = sorted(backward)
    return {
        "first_ms": median_ms(first),
        "backward_ms": median_ms(backward),
        "backward_p95_ms": cached[int(0.95 * (len(cached) - 1))] * 1000,
        "forward_ms": median_ms(forward) if forward else float("nan"),
    }


def bench_move(trace, moves: int):
    """Microseconds per State.move by one event, forward and back, in each phase."""
    s = trace.steps[0]
    out = {}
    for phase, start in (("backward", s.num_created + 1), ("forward", 0)):
        end = min(
            start + moves, (s.num_events if phase == "backward" else s.num_created) - 1
        )
        state = trace.state_at(start)
        t0 = time.perf_counter()
        for t in range(start + 1, end + 1):
            state = state.move(t)
        t1 = time.perf_counter()
        for t in range(end - 1, start - 1, -1):
            state = state.move(t)
        t2 = time.perf_counter()
        n = end - start
        out[phase] = ((t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6)
    return out


def bench_files(trace, rounds: int):
    """Save and load a trace: MB/s (file size / median time) and the file size."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.mgtrace"
        saves, loads = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            trace.save(path)
            saves.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            mgdebug.load(path)
            loads.append(time.perf_counter() - t0)
        size = path.stat().st_size
    mb = size / 1e6
    return {
        "size_mb": mb,
        "save_mb_s": mb / statistics.median(saves),
        "load_mb_s": mb / statistics.median(loads),
    }


def record_steps(n: int):
    X, y = moons()
    model = demo_model()
    with mgdebug.record() as trace:
        for k in range(n):
            demo_step(model, X, y, k)
    return trace


# ---------------------------------------------------------------------- 3. the full demo


def full_run_worker(steps: int, traced: bool) -> dict:
    """Run in a fresh process: the whole demo, untraced or recorded with the default caps."""
    X, y = moons()
    model = demo_model()
    t0 = time.perf_counter()
    if traced:
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with mgdebug.record() as trace:
                for k in range(steps):
                    demo_step(model, X, y, k)
    else:
        for k in range(steps):
            demo_step(model, X, y, k)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "peak_rss_mb": peak_rss_mb()}
    if traced:
        kept = trace.kept_steps()
        graphs = [trace.graph(k) for k in kept]
        out.update(
            steps=len(trace.steps),
            kept=sum(
                s.kept for s in trace.steps
            ),  # held for good (and the latest step)
            latest=kept[-1] if kept else None,
            nodes_total=sum(s.num_created for s in trace.steps),
            kept_nodes=sum(g.num_nodes for g in graphs),
            unshared_mb=sum(g.nbytes() for g in graphs) / 1e6,
            stored_mb=trace.nbytes() / 1e6,  # each structure once, numbers per step
            structures=len({id(g.structure) for g in graphs}),
            warnings=[str(w.message) for w in caught],
            notices=len(trace.notices),
            loss_first=float(trace.loss_curve()[0]),
            loss_last=float(trace.loss_curve()[-1]),
        )
    return out


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would count the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def run_full(steps: int, traced: bool) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--full-run-worker",
        "traced" if traced else "untraced",
        "--full-steps",
        str(steps),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=9, help="interleaved rounds (default 9)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 rounds, a 10-step full run"
    )
    parser.add_argument(
        "--full-steps", type=int, default=100, help="steps of the full demo run"
    )
    parser.add_argument("--json", help="also write the raw figures here")
    parser.add_argument(
        "--full-run-worker", choices=["traced", "untraced"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.full_run_worker:
        print(
            json.dumps(
                full_run_worker(args.full_steps, args.full_run_worker == "traced")
            )
        )
        return
    rounds = 3 if args.quick else args.rounds
    full_steps = min(args.full_steps, 10) if args.quick else args.full_steps

    print(f"overhead: {rounds} rounds of 3 demo steps ...", file=sys.stderr)
    wall, cpu, traces = bench_overhead(rounds)
    graph = traces[-1].graph(0)
    print("state_at, move, files ...", file=sys.stderr)
    state_at = bench_state_at(traces, samples=200)
    move = bench_move(traces[-1], moves=20_000)
    three = record_steps(3)
    files = bench_files(three, rounds=5)
    print(
        f"full demo, {full_steps} steps, untraced and traced (fresh processes) ...",
        file=sys.stderr,
    )
    full_plain = run_full(full_steps, traced=False)
    full = run_full(full_steps, traced=True)

    def ratio(mode, times):
        """Ratio of medians, and the sorted per-round ratios."""
        base = times["untraced"]
        paired = sorted(m / u for m, u in zip(times[mode], base, strict=True))
        return statistics.median(times[mode]) / statistics.median(base), paired

    rows = []
    for mode in ("traced", "traced, source=True"):
        for clock, times in (("wall", wall), ("CPU", cpu)):
            r, paired = ratio(mode, times)
            target = f"<= {OVERHEAD_TARGET:.1f}x" if mode == "traced" else ""
            ok = ("ok" if r <= OVERHEAD_TARGET else "**MISS**") if target else "(info)"
            rows.append(
                (
                    f"demo step {mode} / untraced ({clock})",
                    f"{median_ms(times[mode]):.0f} / {median_ms(times['untraced']):.0f} ms",
                    f"{r:.2f}x (rounds {paired[0]:.2f}-{paired[-1]:.2f})",
                    target,
                    ok,
                )
            )
    per_node = graph.nbytes() / graph.num_nodes
    rows.append(
        (
            "bytes per node, edges included (demo step)",
            f"{graph.num_nodes:,} nodes, {graph.num_edges:,} edges",
            f"{per_node:.1f} B",
            f"<= {BYTES_TARGET} B",
            "ok" if per_node <= BYTES_TARGET else "**MISS**",
        )
    )
    rows.append(
        (
            "state_at(t), first call on a fresh trace (replays the backward)",
            f"median of {len(traces)} traces",
            f"{state_at['first_ms']:.1f} ms",
            "",
            "(info)",
        )
    )
    rows.append(
        (
            "state_at(t), random mid-backward t, replay cached",
            f"p95 {state_at['backward_p95_ms']:.2f} ms",
            f"{state_at['backward_ms']:.2f} ms",
            f"< {STATE_AT_TARGET_MS} ms",
            "ok" if state_at["backward_p95_ms"] < STATE_AT_TARGET_MS else "**MISS**",
        )
    )
    rows.append(
        (
            "state_at(t), random forward t",
            "",
            f"{state_at['forward_ms']:.2f} ms",
            "",
            "(info)",
        )
    )
    for phase, (fwd, back) in move.items():
        rows.append(
            (
                f"State.move by one event, {phase} phase",
                "next / previous",
                f"{fwd:.1f} / {back:.1f} us",
                "microseconds",
                "(info)",
            )
        )
    rows.append(
        (
            "save (3 demo steps kept in full)",
            f"{files['size_mb']:.1f} MB file",
            f"{files['save_mb_s']:.0f} MB/s",
            "",
            "(info)",
        )
    )
    rows.append(
        (
            "load (CRC, then every index checked)",
            f"{files['size_mb']:.1f} MB file",
            f"{files['load_mb_s']:.0f} MB/s",
            "",
            "(info)",
        )
    )
    per_node_step = full["stored_mb"] * 1e6 / max(full["kept_nodes"], 1)
    all_kept = full["kept"] == full_steps and not full["warnings"]
    rows.append(
        (
            f"full demo ({full_steps} steps) recorded with default caps: steps kept in full",
            f"{full['nodes_total']:,} nodes built, {full['structures']} structures",
            f"{full['kept']} of {full['steps']}, no warning"
            if all_kept
            else f"{full['kept']} of {full['steps']}; warnings {full['warnings']}",
            f"all {full_steps}",
            "ok" if all_kept else "**MISS**",
        )
    )
    rows.append(
        (
            "... columns held (structures once, numbers per step)",
            f"{full['unshared_mb']:.0f} MB if each step kept its own",
            f"{full['stored_mb']:.0f} MB ({per_node_step:.1f} B per node-step)",
            "",
            "(info)",
        )
    )
    rss_ok = full["peak_rss_mb"] <= RSS_TARGET_MB
    rows.append(
        (
            f"full demo ({full_steps} steps): peak RSS traced / untraced",
            f"{full['seconds']:.0f} s / {full_plain['seconds']:.0f} s",
            f"{full['peak_rss_mb']:.0f} / {full_plain['peak_rss_mb']:.0f} MB",
            f"<= {RSS_TARGET_MB} MB traced",
            "ok" if rss_ok else "**MISS**",
        )
    )
    ratio = full["seconds"] / full_plain["seconds"]
    rows.append(
        (
            f"full demo ({full_steps} steps): recording / untraced, whole run (wall)",
            "one run each, fresh processes",
            f"{ratio:.2f}x",
            f"<= {OVERHEAD_TARGET}x",
            "ok" if ratio <= OVERHEAD_TARGET else "**MISS**",
        )
    )

    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"\ntrace recording - {now}")
    print(
        f"python {platform.python_version()}, nproc {os.cpu_count()}, {platform.platform()}, "
        f"rounds {rounds}{' (quick)' if args.quick else ''}; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n"
    )
    print("| measure | detail | result | target | |")
    print("|---|---|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        f"\nfull run: {full['steps']} steps, loss {full['loss_first']:.4f} -> "
        f"{full['loss_last']:.4f}; warnings: {full['warnings']}; notices: {full['notices']}"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "state_at": state_at,
                    "move_us": move,
                    "files": files,
                    "full": full,
                    "full_untraced": full_plain,
                    "bytes_per_node": per_node,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
