"""Our micrograd engine against karpathy's micrograd 0.1.0, side by side.

Usage: python bench/engine_vs_micrograd.py [--rounds N] [--demo-steps N] [--quick] [--json PATH]

Installs `micrograd==0.1.0` from PyPI into bench/.cache/micrograd-0.1.0 (once), writes
the demo's moons data to bench/.cache/moons.json (once), then runs every workload of
bench/workloads.py in a fresh process per engine, interleaved: in each round, every
workload runs for both engines back to back (the order alternates between rounds).
It prints the median of the rounds for each engine, their ratio (ours / theirs) and
the target, and marks misses. It is a measurement, not a test: it exits 0 whether or
not the targets are met.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
OURS = ROOT
THEIRS = CACHE / "micrograd-0.1.0"
MOONS = CACHE / "moons.json"
WORKLOADS = ROOT / "bench" / "workloads.py"
DEMO_LOSS_STEP0 = 0.8958441028683222  # micrograd 0.1.0's published demo, step 0

# key, label, workload, worker flags, result field, unit, target (ratio or absolute)
TIMED = [
    (
        "demo_gc",
        "demo step, float inputs, default GC",
        "demo",
        [],
        "step_ms",
        "ms",
        ("ratio<=", 0.10),
    ),
    (
        "demo_nogc",
        "demo step, float inputs, GC disabled",
        "demo",
        ["--no-gc"],
        "step_ms",
        "ms",
        ("ratio<=", 0.70),
    ),
    (
        "demo_np_gc",
        "demo step, numpy inputs (as published), default GC",
        "demo-np",
        [],
        "step_ms",
        "ms",
        None,
    ),
    (
        "demo_np_nogc",
        "demo step, numpy inputs (as published), GC disabled",
        "demo-np",
        ["--no-gc"],
        "step_ms",
        "ms",
        None,
    ),
    (
        "fwd_nogc",
        "long chain forward, GC disabled",
        "chain",
        ["--no-gc"],
        "forward_ops_per_s",
        "ops/s",
        None,
    ),
    (
        "bwd_nogc",
        "long chain backward, GC disabled",
        "chain",
        ["--no-gc"],
        "backward_ops_per_s",
        "ops/s",
        None,
    ),
    (
        "fwd_gc",
        "long chain forward, default GC",
        "chain",
        [],
        "forward_ops_per_s",
        "ops/s",
        None,
    ),
    (
        "bwd_gc",
        "long chain backward, default GC",
        "chain",
        [],
        "backward_ops_per_s",
        "ops/s",
        None,
    ),
]
ONCE = [  # deterministic: one run per engine
    (
        "bytes",
        "bytes per Value (tracemalloc)",
        "bytes",
        [],
        "bytes_per_value",
        "B",
        ("ours<=", 150),
    ),
    (
        "bytes_dict",
        "bytes per Value, an attribute set on each (instance dict)",
        "bytes",
        ["--attribute"],
        "bytes_per_value",
        "B",
        None,
    ),
    (
        "deepest",
        "deepest chain whose backward() survives",
        "deepest",
        [],
        "deepest_chain_survived",
        "iterations",
        ("ours>=", 1_000_000),
    ),
]


def ensure_theirs():
    """karpathy's micrograd 0.1.0 in an isolated folder (never on our sys.path)."""
    if (THEIRS / "micrograd" / "engine.py").exists() and list(
        THEIRS.glob("micrograd-0.1.0.dist-info")
    ):
        return
    tmp = THEIRS.with_name(THEIRS.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"installing micrograd==0.1.0 into {THEIRS.relative_to(ROOT)} ...",
        file=sys.stderr,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-compile",
            "--target",
            str(tmp),
            "micrograd==0.1.0",
        ],
        check=True,
    )
    shutil.rmtree(THEIRS, ignore_errors=True)
    tmp.rename(THEIRS)


def ensure_moons():
    """The demo's data: seeds 1337, make_moons(n_samples=100, noise=0.1), y*2-1."""
    if MOONS.exists():
        return
    import random

    import numpy as np
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    MOONS.parent.mkdir(parents=True, exist_ok=True)
    MOONS.write_text(json.dumps({"X": X.tolist(), "y": [int(v) for v in y]}))


def run_worker(engine_dir, workload, flags):
    cmd = [sys.executable, str(WORKLOADS), str(engine_dir), workload, *flags]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT / "bench"))
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    engine_file = Path(result["engine_file"]).resolve()
    if Path(engine_dir).resolve() not in engine_file.parents:
        raise RuntimeError(
            f"{workload} imported {engine_file}, not the engine in {engine_dir}"
        )
    return result


WALL = {
    "step_ms": "step_wall_ms",
    "forward_ops_per_s": "forward_ops_per_s_wall",
    "backward_ops_per_s": "backward_ops_per_s_wall",
}


def per_run_value(result, field):
    value = result[field]
    # a demo run reports every timed step; the mean amortizes the periodic full GC
    return statistics.fmean(value) if isinstance(value, list) else value


def fmt(value, unit):
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "ops/s":
        return f"{value / 1e6:.2f} M/s"
    if unit == "B":
        return f"{value:,.0f} B"
    return f"{value:,}"


def verdict(target, ours, theirs, ratio):
    if target is None:
        return "", "(info)"
    kind, bound = target
    if kind == "ratio<=":
        return f"<= {bound:.2f}x", "ok" if ratio <= bound else "**MISS**"
    if kind == "ours<=":
        return f"<= {bound:,} B", "ok" if ours <= bound else "**MISS**"
    return f">= {bound:,}", "ok" if ours >= bound else "**MISS**"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved rounds (default 5)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 round, 1 step, short chains"
    )
    parser.add_argument(
        "--demo-steps",
        type=int,
        default=12,
        help="demo training steps per process, the first untimed (default 12): our "
        "step meets a full GC collection about every 1.2 steps, so a per-process "
        "mean over few steps jumps with how many it happened to meet",
    )
    parser.add_argument("--json", help="also write the raw per-run results here")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    demo_flags = (
        ["--steps", "1", "--warmup", "0"]
        if args.quick
        else ["--steps", str(max(2, args.demo_steps)), "--warmup", "1"]
    )
    chain_flags = ["--chain", "20000"] if args.quick else ["--chain", "100000"]
    deepest_flags = ["--max-depth", "10000"] if args.quick else []

    ensure_theirs()
    ensure_moons()
    engines = {"ours": OURS, "theirs": THEIRS}

    def flags_for(workload, flags):
        if workload.startswith("demo"):
            # with the GC on, also time its collections (gc.callbacks, a few us each)
            probe = [] if "--no-gc" in flags else ["--gc-probe"]
            return [*flags, *probe, "--data", str(MOONS), *demo_flags]
        if workload == "chain":
            return [*flags, *chain_flags]
        if workload == "deepest":
            return [*flags, *deepest_flags]
        return list(flags)

    raw = {key: {"ours": [], "theirs": []} for key, *_ in TIMED + ONCE}
    runs = {}  # one worker run serves every row that reads the same (workload, flags)
    for r in range(rounds):
        order = ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")
        print(f"round {r + 1}/{rounds} ({order[0]} first)", file=sys.stderr)
        for key, _, workload, flags, *_ in TIMED:
            for engine in order:
                run_key = (r, engine, workload, tuple(flags))
                if run_key not in runs:
                    runs[run_key] = run_worker(
                        engines[engine], workload, flags_for(workload, flags)
                    )
                raw[key][engine].append(runs[run_key])
    for key, _, workload, flags, *_ in ONCE:
        for engine in ("ours", "theirs"):
            raw[key][engine].append(
                run_worker(engines[engine], workload, flags_for(workload, flags))
            )

    rows = []
    for key, label, _, _, field, unit, target in TIMED + ONCE:
        vals = {e: [per_run_value(res, field) for res in raw[key][e]] for e in engines}
        ours, theirs = (statistics.median(vals[e]) for e in ("ours", "theirs"))
        ratio = ours / theirs if theirs else None
        wall_ratio = "-"
        if field in WALL:
            w = {
                e: statistics.median(
                    per_run_value(res, WALL[field]) for res in raw[key][e]
                )
                for e in engines
            }
            wall_ratio = f"{w['ours'] / w['theirs']:.3f}x"
        paired = sorted(
            o / t for o, t in zip(vals["ours"], vals["theirs"], strict=True) if t
        )
        if key == "deepest":
            ratio, paired = None, []
        tgt, mark = verdict(target, ours, theirs, ratio)
        if key == "deepest" and raw[key]["ours"][0]["tried_up_to"] < target[1]:
            mark = "not checked (--quick)"
        spread = f"{paired[0]:.3f}-{paired[-1]:.3f}" if len(paired) > 1 else ""
        rows.append(
            (
                label,
                fmt(ours, unit),
                fmt(theirs, unit),
                "-" if ratio is None else f"{ratio:.3f}x",
                spread,
                wall_ratio,
                tgt,
                mark,
            )
        )

    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"\nengine vs karpathy/micrograd 0.1.0 - {now}")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    mode = " (quick)" if args.quick else ""
    print(
        f"python {platform.python_version()} ({sys.executable}),"
        f" nproc {os.cpu_count()}, {platform.platform()}, rounds {rounds}{mode};"
        f" load average at the end {load}\n"
    )
    header = (
        "workload",
        "ours",
        "micrograd 0.1.0",
        "ratio (ours/theirs)",
        "per-round ratios",
        "wall-clock ratio",
        "target",
        "",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] + ["---:"] * 6 + ["---"]) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")

    if args.quick:
        print(
            "\nquick run: 1 round, the first demo step only (no warm-up), short chains;"
            " figures are indicative, not steady state."
        )
    print(
        "\nratio: median(ours) / median(theirs) over the rounds; below 1 is better"
        " for times and bytes, above 1 is better for ops/s. Times are CPU time of"
        " the worker process (time.process_time); the wall-clock ratio is the same"
        " computed from perf_counter."
    )
    steps, warmup = int(demo_flags[1]), int(demo_flags[3])
    print(
        f"demo rows: per process, the mean of {steps - warmup} timed training step(s)"
        f" after {warmup} untimed one(s). float inputs: X and y as Python floats"
        " and ints; numpy inputs: numpy float64 / int64 arrays, as the published"
        " demo feeds them."
    )
    deep = raw["deepest"]["theirs"][0]
    print(
        "deepest: iterations of `y = y*1.0 + 0.0` (2 op nodes each, so the graph is"
        f" about twice as deep), recursion limit {deep['recursion_limit']}, tried up to"
        f" {raw['deepest']['ours'][0]['tried_up_to']:,}; micrograd 0.1.0 first fails"
        f" at {deep['first_failure']}. Long-chain rows: {chain_flags[1]} iterations,"
        " with the recursion limit lifted so that micrograd 0.1.0 can finish."
    )
    losses = {e: raw["demo_gc"][e][0]["loss_step0"] for e in engines}
    same = all(v == DEMO_LOSS_STEP0 for v in losses.values())
    verdict_text = "both match" if same else "**DIFFERS from**"
    print(
        f"check: demo loss at step 0 = {losses['ours']!r} (ours),"
        f" {losses['theirs']!r} (theirs) -> {verdict_text} the published"
        f" {DEMO_LOSS_STEP0!r}"
    )
    print(
        "\nwhere a default-GC demo step goes (float inputs; gc.callbacks in the same"
        " runs, medians of the rounds): CPU time per step, of it in GC collections,"
        " by generation"
    )
    for engine in ("ours", "theirs"):
        runs_gc = raw["demo_gc"][engine]
        step = statistics.median(statistics.fmean(r["step_ms"]) for r in runs_gc)
        gens = sorted(runs_gc[0]["gc_per_step"])
        per_gen = {
            g: {
                k: statistics.median(r["gc_per_step"][g][k] for r in runs_gc)
                for k in ("collections", "ms")
            }
            for g in gens
        }
        gc_ms = statistics.median(
            sum(v["ms"] for v in r["gc_per_step"].values()) for r in runs_gc
        )
        parts = ", ".join(
            f"gen{g}: {v['collections']:.1f} x, {v['ms']:.1f} ms"
            for g, v in per_gen.items()
        )
        print(
            f"  {engine:6} step {step:.1f} ms, GC {gc_ms:.1f} ms ({gc_ms / step:.0%})"
            f" - {parts}"
        )
    misses = [r[0] for r in rows if r[-1] == "**MISS**"]
    print(f"\ntargets missed: {'; '.join(misses) if misses else 'none'}")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
